#include "filerepository.h"

#include "db/query.h"

#include <QUuid>

namespace qfc::files {

namespace {

// Files with their versions from one joined query, newest version first.
QList<File> load(const QSqlDatabase &db, const QString &where, const QVariantMap &values)
{
    db::Query q(db,
                u"SELECT f.id, f.project_id, f.name, f.created_at, v.id, v.sha256, v.md5, "
                "v.etag, v.size, v.uploaded_at FROM files f JOIN file_versions v ON "
                "v.file_id = f.id WHERE "_qs
                    + where + u" ORDER BY f.name"_qs + db::sqlBinaryCollation(db)
                    + u", f.id, v.uploaded_at DESC, v.id DESC"_qs);
    for (auto it = values.cbegin(); it != values.cend(); ++it)
        q.bind(it.key(), it.value());
    q.exec();
    QList<File> out;
    while (q.next()) {
        const qint64 id = q.integer(0);
        if (out.isEmpty() || out.last().id != id)
            out.append(File{id, q.text(1), q.text(2), q.integer(3), {}});
        out.last().versions.append(
            Version{q.text(4), q.text(5), q.text(6), q.text(7), q.integer(8), q.integer(9)});
    }
    return out;
}

} // namespace

QList<File> ofProject(const QSqlDatabase &db, const QString &projectId)
{
    return load(db, u"f.project_id = :p"_qs, {{u":p"_qs, projectId}});
}

std::optional<File> byName(const QSqlDatabase &db, const QString &projectId, const QString &name)
{
    const QList<File> found = load(db, u"f.project_id = :p AND f.name = :n"_qs,
                                   {{u":p"_qs, projectId}, {u":n"_qs, name}});
    if (found.isEmpty())
        return std::nullopt;
    return found.first();
}

Version addVersion(const QSqlDatabase &db, const QString &projectId, const QString &name,
                   const ContentDigest &digest, qint64 uploadedBy, qint64 when)
{
    db::Query::run(db,
                   u"INSERT INTO files (project_id, name, created_at) VALUES (:p, :n, :t) "
                   "ON CONFLICT (project_id, name) DO NOTHING"_qs,
                   {{u":p"_qs, projectId}, {u":n"_qs, name}, {u":t"_qs, when}});
    const qint64 fileId =
        db::Query::scalar(db, u"SELECT id FROM files WHERE project_id = :p AND name = :n"_qs,
                          {{u":p"_qs, projectId}, {u":n"_qs, name}})
            ->toLongLong();
    Version v{QUuid::createUuid().toString(QUuid::WithoutBraces),
              digest.sha256,
              digest.md5,
              digest.etag,
              digest.size,
              when};
    db::Query::run(db,
                   u"INSERT INTO file_versions (id, file_id, sha256, md5, etag, size, uploaded_at, "
                   "uploaded_by) VALUES (:id, :f, :sha, :md5, :etag, :size, :t, :by)"_qs,
                   {{u":id"_qs, v.id},
                    {u":f"_qs, fileId},
                    {u":sha"_qs, v.sha256},
                    {u":md5"_qs, v.md5},
                    {u":etag"_qs, v.etag},
                    {u":size"_qs, v.size},
                    {u":t"_qs, when},
                    {u":by"_qs, uploadedBy > 0 ? QVariant(uploadedBy) : db::null()}});
    return v;
}

void removeFile(const QSqlDatabase &db, qint64 fileId)
{
    db::Query::run(db, u"DELETE FROM files WHERE id = :f"_qs, {{u":f"_qs, fileId}});
}

void removeVersion(const QSqlDatabase &db, const QString &versionId)
{
    db::Query::run(db, u"DELETE FROM file_versions WHERE id = :v"_qs, {{u":v"_qs, versionId}});
}

int pruneVersions(const QSqlDatabase &db, qint64 fileId, int keep)
{
    db::Query q(db,
                u"SELECT id FROM file_versions WHERE file_id = :f ORDER BY uploaded_at DESC, "
                "id DESC"_qs);
    q.bind(u":f"_qs, fileId).exec();
    QStringList old;
    int n = 0;
    while (q.next())
        if (++n > keep)
            old << q.text(0);
    for (const QString &id : std::as_const(old))
        removeVersion(db, id);
    return int(old.size());
}

qint64 storageBytes(const QSqlDatabase &db, const QString &projectId)
{
    return db::Query::scalar(db,
                             u"SELECT coalesce(sum(v.size), 0) FROM file_versions v JOIN files f "
                             "ON f.id = v.file_id WHERE f.project_id = :p"_qs,
                             {{u":p"_qs, projectId}})
        .value_or(0)
        .toLongLong();
}

bool isBlobReferenced(const QSqlDatabase &db, const QString &sha256)
{
    return db::Query::scalar(db,
                             u"SELECT (SELECT count(*) FROM file_versions WHERE sha256 = :s1) + "
                             "(SELECT count(*) FROM projects WHERE thumbnail_sha256 = :s2) + "
                             "(SELECT count(*) FROM package_files WHERE sha256 = :s3)"_qs,
                             {{u":s1"_qs, sha256}, {u":s2"_qs, sha256}, {u":s3"_qs, sha256}})
               .value_or(0)
               .toLongLong()
        > 0;
}

} // namespace qfc::files
