#pragma once

#include <QStringList>

#include <optional>

namespace qfc::cli {

// Operator management without a web UI (spec/api.md §19.10): `qfc-server user|org|team|plan|secret
// ...`. Returns the exit code, or std::nullopt when `command` is none of these.
std::optional<int> runAdminCommand(const QString &command, const QStringList &args);

// The usage text of these commands (part of `qfc-server --help`).
QString adminUsage();

} // namespace qfc::cli
