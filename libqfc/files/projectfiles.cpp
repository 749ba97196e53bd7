#include "projectfiles.h"

#include "core/apierror.h"
#include "core/clock.h"
#include "core/logging.h"
#include "core/names.h"
#include "db/database.h"
#include "db/transaction.h"
#include "filestore.h"
#include "projects/plans.h"
#include "projects/projectrepository.h"
#include "qgisprojectfile.h"

#include <QJsonArray>

namespace qfc::files {

ProjectFiles::ProjectFiles(db::Database &database, FileStore &store)
    : m_database(database), m_store(store)
{ }

QStringList ProjectFiles::attachmentDirs(const Project &project)
{
    QStringList dirs;
    if (project.projectDetails) {
        const QJsonArray configured =
            project.projectDetails->value(u"attachment_dirs"_qs).toArray();
        for (const auto &v : configured)
            if (!v.toString().isEmpty())
                dirs << v.toString();
    }
    return dirs.isEmpty() ? QStringList{u"DCIM"_qs} : dirs;
}

bool ProjectFiles::isAttachment(const Project &project, const QString &path)
{
    // A plain prefix match, as upstream (§9.6).
    const QStringList dirs = attachmentDirs(project);
    for (const QString &dir : dirs)
        if (path.startsWith(dir))
            return true;
    return false;
}

Version ProjectFiles::upload(const ProjectAccess &pa, const Permissions &permissions,
                             const QString &path, UploadSource source, ClientType clientType,
                             qint64 userId)
{
    const Project &project = pa.project;
    if (const QString why = names::checkFilePath(path); !why.isEmpty())
        throw ApiError::validationField(u"path"_qs, why);
    const bool qgis = isQgisProjectFile(path);
    const bool restricted =
        project.hasRestrictedProjectfiles && isRestrictedProjectFile(path, project.theQgisFileName);
    if (restricted && !roleAllows(pa.role.role, ProjectAction::UploadRestrictedFiles))
        throw ApiError::restrictedProjectModification();
    if (qgis && project.isSharedDatasets())
        throw ApiError::qgisProjectFileNotAllowed();
    if (qgis && project.theQgisFileName && *project.theQgisFileName != path)
        throw ApiError::multipleProjects();
    if (qgis && !readQgisVersion(source.tempPath, path.toLower().endsWith(u".qgz")))
        throw ApiError::invalidQgisProjectFile();
    if (clientType != ClientType::QField && clientType != ClientType::Worker
        && source.digest.size > plans::freeBytes(m_database.connection(), project.ownerId))
        throw ApiError::overQuota();
    Q_UNUSED(permissions)

    // Durable blob first, then the rows: a 2xx means stored.
    if (source.adopt)
        source.adopt();
    m_store.putFromUpload(source.tempPath, source.digest);

    const qint64 now = clock::nowUs();
    db::Transaction tx(m_database);
    QSqlDatabase db = tx.connection();
    projects::lockForUpdate(db, project.id);
    const std::optional<Project> current = projects::byId(db, project.id);
    if (!current)
        throw ApiError::objectNotFound(); // deleted meanwhile; the blob is collected later
    // Re-checked under the lock: a parallel upload of another QGIS file may have won.
    if (qgis && current->theQgisFileName && *current->theQgisFileName != path)
        throw ApiError::multipleProjects();
    const Version version = addVersion(db, project.id, path, source.digest, userId, now);
    const int keep = current->storageKeepVersions.value_or(
        plans::subscriptionOf(db, current->ownerId).plan.keepVersions);
    if (const std::optional<File> file = byName(db, project.id, path))
        pruneVersions(db, file->id, std::max(1, keep));
    projects::filesChanged(db, project.id, qgis ? std::optional<QString>(path) : std::nullopt, now,
                           restricted, storageBytes(db, project.id));
    tx.commit();
    qCInfo(lcFiles).noquote() << QStringLiteral("stored %1/%2 (%3 bytes, %4)")
                                     .arg(project.id, path)
                                     .arg(source.digest.size)
                                     .arg(source.digest.sha256.left(12));
    if (m_uploadHook && !isAttachment(*current, path)
        && (qgis || current->theQgisFileName.has_value()))
        m_uploadHook(*current, path, userId);
    return version;
}

void ProjectFiles::remove(const ProjectAccess &pa, const QString &path,
                          const std::optional<QString> &versionId)
{
    const Project &project = pa.project;
    auto notFound = [] {
        return ApiError::apiError(404);
    };
    db::Transaction tx(m_database);
    QSqlDatabase db = tx.connection();
    projects::lockForUpdate(db, project.id);
    const std::optional<File> file = byName(db, project.id, path);
    if (!file)
        throw notFound();
    bool fileGone = !versionId;
    if (versionId) {
        const auto it = std::find_if(file->versions.cbegin(), file->versions.cend(),
                                     [&](const Version &v) { return v.id == *versionId; });
        if (it == file->versions.cend())
            throw notFound();
        if (file->versions.size() == 1)
            throw ApiError::explicitDeletionOfLastVersion();
        removeVersion(db, *versionId);
    } else {
        removeFile(db, file->id);
    }
    const bool qgisGone = fileGone && project.theQgisFileName && *project.theQgisFileName == path;
    const bool restricted =
        project.hasRestrictedProjectfiles && isRestrictedProjectFile(path, project.theQgisFileName);
    projects::filesChanged(db, project.id,
                           qgisGone ? std::optional<QString>(QString(u""_qs)) : std::nullopt,
                           clock::nowUs(), restricted, storageBytes(db, project.id));
    tx.commit();
}

void ProjectFiles::cloneLatest(const QSqlDatabase &db, const Project &source, const Project &target,
                               qint64 userId)
{
    const qint64 now = clock::nowUs();
    const QList<File> all = ofProject(db, source.id);
    std::optional<QString> qgis;
    for (const File &f : all) {
        const Version &v = f.latest();
        addVersion(db, target.id, f.name, ContentDigest{v.size, v.sha256, v.md5, v.etag}, userId,
                   now);
        if (source.theQgisFileName && f.name == *source.theQgisFileName)
            qgis = f.name;
    }
    projects::filesChanged(db, target.id, qgis, now, false, storageBytes(db, target.id));
}

} // namespace qfc::files
