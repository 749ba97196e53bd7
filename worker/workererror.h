#pragma once

#include <QByteArray>
#include <QString>

#include <exception>

namespace qfc::worker {

// The exception a step throws to fail the workflow. Its message becomes feedback.error, its
// type feedback.error_type (one of contract::ErrorTypes) and its class feedback.error_class
// (free text; upstream's Python exception class names are kept where the spec names them).
class WorkerError : public std::exception
{
public:
    explicit WorkerError(QString message, QString errorType = QStringLiteral("UNKNOWN"),
                         QString errorClass = QStringLiteral("Exception"));

    const QString &message() const { return m_message; }
    const QString &errorType() const { return m_errorType; }
    const QString &errorClass() const { return m_errorClass; }
    const char *what() const noexcept override { return m_what.constData(); }

private:
    QString m_message;
    QString m_errorType;
    QString m_errorClass;
    QByteArray m_what;
};

} // namespace qfc::worker
