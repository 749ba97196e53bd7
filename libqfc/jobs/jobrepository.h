#pragma once

#include "job.h"

#include <QList>
#include <QSqlDatabase>

namespace qfc::db {
class Database;
}

namespace qfc::jobs {

Job create(const QSqlDatabase &db, const QString &projectId, const QString &type,
           std::optional<qint64> createdBy, std::optional<bool> overwriteConflicts = {});
std::optional<Job> byId(const QSqlDatabase &db, const QString &id);
// A project's jobs, oldest first; `type` filters when not empty.
QList<Job> ofProject(const QSqlDatabase &db, const QString &projectId, const QString &type = {});
// The newest active (pending/queued/started) job of the type, if any.
std::optional<Job> activeOfType(const QSqlDatabase &db, const QString &projectId,
                                const QString &type);
std::optional<Job> pendingOfType(const QSqlDatabase &db, const QString &projectId,
                                 const QString &type);
bool hasActiveJobs(const QSqlDatabase &db, const QString &projectId);
// The newest package job of the project (any status), restricted to `createdBy` when given.
std::optional<Job> newestPackage(const QSqlDatabase &db, const QString &projectId,
                                 std::optional<qint64> createdBy = {});

// Claims the oldest pending job whose project has no queued or started job, and whose project
// has no older pending job (FIFO per project), for `nodeId`: the job becomes queued. One
// transaction; on PostgreSQL rows are locked with SKIP LOCKED and the unique index on active
// jobs settles races between nodes. std::nullopt when nothing can run.
std::optional<Job> claimNext(db::Database &database, const QString &nodeId);

void markStarted(const QSqlDatabase &db, const QString &id, std::optional<qint64> snapshotAt = {});
// The final state: finished or failed, with the worker's output, feedback and exit code.
void complete(const QSqlDatabase &db, const QString &id, const QString &status,
              const QString &output, const QJsonObject &feedback, std::optional<int> exitCode);

// Jobs a dead node left queued or started (its id is `nodeId`, or its lease ran out when
// `nodeId` is empty): failed with "Job unexpectedly terminated.". Returns them.
QList<Job> failOrphans(db::Database &database, const QString &nodeId, qint64 leaseUs);

// Node leases.
void heartbeat(const QSqlDatabase &db, const QString &nodeId, const QString &hostname);
void removeNode(const QSqlDatabase &db, const QString &nodeId);

} // namespace qfc::jobs
