#pragma once

#include <QStringList>

namespace qfc::cli {

// The qfc-server command line: serve, migrate, createuser ... (`qfc-server --help`).
// Returns the process exit code. Needs a QCoreApplication.
int run(const QStringList &arguments);

} // namespace qfc::cli
