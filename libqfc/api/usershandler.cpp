#include "usershandler.h"

#include "auth/authservice.h"
#include "auth/userrepository.h"
#include "context.h"
#include "core/apierror.h"
#include "core/clock.h"
#include "core/names.h"
#include "db/database.h"
#include "db/transaction.h"
#include "organizationshandler.h"
#include "pagination.h"
#include "projects/collaborators.h"
#include "projects/organizations.h"
#include "projects/permissions.h"
#include "projects/plans.h"
#include "projects/projectrepository.h"
#include "serializers.h"

#include <QJsonArray>
#include <QSet>

namespace qfc::api {

namespace {

using OrgAction = Permissions::OrgAction;

bool isStaff(const User &u)
{
    return u.isStaff || u.isSuperuser;
}

// The accounts §5.1's filters exclude (project=, organization=, exclude_members_of_team=), and
// the teams they keep; nothing when no filter is given.
struct Exclusion
{
    QSet<qint64> excluded;
    std::optional<qint64> teamsOf; // keep only teams of this organization
};

Exclusion exclusionFor(Context &ctx, const QSqlDatabase &db)
{
    Exclusion e;
    if (ctx.hasQuery(u"project"_qs)) {
        Permissions permissions(db, &ctx.user());
        const ProjectAccess pa =
            permissions.requireProject(ctx.query(u"project"_qs), ProjectAction::View);
        e.excluded.insert(pa.project.ownerId);
        const auto all = collaborators::ofProject(db, pa.project.id);
        for (const auto &c : all)
            e.excluded.insert(c.collaboratorId);
        e.teamsOf = pa.project.isOrganizationProject() ? std::optional<qint64>(pa.project.ownerId)
                                                       : std::optional<qint64>(-1);
    }
    if (ctx.hasQuery(u"organization"_qs)) {
        const auto org = orgs::byName(db, ctx.query(u"organization"_qs));
        if (!org)
            throw ApiError::objectNotFound();
        e.excluded.insert(org->account.id);
        e.excluded.insert(org->ownerId);
        const auto members = orgs::members(db, org->account.id);
        for (const auto &m : members)
            e.excluded.insert(m.memberId);
        e.teamsOf = org->account.id;
    }
    if (ctx.hasQuery(u"exclude_members_of_team"_qs)) {
        bool ok = false;
        const qint64 teamId = ctx.query(u"exclude_members_of_team"_qs).toLongLong(&ok);
        if (ok) {
            if (const auto team = orgs::teamById(db, teamId)) {
                const QStringList names = orgs::teamMembers(db, team->id);
                for (const QString &n : names)
                    if (const auto u = users::byUsername(db, n))
                        e.excluded.insert(u->id);
            }
        }
    }
    return e;
}

void checkEmailFree(const QSqlDatabase &db, const QString &email, qint64 exceptId)
{
    const QList<User> same = users::personsByEmailCi(db, email);
    for (const User &u : same)
        if (u.id != exceptId)
            throw ApiError::validationField(u"email"_qs,
                                            u"A user with that e-mail address already exists."_qs);
}

void checkUsernameFree(const QSqlDatabase &db, const QString &username, qint64 exceptId)
{
    if (const QString why = names::checkUsername(username); !why.isEmpty())
        throw ApiError::validationField(u"username"_qs, why);
    const auto other = users::byUsernameCi(db, username);
    if (other && other->id != exceptId)
        throw ApiError::validationField(u"username"_qs,
                                        u"A user with that username already exists."_qs);
}

} // namespace

http::Response UsersHandler::list(Context &ctx)
{
    QSqlDatabase db = ctx.services.database.connection();
    users::Search search;
    search.q = ctx.query(u"q"_qs);
    search.excludeOrganizations = parseBool(ctx.query(u"exclude_organizations"_qs)).value_or(false);
    search.excludeTeams = parseBool(ctx.query(u"exclude_teams"_qs)).value_or(false);
    const Exclusion exclusion = exclusionFor(ctx, db);
    const bool invert = parseBool(ctx.query(u"invert"_qs)).value_or(false);
    const QList<User> found = users::search(db, search);
    QJsonArray out;
    for (const User &u : found) {
        bool excluded = exclusion.excluded.contains(u.id);
        if (u.type == User::Team && exclusion.teamsOf) {
            const auto team = orgs::teamById(db, u.id);
            excluded = excluded || !team || team->organizationId != *exclusion.teamsOf;
        }
        if (excluded != invert)
            continue;
        out.append(publicUser(u, ctx));
    }
    return Pagination(ctx.request).respond(out);
}

http::Response UsersHandler::create(Context &ctx)
{
    if (!isStaff(ctx.user()))
        throw ApiError::permissionDenied();
    const QString username = ctx.stringField(u"username"_qs).value_or(QString());
    const QString password = ctx.stringField(u"password"_qs).value_or(QString());
    const QString email = ctx.stringField(u"email"_qs).value_or(QString());
    QJsonObject details;
    for (const auto &[field, value] :
         {std::pair{u"username"_qs, username}, std::pair{u"password"_qs, password},
          std::pair{u"email"_qs, email}})
        if (value.isEmpty())
            details.insert(field, QJsonArray{u"This field is required."_qs});
    if (!details.isEmpty())
        throw ApiError::validation(details);
    if (!email.contains(u'@'))
        throw ApiError::validationField(u"email"_qs, u"Enter a valid email address."_qs);
    const QString hash = ctx.services.auth.hashPassword(password);
    db::Transaction tx(ctx.services.database);
    checkUsernameFree(tx.connection(), username, 0);
    checkEmailFree(tx.connection(), email, 0);
    User u;
    u.username = username;
    u.email = email;
    u.firstName = ctx.stringField(u"first_name"_qs).value_or(QString());
    u.lastName = ctx.stringField(u"last_name"_qs).value_or(QString());
    u.password = hash;
    u = users::insert(tx.connection(), u);
    tx.commit();
    return http::Response::json(publicUser(u, ctx), 201);
}

http::Response UsersHandler::get(Context &ctx)
{
    QSqlDatabase db = ctx.services.database.connection();
    const auto account = users::byUsername(db, ctx.param(u"username"_qs));
    if (!account)
        throw ApiError::permissionDenied();
    if (account->type == User::Organization) {
        const auto org = orgs::byId(db, account->id);
        const bool belongs = orgs::standing(db, account->id, ctx.user().id).isMemberOrOwner();
        if (!belongs && !isStaff(ctx.user()))
            throw ApiError::objectNotFound();
        return http::Response::json(OrganizationsHandler::organizationJson(ctx, *org));
    }
    if (account->id == ctx.user().id)
        return http::Response::json(completeUser(*account, ctx));
    return http::Response::json(publicUser(*account, ctx));
}

http::Response UsersHandler::update(Context &ctx)
{
    const std::optional<QString> username = ctx.stringField(u"username"_qs);
    const std::optional<QString> email = ctx.stringField(u"email"_qs);
    const std::optional<QString> first = ctx.stringField(u"first_name"_qs);
    const std::optional<QString> last = ctx.stringField(u"last_name"_qs);
    db::Transaction tx(ctx.services.database);
    QSqlDatabase db = tx.connection();
    auto account = users::byUsername(db, ctx.param(u"username"_qs));
    if (!account)
        throw ApiError::permissionDenied();
    // Oneself, or an organization one administers (staff: any, §19.10). Other fields of the
    // body (type, is_staff, password ...) are not writable here and are ignored.
    bool allowed = account->id == ctx.user().id || isStaff(ctx.user());
    if (!allowed && account->type == User::Organization) {
        const auto org = orgs::byId(db, account->id);
        allowed = org && Permissions(db, &ctx.user()).allows(*org, OrgAction::UpdateAccount);
    }
    if (!allowed || account->type == User::Team)
        throw ApiError::permissionDenied();
    if (username && *username != account->username) {
        checkUsernameFree(db, *username, account->id);
        account->username = *username;
    }
    if (email) {
        if (!email->isEmpty() && !email->contains(u'@'))
            throw ApiError::validationField(u"email"_qs, u"Enter a valid email address."_qs);
        if (account->isPerson() && !email->isEmpty())
            checkEmailFree(db, *email, account->id);
        account->email = *email;
    }
    if (first)
        account->firstName = *first;
    if (last)
        account->lastName = *last;
    users::update(db, *account);
    tx.commit();
    return http::Response::json(completeUser(*account, ctx));
}

http::Response UsersHandler::organizations(Context &ctx)
{
    if (ctx.param(u"username"_qs) != ctx.user().username)
        throw ApiError::permissionDenied();
    QSqlDatabase db = ctx.services.database.connection();
    QJsonArray out;
    const QList<orgs::Organization> all = orgs::ofPerson(db, ctx.user().id);
    for (const auto &org : all)
        out.append(OrganizationsHandler::organizationJson(ctx, org));
    return http::Response::json(out);
}

http::Response UsersHandler::subscription(Context &ctx)
{
    QSqlDatabase db = ctx.services.database.connection();
    const auto account = users::byUsername(db, ctx.param(u"username"_qs));
    if (!account || account->type == User::Team)
        throw ApiError::permissionDenied();
    bool allowed = account->id == ctx.user().id || isStaff(ctx.user());
    if (!allowed && account->type == User::Organization)
        allowed = orgs::standing(db, account->id, ctx.user().id).isMemberOrOwner();
    if (!allowed)
        throw ApiError::permissionDenied();
    const plans::Subscription s = plans::subscriptionOf(db, account->id);
    auto time = [](const std::optional<qint64> &t) {
        return t ? QJsonValue(clock::formatApi(*t)) : QJsonValue(QJsonValue::Null);
    };
    const qint64 total = s.plan.storageBytes();
    return http::Response::json(QJsonObject{
        {u"uuid"_qs, s.id},
        {u"plan_display_name"_qs, s.plan.displayName},
        {u"plan_code"_qs, s.plan.code},
        {u"plan_is_premium"_qs, s.plan.isPremium},
        {u"status"_qs, s.status},
        {u"active_since"_qs, time(s.activeSince)},
        {u"active_until"_qs, time(s.activeUntil)},
        {u"storage_used_bytes"_qs, projects::storageUsedBy(db, account->id)},
        {u"active_storage_total_bytes"_qs, total},
        {u"plan_storage_threshold_warning_bytes"_qs, s.plan.warningMb * 1000000},
        {u"plan_storage_threshold_critical_bytes"_qs, s.plan.criticalMb * 1000000},
    });
}

} // namespace qfc::api
