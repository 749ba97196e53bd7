#pragma once

#include "contract/logformat.h"
#include "contract/logredactor.h"

#include <QMutex>
#include <QString>

namespace qfc::worker {

// The worker's log: every line goes to stderr, formatted and redacted as spec/worker.md §1.3
// says ("HH:MM:SS.mmm <logger> <LEVEL> <message>", password='…' and secret values → ***),
// together with the unformatted step markers, so that the runner's merged output keeps their
// order. Thread-safe (QGIS renders and logs from worker threads).
class WorkerLog
{
public:
    static WorkerLog &instance();

    void setRedactor(const contract::LogRedactor &redactor);
    const contract::LogRedactor &redactor() const { return m_redactor; }

    void write(const QString &logger, contract::LogLevel level, const QString &message);
    // A line written as it is (step markers): no prefix, no redaction.
    void writeRaw(const QString &line);

    // Routes Qt messages (qDebug() ... qFatal()) to the QGSSTDERR logger. Install it before
    // QgsApplication exists and again after QGIS set up its own.
    static void installQtMessageHandler();

private:
    WorkerLog() = default;
    void writeLine(const QString &line);

    QMutex m_mutex;
    contract::LogRedactor m_redactor;
};

// The worker's own messages (logger "qfc_worker").
void logDebug(const QString &message);
void logInfo(const QString &message);
void logWarning(const QString &message);
void logError(const QString &message);

} // namespace qfc::worker
