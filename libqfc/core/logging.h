#pragma once

#include <QLoggingCategory>
#include <QString>

// QFC's logging categories, one per subsystem (documented for operators in docs/operations.md).
Q_DECLARE_LOGGING_CATEGORY(lcHttp) // qfc.http: connections, the access log
Q_DECLARE_LOGGING_CATEGORY(lcDb) // qfc.db: connections, migrations
Q_DECLARE_LOGGING_CATEGORY(lcAuth) // qfc.auth: logins, tokens, throttling
Q_DECLARE_LOGGING_CATEGORY(lcFiles) // qfc.files: the file store
Q_DECLARE_LOGGING_CATEGORY(lcJobs) // qfc.jobs: the scheduler and worker pool
Q_DECLARE_LOGGING_CATEGORY(lcWorker) // qfc.worker: worker processes
Q_DECLARE_LOGGING_CATEGORY(lcServer) // qfc.server: start-up, configuration, shutdown

namespace qfc::logging {

enum class Level { Debug, Info, Warning, Error };

// Installs QFC's message handler: one line per message, "<UTC time> <level> <category> <text>",
// to stderr and, when `filePath` is not empty, appended to that file. Messages below `level`
// are dropped. Safe to call again (e.g. after the settings are known).
void install(Level level, const QString &filePath);

// Parses "debug" | "info" | "warning" | "error".
bool parseLevel(const QString &text, Level *level);

} // namespace qfc::logging
