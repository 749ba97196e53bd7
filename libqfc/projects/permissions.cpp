#include "permissions.h"

#include "core/apierror.h"
#include "projectrepository.h"

#include <QRegularExpression>

namespace qfc {

Permissions::Permissions(const QSqlDatabase &db, const User *caller)
    : m_db(db)
    , m_caller(caller)
    , m_access(Access::forPerson(db, caller ? std::optional<qint64>(caller->id) : std::nullopt))
{ }

ProjectAccess Permissions::requireProject(const QString &projectId, ProjectAction action,
                                          bool requireValidRole) const
{
    static const QRegularExpression uuid(
        u"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"_qs,
        QRegularExpression::CaseInsensitiveOption);
    if (!uuid.match(projectId).hasMatch())
        throw ApiError::validationField(u"project_id"_qs, u"Must be a valid UUID."_qs);
    std::optional<Project> project = projects::byId(m_db, projectId.toLower());
    if (!project)
        throw ApiError::objectNotFound();
    const std::optional<EffectiveRole> role = m_access.roleOn(*project);
    if (!role || (requireValidRole && !role->valid))
        throw ApiError::permissionDenied();
    ProjectAccess pa{std::move(*project), *role};
    require(pa, action);
    return pa;
}

void Permissions::require(const ProjectAccess &pa, ProjectAction action) const
{
    if (!roleAllows(pa.role.role, action))
        throw ApiError::permissionDenied();
}

bool Permissions::allows(const orgs::Organization &org, OrgAction action) const
{
    if (!m_caller)
        return false;
    const bool staff = m_caller->isStaff || m_caller->isSuperuser;
    const orgs::Standing s = orgs::standing(m_db, org.account.id, m_caller->id);
    switch (action) {
    case OrgAction::ListMembers:
        return true;
    case OrgAction::ManageMembers:
    case OrgAction::UpdateAccount:
        return staff || s.isAdmin();
    case OrgAction::CreateProjects:
        return s.canCreateProjects();
    case OrgAction::ReadSubscription:
        return staff || s.isMemberOrOwner();
    }
    return false;
}

void Permissions::require(const orgs::Organization &org, OrgAction action) const
{
    if (!allows(org, action))
        throw ApiError::permissionDenied();
}

bool Permissions::mayOwnAs(const User &owner) const
{
    if (!m_caller)
        return false;
    if (owner.type == User::Person)
        return owner.id == m_caller->id;
    if (owner.type != User::Organization)
        return false;
    const std::optional<orgs::Organization> org = orgs::byId(m_db, owner.id);
    return org && allows(*org, OrgAction::CreateProjects);
}

} // namespace qfc
