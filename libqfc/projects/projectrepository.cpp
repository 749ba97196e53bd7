#include "projectrepository.h"

#include "core/clock.h"
#include "db/query.h"

#include <QJsonDocument>
#include <QUuid>

namespace qfc::projects {

namespace {

const QString kSelect = u"SELECT p.id, p.owner_id, u.username, u.type, p.name, p.description, "
                        "p.project_type, p.is_public, p.is_featured, "
                        "p.is_attachment_download_on_demand, p.has_restricted_projectfiles, "
                        "p.overwrite_conflicts, p.packaging_offliner, p.storage_keep_versions, "
                        "p.the_qgis_file_name, p.project_details, p.thumbnail_sha256, "
                        "p.thumbnail_type, p.file_storage_bytes, p.created_at, p.updated_at, "
                        "p.data_last_packaged_at, p.data_last_updated_at, "
                        "p.restricted_data_last_updated_at "
                        "FROM projects p JOIN users u ON u.id = p.owner_id"_qs;

std::optional<QString> optionalText(const db::Query &q, int i)
{
    const QVariant v = q.value(i);
    return v.isNull() ? std::nullopt : std::optional<QString>(v.toString());
}

Project read(const db::Query &q)
{
    Project p;
    p.id = q.text(0);
    p.ownerId = q.integer(1);
    p.ownerName = q.text(2);
    p.ownerType = int(q.integer(3));
    p.name = q.text(4);
    p.description = q.text(5);
    p.projectType = q.text(6);
    p.isPublic = q.flag(7);
    p.isFeatured = q.flag(8);
    p.isAttachmentDownloadOnDemand = q.flag(9);
    p.hasRestrictedProjectfiles = q.flag(10);
    p.overwriteConflicts = q.flag(11);
    p.packagingOffliner = q.text(12);
    if (auto v = q.optionalInteger(13))
        p.storageKeepVersions = int(*v);
    p.theQgisFileName = optionalText(q, 14);
    if (auto details = optionalText(q, 15))
        p.projectDetails = QJsonDocument::fromJson(details->toUtf8()).object();
    p.thumbnailSha256 = optionalText(q, 16);
    p.thumbnailType = q.text(17);
    p.fileStorageBytes = q.integer(18);
    p.createdAt = q.integer(19);
    p.updatedAt = q.integer(20);
    p.dataLastPackagedAt = q.optionalInteger(21);
    p.dataLastUpdatedAt = q.optionalInteger(22);
    p.restrictedDataLastUpdatedAt = q.optionalInteger(23);
    return p;
}

QList<Project> readAll(db::Query &q)
{
    QList<Project> out;
    while (q.next())
        out.append(read(q));
    return out;
}

// The columns that project creation and the settings update both write.
db::Query &bindSettings(db::Query &q, const Project &p)
{
    return q.bind(u":id"_qs, p.id)
        .bind(u":owner"_qs, p.ownerId)
        .bind(u":name"_qs, p.name)
        .bind(u":description"_qs, p.description)
        .bind(u":type"_qs, p.projectType)
        .bind(u":public"_qs, p.isPublic)
        .bind(u":featured"_qs, p.isFeatured)
        .bind(u":ondemand"_qs, p.isAttachmentDownloadOnDemand)
        .bind(u":restricted"_qs, p.hasRestrictedProjectfiles)
        .bind(u":overwrite"_qs, p.overwriteConflicts)
        .bind(u":keep"_qs, p.storageKeepVersions ? QVariant(*p.storageKeepVersions) : db::null());
}

} // namespace

std::optional<Project> byId(const QSqlDatabase &db, const QString &id)
{
    db::Query q(db, kSelect + u" WHERE p.id = :id"_qs);
    q.bind(u":id"_qs, id).exec();
    if (!q.next())
        return std::nullopt;
    return read(q);
}

std::optional<Project> byOwnerAndName(const QSqlDatabase &db, qint64 ownerId, const QString &name)
{
    db::Query q(db, kSelect + u" WHERE p.owner_id = :o AND lower(p.name) = lower(:n)"_qs);
    q.bind(u":o"_qs, ownerId).bind(u":n"_qs, name).exec();
    if (!q.next())
        return std::nullopt;
    return read(q);
}

std::optional<QString> sharedDatasetsId(const QSqlDatabase &db, qint64 ownerId)
{
    const auto v = db::Query::scalar(db,
                                     u"SELECT id FROM projects WHERE owner_id = :o AND "
                                     "project_type = 'shared_datasets'"_qs,
                                     {{u":o"_qs, ownerId}});
    return v ? std::optional<QString>(v->toString()) : std::nullopt;
}

QList<Project> candidates(const QSqlDatabase &db, const QList<qint64> &ownerIds,
                          const QStringList &projectIds, bool withPublic)
{
    // Bound lists: one placeholder per value.
    QStringList owners, ids;
    for (qsizetype i = 0; i < ownerIds.size(); ++i)
        owners << u":o"_qs + QString::number(i);
    for (qsizetype i = 0; i < projectIds.size(); ++i)
        ids << u":p"_qs + QString::number(i);
    QStringList where;
    if (!owners.isEmpty())
        where << u"p.owner_id IN ("_qs + owners.join(u", "_qs) + u')';
    if (!ids.isEmpty())
        where << u"p.id IN ("_qs + ids.join(u", "_qs) + u')';
    if (withPublic)
        where << u"p.is_public"_qs;
    if (where.isEmpty())
        return {};
    db::Query q(db, kSelect + u" WHERE "_qs + where.join(u" OR "_qs));
    for (qsizetype i = 0; i < ownerIds.size(); ++i)
        q.bind(owners[i], ownerIds[i]);
    for (qsizetype i = 0; i < projectIds.size(); ++i)
        q.bind(ids[i], projectIds[i]);
    q.exec();
    return readAll(q);
}

QList<Project> publicProjects(const QSqlDatabase &db)
{
    db::Query q(db, kSelect + u" WHERE p.is_public"_qs);
    q.exec();
    return readAll(q);
}

Project insert(const QSqlDatabase &db, Project p)
{
    if (p.id.isEmpty())
        p.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    const qint64 now = clock::nowUs();
    if (p.createdAt == 0)
        p.createdAt = now;
    p.updatedAt = p.createdAt;
    db::Query q(db,
                u"INSERT INTO projects (id, owner_id, name, description, project_type, "
                "is_public, is_featured, is_attachment_download_on_demand, "
                "has_restricted_projectfiles, overwrite_conflicts, packaging_offliner, "
                "storage_keep_versions, created_at, updated_at) VALUES (:id, :owner, :name, "
                ":description, :type, :public, :featured, :ondemand, :restricted, :overwrite, "
                ":offliner, :keep, :created, :updated)"_qs);
    bindSettings(q, p)
        .bind(u":offliner"_qs, p.packagingOffliner)
        .bind(u":created"_qs, p.createdAt)
        .bind(u":updated"_qs, p.updatedAt)
        .exec();
    return p;
}

void updateSettings(const QSqlDatabase &db, const Project &p)
{
    db::Query q(db,
                u"UPDATE projects SET owner_id = :owner, name = :name, description = "
                ":description, project_type = :type, is_public = :public, is_featured = "
                ":featured, is_attachment_download_on_demand = :ondemand, "
                "has_restricted_projectfiles = :restricted, overwrite_conflicts = :overwrite, "
                "storage_keep_versions = :keep, updated_at = :updated WHERE id = :id"_qs);
    bindSettings(q, p).bind(u":updated"_qs, clock::nowUs()).exec();
}

void remove(const QSqlDatabase &db, const QString &id)
{
    db::Query::run(db, u"DELETE FROM projects WHERE id = :id"_qs, {{u":id"_qs, id}});
}

void setThumbnail(const QSqlDatabase &db, const QString &id, const QString &sha256,
                  const QString &type)
{
    db::Query::run(
        db,
        u"UPDATE projects SET thumbnail_sha256 = :s, thumbnail_type = :t, updated_at = "
        ":u WHERE id = :id"_qs,
        {{u":s"_qs, sha256}, {u":t"_qs, type}, {u":u"_qs, clock::nowUs()}, {u":id"_qs, id}});
}

void filesChanged(const QSqlDatabase &db, const QString &id,
                  const std::optional<QString> &theQgisFileName, qint64 when, bool restricted,
                  qint64 storageBytes)
{
    QString sql = u"UPDATE projects SET data_last_updated_at = :t, file_storage_bytes = :b"_qs;
    QVariantMap values{{u":t"_qs, when}, {u":b"_qs, storageBytes}, {u":id"_qs, id}};
    if (restricted) {
        sql += u", restricted_data_last_updated_at = :rt"_qs;
        values.insert(u":rt"_qs, when);
    }
    if (theQgisFileName) {
        sql += u", the_qgis_file_name = :q"_qs;
        values.insert(u":q"_qs,
                      theQgisFileName->isEmpty() ? db::null() : QVariant(*theQgisFileName));
    }
    db::Query::run(db, sql + u" WHERE id = :id"_qs, values);
}

void lockForUpdate(const QSqlDatabase &db, const QString &id)
{
    if (db::dialectOf(db) == db::Dialect::Postgres)
        db::Query::run(db, u"SELECT id FROM projects WHERE id = :id FOR UPDATE"_qs,
                       {{u":id"_qs, id}});
}

qint64 personCollaboratorCount(const QSqlDatabase &db, const QString &projectId)
{
    return db::Query::scalar(db,
                             u"SELECT count(*) FROM project_collaborators c JOIN users u ON u.id = "
                             "c.collaborator_id WHERE c.project_id = :p AND u.type = 1"_qs,
                             {{u":p"_qs, projectId}})
        .value_or(0)
        .toLongLong();
}

qint64 storageUsedBy(const QSqlDatabase &db, qint64 ownerId)
{
    return db::Query::scalar(db,
                             u"SELECT coalesce(sum(file_storage_bytes), 0) FROM projects WHERE "
                             "owner_id = :o"_qs,
                             {{u":o"_qs, ownerId}})
        .value_or(0)
        .toLongLong();
}

} // namespace qfc::projects
