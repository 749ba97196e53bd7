#include "jobshandler.h"

#include "context.h"
#include "core/apierror.h"
#include "core/clock.h"
#include "db/database.h"
#include "jobs/jobrepository.h"
#include "jobs/jobservice.h"
#include "pagination.h"
#include "projects/permissions.h"

#include <QJsonArray>

namespace qfc::api {

namespace {
QJsonValue time(const std::optional<qint64> &t)
{
    return t ? QJsonValue(clock::formatApi(*t)) : QJsonValue(QJsonValue::Null);
}
} // namespace

QJsonObject JobsHandler::toJson(const Job &job, bool detail)
{
    QJsonObject o{{u"id"_qs, job.id},
                  {u"type"_qs, job.type},
                  {u"status"_qs, job.status},
                  {u"project_id"_qs, job.projectId},
                  {u"created_by"_qs, job.createdBy ? QJsonValue(*job.createdBy) : QJsonValue::Null},
                  {u"created_at"_qs, clock::formatApi(job.createdAt)},
                  {u"updated_at"_qs, clock::formatApi(job.updatedAt)},
                  {u"started_at"_qs, time(job.startedAt)},
                  {u"finished_at"_qs, time(job.finishedAt)}};
    if (detail) {
        o.insert(u"feedback"_qs, job.feedback ? QJsonValue(*job.feedback) : QJsonValue::Null);
        o.insert(u"output"_qs, job.output ? QJsonValue(*job.output) : QJsonValue::Null);
    }
    return o;
}

http::Response JobsHandler::list(Context &ctx)
{
    const QString projectId = ctx.query(u"project_id"_qs);
    if (projectId.isEmpty())
        throw ApiError::objectNotFound();
    QSqlDatabase db = ctx.services.database.connection();
    Permissions permissions(db, &ctx.user());
    const ProjectAccess pa = permissions.requireProject(projectId, ProjectAction::View);
    QJsonArray out;
    const QList<Job> all = jobs::ofProject(db, pa.project.id, ctx.query(u"type"_qs));
    for (const Job &j : all)
        out.append(toJson(j, false));
    return Pagination(ctx.request).respond(out);
}

http::Response JobsHandler::create(Context &ctx)
{
    const QString projectId = ctx.stringField(u"project_id"_qs).value_or(QString());
    const QString type = ctx.stringField(u"type"_qs).value_or(QString());
    const bool force = ctx.boolField(u"force"_qs).value_or(false);
    if (projectId.isEmpty())
        throw ApiError::validationField(u"project_id"_qs, u"This field is required."_qs);
    Permissions permissions(ctx.services.database.connection(), &ctx.user());
    const auto [job, created] =
        ctx.services.jobs.createFromApi(permissions, projectId, type, force);
    const std::optional<Job> current = jobs::byId(ctx.services.database.connection(), job.id);
    return http::Response::json(toJson(current.value_or(job), true), created ? 201 : 200);
}

http::Response JobsHandler::get(Context &ctx)
{
    const QString id = ctx.param(u"job_id"_qs);
    if (!isCanonicalUuid(id.toLower()))
        throw ApiError::validationField(u"job_id"_qs, u"Must be a valid UUID."_qs);
    QSqlDatabase db = ctx.services.database.connection();
    const std::optional<Job> job = jobs::byId(db, id.toLower());
    if (!job)
        throw ApiError::permissionDenied(); // §12.3: unknown job ids answer 403
    Permissions permissions(db, &ctx.user());
    permissions.requireProject(job->projectId, ProjectAction::View);
    return http::Response::json(toJson(*job, true));
}

} // namespace qfc::api
