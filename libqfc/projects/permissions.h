#pragma once

#include "access.h"
#include "auth/user.h"
#include "organizations.h"

#include <QSqlDatabase>

namespace qfc {

// A project together with the caller's role on it.
struct ProjectAccess
{
    Project project;
    EffectiveRole role;
};

// The one permission service every handler asks (spec/api.md §14). Failures throw ApiError in
// the check order of §1.10: 404 object_not_found for an unknown project, then 403
// permission_denied for no role or an insufficient one.
class Permissions
{
public:
    Permissions(const QSqlDatabase &db, const User *caller);

    const Access &access() const { return m_access; }
    const User *caller() const { return m_caller; }

    // Loads the project and checks `action`. `requireValidRole`: also refuse a role made invalid
    // by the plan or a lost organization membership (only GET projects/<id>/ does, §7.4).
    ProjectAccess requireProject(const QString &projectId, ProjectAction action,
                                 bool requireValidRole = false) const;
    // Checks `action` on a project already loaded.
    void require(const ProjectAccess &project, ProjectAction action) const;

    enum class OrgAction {
        ListMembers, // members, teams, team members: any authenticated user
        ManageMembers, // members and teams: owner and admins (and staff, §19.10)
        CreateProjects, // owner, admins, creators
        ReadSubscription, // owner and members (and staff)
        UpdateAccount, // PATCH users/<org>/: owner and admins (and staff)
    };
    bool allows(const orgs::Organization &org, OrgAction action) const;
    void require(const orgs::Organization &org, OrgAction action) const;
    // Whether the caller may own a project as `owner` (itself, or an organization where it may
    // create projects): project creation and ownership transfer.
    bool mayOwnAs(const User &owner) const;

private:
    QSqlDatabase m_db;
    const User *m_caller;
    Access m_access;
};

} // namespace qfc
