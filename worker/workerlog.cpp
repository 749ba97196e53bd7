#include "workerlog.h"

#include <QMutexLocker>
#include <QTime>

#include <cstdio>
#include <cstdlib>

namespace qfc::worker {

namespace {

void qtMessageHandler(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    Q_UNUSED(context)
    WorkerLog::instance().write(contract::LoggerNames::QgsStderr,
                                contract::logLevelForQtMessage(type), message);
    if (type == QtFatalMsg)
        std::abort();
}

} // namespace

WorkerLog &WorkerLog::instance()
{
    static WorkerLog log;
    return log;
}

void WorkerLog::setRedactor(const contract::LogRedactor &redactor)
{
    QMutexLocker locker(&m_mutex);
    m_redactor = redactor;
}

void WorkerLog::write(const QString &logger, contract::LogLevel level, const QString &message)
{
    QMutexLocker locker(&m_mutex);
    writeLine(
        contract::formatLogLine(QTime::currentTime(), logger, level, m_redactor.redact(message)));
}

void WorkerLog::writeRaw(const QString &line)
{
    QMutexLocker locker(&m_mutex);
    writeLine(line);
}

void WorkerLog::writeLine(const QString &line)
{
    const QByteArray bytes = line.toUtf8() + '\n';
    std::fwrite(bytes.constData(), 1, std::size_t(bytes.size()), stderr);
    std::fflush(stderr);
}

void WorkerLog::installQtMessageHandler()
{
    qInstallMessageHandler(qtMessageHandler);
}

void logDebug(const QString &message)
{
    WorkerLog::instance().write(contract::LoggerNames::Worker, contract::LogLevel::Debug, message);
}

void logInfo(const QString &message)
{
    WorkerLog::instance().write(contract::LoggerNames::Worker, contract::LogLevel::Info, message);
}

void logWarning(const QString &message)
{
    WorkerLog::instance().write(contract::LoggerNames::Worker, contract::LogLevel::Warning,
                                message);
}

void logError(const QString &message)
{
    WorkerLog::instance().write(contract::LoggerNames::Worker, contract::LogLevel::Error, message);
}

} // namespace qfc::worker
