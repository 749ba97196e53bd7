#pragma once

#include <QString>

#include <optional>

namespace qfc {

// Project roles, lowest to highest (spec/api.md §14.4).
enum class ProjectRole { Reader = 1, Reporter, Editor, Manager, Admin };
QString projectRoleName(ProjectRole role);
std::optional<ProjectRole> projectRoleFromName(const QString &name);

// Where a person's effective project role comes from, in the fixed order of §14.2.
enum class RoleOrigin {
    ProjectOwner,
    OrganizationOwner,
    OrganizationAdmin,
    Collaborator,
    TeamMember,
    OrganizationMember,
    Public
};
QString roleOriginName(RoleOrigin origin);

// Organization roles of members (the owner is not a member row; it is reported as admin).
enum class OrganizationRole { Member = 1, Creator, Admin };
QString organizationRoleName(OrganizationRole role);
std::optional<OrganizationRole> organizationRoleFromName(const QString &name);

// What a project role may do (§14.4). Every handler asks through Permissions, never by hand.
enum class ProjectAction {
    View, // see the project, list and download files, thumbnail, packages, jobs
    TriggerPackage, // package job (regular projects only)
    TriggerProcess, // process_projectfile job, deltas/apply
    UploadFiles, // files, attachments, thumbnail
    UploadRestrictedFiles,
    DeleteFiles, // files or file versions
    PushDeltas, // reporters: create deltas only (checked per delta)
    ListDeltas,
    ChangeDeltaStatus, // re-apply, ignore (§19.9)
    UpdateSettings, // incl. owner transfer
    DeleteProject,
    ManageCollaborators,
    ManageSecrets, // and purging old file versions
};
bool roleAllows(ProjectRole role, ProjectAction action);

} // namespace qfc
