#pragma once

#include "job.h"
#include "projects/permissions.h"

#include <QDir>
#include <QHash>
#include <QMutex>
#include <QObject>

#include <functional>

namespace qfc::db {
class Database;
}
namespace qfc::files {
class FileStore;
class ProjectFiles;
} // namespace qfc::files

namespace qfc::jobs {

// What a job type does around its worker run. The runner calls `prepare` before the worker starts
// (after the project's files are in <workdir>/files), `succeeded` after a run without error and
// `failed` after any failure (crash, timeout, cancellation, error feedback). Each issue that adds
// a job type registers its hooks; they run on a job thread and may throw (the job then fails).
struct Hooks
{
    std::function<void(const Job &job, const Project &project, const QDir &workdir)> prepare;
    std::function<void(const Job &job, const Project &project, const QDir &workdir,
                       const QJsonObject &feedback)>
        succeeded;
    std::function<void(const Job &job)> failed;
};

// Job creation and the trigger rules (spec/api.md §12.2, §15, §17, §19.6), and the per-type hooks.
// Thread-safe; `created` tells the scheduler to look for work at once.
class JobService : public QObject
{
    Q_OBJECT
public:
    JobService(db::Database &database, files::FileStore &store, files::ProjectFiles &files);

    // POST jobs/ (§12.2): returns the job and whether it was created (201) or an active package
    // job was returned (200). Throws ApiError.
    std::pair<Job, bool> createFromApi(const Permissions &permissions, const QString &projectId,
                                       const QString &type, bool force);
    // After an upload (§15.2 with §19.6): a process_projectfile job unless one is pending.
    void onProjectFileUploaded(const Project &project, qint64 userId);
    // A job of `type` for the project, created by `userId` (no trigger rules).
    Job create(const Project &project, const QString &type, std::optional<qint64> userId,
               std::optional<bool> overwriteConflicts = {});
    // The owner-account checks of §17 for jobs other than process_projectfile; throws ApiError.
    void checkOwnerMayRunJobs(const QSqlDatabase &db, const Project &project) const;

    void setHooks(const QString &type, Hooks hooks);
    Hooks hooks(const QString &type) const;

    db::Database &database() { return m_database; }
    files::FileStore &store() { return m_store; }
    files::ProjectFiles &projectFiles() { return m_files; }

    // A project was deleted: its running jobs are cancelled (§19.7).
    void notifyProjectDeleted(const QString &projectId) { Q_EMIT projectDeleted(projectId); }

Q_SIGNALS:
    void created(const QString &jobId);
    void projectDeleted(const QString &projectId);

private:
    db::Database &m_database;
    files::FileStore &m_store;
    files::ProjectFiles &m_files;
    mutable QMutex m_mutex;
    QHash<QString, Hooks> m_hooks;
};

// The hooks of process_projectfile (worker.md §1.6, api.md §15.2): on success the project details
// and the thumbnail are stored; on failure the details are cleared.
Hooks processProjectfileHooks(JobService &service);

} // namespace qfc::jobs
