#pragma once

#include "auth/clienttype.h"
#include "core/hashing.h"
#include "filerepository.h"
#include "projects/permissions.h"

#include <QStringList>

#include <functional>

namespace qfc::db {
class Database;
}

namespace qfc::files {

class FileStore;

// A file part the connection layer already streamed to a temporary file and hashed. `adopt` is
// called just before the store takes the temporary file over (the HTTP layer then stops owning
// it); until then a refused upload leaves the temporary to its owner.
struct UploadSource
{
    QString tempPath;
    ContentDigest digest;
    std::function<void()> adopt;
};

// Project files (spec/api.md §9): uploads in the order of checks of §9.4, deletion, the
// attachment rule of §9.6. Every write stores the blob durably before its row is committed.
class ProjectFiles
{
public:
    // Called after a committed upload of a non-attachment file (process_projectfile trigger,
    // spec/api.md §15.2 with §19.6); the jobs issue plugs in here.
    using UploadHook =
        std::function<void(const Project &project, const QString &path, qint64 userId)>;

    ProjectFiles(db::Database &database, FileStore &store);

    void setUploadHook(UploadHook hook) { m_uploadHook = std::move(hook); }

    // Throws ApiError: 400 validation_error (name), 403 restricted_project_modification,
    // 400 qgis_project_file_not_allowed, 400 multiple_projects, 400 invalid_qgis_project_file,
    // 402 over_quota (unless `clientType` is qfield or worker).
    Version upload(const ProjectAccess &project, const Permissions &permissions,
                   const QString &path, UploadSource source, ClientType clientType, qint64 userId);

    // Deletes a whole file, or one version (std::optional). Throws ApiError 404 api_error for an
    // unknown file or version, 400 explicit_deletion_of_last_version.
    void remove(const ProjectAccess &project, const QString &path,
                const std::optional<QString> &versionId);

    // Copies the latest version of every file of `source` into `target` (a new, empty project):
    // rows only, the blobs are shared (content addressing).
    void cloneLatest(const QSqlDatabase &db, const Project &source, const Project &target,
                     qint64 userId);

    // The project's attachment directories (processed QGIS project, else ["DCIM"]).
    static QStringList attachmentDirs(const Project &project);
    static bool isAttachment(const Project &project, const QString &path);

    FileStore &store() { return m_store; }

private:
    db::Database &m_database;
    FileStore &m_store;
    UploadHook m_uploadHook;
};

} // namespace qfc::files
