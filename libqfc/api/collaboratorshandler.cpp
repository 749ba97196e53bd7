#include "collaboratorshandler.h"

#include "auth/userrepository.h"
#include "context.h"
#include "core/apierror.h"
#include "core/clock.h"
#include "db/database.h"
#include "db/transaction.h"
#include "pagination.h"
#include "projects/collaborators.h"
#include "projects/organizations.h"
#include "projects/permissions.h"

#include <QJsonArray>

namespace qfc::api {

namespace {

QJsonObject toJson(const collaborators::Collaborator &c)
{
    auto name = [](const QString &s) {
        return s.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(s);
    };
    return {{u"project_id"_qs, c.projectId},
            {u"collaborator"_qs, c.collaborator},
            {u"role"_qs, projectRoleName(c.role)},
            {u"created_by"_qs, name(c.createdBy)},
            {u"updated_by"_qs, name(c.updatedBy)},
            {u"created_at"_qs, clock::formatApi(c.createdAt)},
            {u"updated_at"_qs, clock::formatApi(c.updatedAt)}};
}

ProjectRole readRole(Context &ctx, bool required)
{
    const std::optional<QString> role = ctx.stringField(u"role"_qs);
    if (!role) {
        if (required)
            throw ApiError::validationField(u"role"_qs, u"This field is required."_qs);
        return ProjectRole::Reader;
    }
    const std::optional<ProjectRole> r = projectRoleFromName(*role);
    if (!r)
        throw ApiError::validationField(u"role"_qs, u"Not a valid role."_qs);
    return *r;
}

// The account behind a collaborator name in a URL: a person's username or a team's "@org/team".
std::optional<User> collaboratorAccount(const QSqlDatabase &db, const QString &name)
{
    return users::byUsername(db, name);
}

} // namespace

http::Response CollaboratorsHandler::list(Context &ctx)
{
    QSqlDatabase db = ctx.services.database.connection();
    Permissions permissions(db, &ctx.user());
    const ProjectAccess pa =
        permissions.requireProject(ctx.param(u"project_id"_qs), ProjectAction::ManageCollaborators);
    QJsonArray out;
    const QList<collaborators::Collaborator> all = collaborators::ofProject(db, pa.project.id);
    for (const auto &c : all)
        out.append(toJson(c));
    return Pagination(ctx.request).respond(out);
}

http::Response CollaboratorsHandler::create(Context &ctx)
{
    const QString name = ctx.stringField(u"collaborator"_qs).value_or(QString());
    const ProjectRole role = readRole(ctx, false);
    db::Transaction tx(ctx.services.database);
    QSqlDatabase db = tx.connection();
    Permissions permissions(db, &ctx.user());
    const ProjectAccess pa =
        permissions.requireProject(ctx.param(u"project_id"_qs), ProjectAction::ManageCollaborators);
    const Project &p = pa.project;
    if (name.isEmpty())
        throw ApiError::validationField(u"collaborator"_qs, u"This field is required."_qs);
    // A person's username, or a team: "@org/team" or the team's short name (§1.7).
    std::optional<User> account = users::byUsername(db, name);
    if (!account && p.isOrganizationProject() && !name.startsWith(u'@'))
        if (const auto team = orgs::team(db, p.ownerId, name))
            account = users::byId(db, team->id);
    if (!account)
        throw ApiError::apiError(
            400, QJsonObject{{u"collaborator"_qs, QJsonArray{u"Unknown user."_qs}}});
    auto invalid = [](const QString &why) {
        return ApiError::validationField(u"collaborator"_qs, why);
    };
    if (account->type == User::Organization)
        throw invalid(u"An organization cannot be a collaborator."_qs);
    if (account->id == p.ownerId)
        throw invalid(u"The owner cannot be a collaborator."_qs);
    if (account->type == User::Team) {
        const auto team = orgs::teamById(db, account->id);
        if (!team || !p.isOrganizationProject() || team->organizationId != p.ownerId)
            throw invalid(u"Only teams of the owning organization can collaborate."_qs);
    } else if (p.isOrganizationProject()
               && !orgs::standing(db, p.ownerId, account->id).isMemberOrOwner()) {
        throw invalid(u"The person is not a member of the owning organization."_qs);
    }
    if (collaborators::find(db, p.id, account->id))
        throw invalid(u"Already a collaborator."_qs);
    collaborators::add(db, p.id, account->id, role, ctx.user().id);
    const auto created = collaborators::find(db, p.id, account->id);
    tx.commit();
    return http::Response::json(toJson(*created), 201);
}

http::Response CollaboratorsHandler::get(Context &ctx)
{
    QSqlDatabase db = ctx.services.database.connection();
    Permissions permissions(db, &ctx.user());
    const ProjectAccess pa =
        permissions.requireProject(ctx.param(u"project_id"_qs), ProjectAction::ManageCollaborators);
    const auto account = collaboratorAccount(db, ctx.param(u"username"_qs));
    const auto c = account ? collaborators::find(db, pa.project.id, account->id) : std::nullopt;
    if (!c)
        throw ApiError::objectNotFound();
    return http::Response::json(toJson(*c));
}

http::Response CollaboratorsHandler::update(Context &ctx)
{
    const ProjectRole role = readRole(ctx, true);
    db::Transaction tx(ctx.services.database);
    QSqlDatabase db = tx.connection();
    Permissions permissions(db, &ctx.user());
    const ProjectAccess pa =
        permissions.requireProject(ctx.param(u"project_id"_qs), ProjectAction::ManageCollaborators);
    const auto account = collaboratorAccount(db, ctx.param(u"username"_qs));
    if (!account || !collaborators::find(db, pa.project.id, account->id))
        throw ApiError::objectNotFound();
    collaborators::setRole(db, pa.project.id, account->id, role, ctx.user().id);
    const auto c = collaborators::find(db, pa.project.id, account->id);
    tx.commit();
    return http::Response::json(toJson(*c));
}

http::Response CollaboratorsHandler::remove(Context &ctx)
{
    db::Transaction tx(ctx.services.database);
    QSqlDatabase db = tx.connection();
    Permissions permissions(db, &ctx.user());
    const ProjectAccess pa =
        permissions.requireProject(ctx.param(u"project_id"_qs), ProjectAction::ManageCollaborators);
    const auto account = collaboratorAccount(db, ctx.param(u"username"_qs));
    if (!account || !collaborators::find(db, pa.project.id, account->id))
        throw ApiError::objectNotFound();
    collaborators::remove(db, pa.project.id, account->id);
    tx.commit();
    return http::Response::empty(204);
}

} // namespace qfc::api
