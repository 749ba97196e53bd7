#include "logformat.h"

#include <QRegularExpression>
#include <QUuid>

namespace qfc::contract {

namespace {

constexpr QLatin1String StartPrefix("::<<<::");
constexpr QLatin1String EndPrefix("::>>>::");

} // namespace

QString logLevelName(LogLevel level)
{
    switch (level) {
    case LogLevel::Debug:
        return QStringLiteral("DEBUG");
    case LogLevel::Info:
        return QStringLiteral("INFO");
    case LogLevel::Warning:
        return QStringLiteral("WARNING");
    case LogLevel::Error:
        return QStringLiteral("ERROR");
    case LogLevel::Critical:
        return QStringLiteral("CRITICAL");
    }
    return {};
}

LogLevel logLevelForQtMessage(QtMsgType type)
{
    switch (type) {
    case QtDebugMsg:
        return LogLevel::Debug;
    case QtInfoMsg:
        return LogLevel::Info;
    case QtWarningMsg:
        return LogLevel::Warning;
    case QtCriticalMsg:
    case QtFatalMsg:
        return LogLevel::Critical;
    }
    return LogLevel::Debug;
}

LogLevel logLevelForQgisMessageLevel(int qgisMessageLevel)
{
    switch (qgisMessageLevel) {
    case 0: // Qgis::Info
    case 3: // Qgis::Success
        return LogLevel::Info;
    case 1: // Qgis::Warning
        return LogLevel::Warning;
    case 2: // Qgis::Critical
        return LogLevel::Critical;
    default: // Qgis::NoLevel
        return LogLevel::Debug;
    }
}

QString formatLogLine(const QTime &time, const QString &logger, LogLevel level,
                      const QString &message)
{
    return time.toString(QStringLiteral("HH:mm:ss.zzz")) + QLatin1Char(' ')
        + logger.leftJustified(9) + QLatin1Char(' ') + logLevelName(level).leftJustified(8)
        + QLatin1Char(' ') + message;
}

QString stepStartMarker(const QString &markerId, const QString &stepName)
{
    return StartPrefix + markerId + QLatin1Char(' ') + stepName;
}

QString stepEndMarker(const QString &markerId, StepStage stage)
{
    return EndPrefix + markerId + QLatin1Char(' ') + QString::number(int(stage));
}

QString newStepMarkerId()
{
    return QUuid::createUuid().toString(QUuid::WithoutBraces);
}

std::optional<StepMarker> parseStepMarker(const QString &line)
{
    static const QRegularExpression start(QStringLiteral("\\A::<<<::(\\S+) (.*)\\z"));
    static const QRegularExpression end(QStringLiteral("\\A::>>>::(\\S+) ([0-9]+)\\z"));
    if (const QRegularExpressionMatch match = start.match(line); match.hasMatch()) {
        StepMarker marker;
        marker.kind = StepMarker::Kind::Start;
        marker.markerId = match.captured(1);
        marker.stepName = match.captured(2);
        return marker;
    }
    if (const QRegularExpressionMatch match = end.match(line); match.hasMatch()) {
        StepMarker marker;
        marker.kind = StepMarker::Kind::End;
        marker.markerId = match.captured(1);
        marker.stage = match.captured(2).toInt();
        return marker;
    }
    return std::nullopt;
}

} // namespace qfc::contract
