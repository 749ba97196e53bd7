#include "roles.h"

namespace qfc {

QString projectRoleName(ProjectRole role)
{
    switch (role) {
    case ProjectRole::Reader:
        return u"reader"_qs;
    case ProjectRole::Reporter:
        return u"reporter"_qs;
    case ProjectRole::Editor:
        return u"editor"_qs;
    case ProjectRole::Manager:
        return u"manager"_qs;
    case ProjectRole::Admin:
        return u"admin"_qs;
    }
    return {};
}

std::optional<ProjectRole> projectRoleFromName(const QString &name)
{
    for (ProjectRole r : {ProjectRole::Reader, ProjectRole::Reporter, ProjectRole::Editor,
                          ProjectRole::Manager, ProjectRole::Admin})
        if (projectRoleName(r) == name)
            return r;
    return std::nullopt;
}

QString roleOriginName(RoleOrigin origin)
{
    switch (origin) {
    case RoleOrigin::ProjectOwner:
        return u"project_owner"_qs;
    case RoleOrigin::OrganizationOwner:
        return u"organization_owner"_qs;
    case RoleOrigin::OrganizationAdmin:
        return u"organization_admin"_qs;
    case RoleOrigin::Collaborator:
        return u"collaborator"_qs;
    case RoleOrigin::TeamMember:
        return u"team_member"_qs;
    case RoleOrigin::OrganizationMember:
        return u"organization_member"_qs;
    case RoleOrigin::Public:
        return u"public"_qs;
    }
    return {};
}

QString organizationRoleName(OrganizationRole role)
{
    switch (role) {
    case OrganizationRole::Member:
        return u"member"_qs;
    case OrganizationRole::Creator:
        return u"creator"_qs;
    case OrganizationRole::Admin:
        return u"admin"_qs;
    }
    return {};
}

std::optional<OrganizationRole> organizationRoleFromName(const QString &name)
{
    for (OrganizationRole r :
         {OrganizationRole::Member, OrganizationRole::Creator, OrganizationRole::Admin})
        if (organizationRoleName(r) == name)
            return r;
    return std::nullopt;
}

bool roleAllows(ProjectRole role, ProjectAction action)
{
    switch (action) {
    case ProjectAction::View:
    case ProjectAction::TriggerPackage:
        return true;
    case ProjectAction::TriggerProcess:
    case ProjectAction::UploadFiles:
    case ProjectAction::PushDeltas:
    case ProjectAction::ListDeltas:
        return role >= ProjectRole::Reporter;
    case ProjectAction::DeleteFiles:
        return role >= ProjectRole::Editor;
    case ProjectAction::UploadRestrictedFiles:
    case ProjectAction::ChangeDeltaStatus:
    case ProjectAction::UpdateSettings:
    case ProjectAction::DeleteProject:
    case ProjectAction::ManageCollaborators:
        return role >= ProjectRole::Manager;
    case ProjectAction::ManageSecrets:
        return role == ProjectRole::Admin;
    }
    return false;
}

} // namespace qfc
