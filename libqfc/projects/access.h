#pragma once

#include "project.h"
#include "roles.h"

#include <QHash>
#include <QList>
#include <QSet>
#include <QSqlDatabase>

#include <optional>

namespace qfc {

// A person's effective role on a project (spec/api.md §14.2).
struct EffectiveRole
{
    ProjectRole role = ProjectRole::Reader;
    RoleOrigin origin = RoleOrigin::Public;
    // False when the role comes from a collaboration the owner's plan or organization no longer
    // supports (§14.2 "validity"); only GET projects/<id>/ refuses such a role.
    bool valid = true;
};

// Everything that decides a person's project roles, loaded once per request: the one place that
// resolves roles. Anonymous callers (no person) only get public projects.
class Access
{
public:
    static Access forPerson(const QSqlDatabase &db, std::optional<qint64> personId);

    std::optional<qint64> personId() const { return m_personId; }
    // The first matching source of §14.2, or nothing (the project is invisible).
    std::optional<EffectiveRole> roleOn(const Project &project) const;
    // Every project the person has a role on (public ones reached only through visibility
    // included when `includePublic`), with that role.
    QList<QPair<Project, EffectiveRole>> visibleProjects(bool includePublic) const;

private:
    struct OrgStanding
    {
        bool isOwner = false;
        std::optional<OrganizationRole> role;
        std::optional<ProjectRole> defaultMemberRole;
    };
    bool isValid(const Project &project, RoleOrigin origin) const;

    QSqlDatabase m_db;
    std::optional<qint64> m_personId;
    QHash<qint64, OrgStanding> m_orgs; // organization id → standing
    QHash<QString, ProjectRole> m_direct; // project id → collaborator role
    QHash<QString, ProjectRole> m_viaTeams; // project id → highest team role
};

} // namespace qfc
