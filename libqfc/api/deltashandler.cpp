#include "deltashandler.h"

#include "context.h"
#include "core/apierror.h"
#include "core/clock.h"
#include "core/settings.h"
#include "db/database.h"
#include "deltas/deltarepository.h"
#include "deltas/deltaservice.h"
#include "pagination.h"
#include "projects/permissions.h"

#include <QFile>
#include <QJsonArray>

namespace qfc::api {

namespace {

// The project for a deltas endpoint: templates take no deltas (§14.4).
ProjectAccess projectFor(Context &ctx, ProjectAction action)
{
    Permissions permissions(ctx.services.database.connection(), &ctx.user());
    ProjectAccess pa = permissions.requireProject(ctx.param(u"project_id"_qs), action);
    if (pa.project.isTemplate())
        throw ApiError::permissionDenied();
    return pa;
}

deltas::DeltaService service(Context &ctx)
{
    return deltas::DeltaService(ctx.services.database, ctx.services.jobs);
}

http::Response listOf(Context &ctx, const QString &deltafileId)
{
    const ProjectAccess pa = projectFor(ctx, ProjectAction::ListDeltas);
    const bool newestFirst = ctx.query(u"ordering"_qs) == u"-created_at";
    const Pagination page(ctx.request);
    const QSqlDatabase db = ctx.services.database.connection();
    const QList<deltas::Delta> found =
        deltas::ofProject(db, pa.project.id, deltafileId, newestFirst, page.offset(),
                          page.isActive() ? page.limit() : -1);
    QJsonArray out;
    for (const deltas::Delta &d : found)
        out.append(DeltasHandler::toJson(d));
    if (!page.isActive())
        return http::Response::json(out);
    return page.respondPage(out, deltas::countOfProject(db, pa.project.id, deltafileId));
}

// {"delta_ids": [uuid, ...]} as a list (400 api_error when it is not one).
QStringList deltaIds(Context &ctx)
{
    const QJsonValue v = ctx.fields().value(u"delta_ids"_qs);
    if (v.isUndefined() || v.isNull())
        return {};
    auto invalid = [] {
        return ApiError::apiError(
            400, QJsonObject{{u"delta_ids"_qs, QJsonArray{u"Expected a list of delta ids."_qs}}});
    };
    if (!v.isArray())
        throw invalid();
    QStringList ids;
    const QJsonArray list = v.toArray();
    for (const QJsonValue &id : list) {
        if (!id.isString() || !isCanonicalUuid(id.toString().toLower()))
            throw invalid();
        ids << id.toString().toLower();
    }
    return ids;
}

} // namespace

QJsonObject DeltasHandler::toJson(const deltas::Delta &d)
{
    const std::optional<QString> output = deltas::outputText(d.lastFeedback);
    return {
        {u"id"_qs, d.id},
        {u"deltafile_id"_qs, d.deltafileId},
        {u"created_by"_qs,
         d.createdByName.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(d.createdByName)},
        {u"created_at"_qs, clock::formatApi(d.createdAt)},
        {u"updated_at"_qs, clock::formatApi(d.updatedAt)},
        {u"status"_qs, deltas::apiStatus(d.lastStatus)},
        {u"output"_qs, output ? QJsonValue(*output) : QJsonValue(QJsonValue::Null)},
        {u"last_status"_qs, d.lastStatus},
        {u"last_feedback"_qs,
         d.lastFeedback ? QJsonValue(*d.lastFeedback) : QJsonValue(QJsonValue::Null)},
        {u"content"_qs, d.contentObject()}};
}

http::Response DeltasHandler::upload(Context &ctx)
{
    const ProjectAccess pa = projectFor(ctx, ProjectAction::PushDeltas);
    std::shared_ptr<http::UploadedFile> part;
    for (const auto &f : std::as_const(ctx.request.files)) {
        if (f->fieldName() != u"file")
            continue;
        if (part)
            throw ApiError::multipleContents();
        part = f;
    }
    if (!part)
        throw ApiError::emptyContent();
    // The connection layer refuses larger bodies before reading them; a part is never larger.
    if (part->digest().size > ctx.services.settings.integer(u"deltas/max_deltafile_bytes"_qs))
        throw ApiError::payloadTooLarge();
    QFile file(part->tempPath());
    if (!file.open(QIODevice::ReadOnly))
        throw ApiError::unknown();
    service(ctx).push(pa, file.readAll(), ctx.user().id);
    return http::Response::empty(200);
}

http::Response DeltasHandler::list(Context &ctx)
{
    return listOf(ctx, QString());
}

http::Response DeltasHandler::listDeltafile(Context &ctx)
{
    return listOf(ctx, ctx.param(u"deltafile_id"_qs));
}

http::Response DeltasHandler::apply(Context &ctx)
{
    const ProjectAccess pa = projectFor(ctx, ProjectAction::TriggerProcess);
    if (!pa.project.theQgisFileName)
        throw ApiError::noQgisProject();
    service(ctx).applyPending(pa.project, ctx.user().id);
    return http::Response::empty(200);
}

http::Response DeltasHandler::reapply(Context &ctx)
{
    const ProjectAccess pa = projectFor(ctx, ProjectAction::ChangeDeltaStatus);
    const QStringList ids = deltaIds(ctx);
    std::optional<QString> fromId = ctx.stringField(u"from_delta_id"_qs);
    if (fromId && !isCanonicalUuid(fromId->toLower()))
        throw ApiError::apiError(
            400, QJsonObject{{u"from_delta_id"_qs, QJsonArray{u"Must be a valid UUID."_qs}}});
    if (fromId && !ids.isEmpty())
        throw ApiError::apiError(
            400,
            QJsonObject{
                {u"from_delta_id"_qs, QJsonArray{u"Give either delta_ids or from_delta_id."_qs}}});
    const std::optional<bool> overwrite = ctx.boolField(u"overwrite_conflicts"_qs);
    const QList<deltas::Delta> changed =
        service(ctx).reapply(pa.project, ids, fromId, overwrite, ctx.user().id);
    QJsonArray out;
    for (const deltas::Delta &d : changed)
        out.append(toJson(d));
    return http::Response::json(out);
}

http::Response DeltasHandler::ignore(Context &ctx)
{
    const ProjectAccess pa = projectFor(ctx, ProjectAction::ChangeDeltaStatus);
    const QList<deltas::Delta> changed = service(ctx).ignore(pa.project, deltaIds(ctx));
    QJsonArray out;
    for (const deltas::Delta &d : changed)
        out.append(toJson(d));
    return http::Response::json(out);
}

} // namespace qfc::api
