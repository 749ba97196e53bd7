#include "jobrepository.h"

#include "contract/runnerfeedback.h"
#include "core/clock.h"
#include "core/logging.h"
#include "db/query.h"
#include "db/transaction.h"

#include <QJsonDocument>
#include <QUuid>

namespace qfc::jobs {

namespace {

const QString kColumns = u"id, project_id, type, status, created_by, created_at, updated_at, "
                         "started_at, finished_at, node_id, exit_code, output, feedback, "
                         "overwrite_conflicts, data_snapshot_at"_qs;

Job read(const db::Query &q)
{
    Job j;
    j.id = q.text(0);
    j.projectId = q.text(1);
    j.type = q.text(2);
    j.status = q.text(3);
    j.createdBy = q.optionalInteger(4);
    j.createdAt = q.integer(5);
    j.updatedAt = q.integer(6);
    j.startedAt = q.optionalInteger(7);
    j.finishedAt = q.optionalInteger(8);
    j.nodeId = q.text(9);
    if (const auto code = q.optionalInteger(10))
        j.exitCode = int(*code);
    if (!q.value(11).isNull())
        j.output = q.text(11);
    if (!q.value(12).isNull())
        j.feedback = QJsonDocument::fromJson(q.text(12).toUtf8()).object();
    if (!q.value(13).isNull())
        j.overwriteConflicts = q.flag(13);
    j.dataSnapshotAt = q.optionalInteger(14);
    return j;
}

QList<Job> many(const QSqlDatabase &db, const QString &where, const QVariantMap &values,
                const QString &order = u"created_at, id"_qs)
{
    db::Query q(
        db, u"SELECT "_qs + kColumns + u" FROM jobs WHERE "_qs + where + u" ORDER BY "_qs + order);
    for (auto it = values.cbegin(); it != values.cend(); ++it)
        q.bind(it.key(), it.value());
    q.exec();
    QList<Job> out;
    while (q.next())
        out.append(read(q));
    return out;
}

std::optional<Job> first(const QList<Job> &jobs)
{
    return jobs.isEmpty() ? std::nullopt : std::optional<Job>(jobs.first());
}

} // namespace

Job create(const QSqlDatabase &db, const QString &projectId, const QString &type,
           std::optional<qint64> createdBy, std::optional<bool> overwriteConflicts)
{
    Job j;
    j.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    j.projectId = projectId;
    j.type = type;
    j.status = u"pending"_qs;
    j.createdBy = createdBy;
    j.createdAt = j.updatedAt = clock::nowUs();
    j.overwriteConflicts = overwriteConflicts;
    db::Query::run(db,
                   u"INSERT INTO jobs (id, project_id, type, status, created_by, created_at, "
                   "updated_at, overwrite_conflicts) VALUES (:id, :p, :t, 'pending', :by, :c, :u, "
                   ":o)"_qs,
                   {{u":id"_qs, j.id},
                    {u":p"_qs, projectId},
                    {u":t"_qs, type},
                    {u":by"_qs, createdBy ? QVariant(*createdBy) : db::null()},
                    {u":c"_qs, j.createdAt},
                    {u":u"_qs, j.updatedAt},
                    {u":o"_qs, overwriteConflicts ? QVariant(*overwriteConflicts) : db::null()}});
    return j;
}

std::optional<Job> byId(const QSqlDatabase &db, const QString &id)
{
    return first(many(db, u"id = :id"_qs, {{u":id"_qs, id}}));
}

QList<Job> ofProject(const QSqlDatabase &db, const QString &projectId, const QString &type)
{
    if (type.isEmpty())
        return many(db, u"project_id = :p"_qs, {{u":p"_qs, projectId}});
    return many(db, u"project_id = :p AND type = :t"_qs, {{u":p"_qs, projectId}, {u":t"_qs, type}});
}

std::optional<Job> activeOfType(const QSqlDatabase &db, const QString &projectId,
                                const QString &type)
{
    return first(many(db,
                      u"project_id = :p AND type = :t AND status IN ('pending', 'queued', "
                      "'started')"_qs,
                      {{u":p"_qs, projectId}, {u":t"_qs, type}}, u"created_at DESC, id DESC"_qs));
}

std::optional<Job> pendingOfType(const QSqlDatabase &db, const QString &projectId,
                                 const QString &type)
{
    return first(many(db, u"project_id = :p AND type = :t AND status = 'pending'"_qs,
                      {{u":p"_qs, projectId}, {u":t"_qs, type}}));
}

bool hasActiveJobs(const QSqlDatabase &db, const QString &projectId)
{
    return db::Query::scalar(db,
                             u"SELECT count(*) FROM jobs WHERE project_id = :p AND status IN "
                             "('pending', 'queued', 'started')"_qs,
                             {{u":p"_qs, projectId}})
               .value_or(0)
               .toInt()
        > 0;
}

std::optional<Job> newestPackage(const QSqlDatabase &db, const QString &projectId,
                                 std::optional<qint64> createdBy)
{
    if (createdBy)
        return first(many(db, u"project_id = :p AND type = 'package' AND created_by = :u"_qs,
                          {{u":p"_qs, projectId}, {u":u"_qs, *createdBy}},
                          u"created_at DESC, id DESC"_qs));
    return first(many(db, u"project_id = :p AND type = 'package'"_qs, {{u":p"_qs, projectId}},
                      u"created_at DESC, id DESC"_qs));
}

std::optional<Job> claimNext(db::Database &database, const QString &nodeId)
{
    const bool pg = database.dialect() == db::Dialect::Postgres;
    // The oldest runnable pending job: its project has no active job and no older pending one.
    const QString pick = u"SELECT j.id FROM jobs j WHERE j.status = 'pending' AND NOT EXISTS "
                         "(SELECT 1 FROM jobs a WHERE a.project_id = j.project_id AND a.status IN "
                         "('queued', 'started')) AND NOT EXISTS (SELECT 1 FROM jobs e WHERE "
                         "e.project_id = j.project_id AND e.status = 'pending' AND (e.created_at < "
                         "j.created_at OR (e.created_at = j.created_at AND e.id < j.id))) ORDER BY "
                         "j.created_at, j.id LIMIT 1"_qs
        + (pg ? u" FOR UPDATE OF j SKIP LOCKED"_qs : QString());
    for (int attempt = 0; attempt < 5; ++attempt) {
        try {
            db::Transaction tx(database, db::Transaction::Write);
            const auto id = db::Query::scalar(tx.connection(), pick);
            if (!id)
                return std::nullopt;
            const qint64 now = clock::nowUs();
            db::Query q(tx.connection(),
                        u"UPDATE jobs SET status = 'queued', node_id = :n, "
                        "updated_at = :t WHERE id = :id AND status = 'pending'"_qs);
            q.bind(u":n"_qs, nodeId).bind(u":t"_qs, now).bind(u":id"_qs, id->toString()).exec();
            if (q.rowsAffected() != 1)
                continue;
            std::optional<Job> job = byId(tx.connection(), id->toString());
            tx.commit();
            return job;
        } catch (const db::DbError &e) {
            // Another node queued a job of the same project first: look again.
            if (!e.isUniqueViolation())
                throw;
        }
    }
    return std::nullopt;
}

void markStarted(const QSqlDatabase &db, const QString &id, std::optional<qint64> snapshotAt)
{
    const qint64 now = clock::nowUs();
    db::Query::run(db,
                   u"UPDATE jobs SET status = 'started', started_at = :s, updated_at = :u, "
                   "data_snapshot_at = :snap WHERE id = :id"_qs,
                   {{u":s"_qs, now},
                    {u":u"_qs, now},
                    {u":snap"_qs, snapshotAt ? QVariant(*snapshotAt) : db::null()},
                    {u":id"_qs, id}});
}

void complete(const QSqlDatabase &db, const QString &id, const QString &status,
              const QString &output, const QJsonObject &feedback, std::optional<int> exitCode)
{
    const qint64 now = clock::nowUs();
    db::Query::run(
        db,
        u"UPDATE jobs SET status = :st, finished_at = :f, updated_at = :u, output = :o, "
        "feedback = :fb, exit_code = :e WHERE id = :id"_qs,
        {{u":st"_qs, status},
         {u":f"_qs, now},
         {u":u"_qs, now},
         {u":o"_qs, output},
         {u":fb"_qs, QString::fromUtf8(QJsonDocument(feedback).toJson(QJsonDocument::Compact))},
         {u":e"_qs, exitCode ? QVariant(*exitCode) : db::null()},
         {u":id"_qs, id}});
}

QList<Job> failOrphans(db::Database &database, const QString &nodeId, qint64 leaseUs)
{
    db::Transaction tx(database, db::Transaction::Write);
    QSqlDatabase db = tx.connection();
    const qint64 now = clock::nowUs();
    QList<Job> orphans;
    if (!nodeId.isEmpty()) {
        orphans =
            many(db, u"status IN ('queued', 'started') AND node_id = :n"_qs, {{u":n"_qs, nodeId}});
    } else {
        orphans = many(db,
                       u"status IN ('queued', 'started') AND (node_id IS NULL OR node_id NOT IN "
                       "(SELECT id FROM nodes WHERE heartbeat_at > :t))"_qs,
                       {{u":t"_qs, now - leaseUs}});
    }
    const contract::Feedback feedback = contract::RunnerFeedback::unexpectedlyTerminated();
    const QString output = contract::RunnerFeedback::unexpectedlyTerminatedOutput();
    for (const Job &j : std::as_const(orphans))
        complete(db, j.id, u"failed"_qs, output, feedback.toJson(), std::nullopt);
    tx.commit();
    return orphans;
}

void heartbeat(const QSqlDatabase &db, const QString &nodeId, const QString &hostname)
{
    const qint64 now = clock::nowUs();
    db::Query::run(db,
                   u"INSERT INTO nodes (id, hostname, started_at, heartbeat_at) VALUES (:id, :h, "
                   ":s, :t) ON CONFLICT (id) DO UPDATE SET heartbeat_at = :t2, hostname = :h2"_qs,
                   {{u":id"_qs, nodeId},
                    {u":h"_qs, hostname},
                    {u":s"_qs, now},
                    {u":t"_qs, now},
                    {u":t2"_qs, now},
                    {u":h2"_qs, hostname}});
}

void removeNode(const QSqlDatabase &db, const QString &nodeId)
{
    db::Query::run(db, u"DELETE FROM nodes WHERE id = :id"_qs, {{u":id"_qs, nodeId}});
}

} // namespace qfc::jobs
