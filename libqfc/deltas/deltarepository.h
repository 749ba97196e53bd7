#pragma once

#include "delta.h"

#include <QHash>
#include <QList>
#include <QSqlDatabase>
#include <QStringList>

namespace qfc::deltas {

// The SQL of deltas, their apply-job attachments, the data-file versions an apply job copied and
// the clientPks map. Receipt order = created_at, then the position in the deltafile.

// Inserts `delta` unless a delta with its id exists (any project); true when inserted.
bool insertIfNew(const QSqlDatabase &db, const Delta &delta);
std::optional<Delta> byId(const QSqlDatabase &db, const QString &id);
// A project's deltas (of one deltafile when `deltafileId` is not empty) in receipt order (or
// newest first), `limit` < 0 for all.
QList<Delta> ofProject(const QSqlDatabase &db, const QString &projectId, const QString &deltafileId,
                       bool newestFirst, qint64 offset, qint64 limit);
qint64 countOfProject(const QSqlDatabase &db, const QString &projectId, const QString &deltafileId);
// `first` and every delta of its project received after it, in receipt order.
QList<Delta> fromDelta(const QSqlDatabase &db, const Delta &first);
// Sets the status and the last attempt's feedback and primary key (null when not given).
void setStatus(const QSqlDatabase &db, const QString &id, const QString &status,
               const std::optional<QJsonObject> &feedback, const std::optional<QString> &modifiedPk,
               qint64 now);
// The same, also recording an apply attempt (worker.md §5.9).
void setAttempt(const QSqlDatabase &db, const QString &id, const QString &status,
                const std::optional<QJsonObject> &feedback,
                const std::optional<QString> &modifiedPk, std::optional<qint64> attemptAt,
                std::optional<qint64> attemptBy, qint64 now);

// The project's pending deltas that no pending/queued/started apply job holds, in receipt order.
QStringList schedulable(const QSqlDatabase &db, const QString &projectId);
// Deltas left `started` by apply jobs that are over (a crash between a job's end and its hook).
QStringList strandedStarted(const QSqlDatabase &db, const QString &projectId);

// One delta of an apply job, in the job's order.
struct Attached
{
    QString deltaId;
    int index = 0;
    QString status; // of this attempt
    Delta delta;
};
void attach(const QSqlDatabase &db, const QString &jobId, const QStringList &deltaIds);
QList<Attached> attachedTo(const QSqlDatabase &db, const QString &jobId);
void detach(const QSqlDatabase &db, const QString &jobId, const QString &deltaId);
// Takes the deltas out of the project's pending apply jobs and removes the jobs left empty.
void releaseFromPendingJobs(const QSqlDatabase &db, const QString &projectId,
                            const QStringList &deltaIds);
void setAttachment(const QSqlDatabase &db, const QString &jobId, const QString &deltaId,
                   const QString &status, const std::optional<QJsonObject> &feedback,
                   const std::optional<QString> &modifiedPk);

// clientPks: key → server primary key, for the given client ids of the project.
QHash<QString, QString> clientPks(const QSqlDatabase &db, const QString &projectId,
                                  const QStringList &clientIds);
void setClientPk(const QSqlDatabase &db, const QString &projectId, const QString &key,
                 const QString &clientId, const QString &serverPk, const QString &deltaId,
                 qint64 now);
QString clientPkKey(const QString &clientId, const QString &localLayerId, const QString &localPk);

// The version of a data file an apply job copied (std::nullopt: not the latest one).
void recordFileVersion(const QSqlDatabase &db, const QString &jobId, const QString &name,
                       const std::optional<QString> &versionId);
// name → recorded version (an empty string for "not the latest").
QHash<QString, QString> fileVersions(const QSqlDatabase &db, const QString &jobId);

// Sets the project's data_last_updated_at.
void touchProjectData(const QSqlDatabase &db, const QString &projectId, qint64 now);

} // namespace qfc::deltas
