#pragma once

#include "auth/user.h"
#include "roles.h"

#include <QList>
#include <QSqlDatabase>

#include <optional>

namespace qfc::orgs {

struct Organization
{
    User account; // type 2
    qint64 ownerId = 0;
    QString ownerName;
    std::optional<ProjectRole> defaultMemberRole;
};

struct Member
{
    qint64 memberId = 0;
    QString username;
    OrganizationRole role = OrganizationRole::Member;
    bool isPublic = false;
};

// A person's standing in an organization: the owner, a member with a role, or nothing.
struct Standing
{
    bool isOwner = false;
    std::optional<OrganizationRole> role; // the member row's role
    bool isMemberOrOwner() const { return isOwner || role.has_value(); }
    bool isAdmin() const { return isOwner || role == OrganizationRole::Admin; }
    bool canCreateProjects() const { return isAdmin() || role == OrganizationRole::Creator; }
};

std::optional<Organization> byName(const QSqlDatabase &db, const QString &username);
std::optional<Organization> byId(const QSqlDatabase &db, qint64 id);
Standing standing(const QSqlDatabase &db, qint64 organizationId, qint64 personId);
// Organizations the person owns or belongs to, by name.
QList<Organization> ofPerson(const QSqlDatabase &db, qint64 personId);

Organization create(const QSqlDatabase &db, const QString &name, const QString &email,
                    qint64 ownerId);
void setOwner(const QSqlDatabase &db, qint64 organizationId, qint64 ownerId);
void setDefaultMemberRole(const QSqlDatabase &db, qint64 organizationId,
                          std::optional<ProjectRole> role);

QList<Member> members(const QSqlDatabase &db, qint64 organizationId);
std::optional<Member> member(const QSqlDatabase &db, qint64 organizationId, qint64 personId);
qint64 memberCount(const QSqlDatabase &db, qint64 organizationId);
void addMember(const QSqlDatabase &db, qint64 organizationId, qint64 personId,
               OrganizationRole role, bool isPublic);
void updateMember(const QSqlDatabase &db, qint64 organizationId, qint64 personId,
                  OrganizationRole role, bool isPublic);
// Removes the membership, the person's team memberships in the organization and their
// collaborator entries on the organization's projects (spec/api.md §6.1).
void removeMember(const QSqlDatabase &db, qint64 organizationId, qint64 personId);

// Teams: accounts of type 3 named "@<org>/<team>".
struct Team
{
    qint64 id = 0;
    QString name; // the short name
    qint64 organizationId = 0;
};
QString teamAccountName(const QString &organization, const QString &team);
QList<Team> teams(const QSqlDatabase &db, qint64 organizationId);
std::optional<Team> team(const QSqlDatabase &db, qint64 organizationId, const QString &name);
std::optional<Team> teamById(const QSqlDatabase &db, qint64 teamId);
Team createTeam(const QSqlDatabase &db, const Organization &org, const QString &name);
void renameTeam(const QSqlDatabase &db, const Organization &org, qint64 teamId,
                const QString &name);
void deleteTeam(const QSqlDatabase &db, qint64 teamId);
QStringList teamMembers(const QSqlDatabase &db, qint64 teamId);
bool isTeamMember(const QSqlDatabase &db, qint64 teamId, qint64 personId);
void addTeamMember(const QSqlDatabase &db, qint64 teamId, qint64 personId);
void removeTeamMember(const QSqlDatabase &db, qint64 teamId, qint64 personId);

} // namespace qfc::orgs
