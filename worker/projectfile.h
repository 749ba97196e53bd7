#pragma once

#include <QColor>
#include <QString>
#include <qgsmapsettings.h>
#include <qgsproject.h>

#include <memory>

namespace qfc::worker {

// The QGIS project file of a job: validity, opening, and what is read from it directly.
namespace ProjectFile {

// project_validity_check (spec/worker.md §3.1): the file exists; a .qgs parses as XML (expat,
// as upstream's ElementTree); any other suffix than .qgs/.qgz is refused. Throws WorkerError.
void checkValidity(const QString &path);

// The error detail for an XML parse error as upstream reports it: for "invalid token" errors
// "Unable to parse character: <byte value>. Replaced by '?' on line <n> that starts with:
// <text before the column, stripped>?", else expat's "<message>: line <n>, column <m>".
QString xmlErrorDetail(const QByteArray &content, const QString &expatMessage);

// Sets every legend layer's showFeatureCount to 0 (legendlayer attributes and layer-tree-layer
// custom properties), in place, inside the archive for a .qgz. Returns whether the file changed.
// Throws WorkerError.
bool disableFeatureCount(const QString &path);

// The read flags of read-only opens (spec/worker.md §2.2): in QGIS 3.22 only "don't load
// layouts" exists of upstream's set; read-only is kept by never starting edits.
QgsProject::ReadFlags readOnlyFlags();

// opening_check (spec/worker.md §3.2): reads `path` into QgsProject::instance() with the
// read-only flags, after disableFeatureCount() when asked. Throws WorkerError
// ("File not found: <path>", FILE_NOT_FOUND; "Unable to open project with QGIS file: <path>").
QgsProject *openReadOnly(const QString &path, bool withoutFeatureCount);

// The project opened a second time, into its own QgsProject (spec/worker.md §3.5), with the map
// settings of its "theMapCanvas" element: background colour, extent, CRS, rotation 0, transform
// context, path resolver, output size 100×100, layers = the layer tree's custom layer order,
// reversed.
struct TemporaryProject
{
    std::unique_ptr<QgsProject> project;
    QgsMapSettings mapSettings;
    QColor backgroundColor;
};
std::unique_ptr<TemporaryProject> openTemporarily(const QString &path);

// The "X.Y.Z" of the root <qgis version="..."> (spec/worker.md §3.3); for a .qgz from
// <stem>.qgs inside it, else its first .qgs entry by name. Throws WorkerError (ValueError).
QString qgisVersion(const QString &path);

} // namespace ProjectFile

} // namespace qfc::worker
