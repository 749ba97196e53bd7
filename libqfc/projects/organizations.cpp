#include "organizations.h"

#include "auth/userrepository.h"
#include "core/clock.h"
#include "db/query.h"

namespace qfc::orgs {

namespace {

Organization readOrg(const QSqlDatabase &db, const User &account)
{
    Organization o;
    o.account = account;
    db::Query q(db,
                u"SELECT o.owner_id, u.username, o.default_member_role FROM organizations o "
                "JOIN users u ON u.id = o.owner_id WHERE o.user_id = :id"_qs);
    q.bind(u":id"_qs, account.id).exec();
    if (q.next()) {
        o.ownerId = q.integer(0);
        o.ownerName = q.text(1);
        if (!q.value(2).isNull())
            o.defaultMemberRole = projectRoleFromName(q.text(2));
    }
    return o;
}

} // namespace

std::optional<Organization> byName(const QSqlDatabase &db, const QString &username)
{
    const auto account = users::byUsername(db, username);
    if (!account || account->type != User::Organization)
        return std::nullopt;
    return readOrg(db, *account);
}

std::optional<Organization> byId(const QSqlDatabase &db, qint64 id)
{
    const auto account = users::byId(db, id);
    if (!account || account->type != User::Organization)
        return std::nullopt;
    return readOrg(db, *account);
}

Standing standing(const QSqlDatabase &db, qint64 organizationId, qint64 personId)
{
    Standing s;
    s.isOwner = db::Query::scalar(db,
                                  u"SELECT count(*) FROM organizations WHERE user_id = :o AND "
                                  "owner_id = :p"_qs,
                                  {{u":o"_qs, organizationId}, {u":p"_qs, personId}})
                    .value_or(0)
                    .toInt()
        > 0;
    if (const auto m = member(db, organizationId, personId))
        s.role = m->role;
    return s;
}

QList<Organization> ofPerson(const QSqlDatabase &db, qint64 personId)
{
    db::Query q(db,
                u"SELECT DISTINCT u.id, u.username FROM users u JOIN organizations o ON "
                "o.user_id = u.id LEFT JOIN organization_members m ON m.organization_id = "
                "u.id AND m.member_id = :p1 WHERE o.owner_id = :p2 OR m.member_id IS NOT NULL "
                "ORDER BY u.username"_qs);
    q.bind(u":p1"_qs, personId).bind(u":p2"_qs, personId).exec();
    QList<qint64> ids;
    while (q.next())
        ids.append(q.integer(0));
    QList<Organization> out;
    for (qint64 id : std::as_const(ids))
        if (auto o = byId(db, id))
            out.append(*o);
    return out;
}

Organization create(const QSqlDatabase &db, const QString &name, const QString &email,
                    qint64 ownerId)
{
    User account;
    account.username = name;
    account.type = User::Organization;
    account.email = email;
    account = users::insert(db, account);
    db::Query::run(db, u"INSERT INTO organizations (user_id, owner_id) VALUES (:u, :o)"_qs,
                   {{u":u"_qs, account.id}, {u":o"_qs, ownerId}});
    return readOrg(db, account);
}

void setOwner(const QSqlDatabase &db, qint64 organizationId, qint64 ownerId)
{
    db::Query::run(db, u"UPDATE organizations SET owner_id = :o WHERE user_id = :u"_qs,
                   {{u":o"_qs, ownerId}, {u":u"_qs, organizationId}});
    // The owner is not a member row.
    db::Query::run(
        db, u"DELETE FROM organization_members WHERE organization_id = :u AND member_id = :o"_qs,
        {{u":o"_qs, ownerId}, {u":u"_qs, organizationId}});
}

void setDefaultMemberRole(const QSqlDatabase &db, qint64 organizationId,
                          std::optional<ProjectRole> role)
{
    db::Query::run(db, u"UPDATE organizations SET default_member_role = :r WHERE user_id = :u"_qs,
                   {{u":r"_qs, role ? QVariant(projectRoleName(*role)) : db::null()},
                    {u":u"_qs, organizationId}});
}

QList<Member> members(const QSqlDatabase &db, qint64 organizationId)
{
    db::Query q(db,
                u"SELECT m.member_id, u.username, m.role, m.is_public FROM "
                "organization_members m JOIN users u ON u.id = m.member_id WHERE "
                "m.organization_id = :o ORDER BY u.username"_qs);
    q.bind(u":o"_qs, organizationId).exec();
    QList<Member> out;
    while (q.next())
        out.append({q.integer(0), q.text(1),
                    organizationRoleFromName(q.text(2)).value_or(OrganizationRole::Member),
                    q.flag(3)});
    return out;
}

std::optional<Member> member(const QSqlDatabase &db, qint64 organizationId, qint64 personId)
{
    db::Query q(db,
                u"SELECT m.member_id, u.username, m.role, m.is_public FROM "
                "organization_members m JOIN users u ON u.id = m.member_id WHERE "
                "m.organization_id = :o AND m.member_id = :p"_qs);
    q.bind(u":o"_qs, organizationId).bind(u":p"_qs, personId).exec();
    if (!q.next())
        return std::nullopt;
    return Member{q.integer(0), q.text(1),
                  organizationRoleFromName(q.text(2)).value_or(OrganizationRole::Member),
                  q.flag(3)};
}

qint64 memberCount(const QSqlDatabase &db, qint64 organizationId)
{
    return db::Query::scalar(
               db, u"SELECT count(*) FROM organization_members WHERE organization_id = :o"_qs,
               {{u":o"_qs, organizationId}})
        .value_or(0)
        .toLongLong();
}

void addMember(const QSqlDatabase &db, qint64 organizationId, qint64 personId,
               OrganizationRole role, bool isPublic)
{
    db::Query::run(db,
                   u"INSERT INTO organization_members (organization_id, member_id, role, "
                   "is_public, created_at) VALUES (:o, :p, :r, :pub, :t)"_qs,
                   {{u":o"_qs, organizationId},
                    {u":p"_qs, personId},
                    {u":r"_qs, organizationRoleName(role)},
                    {u":pub"_qs, isPublic},
                    {u":t"_qs, clock::nowUs()}});
}

void updateMember(const QSqlDatabase &db, qint64 organizationId, qint64 personId,
                  OrganizationRole role, bool isPublic)
{
    db::Query::run(db,
                   u"UPDATE organization_members SET role = :r, is_public = :pub WHERE "
                   "organization_id = :o AND member_id = :p"_qs,
                   {{u":o"_qs, organizationId},
                    {u":p"_qs, personId},
                    {u":r"_qs, organizationRoleName(role)},
                    {u":pub"_qs, isPublic}});
}

void removeMember(const QSqlDatabase &db, qint64 organizationId, qint64 personId)
{
    const QVariantMap ids{{u":o"_qs, organizationId}, {u":p"_qs, personId}};
    db::Query::run(
        db, u"DELETE FROM organization_members WHERE organization_id = :o AND member_id = :p"_qs,
        ids);
    db::Query::run(db,
                   u"DELETE FROM team_members WHERE member_id = :p AND team_id IN (SELECT user_id "
                   "FROM teams WHERE organization_id = :o)"_qs,
                   ids);
    db::Query::run(db,
                   u"DELETE FROM project_collaborators WHERE collaborator_id = :p AND project_id "
                   "IN (SELECT id FROM projects WHERE owner_id = :o)"_qs,
                   ids);
}

QString teamAccountName(const QString &organization, const QString &team)
{
    return u'@' + organization + u'/' + team;
}

QList<Team> teams(const QSqlDatabase &db, qint64 organizationId)
{
    db::Query q(db,
                u"SELECT t.user_id, u.username FROM teams t JOIN users u ON u.id = t.user_id "
                "WHERE t.organization_id = :o ORDER BY u.username"_qs);
    q.bind(u":o"_qs, organizationId).exec();
    QList<Team> out;
    while (q.next())
        out.append({q.integer(0), q.text(1).section(u'/', 1), organizationId});
    return out;
}

std::optional<Team> team(const QSqlDatabase &db, qint64 organizationId, const QString &name)
{
    const QList<Team> all = teams(db, organizationId);
    for (const Team &t : all)
        if (t.name == name)
            return t;
    return std::nullopt;
}

std::optional<Team> teamById(const QSqlDatabase &db, qint64 teamId)
{
    db::Query q(db,
                u"SELECT t.user_id, u.username, t.organization_id FROM teams t JOIN users u "
                "ON u.id = t.user_id WHERE t.user_id = :t"_qs);
    q.bind(u":t"_qs, teamId).exec();
    if (!q.next())
        return std::nullopt;
    return Team{q.integer(0), q.text(1).section(u'/', 1), q.integer(2)};
}

Team createTeam(const QSqlDatabase &db, const Organization &org, const QString &name)
{
    User account;
    account.username = teamAccountName(org.account.username, name);
    account.type = User::Team;
    account = users::insert(db, account);
    db::Query::run(db, u"INSERT INTO teams (user_id, organization_id) VALUES (:t, :o)"_qs,
                   {{u":t"_qs, account.id}, {u":o"_qs, org.account.id}});
    return {account.id, name, org.account.id};
}

void renameTeam(const QSqlDatabase &db, const Organization &org, qint64 teamId, const QString &name)
{
    db::Query::run(db, u"UPDATE users SET username = :n WHERE id = :t"_qs,
                   {{u":n"_qs, teamAccountName(org.account.username, name)}, {u":t"_qs, teamId}});
}

void deleteTeam(const QSqlDatabase &db, qint64 teamId)
{
    db::Query::run(db, u"DELETE FROM users WHERE id = :t AND type = 3"_qs, {{u":t"_qs, teamId}});
}

QStringList teamMembers(const QSqlDatabase &db, qint64 teamId)
{
    db::Query q(db,
                u"SELECT u.username FROM team_members m JOIN users u ON u.id = m.member_id "
                "WHERE m.team_id = :t ORDER BY u.username"_qs);
    q.bind(u":t"_qs, teamId).exec();
    QStringList out;
    while (q.next())
        out << q.text(0);
    return out;
}

bool isTeamMember(const QSqlDatabase &db, qint64 teamId, qint64 personId)
{
    return db::Query::scalar(
               db, u"SELECT count(*) FROM team_members WHERE team_id = :t AND member_id = :p"_qs,
               {{u":t"_qs, teamId}, {u":p"_qs, personId}})
               .value_or(0)
               .toInt()
        > 0;
}

void addTeamMember(const QSqlDatabase &db, qint64 teamId, qint64 personId)
{
    db::Query::run(db, u"INSERT INTO team_members (team_id, member_id) VALUES (:t, :p)"_qs,
                   {{u":t"_qs, teamId}, {u":p"_qs, personId}});
}

void removeTeamMember(const QSqlDatabase &db, qint64 teamId, qint64 personId)
{
    db::Query::run(db, u"DELETE FROM team_members WHERE team_id = :t AND member_id = :p"_qs,
                   {{u":t"_qs, teamId}, {u":p"_qs, personId}});
}

} // namespace qfc::orgs
