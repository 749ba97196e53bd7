#include "deltarepository.h"

#include "db/query.h"

#include <QJsonDocument>

namespace qfc::deltas {

namespace {

const QString kSelect =
    u"SELECT d.id, d.deltafile_id, d.deltafile_index, d.project_id, d.client_id, d.content, "
    "d.created_by, u.username, d.created_at, d.updated_at, d.last_status, d.last_feedback, "
    "d.last_modified_pk FROM deltas d LEFT JOIN users u ON u.id = d.created_by "_qs;
const QString kOrder = u" ORDER BY d.created_at, d.deltafile_index, d.id"_qs;
const QString kOrderDesc = u" ORDER BY d.created_at DESC, d.deltafile_index DESC, d.id DESC"_qs;

Delta read(const db::Query &q, int at = 0)
{
    Delta d;
    d.id = q.text(at + 0);
    d.deltafileId = q.text(at + 1);
    d.deltafileIndex = int(q.integer(at + 2));
    d.projectId = q.text(at + 3);
    d.clientId = q.text(at + 4);
    d.content = q.text(at + 5);
    d.createdBy = q.optionalInteger(at + 6);
    d.createdByName = q.value(at + 7).isNull() ? QString() : q.text(at + 7);
    d.createdAt = q.integer(at + 8);
    d.updatedAt = q.integer(at + 9);
    d.lastStatus = q.text(at + 10);
    if (!q.value(at + 11).isNull())
        d.lastFeedback = QJsonDocument::fromJson(q.text(at + 11).toUtf8()).object();
    if (!q.value(at + 12).isNull())
        d.lastModifiedPk = q.text(at + 12);
    return d;
}

QList<Delta> many(db::Query &q)
{
    q.exec();
    QList<Delta> out;
    while (q.next())
        out.append(read(q));
    return out;
}

QVariant json(const std::optional<QJsonObject> &o)
{
    return o ? QVariant(QString::fromUtf8(QJsonDocument(*o).toJson(QJsonDocument::Compact)))
             : db::null();
}

QVariant text(const std::optional<QString> &s)
{
    return s ? QVariant(*s) : db::null();
}

QVariant integer(const std::optional<qint64> &i)
{
    return i ? QVariant(*i) : db::null();
}

} // namespace

bool insertIfNew(const QSqlDatabase &db, const Delta &d)
{
    db::Query q(db,
                u"INSERT INTO deltas (id, deltafile_id, deltafile_index, project_id, client_id, "
                "content, created_by, created_at, updated_at, last_status, last_feedback) VALUES "
                "(:id, :df, :i, :p, :c, :content, :by, :at, :up, :s, :f) "
                "ON CONFLICT (id) DO NOTHING"_qs);
    q.bind(u":id"_qs, d.id)
        .bind(u":df"_qs, d.deltafileId)
        .bind(u":i"_qs, d.deltafileIndex)
        .bind(u":p"_qs, d.projectId)
        .bind(u":c"_qs, d.clientId)
        .bind(u":content"_qs, d.content)
        .bind(u":by"_qs, integer(d.createdBy))
        .bind(u":at"_qs, d.createdAt)
        .bind(u":up"_qs, d.updatedAt)
        .bind(u":s"_qs, d.lastStatus)
        .bind(u":f"_qs, json(d.lastFeedback))
        .exec();
    return q.rowsAffected() == 1;
}

std::optional<Delta> byId(const QSqlDatabase &db, const QString &id)
{
    db::Query q(db, kSelect + u"WHERE d.id = :id"_qs);
    q.bind(u":id"_qs, id);
    const QList<Delta> found = many(q);
    return found.isEmpty() ? std::nullopt : std::optional<Delta>(found.first());
}

QList<Delta> ofProject(const QSqlDatabase &db, const QString &projectId, const QString &deltafileId,
                       bool newestFirst, qint64 offset, qint64 limit)
{
    QString sql = kSelect + u"WHERE d.project_id = :p"_qs;
    if (!deltafileId.isEmpty())
        sql += u" AND d.deltafile_id = :df"_qs;
    sql += newestFirst ? kOrderDesc : kOrder;
    if (limit >= 0)
        sql += u" LIMIT :limit OFFSET :offset"_qs;
    db::Query q(db, sql);
    q.bind(u":p"_qs, projectId);
    if (!deltafileId.isEmpty())
        q.bind(u":df"_qs, deltafileId);
    if (limit >= 0)
        q.bind(u":limit"_qs, limit).bind(u":offset"_qs, offset);
    return many(q);
}

qint64 countOfProject(const QSqlDatabase &db, const QString &projectId, const QString &deltafileId)
{
    if (deltafileId.isEmpty())
        return db::Query::scalar(db, u"SELECT count(*) FROM deltas WHERE project_id = :p"_qs,
                                 {{u":p"_qs, projectId}})
            .value_or(0)
            .toLongLong();
    return db::Query::scalar(
               db, u"SELECT count(*) FROM deltas WHERE project_id = :p AND deltafile_id = :df"_qs,
               {{u":p"_qs, projectId}, {u":df"_qs, deltafileId}})
        .value_or(0)
        .toLongLong();
}

QList<Delta> fromDelta(const QSqlDatabase &db, const Delta &first)
{
    db::Query q(db,
                kSelect
                    + u"WHERE d.project_id = :p AND (d.created_at > :t OR (d.created_at = :t2 "
                      "AND (d.deltafile_index > :i OR (d.deltafile_index = :i2 AND d.id >= "
                      ":id))))"_qs
                    + kOrder);
    q.bind(u":p"_qs, first.projectId)
        .bind(u":t"_qs, first.createdAt)
        .bind(u":t2"_qs, first.createdAt)
        .bind(u":i"_qs, first.deltafileIndex)
        .bind(u":i2"_qs, first.deltafileIndex)
        .bind(u":id"_qs, first.id);
    return many(q);
}

void setStatus(const QSqlDatabase &db, const QString &id, const QString &status,
               const std::optional<QJsonObject> &feedback, const std::optional<QString> &modifiedPk,
               qint64 now)
{
    db::Query::run(db,
                   u"UPDATE deltas SET last_status = :s, last_feedback = :f, last_modified_pk = "
                   ":pk, updated_at = :u WHERE id = :id"_qs,
                   {{u":s"_qs, status},
                    {u":f"_qs, json(feedback)},
                    {u":pk"_qs, text(modifiedPk)},
                    {u":u"_qs, now},
                    {u":id"_qs, id}});
}

void setAttempt(const QSqlDatabase &db, const QString &id, const QString &status,
                const std::optional<QJsonObject> &feedback,
                const std::optional<QString> &modifiedPk, std::optional<qint64> attemptAt,
                std::optional<qint64> attemptBy, qint64 now)
{
    db::Query::run(db,
                   u"UPDATE deltas SET last_status = :s, last_feedback = :f, last_modified_pk = "
                   ":pk, last_apply_attempt_at = :at, last_apply_attempt_by = :by, updated_at = :u "
                   "WHERE id = :id"_qs,
                   {{u":s"_qs, status},
                    {u":f"_qs, json(feedback)},
                    {u":pk"_qs, text(modifiedPk)},
                    {u":at"_qs, integer(attemptAt)},
                    {u":by"_qs, integer(attemptBy)},
                    {u":u"_qs, now},
                    {u":id"_qs, id}});
}

QStringList schedulable(const QSqlDatabase &db, const QString &projectId)
{
    db::Query q(db,
                u"SELECT d.id FROM deltas d WHERE d.project_id = :p AND d.last_status = 'pending' "
                "AND NOT EXISTS (SELECT 1 FROM job_deltas jd JOIN jobs j ON j.id = jd.job_id "
                "WHERE jd.delta_id = d.id AND j.status IN ('pending', 'queued', 'started'))"_qs
                    + kOrder);
    q.bind(u":p"_qs, projectId).exec();
    QStringList out;
    while (q.next())
        out << q.text(0);
    return out;
}

QStringList strandedStarted(const QSqlDatabase &db, const QString &projectId)
{
    db::Query q(db,
                u"SELECT d.id FROM deltas d WHERE d.project_id = :p AND d.last_status = 'started' "
                "AND NOT EXISTS (SELECT 1 FROM job_deltas jd JOIN jobs j ON j.id = jd.job_id "
                "WHERE jd.delta_id = d.id AND j.status IN ('pending', 'queued', 'started'))"_qs);
    q.bind(u":p"_qs, projectId).exec();
    QStringList out;
    while (q.next())
        out << q.text(0);
    return out;
}

void attach(const QSqlDatabase &db, const QString &jobId, const QStringList &deltaIds)
{
    db::Query q(db,
                u"INSERT INTO job_deltas (job_id, delta_id, job_index, status) VALUES (:j, :d, "
                ":i, 'pending')"_qs);
    for (qsizetype i = 0; i < deltaIds.size(); ++i)
        q.bind(u":j"_qs, jobId).bind(u":d"_qs, deltaIds.at(i)).bind(u":i"_qs, int(i)).exec();
}

QList<Attached> attachedTo(const QSqlDatabase &db, const QString &jobId)
{
    db::Query q(db,
                u"SELECT jd.delta_id, jd.job_index, jd.status, d.id, d.deltafile_id, "
                "d.deltafile_index, d.project_id, d.client_id, d.content, d.created_by, "
                "u.username, d.created_at, d.updated_at, d.last_status, d.last_feedback, "
                "d.last_modified_pk FROM job_deltas jd JOIN deltas d ON d.id = jd.delta_id "
                "LEFT JOIN users u ON u.id = d.created_by WHERE jd.job_id = :j "
                "ORDER BY jd.job_index"_qs);
    q.bind(u":j"_qs, jobId).exec();
    QList<Attached> out;
    while (q.next())
        out.append({q.text(0), int(q.integer(1)), q.text(2), read(q, 3)});
    return out;
}

void detach(const QSqlDatabase &db, const QString &jobId, const QString &deltaId)
{
    db::Query::run(db, u"DELETE FROM job_deltas WHERE job_id = :j AND delta_id = :d"_qs,
                   {{u":j"_qs, jobId}, {u":d"_qs, deltaId}});
}

void releaseFromPendingJobs(const QSqlDatabase &db, const QString &projectId,
                            const QStringList &deltaIds)
{
    db::Query detachOne(db,
                        u"DELETE FROM job_deltas WHERE delta_id = :d AND job_id IN (SELECT id FROM "
                        "jobs WHERE project_id = :p AND type = 'delta_apply' AND status = "
                        "'pending')"_qs);
    for (const QString &id : deltaIds)
        detachOne.bind(u":d"_qs, id).bind(u":p"_qs, projectId).exec();
    db::Query::run(db,
                   u"DELETE FROM jobs WHERE project_id = :p AND type = 'delta_apply' AND status = "
                   "'pending' AND NOT EXISTS (SELECT 1 FROM job_deltas jd WHERE jd.job_id = "
                   "jobs.id)"_qs,
                   {{u":p"_qs, projectId}});
}

void setAttachment(const QSqlDatabase &db, const QString &jobId, const QString &deltaId,
                   const QString &status, const std::optional<QJsonObject> &feedback,
                   const std::optional<QString> &modifiedPk)
{
    db::Query::run(db,
                   u"UPDATE job_deltas SET status = :s, feedback = :f, modified_pk = :pk WHERE "
                   "job_id = :j AND delta_id = :d"_qs,
                   {{u":s"_qs, status},
                    {u":f"_qs, json(feedback)},
                    {u":pk"_qs, text(modifiedPk)},
                    {u":j"_qs, jobId},
                    {u":d"_qs, deltaId}});
}

QHash<QString, QString> clientPks(const QSqlDatabase &db, const QString &projectId,
                                  const QStringList &clientIds)
{
    QHash<QString, QString> out;
    db::Query q(db,
                u"SELECT client_pk_key, server_pk FROM delta_client_pks WHERE project_id = :p "
                "AND client_id = :c"_qs);
    for (const QString &client : clientIds) {
        q.bind(u":p"_qs, projectId).bind(u":c"_qs, client).exec();
        while (q.next())
            out.insert(q.text(0), q.text(1));
    }
    return out;
}

void setClientPk(const QSqlDatabase &db, const QString &projectId, const QString &key,
                 const QString &clientId, const QString &serverPk, const QString &deltaId,
                 qint64 now)
{
    db::Query::run(db,
                   u"INSERT INTO delta_client_pks (project_id, client_pk_key, client_id, "
                   "server_pk, delta_id, updated_at) VALUES (:p, :k, :c, :pk, :d, :u) ON CONFLICT "
                   "(project_id, client_pk_key) DO UPDATE SET server_pk = :pk2, delta_id = :d2, "
                   "updated_at = :u2"_qs,
                   {{u":p"_qs, projectId},
                    {u":k"_qs, key},
                    {u":c"_qs, clientId},
                    {u":pk"_qs, serverPk},
                    {u":d"_qs, deltaId},
                    {u":u"_qs, now},
                    {u":pk2"_qs, serverPk},
                    {u":d2"_qs, deltaId},
                    {u":u2"_qs, now}});
}

QString clientPkKey(const QString &clientId, const QString &localLayerId, const QString &localPk)
{
    return clientId + u"__"_qs + localLayerId + u"__"_qs + localPk;
}

void recordFileVersion(const QSqlDatabase &db, const QString &jobId, const QString &name,
                       const std::optional<QString> &versionId)
{
    db::Query::run(db,
                   u"INSERT INTO job_file_versions (job_id, name, version_id) VALUES (:j, :n, :v) "
                   "ON CONFLICT (job_id, name) DO UPDATE SET version_id = :v2"_qs,
                   {{u":j"_qs, jobId},
                    {u":n"_qs, name},
                    {u":v"_qs, text(versionId)},
                    {u":v2"_qs, text(versionId)}});
}

QHash<QString, QString> fileVersions(const QSqlDatabase &db, const QString &jobId)
{
    db::Query q(db, u"SELECT name, version_id FROM job_file_versions WHERE job_id = :j"_qs);
    q.bind(u":j"_qs, jobId).exec();
    QHash<QString, QString> out;
    while (q.next())
        out.insert(q.text(0), q.value(1).isNull() ? QString() : q.text(1));
    return out;
}

void touchProjectData(const QSqlDatabase &db, const QString &projectId, qint64 now)
{
    db::Query::run(db, u"UPDATE projects SET data_last_updated_at = :t WHERE id = :id"_qs,
                   {{u":t"_qs, now}, {u":id"_qs, projectId}});
}

} // namespace qfc::deltas
