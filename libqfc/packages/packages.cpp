#include "packages.h"

#include "contract/workdir.h"
#include "core/clock.h"
#include "core/logging.h"
#include "db/database.h"
#include "db/query.h"
#include "db/transaction.h"
#include "files/filestore.h"
#include "jobs/jobrepository.h"

#include <QDirIterator>
#include <QFile>

namespace qfc::packages {

namespace {

// Sidecars and editor backups the worker may leave (worker.md §2.1): never part of a package.
bool isCollected(const QString &name)
{
    return !(name.endsWith(u"-wal") || name.endsWith(u"-shm") || name.endsWith(u".qgs~")
             || name.endsWith(u".qgd~"));
}

PackageFile read(const db::Query &q)
{
    return {q.text(0), q.text(1), q.text(2), q.text(3), q.integer(4), q.integer(5)};
}

} // namespace

QList<PackageFile> filesOf(const QSqlDatabase &db, const QString &jobId)
{
    db::Query q(db,
                u"SELECT name, sha256, md5, etag, size, created_at FROM package_files WHERE "
                "job_id = :j ORDER BY name"_qs
                    + db::sqlBinaryCollation(db));
    q.bind(u":j"_qs, jobId).exec();
    QList<PackageFile> out;
    while (q.next())
        out.append(read(q));
    return out;
}

std::optional<PackageFile> fileOf(const QSqlDatabase &db, const QString &jobId, const QString &name)
{
    db::Query q(db,
                u"SELECT name, sha256, md5, etag, size, created_at FROM package_files WHERE "
                "job_id = :j AND name = :n"_qs);
    q.bind(u":j"_qs, jobId).bind(u":n"_qs, name).exec();
    if (!q.next())
        return std::nullopt;
    return read(q);
}

void addFile(const QSqlDatabase &db, const QString &jobId, const QString &name,
             const ContentDigest &digest)
{
    db::Query::run(db,
                   u"INSERT INTO package_files (job_id, name, sha256, md5, etag, size, created_at) "
                   "VALUES (:j, :n, :s, :m, :e, :z, :t)"_qs,
                   {{u":j"_qs, jobId},
                    {u":n"_qs, name},
                    {u":s"_qs, digest.sha256},
                    {u":m"_qs, digest.md5},
                    {u":e"_qs, digest.etag},
                    {u":z"_qs, digest.size},
                    {u":t"_qs, clock::nowUs()}});
}

std::optional<Job> latestFor(const QSqlDatabase &db, const Project &project, qint64 callerId)
{
    const bool perUser =
        db::Query::scalar(
            db,
            u"SELECT count(*) FROM secrets WHERE assigned_to = :u AND "
            "(project_id = :p OR organization_id = :o)"_qs,
            {{u":u"_qs, callerId}, {u":p"_qs, project.id}, {u":o"_qs, project.ownerId}})
            .value_or(0)
            .toInt()
        > 0;
    QString sql = u"SELECT id FROM jobs WHERE project_id = :p AND type = 'package' AND status NOT "
                  "IN ('pending', 'queued', 'started')"_qs;
    QVariantMap values{{u":p"_qs, project.id}};
    if (perUser) {
        sql += u" AND created_by = :u"_qs;
        values.insert(u":u"_qs, callerId);
    }
    const auto id =
        db::Query::scalar(db, sql + u" ORDER BY created_at DESC, id DESC LIMIT 1"_qs, values);
    return id ? jobs::byId(db, id->toString()) : std::nullopt;
}

int removeObsolete(const QSqlDatabase &db, const QString &projectId, const QString &finishing)
{
    // Keep: active jobs, and each user's newest package job (as "latest" is resolved per user).
    db::Query q(
        db,
        u"SELECT DISTINCT j.id FROM jobs j JOIN package_files f ON f.job_id = j.id WHERE "
        "j.project_id = :p AND j.type = 'package' AND j.status NOT IN ('pending', "
        "'queued', 'started') AND EXISTS (SELECT 1 FROM jobs n WHERE n.project_id = "
        "j.project_id AND n.type = 'package' AND (n.status NOT IN ('pending', 'queued', "
        "'started') OR n.id = :f) AND coalesce(n.created_by, 0) = coalesce(j.created_by, 0) AND "
        "(n.created_at > j.created_at OR (n.created_at = j.created_at AND n.id > j.id)))"_qs);
    q.bind(u":p"_qs, projectId).bind(u":f"_qs, finishing).exec();
    QStringList obsolete;
    while (q.next())
        obsolete << q.text(0);
    for (const QString &id : std::as_const(obsolete))
        db::Query::run(db, u"DELETE FROM package_files WHERE job_id = :j"_qs, {{u":j"_qs, id}});
    return int(obsolete.size());
}

jobs::Hooks packageHooks(jobs::JobService &service)
{
    jobs::Hooks h;
    h.succeeded = [&service](const Job &job, const Project &project, const QDir &workdir,
                             const QJsonObject &) {
        const contract::WorkDir layout(workdir.absolutePath());
        const QDir exportDir(layout.exportDir());
        // Blobs first (durable), then the rows in one transaction.
        QList<QPair<QString, ContentDigest>> stored;
        QDirIterator it(exportDir.absolutePath(), QDir::Files | QDir::Hidden,
                        QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString path = it.next();
            const QString name = exportDir.relativeFilePath(path);
            if (!isCollected(name))
                continue;
            QFile f(path);
            if (!f.open(QIODevice::ReadOnly))
                throw std::runtime_error("cannot read the packaged file " + name.toStdString());
            stored.append({name, service.store().putFromDevice(f).digest});
        }
        if (stored.isEmpty())
            throw std::runtime_error("the package is empty");
        db::Transaction tx(service.database());
        for (const auto &[name, digest] : std::as_const(stored))
            addFile(tx.connection(), job.id, name, digest);
        db::Query::run(
            tx.connection(), u"UPDATE projects SET data_last_packaged_at = :t WHERE id = :id"_qs,
            {{u":t"_qs, job.dataSnapshotAt.value_or(job.startedAt.value_or(clock::nowUs()))},
             {u":id"_qs, project.id}});
        removeObsolete(tx.connection(), project.id, job.id);
        tx.commit();
        qCInfo(lcJobs) << "package" << job.id << "stored," << stored.size() << "files";
    };
    return h;
}

} // namespace qfc::packages
