#pragma once

#include <QString>

// Validation of user-chosen names (spec/api.md §1.7, §19.8). Each check returns an empty string
// when the name is valid, else a short English reason (for a 400 validation_error's details).
namespace qfc::names {

// 3–150 characters of [-a-zA-Z0-9_], starting with a letter, not a reserved word.
QString checkUsername(const QString &username);
// 1–255 characters of [a-zA-Z0-9-_.].
QString checkProjectName(const QString &name);
// A project file path, checked byte-exact (no normalization): 1–255 characters, no leading or
// trailing whitespace, relative, '/'-separated non-empty segments without < > : " \ | ? * or
// control characters, not ending with a dot or whitespace, not "." or "..", and not a Windows
// device name (CON, PRN, AUX, NUL, COM0–COM9, LPT0–LPT9), in any case and with any extension.
QString checkFilePath(const QString &path);
// Upstream's reserved words (compared case-insensitively).
bool isReservedUsername(const QString &username);

} // namespace qfc::names
