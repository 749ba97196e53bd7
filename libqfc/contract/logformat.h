#pragma once

#include "feedback.h"

#include <QLatin1String>
#include <QString>
#include <QTime>
#include <QtGlobal>

#include <optional>

namespace qfc::contract {

// Log levels of the worker's log lines, named as Python's logging names them.
enum class LogLevel {
    Debug,
    Info,
    Warning,
    Error,
    Critical,
};

// "DEBUG" | "INFO" | "WARNING" | "ERROR" | "CRITICAL"
QString logLevelName(LogLevel level);

// Logger names of the worker log (spec/worker.md §1.3).
namespace LoggerNames {
inline constexpr QLatin1String QgsStderr("QGSSTDERR"); // Qt messages (qDebug ... qFatal)
inline constexpr QLatin1String QgsMsgLog("QGSMSGLOG"); // QgsMessageLog messages
inline constexpr QLatin1String Worker("qfc_worker"); // the worker's own messages
} // namespace LoggerNames

// The level of a Qt message: debug → DEBUG, info → INFO, warning → WARNING, critical and
// fatal → CRITICAL (as upstream's handler maps them).
LogLevel logLevelForQtMessage(QtMsgType type);

// The level of a QgsMessageLog message, given the integer value of Qgis::MessageLevel
// (Info 0, Warning 1, Critical 2, Success 3, NoLevel 4): Info/Success → INFO, Warning →
// WARNING, Critical → CRITICAL, NoLevel and anything else → DEBUG.
LogLevel logLevelForQgisMessageLevel(int qgisMessageLevel);

// One log line without its line break (spec/worker.md §1.3), Python's
// "%(asctime)s.%(msecs)03d %(name)-9s %(levelname)-8s %(message)s" with "%H:%M:%S":
// "HH:MM:SS.mmm <logger padded to 9> <LEVEL padded to 8> <message>". Longer names are not cut;
// a multi-line message keeps its line breaks (only the first line has the prefix). Redact the
// message before (LogRedactor).
QString formatLogLine(const QTime &time, const QString &logger, LogLevel level,
                      const QString &message);

// Step markers printed to stderr around each step (spec/worker.md §1.3):
// "::<<<::<marker id> <step name>" before, "::>>>::<marker id> <stage>" after, where the marker
// id is a fresh random UUID per step and the stage is 1 (raised) or 2 (completed).
QString stepStartMarker(const QString &markerId, const QString &stepName);
QString stepEndMarker(const QString &markerId, StepStage stage);
// A fresh marker id: a random UUID, lower case, without braces.
QString newStepMarkerId();

struct StepMarker
{
    enum class Kind {
        Start,
        End,
    };

    Kind kind = Kind::Start;
    QString markerId;
    QString stepName; // Start only
    int stage = 0; // End only
};

// Recognises a marker line (without its line break); std::nullopt for any other line.
std::optional<StepMarker> parseStepMarker(const QString &line);

} // namespace qfc::contract
