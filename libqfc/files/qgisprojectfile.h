#pragma once

#include <QString>

#include <optional>

namespace qfc::files {

// QGIS project files (.qgs, .qgz) as the upload checks of spec/api.md §9.4 see them.
bool isQgisProjectFile(const QString &path); // .qgs or .qgz, any case

// The `version` attribute of the root <qgis> element of a .qgs file, or of the .qgs inside a .qgz
// archive; std::nullopt when the file is not readable that way (400 invalid_qgis_project_file).
// Reads only the head of the document.
std::optional<QString> readQgisVersion(const QString &localPath, bool zipped);

// Files whose upload needs admin or manager when the project restricts its project files (§14.4):
// any .qgs/.qgz, and <stem>.qgd, <stem>.qml, <stem>_attachments.zip of the current QGIS file.
bool isRestrictedProjectFile(const QString &path, const std::optional<QString> &theQgisFileName);

} // namespace qfc::files
