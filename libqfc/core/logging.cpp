#include "logging.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QMutex>

#include <cstdio>

Q_LOGGING_CATEGORY(lcHttp, "qfc.http", QtInfoMsg)
Q_LOGGING_CATEGORY(lcDb, "qfc.db", QtInfoMsg)
Q_LOGGING_CATEGORY(lcAuth, "qfc.auth", QtInfoMsg)
Q_LOGGING_CATEGORY(lcFiles, "qfc.files", QtInfoMsg)
Q_LOGGING_CATEGORY(lcJobs, "qfc.jobs", QtInfoMsg)
Q_LOGGING_CATEGORY(lcWorker, "qfc.worker", QtInfoMsg)
Q_LOGGING_CATEGORY(lcServer, "qfc.server", QtInfoMsg)

namespace qfc::logging {

namespace {

struct Sink
{
    QMutex mutex;
    QFile file;
    Level level = Level::Info;
};

Sink &sink()
{
    static Sink s;
    return s;
}

int rank(QtMsgType type)
{
    switch (type) {
    case QtDebugMsg:
        return 0;
    case QtInfoMsg:
        return 1;
    case QtWarningMsg:
        return 2;
    case QtCriticalMsg:
    case QtFatalMsg:
        return 3;
    }
    return 3;
}

const char *label(QtMsgType type)
{
    switch (type) {
    case QtDebugMsg:
        return "DEBUG";
    case QtInfoMsg:
        return "INFO";
    case QtWarningMsg:
        return "WARNING";
    case QtCriticalMsg:
        return "ERROR";
    case QtFatalMsg:
        return "FATAL";
    }
    return "?";
}

void handler(QtMsgType type, const QMessageLogContext &context, const QString &text)
{
    Sink &s = sink();
    if (rank(type) < static_cast<int>(s.level))
        return;
    const QByteArray line = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs).toUtf8()
        + ' ' + label(type) + ' ' + (context.category ? context.category : "default") + ' '
        + text.toUtf8() + '\n';
    QMutexLocker lock(&s.mutex);
    std::fwrite(line.constData(), 1, static_cast<size_t>(line.size()), stderr);
    std::fflush(stderr);
    if (s.file.isOpen()) {
        s.file.write(line);
        s.file.flush();
    }
    if (type == QtFatalMsg)
        std::abort();
}

} // namespace

void install(Level level, const QString &filePath)
{
    Sink &s = sink();
    {
        QMutexLocker lock(&s.mutex);
        s.level = level;
        if (s.file.isOpen())
            s.file.close();
        if (!filePath.isEmpty()) {
            QDir().mkpath(QFileInfo(filePath).absolutePath());
            s.file.setFileName(filePath);
            if (!s.file.open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Text))
                std::fprintf(stderr, "cannot open log file %s\n", qPrintable(filePath));
        }
    }
    // Debug output of QFC's categories only when asked for.
    QLoggingCategory::setFilterRules(level == Level::Debug ? u"qfc.*.debug=true"_qs
                                                           : u"qfc.*.debug=false"_qs);
    qInstallMessageHandler(handler);
}

bool parseLevel(const QString &text, Level *level)
{
    const QString t = text.trimmed().toLower();
    if (t == u"debug")
        *level = Level::Debug;
    else if (t == u"info")
        *level = Level::Info;
    else if (t == u"warning")
        *level = Level::Warning;
    else if (t == u"error")
        *level = Level::Error;
    else
        return false;
    return true;
}

} // namespace qfc::logging
