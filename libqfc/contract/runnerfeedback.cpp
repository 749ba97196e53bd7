#include "runnerfeedback.h"

namespace qfc::contract::RunnerFeedback {

namespace {

Feedback errorOnly(const QString &message, QLatin1String origin, int exitCode)
{
    Feedback feedback;
    feedback.feedbackVersion.clear();
    feedback.error = message;
    feedback.errorOrigin = QString(origin);
    feedback.errorStack = QString();
    feedback.containerExitCode = exitCode;
    return feedback;
}

} // namespace

Feedback completed(Feedback feedback, int exitCode)
{
    if (feedback.hasError())
        feedback.errorOrigin = QString(ErrorOrigins::Container);
    feedback.containerExitCode = exitCode;
    return feedback;
}

Feedback timeout()
{
    Feedback feedback =
        errorOnly(QStringLiteral("Worker timeout error."), ErrorOrigins::Container, -1);
    feedback.errorType = QString(ErrorTypes::Timeout);
    feedback.errorClass = QString();
    return feedback;
}

QString timeoutOutputSuffix(int seconds)
{
    return QStringLiteral("\nTimeout error! The job failed to finish within %1 seconds!\n")
        .arg(seconds);
}

Feedback cancelled()
{
    return errorOnly(QStringLiteral("Job was cancelled."), ErrorOrigins::WorkerWrapper, 137);
}

Feedback unexpectedlyTerminated()
{
    return errorOnly(unexpectedlyTerminatedOutput(), ErrorOrigins::WorkerWrapper, -2);
}

QString unexpectedlyTerminatedOutput()
{
    return QStringLiteral("Job unexpectedly terminated.");
}

Feedback unreadable(const QString &reason, const QString &errorClass, int exitCode,
                    const QJsonValue &partial)
{
    Feedback feedback = errorOnly(reason, ErrorOrigins::WorkerWrapper, exitCode);
    feedback.errorClass = errorClass;
    if (!partial.isUndefined() && !partial.isNull())
        feedback.extra.insert(QStringLiteral("error_feedback"), partial);
    return feedback;
}

} // namespace qfc::contract::RunnerFeedback
