#include "organizationshandler.h"

#include "auth/userrepository.h"
#include "context.h"
#include "core/apierror.h"
#include "core/names.h"
#include "db/database.h"
#include "db/transaction.h"
#include "pagination.h"
#include "projects/organizations.h"
#include "projects/permissions.h"
#include "projects/plans.h"
#include "serializers.h"

#include <QJsonArray>
#include <QRegularExpression>

namespace qfc::api {

namespace {

using OrgAction = Permissions::OrgAction;

// The organization of the URL; unknown (or not an organization) answers 403 (§6).
orgs::Organization organizationOf(const QSqlDatabase &db, Context &ctx)
{
    const auto org = orgs::byName(db, ctx.param(u"organization"_qs));
    if (!org)
        throw ApiError::permissionDenied();
    return *org;
}

QJsonObject memberJson(const orgs::Organization &org, const orgs::Member &m)
{
    return {{u"organization"_qs, org.account.username},
            {u"member"_qs, m.username},
            {u"role"_qs, organizationRoleName(m.role)},
            {u"is_public"_qs, m.isPublic}};
}

QJsonObject teamJson(const QSqlDatabase &db, const orgs::Organization &org, const orgs::Team &t)
{
    return {{u"team"_qs, t.name},
            {u"organization"_qs, org.account.username},
            {u"members"_qs, QJsonArray::fromStringList(orgs::teamMembers(db, t.id))}};
}

OrganizationRole readOrgRole(Context &ctx, OrganizationRole fallback)
{
    const auto text = ctx.stringField(u"role"_qs);
    if (!text)
        return fallback;
    const auto role = organizationRoleFromName(*text);
    if (!role)
        throw ApiError::validationField(u"role"_qs, u"Must be admin, creator or member."_qs);
    return *role;
}

orgs::Team teamOf(const QSqlDatabase &db, const orgs::Organization &org, Context &ctx)
{
    const auto team = orgs::team(db, org.account.id, ctx.param(u"team"_qs));
    if (!team)
        throw ApiError::objectNotFound();
    return *team;
}

QString checkedTeamName(Context &ctx)
{
    const QString name = ctx.stringField(u"team"_qs).value_or(QString());
    if (name.isEmpty())
        throw ApiError::validationField(u"team"_qs, u"This field is required."_qs);
    static const QRegularExpression re(u"^[-a-zA-Z0-9_]{1,100}$"_qs);
    if (!re.match(name).hasMatch())
        throw ApiError::validationField(u"team"_qs, u"Letters, digits, - and _ only."_qs);
    return name;
}

} // namespace

QJsonObject OrganizationsHandler::organizationJson(Context &ctx, const orgs::Organization &org)
{
    QSqlDatabase db = ctx.services.database.connection();
    QJsonArray publicMembers;
    const QList<orgs::Member> members = orgs::members(db, org.account.id);
    for (const auto &m : members)
        if (m.isPublic)
            publicMembers.append(m.username);
    QJsonArray teams;
    const QList<orgs::Team> all = orgs::teams(db, org.account.id);
    for (const auto &t : all)
        teams.append(t.name);
    QJsonValue role = QJsonValue::Null, origin = QJsonValue::Null, isPublic = QJsonValue::Null;
    if (ctx.isAuthenticated()) {
        const orgs::Standing s = orgs::standing(db, org.account.id, ctx.user().id);
        if (s.isOwner) {
            role = u"admin"_qs;
            origin = u"organization_owner"_qs;
            isPublic = true;
        } else if (s.role) {
            role = organizationRoleName(*s.role);
            origin = u"organization_member"_qs;
            isPublic = orgs::member(db, org.account.id, ctx.user().id)->isPublic;
        }
    }
    return {{u"username"_qs, org.account.username}, {u"type"_qs, User::Organization},
            {u"email"_qs, org.account.email},       {u"avatar_url"_qs, avatarUrl(org.account, ctx)},
            {u"members"_qs, publicMembers},         {u"organization_owner"_qs, org.ownerName},
            {u"membership_role"_qs, role},          {u"membership_role_origin"_qs, origin},
            {u"membership_is_public"_qs, isPublic}, {u"teams"_qs, teams}};
}

http::Response OrganizationsHandler::listMembers(Context &ctx)
{
    QSqlDatabase db = ctx.services.database.connection();
    const orgs::Organization org = organizationOf(db, ctx);
    QJsonArray out;
    const QList<orgs::Member> members = orgs::members(db, org.account.id);
    for (const auto &m : members)
        out.append(memberJson(org, m));
    return Pagination(ctx.request).respond(out);
}

http::Response OrganizationsHandler::addMember(Context &ctx)
{
    const QString name = ctx.stringField(u"member"_qs).value_or(QString());
    const OrganizationRole role = readOrgRole(ctx, OrganizationRole::Member);
    const bool isPublic = ctx.boolField(u"is_public"_qs).value_or(false);
    db::Transaction tx(ctx.services.database);
    QSqlDatabase db = tx.connection();
    const orgs::Organization org = organizationOf(db, ctx);
    Permissions(db, &ctx.user()).require(org, OrgAction::ManageMembers);
    if (name.isEmpty())
        throw ApiError::validationField(u"member"_qs, u"This field is required."_qs);
    const auto person = users::byUsername(db, name);
    if (!person)
        throw ApiError::objectNotFound();
    if (!person->isPerson())
        throw ApiError::validationField(u"member"_qs, u"Only persons can be members."_qs);
    if (person->id == org.ownerId)
        throw ApiError::validationField(u"member"_qs, u"The owner is not a member."_qs);
    if (orgs::member(db, org.account.id, person->id))
        throw ApiError::validationField(u"member"_qs, u"Already a member."_qs);
    const int cap = plans::subscriptionOf(db, org.account.id).plan.maxOrganizationMembers;
    if (cap >= 0 && orgs::memberCount(db, org.account.id) >= cap)
        throw ApiError::organizationHasMaxNumberOfMembers();
    orgs::addMember(db, org.account.id, person->id, role, isPublic);
    const auto m = orgs::member(db, org.account.id, person->id);
    tx.commit();
    return http::Response::json(memberJson(org, *m), 201);
}

http::Response OrganizationsHandler::getMember(Context &ctx)
{
    QSqlDatabase db = ctx.services.database.connection();
    const orgs::Organization org = organizationOf(db, ctx);
    const auto person = users::byUsername(db, ctx.param(u"username"_qs));
    const auto m = person ? orgs::member(db, org.account.id, person->id) : std::nullopt;
    if (!m)
        throw ApiError::objectNotFound();
    return http::Response::json(memberJson(org, *m));
}

http::Response OrganizationsHandler::updateMember(Context &ctx)
{
    db::Transaction tx(ctx.services.database);
    QSqlDatabase db = tx.connection();
    const orgs::Organization org = organizationOf(db, ctx);
    Permissions(db, &ctx.user()).require(org, OrgAction::ManageMembers);
    const auto person = users::byUsername(db, ctx.param(u"username"_qs));
    const auto m = person ? orgs::member(db, org.account.id, person->id) : std::nullopt;
    if (!m)
        throw ApiError::objectNotFound();
    const OrganizationRole role = readOrgRole(ctx, m->role);
    const bool isPublic = ctx.boolField(u"is_public"_qs).value_or(m->isPublic);
    orgs::updateMember(db, org.account.id, person->id, role, isPublic);
    const auto updated = orgs::member(db, org.account.id, person->id);
    tx.commit();
    return http::Response::json(memberJson(org, *updated));
}

http::Response OrganizationsHandler::removeMember(Context &ctx)
{
    db::Transaction tx(ctx.services.database);
    QSqlDatabase db = tx.connection();
    const orgs::Organization org = organizationOf(db, ctx);
    Permissions(db, &ctx.user()).require(org, OrgAction::ManageMembers);
    const auto person = users::byUsername(db, ctx.param(u"username"_qs));
    if (!person || !orgs::member(db, org.account.id, person->id))
        throw ApiError::objectNotFound();
    orgs::removeMember(db, org.account.id, person->id);
    tx.commit();
    return http::Response::empty(204);
}

http::Response OrganizationsHandler::listTeams(Context &ctx)
{
    QSqlDatabase db = ctx.services.database.connection();
    const orgs::Organization org = organizationOf(db, ctx);
    QJsonArray out;
    const QList<orgs::Team> all = orgs::teams(db, org.account.id);
    for (const auto &t : all)
        out.append(teamJson(db, org, t));
    return http::Response::json(out);
}

http::Response OrganizationsHandler::createTeam(Context &ctx)
{
    const QString name = checkedTeamName(ctx);
    db::Transaction tx(ctx.services.database);
    QSqlDatabase db = tx.connection();
    const orgs::Organization org = organizationOf(db, ctx);
    Permissions(db, &ctx.user()).require(org, OrgAction::ManageMembers);
    if (orgs::team(db, org.account.id, name))
        throw ApiError::apiError(400, QJsonObject{{u"team"_qs, QJsonArray{u"Already exists."_qs}}});
    const orgs::Team team = orgs::createTeam(db, org, name);
    tx.commit();
    return http::Response::json(teamJson(ctx.services.database.connection(), org, team), 201);
}

http::Response OrganizationsHandler::getTeam(Context &ctx)
{
    QSqlDatabase db = ctx.services.database.connection();
    const orgs::Organization org = organizationOf(db, ctx);
    return http::Response::json(teamJson(db, org, teamOf(db, org, ctx)));
}

http::Response OrganizationsHandler::renameTeam(Context &ctx)
{
    const QString name = checkedTeamName(ctx);
    db::Transaction tx(ctx.services.database);
    QSqlDatabase db = tx.connection();
    const orgs::Organization org = organizationOf(db, ctx);
    Permissions(db, &ctx.user()).require(org, OrgAction::ManageMembers);
    orgs::Team team = teamOf(db, org, ctx);
    if (name != team.name) {
        if (orgs::team(db, org.account.id, name))
            throw ApiError::apiError(400,
                                     QJsonObject{{u"team"_qs, QJsonArray{u"Already exists."_qs}}});
        orgs::renameTeam(db, org, team.id, name);
        team.name = name;
    }
    tx.commit();
    return http::Response::json(teamJson(ctx.services.database.connection(), org, team));
}

http::Response OrganizationsHandler::patchTeam(Context &)
{
    throw ApiError::permissionDenied(); // §6.2: PATCH is not permitted
}

http::Response OrganizationsHandler::deleteTeam(Context &ctx)
{
    db::Transaction tx(ctx.services.database);
    QSqlDatabase db = tx.connection();
    const orgs::Organization org = organizationOf(db, ctx);
    Permissions(db, &ctx.user()).require(org, OrgAction::ManageMembers);
    orgs::deleteTeam(db, teamOf(db, org, ctx).id);
    tx.commit();
    return http::Response::empty(204);
}

http::Response OrganizationsHandler::listTeamMembers(Context &ctx)
{
    QSqlDatabase db = ctx.services.database.connection();
    const orgs::Organization org = organizationOf(db, ctx);
    QJsonArray out;
    const QStringList members = orgs::teamMembers(db, teamOf(db, org, ctx).id);
    for (const QString &m : members)
        out.append(QJsonObject{{u"member"_qs, m}});
    return http::Response::json(out);
}

http::Response OrganizationsHandler::addTeamMember(Context &ctx)
{
    const QString name = ctx.stringField(u"member"_qs).value_or(QString());
    db::Transaction tx(ctx.services.database);
    QSqlDatabase db = tx.connection();
    const orgs::Organization org = organizationOf(db, ctx);
    Permissions(db, &ctx.user()).require(org, OrgAction::ManageMembers);
    const orgs::Team team = teamOf(db, org, ctx);
    // A username or an e-mail address (§6.2).
    std::optional<User> person = users::byUsername(db, name);
    if (!person && name.contains(u'@')) {
        const QList<User> byEmail = users::personsByEmailCi(db, name);
        if (byEmail.size() == 1)
            person = byEmail.first();
    }
    if (!person || !person->isPerson())
        throw ApiError::apiError(400, QJsonObject{{u"member"_qs, QJsonArray{u"Unknown user."_qs}}});
    if (!orgs::standing(db, org.account.id, person->id).isMemberOrOwner())
        throw ApiError::validationField(u"member"_qs,
                                        u"Only members of the organization can join its teams."_qs);
    if (orgs::isTeamMember(db, team.id, person->id))
        throw ApiError::apiError(400,
                                 QJsonObject{{u"member"_qs, QJsonArray{u"Already exists."_qs}}});
    orgs::addTeamMember(db, team.id, person->id);
    tx.commit();
    return http::Response::json(QJsonObject{{u"member"_qs, person->username}}, 201);
}

http::Response OrganizationsHandler::removeTeamMember(Context &ctx)
{
    db::Transaction tx(ctx.services.database);
    QSqlDatabase db = tx.connection();
    const orgs::Organization org = organizationOf(db, ctx);
    Permissions(db, &ctx.user()).require(org, OrgAction::ManageMembers);
    const orgs::Team team = teamOf(db, org, ctx);
    const auto person = users::byUsername(db, ctx.param(u"username"_qs));
    if (!person || !orgs::isTeamMember(db, team.id, person->id))
        throw ApiError::objectNotFound();
    orgs::removeTeamMember(db, team.id, person->id);
    tx.commit();
    return http::Response::empty(204);
}

} // namespace qfc::api
