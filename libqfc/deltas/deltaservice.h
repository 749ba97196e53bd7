#pragma once

#include "core/apierror.h"
#include "delta.h"
#include "jobs/job.h"
#include "projects/permissions.h"

#include <QList>
#include <QStringList>

namespace qfc::db {
class Database;
}
namespace qfc::jobs {
class JobService;
}

namespace qfc::deltas {

// Deltas as services (spec/api.md §11, §15.3, §16, §17, §19.4, §19.5, §19.9): storing pushed
// deltafiles, scheduling delta_apply jobs, listing, re-apply and ignore. Callers have checked the
// caller's role on the project (Permissions); this class applies the per-delta rules.
class DeltaService
{
public:
    // At most this many deltas per delta_apply job; larger backlogs get several disjoint jobs.
    static constexpr int kMaxDeltasPerJob = 1000;

    DeltaService(db::Database &database, jobs::JobService &jobs);

    struct Pushed
    {
        int stored = 0;
        int skipped = 0; // already known uuids
        QList<Job> jobs; // the delta_apply jobs scheduled
    };
    // POST deltas/<project_id>/ (§11.1): parses and validates `raw` (400 invalid_deltafile),
    // 400 no_qgis_project, 400 invalid_deltafile for another project, then stores the new deltas
    // in one transaction — `unpermitted` where the role may not push that method (reporters:
    // creates only), `pending` otherwise, with the §17 feedback when the owner cannot run jobs —
    // and schedules apply jobs in the same transaction.
    Pushed push(const ProjectAccess &access, const QByteArray &raw, qint64 userId);

    // "Apply pending deltas" (§15.3), as after an upload: nothing when the owner fails the §17
    // checks. Returns the new jobs.
    QList<Job> applyPending(const Project &project, std::optional<qint64> userId);
    // POST jobs/ with type delta_apply (§12.2 Rec): the first new job (true), else the active
    // delta_apply job (false); 400 no_deltas_to_apply when there is neither. Throws the §17
    // errors and 400 no_qgis_project.
    std::pair<Job, bool> createFromApi(const Project &project, qint64 userId);

    // §19.9: these deltas (or `fromId` and every newer delta) become pending and an apply job is
    // scheduled with `overwriteConflicts` (default: the project's). Started deltas → 400
    // api_error; unknown ids → 400 api_error. Returns the deltas now pending.
    QList<Delta> reapply(const Project &project, const QStringList &ids,
                         const std::optional<QString> &fromId,
                         std::optional<bool> overwriteConflicts, qint64 userId);
    // §19.9: these deltas become ignored (not started ones: 400 api_error). Returns them.
    QList<Delta> ignore(const Project &project, const QStringList &ids);

    // Whether `role` may push a delta of `method` (§14.4: reporters only create).
    static bool mayPush(ProjectRole role, const QString &method);

private:
    // In an open write transaction with the project row locked: attaches the project's
    // schedulable deltas to new delta_apply jobs of at most kMaxDeltasPerJob each, in receipt
    // order. The caller announces them after the commit.
    QList<Job> scheduleLocked(const QSqlDatabase &db, const Project &project,
                              std::optional<qint64> userId, std::optional<bool> overwrite);
    // Why the owner cannot run jobs (§17), or std::nullopt when it can.
    std::optional<ApiError> ownerRefusal(const QSqlDatabase &db, const Project &project) const;
    void announce(const QList<Job> &jobs);
    QList<Delta> lockedDeltas(const QSqlDatabase &db, const Project &project,
                              const QStringList &ids, const std::optional<QString> &fromId);

    db::Database &m_database;
    jobs::JobService &m_jobs;
};

} // namespace qfc::deltas
