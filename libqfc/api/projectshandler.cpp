#include "projectshandler.h"

#include "context.h"
#include "core/apierror.h"
#include "core/clock.h"
#include "db/database.h"
#include "db/transaction.h"
#include "files/filerepository.h"
#include "files/projectfiles.h"
#include "jobs/jobservice.h"
#include "pagination.h"
#include "projects/permissions.h"
#include "projects/plans.h"
#include "projects/projectrepository.h"
#include "projects/projectservice.h"
#include "projects/projectstate.h"

#include <QJsonArray>
#include <QRegularExpression>

namespace qfc::api {

namespace {

QJsonValue optionalTime(const std::optional<qint64> &t)
{
    return t ? QJsonValue(clock::formatApi(*t)) : QJsonValue(QJsonValue::Null);
}

// The writable fields of a request (§7.1); read-only ones are ignored, never applied.
projectservice::Input readInput(Context &ctx)
{
    projectservice::Input in;
    in.name = ctx.stringField(u"name"_qs);
    in.owner = ctx.stringField(u"owner"_qs);
    in.description = ctx.stringField(u"description"_qs);
    in.projectType = ctx.stringField(u"project_type"_qs);
    // The deprecated `private` first, so that an explicit is_public wins.
    if (const auto priv = ctx.boolField(u"private"_qs))
        in.isPublic = !*priv;
    if (const auto pub = ctx.boolField(u"is_public"_qs))
        in.isPublic = pub;
    in.isFeatured = ctx.boolField(u"is_featured"_qs);
    in.isAttachmentDownloadOnDemand = ctx.boolField(u"is_attachment_download_on_demand"_qs);
    in.hasRestrictedProjectfiles = ctx.boolField(u"has_restricted_projectfiles"_qs);
    in.overwriteConflicts = ctx.boolField(u"overwrite_conflicts"_qs);
    return in;
}

// §7.2 ordering: a comma list of owner, name, created_at with an optional "-".
void sortProjects(QList<QPair<Project, EffectiveRole>> &items, const QString &ordering)
{
    struct Key
    {
        QString field;
        bool descending;
    };
    QList<Key> keys;
    const QStringList parts = ordering.split(u',', Qt::SkipEmptyParts);
    for (QString part : parts) {
        part = part.trimmed();
        const bool desc = part.startsWith(u'-');
        const QString field = desc ? part.mid(1) : part;
        if (field == u"owner" || field == u"name" || field == u"created_at")
            keys.append({field, desc});
    }
    if (keys.isEmpty())
        keys = {{u"is_featured"_qs, true}, {u"owner"_qs, false}, {u"name"_qs, false}};
    keys.append({u"id"_qs, false}); // a stable total order
    auto compare = [](const Project &a, const Project &b, const QString &field) {
        if (field == u"owner")
            return a.ownerName.compare(b.ownerName);
        if (field == u"name")
            return a.name.compare(b.name);
        if (field == u"created_at")
            return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0;
        if (field == u"is_featured")
            return int(a.isFeatured) - int(b.isFeatured);
        return a.id.compare(b.id);
    };
    std::stable_sort(items.begin(), items.end(), [&](const auto &x, const auto &y) {
        for (const Key &k : std::as_const(keys)) {
            const int c = compare(x.first, y.first, k.field);
            if (c != 0)
                return k.descending ? c > 0 : c < 0;
        }
        return false;
    });
}

http::Response respondList(Context &ctx, QList<QPair<Project, EffectiveRole>> items)
{
    sortProjects(items, ctx.query(u"ordering"_qs));
    QJsonArray out;
    for (const auto &item : std::as_const(items))
        out.append(ProjectsHandler::toJson(ctx, item.first, item.second));
    return Pagination(ctx.request).respond(out);
}

} // namespace

QJsonObject ProjectsHandler::toJson(Context &ctx, const Project &p, const EffectiveRole &role)
{
    QSqlDatabase db = ctx.services.database.connection();
    const std::optional<QString> shared = projects::sharedDatasetsId(db, p.ownerId);
    const qint64 caller = ctx.isAuthenticated() ? ctx.user().id : 0;
    return {
        {u"id"_qs, p.id},
        {u"name"_qs, p.name},
        {u"project_type"_qs, p.projectType},
        {u"owner"_qs, p.ownerName},
        {u"description"_qs, p.description},
        {u"private"_qs, !p.isPublic},
        {u"is_public"_qs, p.isPublic},
        {u"created_at"_qs, clock::formatApi(p.createdAt)},
        {u"updated_at"_qs, clock::formatApi(p.updatedAt)},
        {u"data_last_packaged_at"_qs, optionalTime(p.dataLastPackagedAt)},
        {u"data_last_updated_at"_qs, optionalTime(p.dataLastUpdatedAt)},
        {u"restricted_data_last_updated_at"_qs, optionalTime(p.restrictedDataLastUpdatedAt)},
        {u"can_repackage"_qs, !p.isTemplate()},
        {u"needs_repackaging"_qs, projectstate::needsRepackaging(db, p, caller)},
        {u"status"_qs, projectstate::status(db, p)},
        {u"user_role"_qs, projectRoleName(role.role)},
        {u"user_role_origin"_qs, roleOriginName(role.origin)},
        {u"shared_datasets_project_id"_qs, shared ? QJsonValue(*shared) : QJsonValue::Null},
        {u"is_shared_datasets_project"_qs, p.isSharedDatasets()},
        {u"is_featured"_qs, p.isFeatured},
        {u"is_attachment_download_on_demand"_qs, p.isAttachmentDownloadOnDemand},
        {u"has_restricted_projectfiles"_qs, p.hasRestrictedProjectfiles},
        {u"overwrite_conflicts"_qs, p.overwriteConflicts},
        {u"file_storage_bytes"_qs, p.fileStorageBytes},
        {u"the_qgis_file_name"_qs,
         p.theQgisFileName ? QJsonValue(*p.theQgisFileName) : QJsonValue::Null},
    };
}

http::Response ProjectsHandler::list(Context &ctx)
{
    // include_public (QField) or include-public (legacy): 1 includes, 0 excludes, else 400.
    bool includePublic = false;
    for (const QString &key : {u"include_public"_qs, u"include-public"_qs}) {
        if (!ctx.hasQuery(key))
            continue;
        const QString v = ctx.query(key);
        if (v != u"0" && v != u"1")
            throw ApiError::apiError(400, QJsonObject{{key, QJsonArray{u"Must be 0 or 1."_qs}}});
        includePublic = includePublic || v == u"1";
    }
    Permissions permissions(ctx.services.database.connection(), &ctx.user());
    QList<QPair<Project, EffectiveRole>> items =
        permissions.access().visibleProjects(includePublic);
    const QString owner = ctx.query(u"owner"_qs);
    const QString name = ctx.query(u"name"_qs);
    static const QRegularExpression separators(u"[\\s,]+"_qs);
    const QStringList terms = ctx.query(u"search"_qs).split(separators, Qt::SkipEmptyParts);
    items.removeIf([&](const QPair<Project, EffectiveRole> &item) {
        const Project &p = item.first;
        if (!owner.isEmpty() && p.ownerName.compare(owner, Qt::CaseInsensitive) != 0)
            return true;
        if (!name.isEmpty() && p.name.compare(name, Qt::CaseInsensitive) != 0)
            return true;
        for (const QString &t : terms)
            if (!p.ownerName.contains(t, Qt::CaseInsensitive)
                && !p.name.contains(t, Qt::CaseInsensitive))
                return true;
        return false;
    });
    return respondList(ctx, std::move(items));
}

http::Response ProjectsHandler::listPublic(Context &ctx)
{
    QSqlDatabase db = ctx.services.database.connection();
    const qfc::Access access = qfc::Access::forPerson(db, ctx.user().id);
    QList<QPair<Project, EffectiveRole>> items;
    const QList<Project> all = projects::publicProjects(db);
    for (const Project &p : all)
        items.append({p, access.roleOn(p).value_or(EffectiveRole{})});
    return respondList(ctx, std::move(items));
}

http::Response ProjectsHandler::create(Context &ctx)
{
    if (ctx.hasField(u"seed"_qs) || ctx.hasField(u"xlsform_file"_qs)
        || !ctx.request.files.isEmpty())
        throw ApiError::notSupported(u"Project seeds are not supported."_qs);
    projectservice::Input input = readInput(ctx);
    const std::optional<QString> cloneFrom = ctx.stringField(u"clone_from_project"_qs);
    db::Transaction tx(ctx.services.database);
    QSqlDatabase db = tx.connection();
    Permissions permissions(db, &ctx.user());
    // §7.3 and §19.12: the source's latest file versions are copied server-side; settings the
    // request leaves unset come from the source.
    std::optional<ProjectAccess> source;
    if (cloneFrom) {
        source = permissions.requireProject(*cloneFrom, ProjectAction::View);
        if (source->project.isSharedDatasets())
            throw ApiError::notCloneableProject();
        const Project &s = source->project;
        if (!input.description)
            input.description = s.description;
        if (!input.projectType && s.projectType != u"shared_datasets")
            input.projectType = s.projectType;
        if (!input.isAttachmentDownloadOnDemand)
            input.isAttachmentDownloadOnDemand = s.isAttachmentDownloadOnDemand;
        if (!input.hasRestrictedProjectfiles)
            input.hasRestrictedProjectfiles = s.hasRestrictedProjectfiles;
        if (!input.overwriteConflicts)
            input.overwriteConflicts = s.overwriteConflicts;
    }
    ProjectAccess created = projectservice::create(db, permissions, input);
    if (source) {
        qint64 latestBytes = 0;
        const QList<files::File> all = files::ofProject(db, source->project.id);
        for (const files::File &f : all)
            latestBytes += f.latest().size;
        if (latestBytes > plans::freeBytes(db, created.project.ownerId))
            throw ApiError::overQuota();
        ctx.services.projectFiles.cloneLatest(db, source->project, created.project, ctx.user().id);
        created.project = *projects::byId(db, created.project.id);
    }
    tx.commit();
    http::Response r = http::Response::json(toJson(ctx, created.project, created.role), 201);
    return r;
}

http::Response ProjectsHandler::get(Context &ctx)
{
    Permissions permissions(ctx.services.database.connection(), &ctx.user());
    const ProjectAccess pa =
        permissions.requireProject(ctx.param(u"project_id"_qs), ProjectAction::View, true);
    return http::Response::json(toJson(ctx, pa.project, pa.role));
}

http::Response ProjectsHandler::put(Context &ctx)
{
    return update(ctx, true);
}

http::Response ProjectsHandler::patch(Context &ctx)
{
    return update(ctx, false);
}

http::Response ProjectsHandler::update(Context &ctx, bool put)
{
    const projectservice::Input input = readInput(ctx);
    db::Transaction tx(ctx.services.database);
    Permissions permissions(tx.connection(), &ctx.user());
    const ProjectAccess pa =
        permissions.requireProject(ctx.param(u"project_id"_qs), ProjectAction::UpdateSettings);
    const ProjectAccess updated =
        projectservice::update(tx.connection(), permissions, pa, input, put);
    tx.commit();
    return http::Response::json(toJson(ctx, updated.project, updated.role));
}

http::Response ProjectsHandler::remove(Context &ctx)
{
    db::Transaction tx(ctx.services.database);
    Permissions permissions(tx.connection(), &ctx.user());
    const ProjectAccess pa =
        permissions.requireProject(ctx.param(u"project_id"_qs), ProjectAction::DeleteProject);
    projects::remove(tx.connection(), pa.project.id);
    tx.commit();
    ctx.services.jobs.notifyProjectDeleted(pa.project.id);
    return http::Response::empty(204);
}

} // namespace qfc::api
