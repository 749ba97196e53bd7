#include "jobservice.h"

#include "core/apierror.h"
#include "core/clock.h"
#include "core/logging.h"
#include "db/database.h"
#include "db/query.h"
#include "db/transaction.h"
#include "deltas/deltaservice.h"
#include "files/filestore.h"
#include "jobrepository.h"
#include "projects/plans.h"
#include "projects/projectrepository.h"
#include "projects/projectstate.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>

namespace qfc::jobs {

JobService::JobService(db::Database &database, files::FileStore &store, files::ProjectFiles &files)
    : m_database(database), m_store(store), m_files(files)
{ }

void JobService::setHooks(const QString &type, Hooks hooks)
{
    QMutexLocker lock(&m_mutex);
    m_hooks.insert(type, std::move(hooks));
}

Hooks JobService::hooks(const QString &type) const
{
    QMutexLocker lock(&m_mutex);
    return m_hooks.value(type);
}

void JobService::checkOwnerMayRunJobs(const QSqlDatabase &db, const Project &project) const
{
    const plans::Subscription s = plans::subscriptionOf(db, project.ownerId);
    if (!s.isActive(clock::nowUs()))
        throw ApiError::inactiveSubscription();
    if (plans::freeBytes(db, project.ownerId) <= 0)
        throw ApiError::overQuota();
    if (projectstate::hasOnlineVectorLayers(project) && !s.plan.externalDbSupported)
        throw ApiError::planInsufficient();
}

Job JobService::create(const Project &project, const QString &type, std::optional<qint64> userId,
                       std::optional<bool> overwriteConflicts)
{
    Job job = jobs::create(m_database.connection(), project.id, type, userId, overwriteConflicts);
    qCInfo(lcJobs).noquote()
        << QStringLiteral("created %1 job %2 for project %3").arg(type, job.id, project.id);
    Q_EMIT created(job.id);
    return job;
}

std::pair<Job, bool> JobService::createFromApi(const Permissions &permissions,
                                               const QString &projectId, const QString &type,
                                               bool force)
{
    if (type == jobtypes::Package) {
        const ProjectAccess pa =
            permissions.requireProject(projectId, ProjectAction::TriggerPackage);
        if (pa.project.projectType != u"regular")
            throw ApiError::permissionDenied();
        QSqlDatabase db = m_database.connection();
        if (!force) {
            if (auto active = activeOfType(db, pa.project.id, jobtypes::Package))
                return {*active, false};
            if (!pa.project.theQgisFileName)
                throw ApiError::noQgisProject();
        }
        checkOwnerMayRunJobs(db, pa.project);
        return {create(pa.project, type, permissions.caller()->id), true};
    }
    if (type == jobtypes::ProcessProjectfile) {
        const ProjectAccess pa =
            permissions.requireProject(projectId, ProjectAction::TriggerProcess);
        return {create(pa.project, type, permissions.caller()->id), true};
    }
    if (type == jobtypes::DeltaApply) {
        const ProjectAccess pa =
            permissions.requireProject(projectId, ProjectAction::TriggerProcess);
        if (pa.project.isTemplate())
            throw ApiError::permissionDenied();
        // §12.2 Rec: the scheduling of §15.3; the first new job, or the active one.
        return deltas::DeltaService(m_database, *this)
            .createFromApi(pa.project, permissions.caller()->id);
    }
    throw ApiError::apiError(
        400, QJsonObject{{u"type"_qs, QJsonArray{u"Not a job type that can be created."_qs}}});
}

void JobService::onProjectFileUploaded(const Project &project, qint64 userId)
{
    // §19.6: unless a process_projectfile job of the project is still pending (any user), so
    // the last upload of a parallel batch is always processed.
    QSqlDatabase db = m_database.connection();
    if (pendingOfType(db, project.id, jobtypes::ProcessProjectfile))
        return;
    create(project, jobtypes::ProcessProjectfile, userId);
}

Hooks processProjectfileHooks(JobService &service)
{
    Hooks h;
    h.succeeded = [&service](const Job &job, const Project &project, const QDir &workdir,
                             const QJsonObject &feedback) {
        const QJsonObject details = feedback.value(u"outputs"_qs)
                                        .toObject()
                                        .value(u"project_details"_qs)
                                        .toObject()
                                        .value(u"project_details"_qs)
                                        .toObject();
        std::optional<files::PutResult> thumbnail;
        QFile png(workdir.filePath(u"thumbnail.png"_qs));
        if (png.open(QIODevice::ReadOnly))
            thumbnail = service.store().putFromDevice(png, 50 << 20);
        db::Transaction tx(service.database());
        db::Query::run(
            tx.connection(), u"UPDATE projects SET project_details = :d WHERE id = :id"_qs,
            {{u":d"_qs, QString::fromUtf8(QJsonDocument(details).toJson(QJsonDocument::Compact))},
             {u":id"_qs, project.id}});
        if (thumbnail)
            projects::setThumbnail(tx.connection(), project.id, thumbnail->digest.sha256,
                                   u"image/png"_qs);
        tx.commit();
        Q_UNUSED(job)
    };
    h.failed = [&service](const Job &job) {
        db::Query::run(service.database().connection(),
                       u"UPDATE projects SET project_details = NULL WHERE id = :id"_qs,
                       {{u":id"_qs, job.projectId}});
    };
    return h;
}

} // namespace qfc::jobs
