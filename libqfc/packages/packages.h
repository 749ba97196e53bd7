#pragma once

#include "core/hashing.h"
#include "jobs/job.h"
#include "jobs/jobservice.h"

#include <QList>
#include <QSqlDatabase>

namespace qfc::packages {

// One file of a package.
struct PackageFile
{
    QString name;
    QString sha256;
    QString md5;
    QString etag;
    qint64 size = 0;
    qint64 createdAt = 0;
};

QList<PackageFile> filesOf(const QSqlDatabase &db, const QString &jobId);
std::optional<PackageFile> fileOf(const QSqlDatabase &db, const QString &jobId,
                                  const QString &name);
void addFile(const QSqlDatabase &db, const QString &jobId, const QString &name,
             const ContentDigest &digest);

// The latest package of a project for a caller (spec/api.md §10): the most recently created
// package job that is no longer pending, queued or started — failed ones included; only the
// caller's own when they have a secret assigned to them on the project or its organization.
std::optional<Job> latestFor(const QSqlDatabase &db, const Project &project, qint64 callerId);

// Deletes the files of packages nobody can get any more: all but the newest finished package per
// user, and never those of active jobs (§15.4); `finishing` is a job about to finish, counted as
// finished. Returns how many jobs lost their files.
int removeObsolete(const QSqlDatabase &db, const QString &projectId, const QString &finishing = {});

// The package job's hooks (worker.md §1.6): on success the files of <workdir>/export are stored
// as the package, data_last_packaged_at becomes the job's data snapshot time and obsolete
// packages are removed.
jobs::Hooks packageHooks(jobs::JobService &service);

} // namespace qfc::packages
