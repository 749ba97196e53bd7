#include "deltaservice.h"

#include "core/apierror.h"
#include "core/clock.h"
#include "core/logging.h"
#include "db/database.h"
#include "db/transaction.h"
#include "deltafile.h"
#include "deltarepository.h"
#include "jobs/jobrepository.h"
#include "jobs/jobservice.h"
#include "projects/projectrepository.h"

#include <QJsonArray>
#include <QSet>

namespace qfc::deltas {

namespace {

// Upstream's texts (core/views/deltas_views.py).
const QString kUnpermittedMessage =
    u"User has no rights to create delta on this project. Try inviting him as a collaborator "
    "with proper permissions and try again."_qs;
const QString kKeptPendingMessage =
    u"Some features of this project are not supported by the owner's account. Deltas are "
    "created but kept pending. Either upgrade the account or ensure you're not using features "
    "such as remote layers, then try again."_qs;

ApiError badRequest(const QString &field, const QString &problem)
{
    return ApiError::apiError(400, QJsonObject{{field, QJsonArray{problem}}});
}

QStringList idsOf(const QList<Delta> &list)
{
    QStringList out;
    for (const Delta &d : list)
        out << d.id;
    return out;
}

} // namespace

DeltaService::DeltaService(db::Database &database, jobs::JobService &jobs)
    : m_database(database), m_jobs(jobs)
{ }

bool DeltaService::mayPush(ProjectRole role, const QString &method)
{
    if (!roleAllows(role, ProjectAction::PushDeltas))
        return false;
    return method == u"create" || role >= ProjectRole::Editor;
}

std::optional<ApiError> DeltaService::ownerRefusal(const QSqlDatabase &db,
                                                   const Project &project) const
{
    try {
        m_jobs.checkOwnerMayRunJobs(db, project);
    } catch (const ApiError &e) {
        return e;
    }
    return std::nullopt;
}

DeltaService::Pushed DeltaService::push(const ProjectAccess &access, const QByteArray &raw,
                                        qint64 userId)
{
    const Project &project = access.project;
    const Deltafile file = Deltafile::parse(raw);
    if (!project.theQgisFileName)
        throw ApiError::noQgisProject();
    if (file.projectId.toLower() != project.id)
        throw ApiError::invalidDeltafile(
            QStringLiteral("Deltafile's project id (%1) doesn't match URL parameter project id "
                           "(%2).")
                .arg(file.projectId, project.id));

    Pushed out;
    db::Transaction tx(m_database);
    const QSqlDatabase &db = tx.connection();
    projects::lockForUpdate(db, project.id);
    const std::optional<ApiError> refusal = ownerRefusal(db, project);
    const qint64 now = clock::nowUs();
    for (qsizetype i = 0; i < file.deltas.size(); ++i) {
        const Deltafile::Entry &e = file.deltas.at(i);
        Delta d;
        d.id = e.uuid;
        d.deltafileId = file.id;
        d.deltafileIndex = int(i);
        d.projectId = project.id;
        d.clientId = e.clientId;
        d.content = e.content;
        d.createdBy = userId;
        d.createdAt = d.updatedAt = now;
        if (!mayPush(access.role.role, e.method)) {
            d.lastStatus = status::Unpermitted;
            d.lastFeedback = QJsonObject{{u"msg"_qs, kUnpermittedMessage}};
        } else {
            d.lastStatus = status::Pending;
            if (refusal)
                d.lastFeedback = QJsonObject{{u"msg"_qs, kKeptPendingMessage}};
        }
        if (insertIfNew(db, d))
            ++out.stored;
        else
            ++out.skipped;
    }
    if (out.stored > 0 && !refusal)
        out.jobs = scheduleLocked(db, project, userId, std::nullopt);
    tx.commit();
    qCInfo(lcJobs).noquote() << QStringLiteral("deltafile %1 of project %2: %3 deltas stored, %4 "
                                               "known, %5 apply jobs")
                                    .arg(file.id, project.id)
                                    .arg(out.stored)
                                    .arg(out.skipped)
                                    .arg(out.jobs.size());
    announce(out.jobs);
    return out;
}

QList<Job> DeltaService::scheduleLocked(const QSqlDatabase &db, const Project &project,
                                        std::optional<qint64> userId, std::optional<bool> overwrite)
{
    const qint64 now = clock::nowUs();
    // Deltas a crash left started after their job ended (the failure hook did not run).
    const QStringList stranded = strandedStarted(db, project.id);
    for (const QString &id : stranded)
        setStatus(db, id, status::Error, std::nullopt, std::nullopt, now);

    const QStringList ids = schedulable(db, project.id);
    QList<Job> created;
    for (qsizetype at = 0; at < ids.size(); at += kMaxDeltasPerJob) {
        const Job job = jobs::create(db, project.id, jobtypes::DeltaApply, userId,
                                     overwrite.value_or(project.overwriteConflicts));
        attach(db, job.id, ids.mid(at, kMaxDeltasPerJob));
        created.append(job);
    }
    return created;
}

void DeltaService::announce(const QList<Job> &created)
{
    for (const Job &job : created) {
        qCInfo(lcJobs).noquote() << QStringLiteral("created delta_apply job %1 for project %2")
                                        .arg(job.id, job.projectId);
        Q_EMIT m_jobs.created(job.id);
    }
}

QList<Job> DeltaService::applyPending(const Project &project, std::optional<qint64> userId)
{
    db::Transaction tx(m_database);
    const QSqlDatabase &db = tx.connection();
    projects::lockForUpdate(db, project.id);
    if (ownerRefusal(db, project))
        return {};
    const QList<Job> created = scheduleLocked(db, project, userId, std::nullopt);
    tx.commit();
    announce(created);
    return created;
}

std::pair<Job, bool> DeltaService::createFromApi(const Project &project, qint64 userId)
{
    if (!project.theQgisFileName)
        throw ApiError::noQgisProject();
    db::Transaction tx(m_database);
    const QSqlDatabase &db = tx.connection();
    projects::lockForUpdate(db, project.id);
    if (const std::optional<ApiError> refusal = ownerRefusal(db, project))
        throw *refusal;
    const QList<Job> created = scheduleLocked(db, project, userId, std::nullopt);
    const std::optional<Job> active =
        created.isEmpty() ? jobs::activeOfType(db, project.id, jobtypes::DeltaApply) : std::nullopt;
    tx.commit();
    announce(created);
    if (!created.isEmpty())
        return {created.first(), true};
    if (active)
        return {*active, false};
    throw ApiError(400, u"no_deltas_to_apply"_qs, u"No deltas to apply"_qs);
}

QList<Delta> DeltaService::lockedDeltas(const QSqlDatabase &db, const Project &project,
                                        const QStringList &ids,
                                        const std::optional<QString> &fromId)
{
    QList<Delta> out;
    if (fromId) {
        const std::optional<Delta> first = byId(db, fromId->toLower());
        if (!first || first->projectId != project.id)
            throw badRequest(u"from_delta_id"_qs, u"Unknown delta "_qs + *fromId + u'.');
        out = fromDelta(db, *first);
    } else {
        if (ids.isEmpty())
            throw badRequest(u"delta_ids"_qs, u"This list may not be empty."_qs);
        QSet<QString> seen;
        for (const QString &id : ids) {
            const std::optional<Delta> d = byId(db, id.toLower());
            if (!d || d->projectId != project.id)
                throw badRequest(u"delta_ids"_qs, u"Unknown delta "_qs + id + u'.');
            if (!seen.contains(d->id))
                out.append(*d);
            seen.insert(d->id);
        }
    }
    for (const Delta &d : std::as_const(out))
        if (d.lastStatus == status::Started)
            throw badRequest(u"delta_ids"_qs,
                             u"Delta "_qs + d.id
                                 + u" is being applied; try again when its job "
                                   "has ended."_qs);
    return out;
}

QList<Delta> DeltaService::reapply(const Project &project, const QStringList &ids,
                                   const std::optional<QString> &fromId,
                                   std::optional<bool> overwriteConflicts, qint64 userId)
{
    if (!project.theQgisFileName)
        throw ApiError::noQgisProject();
    db::Transaction tx(m_database);
    const QSqlDatabase &db = tx.connection();
    projects::lockForUpdate(db, project.id);
    if (const std::optional<ApiError> refusal = ownerRefusal(db, project))
        throw *refusal;
    const QList<Delta> chosen = lockedDeltas(db, project, ids, fromId);
    const qint64 now = clock::nowUs();
    for (const Delta &d : chosen)
        setStatus(db, d.id, status::Pending, std::nullopt, std::nullopt, now);
    // Deltas a pending apply job holds would run with that job's setting: released so that the
    // new job applies them with this override.
    releaseFromPendingJobs(db, project.id, idsOf(chosen));
    const QList<Job> created = scheduleLocked(db, project, userId, overwriteConflicts);
    QList<Delta> out;
    for (const Delta &d : chosen)
        out.append(*byId(db, d.id));
    tx.commit();
    announce(created);
    return out;
}

QList<Delta> DeltaService::ignore(const Project &project, const QStringList &ids)
{
    db::Transaction tx(m_database);
    const QSqlDatabase &db = tx.connection();
    projects::lockForUpdate(db, project.id);
    const QList<Delta> chosen = lockedDeltas(db, project, ids, std::nullopt);
    const qint64 now = clock::nowUs();
    releaseFromPendingJobs(db, project.id, idsOf(chosen));
    QList<Delta> out;
    for (const Delta &d : chosen) {
        setStatus(db, d.id, status::Ignored, d.lastFeedback, d.lastModifiedPk, now);
        out.append(*byId(db, d.id));
    }
    tx.commit();
    return out;
}

} // namespace qfc::deltas
