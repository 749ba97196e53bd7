#pragma once

#include <QJsonObject>
#include <QString>

#include <optional>

namespace qfc {

// A job row (spec/api.md §12, §15).
struct Job
{
    QString id; // uuid
    QString projectId;
    QString type; // process_projectfile | package | delta_apply
    QString status; // pending | queued | started | finished | failed
    std::optional<qint64> createdBy;
    qint64 createdAt = 0;
    qint64 updatedAt = 0;
    std::optional<qint64> startedAt;
    std::optional<qint64> finishedAt;
    QString nodeId;
    std::optional<int> exitCode;
    std::optional<QString> output;
    std::optional<QJsonObject> feedback;
    std::optional<bool> overwriteConflicts;
    std::optional<qint64> dataSnapshotAt;

    bool isActive() const
    {
        return status == u"pending" || status == u"queued" || status == u"started";
    }
};

namespace jobtypes {
inline const QString ProcessProjectfile = QStringLiteral("process_projectfile");
inline const QString Package = QStringLiteral("package");
inline const QString DeltaApply = QStringLiteral("delta_apply");
} // namespace jobtypes

} // namespace qfc
