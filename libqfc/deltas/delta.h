#pragma once

#include <QJsonObject>
#include <QString>

#include <optional>

namespace qfc::deltas {

// Internal delta statuses (`last_status`, spec/api.md §16).
namespace status {
inline const QString Pending = QStringLiteral("pending");
inline const QString Started = QStringLiteral("started");
inline const QString Applied = QStringLiteral("applied");
inline const QString Conflict = QStringLiteral("conflict");
inline const QString NotApplied = QStringLiteral("not_applied");
inline const QString Error = QStringLiteral("error");
inline const QString Ignored = QStringLiteral("ignored");
inline const QString Unpermitted = QStringLiteral("unpermitted");
} // namespace status

// The API's STATUS_* name of an internal status; anything unknown is STATUS_ERROR (§16).
QString apiStatus(const QString &lastStatus);
// The internal status of a worker delta_feedback entry's `status` (worker.md §5.9):
// status_applied → applied, status_conflict → conflict, status_apply_failed → not_applied,
// anything else → error.
QString statusFromWorker(const QString &workerStatus);
// The human-readable `output` of a Delta object: the feedback's message, then its conflicts and
// provider errors one per line; the compact JSON when there is no message; null without feedback.
std::optional<QString> outputText(const std::optional<QJsonObject> &feedback);

// A delta row (spec/api.md §11.3).
struct Delta
{
    QString id; // the delta's uuid
    QString deltafileId;
    int deltafileIndex = 0;
    QString projectId;
    QString clientId;
    QString content; // the delta object as uploaded (JSON text)
    std::optional<qint64> createdBy;
    QString createdByName; // "" when the user is gone
    qint64 createdAt = 0;
    qint64 updatedAt = 0;
    QString lastStatus;
    std::optional<QJsonObject> lastFeedback;
    std::optional<QString> lastModifiedPk;

    QJsonObject contentObject() const;
};

} // namespace qfc::deltas
