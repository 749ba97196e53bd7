#include "access.h"

#include "db/query.h"
#include "plans.h"
#include "projectrepository.h"

namespace qfc {

Access Access::forPerson(const QSqlDatabase &db, std::optional<qint64> personId)
{
    Access a;
    a.m_db = db;
    a.m_personId = personId;
    if (!personId)
        return a;
    const qint64 me = *personId;
    {
        db::Query q(db,
                    u"SELECT o.user_id, o.owner_id, m.role, o.default_member_role FROM "
                    "organizations o LEFT JOIN organization_members m ON m.organization_id = "
                    "o.user_id AND m.member_id = :p1 WHERE o.owner_id = :p2 OR m.member_id IS "
                    "NOT NULL"_qs);
        q.bind(u":p1"_qs, me).bind(u":p2"_qs, me).exec();
        while (q.next()) {
            OrgStanding s;
            s.isOwner = q.integer(1) == me;
            if (!q.value(2).isNull())
                s.role = organizationRoleFromName(q.text(2));
            if (!q.value(3).isNull())
                s.defaultMemberRole = projectRoleFromName(q.text(3));
            a.m_orgs.insert(q.integer(0), s);
        }
    }
    {
        db::Query q(db,
                    u"SELECT project_id, role FROM project_collaborators WHERE "
                    "collaborator_id = :p"_qs);
        q.bind(u":p"_qs, me).exec();
        while (q.next())
            if (const auto r = projectRoleFromName(q.text(1)))
                a.m_direct.insert(q.text(0), *r);
    }
    {
        // Teams of several organizations may collaborate; the highest role wins (§14.2 Rec).
        db::Query q(db,
                    u"SELECT c.project_id, c.role FROM project_collaborators c JOIN "
                    "team_members t ON t.team_id = c.collaborator_id WHERE t.member_id = :p"_qs);
        q.bind(u":p"_qs, me).exec();
        while (q.next()) {
            const auto r = projectRoleFromName(q.text(1));
            if (r && (!a.m_viaTeams.contains(q.text(0)) || *r > a.m_viaTeams.value(q.text(0))))
                a.m_viaTeams.insert(q.text(0), *r);
        }
    }
    return a;
}

std::optional<EffectiveRole> Access::roleOn(const Project &p) const
{
    if (m_personId) {
        if (p.ownerId == *m_personId)
            return EffectiveRole{ProjectRole::Admin, RoleOrigin::ProjectOwner, true};
        const auto org = m_orgs.constFind(p.ownerId);
        const bool orgProject = p.isOrganizationProject();
        if (orgProject && org != m_orgs.cend()) {
            if (org->isOwner)
                return EffectiveRole{ProjectRole::Admin, RoleOrigin::OrganizationOwner, true};
            if (org->role == OrganizationRole::Admin)
                return EffectiveRole{ProjectRole::Admin, RoleOrigin::OrganizationAdmin, true};
        }
        if (const auto it = m_direct.constFind(p.id); it != m_direct.cend())
            return EffectiveRole{*it, RoleOrigin::Collaborator,
                                 isValid(p, RoleOrigin::Collaborator)};
        if (const auto it = m_viaTeams.constFind(p.id); it != m_viaTeams.cend())
            return EffectiveRole{*it, RoleOrigin::TeamMember, isValid(p, RoleOrigin::TeamMember)};
        if (orgProject && org != m_orgs.cend() && org->role && org->defaultMemberRole)
            return EffectiveRole{*org->defaultMemberRole, RoleOrigin::OrganizationMember, true};
    }
    if (p.isPublic)
        return EffectiveRole{ProjectRole::Reader, RoleOrigin::Public, true};
    return std::nullopt;
}

bool Access::isValid(const Project &p, RoleOrigin origin) const
{
    if (origin != RoleOrigin::Collaborator && origin != RoleOrigin::TeamMember)
        return true;
    // A collaborator on an organization project must still belong to the organization.
    if (p.isOrganizationProject() && !m_orgs.contains(p.ownerId))
        return false;
    if (p.isPublic)
        return true;
    const int cap = plans::subscriptionOf(m_db, p.ownerId).plan.maxCollaboratorsPerPrivateProject;
    return cap < 0 || projects::personCollaboratorCount(m_db, p.id) <= cap;
}

QList<QPair<Project, EffectiveRole>> Access::visibleProjects(bool includePublic) const
{
    QList<qint64> owners;
    QStringList ids;
    if (m_personId) {
        owners.append(*m_personId);
        for (auto it = m_orgs.cbegin(); it != m_orgs.cend(); ++it)
            owners.append(it.key());
        ids = m_direct.keys() + m_viaTeams.keys();
    }
    QList<QPair<Project, EffectiveRole>> out;
    const QList<Project> found = projects::candidates(m_db, owners, ids, includePublic);
    for (const Project &p : found) {
        const std::optional<EffectiveRole> role = roleOn(p);
        if (!role)
            continue;
        if (role->origin == RoleOrigin::Public && !includePublic)
            continue;
        out.append({p, *role});
    }
    return out;
}

} // namespace qfc
