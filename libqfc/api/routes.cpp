#include "routes.h"

#include "authhandler.h"
#include "collaboratorshandler.h"
#include "deltashandler.h"
#include "fileshandler.h"
#include "jobshandler.h"
#include "organizationshandler.h"
#include "packageshandler.h"
#include "projectshandler.h"
#include "router.h"
#include "statushandler.h"
#include "usershandler.h"

namespace qfc::api {

void registerRoutes(Router &r)
{
    constexpr auto A = Access::Anonymous;
    constexpr auto T = Access::Authenticated;
    using O = OrganizationsHandler;
    // clang-format off
    // Authentication (§3)
    r.add({"POST",   u"auth/token/"_qs,     A, AuthHandler::login,     false, {}, u"Log in (QField)"_qs});
    r.add({"POST",   u"auth/login/"_qs,     A, AuthHandler::login,     false, {}, u"Log in (SDK, QFieldSync)"_qs});
    r.add({"GET",    u"auth/user/"_qs,      T, AuthHandler::user,      false, {}, u"The logged-in user"_qs});
    r.add({"POST",   u"auth/logout/"_qs,    A, AuthHandler::logout,    false, {}, u"Expire all tokens of the caller"_qs});
    r.add({"GET",    u"auth/logout/"_qs,    A, AuthHandler::logout,    false, {}, u"Expire all tokens of the caller"_qs});
    r.add({"GET",    u"auth/providers/"_qs, A, AuthHandler::providers, false, {}, u"Login providers (deprecated)"_qs});
    // Server information and status (§4)
    r.add({"GET",    u"server/info/"_qs,    A, StatusHandler::serverInfo, false, {}, u"Server information"_qs});
    r.add({"GET",    u"status/"_qs,         A, StatusHandler::status,     false, {}, u"Service status"_qs});
    // Users, organizations, subscriptions (§5)
    r.add({"GET",    u"users/"_qs,                           T, UsersHandler::list,          false, {}, u"Search accounts"_qs});
    r.add({"POST",   u"users/"_qs,                           T, UsersHandler::create,        false, {}, u"Create a person (staff)"_qs});
    r.add({"GET",    u"users/<username>/"_qs,                T, UsersHandler::get,           false, {}, u"An account"_qs});
    r.add({"PUT",    u"users/<username>/"_qs,                T, UsersHandler::update,        false, {}, u"Change an account"_qs});
    r.add({"PATCH",  u"users/<username>/"_qs,                T, UsersHandler::update,        false, {}, u"Change an account"_qs});
    r.add({"GET",    u"users/<username>/organizations/"_qs,  T, UsersHandler::organizations, false, {}, u"The caller's organizations"_qs});
    r.add({"GET",    u"subscriptions/<username>/current/"_qs, T, UsersHandler::subscription, false, {}, u"An account's subscription"_qs});
    // Organization members and teams (§6)
    r.add({"GET",    u"members/<organization>/"_qs,                      T, O::listMembers,  false, {}, u"Organization members"_qs});
    r.add({"POST",   u"members/<organization>/"_qs,                      T, O::addMember,    false, {}, u"Add a member"_qs});
    r.add({"GET",    u"members/<organization>/<username>/"_qs,           T, O::getMember,    false, {}, u"A member"_qs});
    r.add({"PUT",    u"members/<organization>/<username>/"_qs,           T, O::updateMember, false, {}, u"Change a member"_qs});
    r.add({"PATCH",  u"members/<organization>/<username>/"_qs,           T, O::updateMember, false, {}, u"Change a member"_qs});
    r.add({"DELETE", u"members/<organization>/<username>/"_qs,           T, O::removeMember, false, {}, u"Remove a member"_qs});
    r.add({"GET",    u"organizations/<organization>/teams/"_qs,          T, O::listTeams,    false, {}, u"Teams"_qs});
    r.add({"POST",   u"organizations/<organization>/teams/"_qs,          T, O::createTeam,   false, {}, u"Create a team"_qs});
    r.add({"GET",    u"organizations/<organization>/teams/<team>/"_qs,   T, O::getTeam,      false, {}, u"A team"_qs});
    r.add({"PUT",    u"organizations/<organization>/teams/<team>/"_qs,   T, O::renameTeam,   false, {}, u"Rename a team"_qs});
    r.add({"PATCH",  u"organizations/<organization>/teams/<team>/"_qs,   T, O::patchTeam,    false, {}, u"Not permitted"_qs});
    r.add({"DELETE", u"organizations/<organization>/teams/<team>/"_qs,   T, O::deleteTeam,   false, {}, u"Delete a team"_qs});
    r.add({"GET",    u"organizations/<organization>/teams/<team>/members/"_qs, T, O::listTeamMembers, false, {}, u"Team members"_qs});
    r.add({"POST",   u"organizations/<organization>/teams/<team>/members/"_qs, T, O::addTeamMember,   false, {}, u"Add a team member"_qs});
    r.add({"DELETE", u"organizations/<organization>/teams/<team>/members/<username>/"_qs, T, O::removeTeamMember, false, {}, u"Remove a team member"_qs});
    // Projects (§7)
    r.add({"GET",    u"projects/"_qs,              T, ProjectsHandler::list,       false, {}, u"Projects of the caller"_qs});
    r.add({"POST",   u"projects/"_qs,              T, ProjectsHandler::create,     false, {}, u"Create a project"_qs});
    r.add({"GET",    u"projects/public/"_qs,       T, ProjectsHandler::listPublic, false, {}, u"Public projects"_qs});
    r.add({"GET",    u"projects/<project_id>/"_qs, T, ProjectsHandler::get,        false, {}, u"A project"_qs});
    r.add({"PUT",    u"projects/<project_id>/"_qs, T, ProjectsHandler::put,        false, {}, u"Change a project"_qs});
    r.add({"PATCH",  u"projects/<project_id>/"_qs, T, ProjectsHandler::patch,      false, {}, u"Change a project"_qs});
    r.add({"DELETE", u"projects/<project_id>/"_qs, T, ProjectsHandler::remove,     false, {}, u"Delete a project"_qs});
    r.add({"POST",   u"projects/<project_id>/thumbnail/"_qs, T, FilesHandler::uploadThumbnail, true, {"thumbnail"}, u"Upload the project thumbnail"_qs});
    // Collaborators (§8); a team's name "@org/team" has a slash
    r.add({"GET",    u"collaborators/<project_id>/"_qs,                  T, CollaboratorsHandler::list,   false, {}, u"Collaborators"_qs});
    r.add({"POST",   u"collaborators/<project_id>/"_qs,                  T, CollaboratorsHandler::create, false, {}, u"Add a collaborator"_qs});
    r.add({"GET",    u"collaborators/<project_id>/<path:username>/"_qs,  T, CollaboratorsHandler::get,    false, {}, u"A collaborator"_qs});
    r.add({"PUT",    u"collaborators/<project_id>/<path:username>/"_qs,  T, CollaboratorsHandler::update, false, {}, u"Change a collaborator"_qs});
    r.add({"PATCH",  u"collaborators/<project_id>/<path:username>/"_qs,  T, CollaboratorsHandler::update, false, {}, u"Change a collaborator"_qs});
    r.add({"DELETE", u"collaborators/<project_id>/<path:username>/"_qs,  T, CollaboratorsHandler::remove, false, {}, u"Remove a collaborator"_qs});
    // Files (§9)
    r.add({"GET",    u"files/<uuid:project_id>/"_qs,                     T, FilesHandler::list,      false, {}, u"Project files with versions"_qs});
    r.add({"GET",    u"files/<uuid:project_id>/<path:path>/"_qs,         T, FilesHandler::download,  false, {}, u"Download a file (version)"_qs});
    r.add({"POST",   u"files/<uuid:project_id>/<path:path>/"_qs,         T, FilesHandler::upload,    true, {"file"}, u"Upload a file"_qs});
    r.add({"DELETE", u"files/<uuid:project_id>/<path:path>/"_qs,         T, FilesHandler::remove,    false, {}, u"Delete a file or a version"_qs});
    r.add({"GET",    u"files/metadata/<uuid:project_id>/<path:path>/"_qs, T, FilesHandler::metadata, false, {}, u"A file with its versions"_qs});
    r.add({"GET",    u"files/thumbnails/<uuid:project_id>/"_qs,          T, FilesHandler::thumbnail, false, {}, u"The project thumbnail"_qs});
    // Packages (§10)
    r.add({"GET",    u"packages/<uuid:project_id>/latest/"_qs,                        T, PackagesHandler::latest,   false, {}, u"The latest package"_qs});
    r.add({"GET",    u"packages/<uuid:project_id>/latest/files/<path:path>/"_qs,      T, PackagesHandler::download, false, {}, u"A file of the latest package"_qs});
    r.add({"POST",   u"packages/<uuid:project_id>/<uuid:job_id>/files/<path:path>/"_qs, T, PackagesHandler::upload, true, {"file"}, u"Worker upload of a package file"_qs});
    // Deltas (§11, §19.9); the upload streams to disk within deltas/max_deltafile_bytes
    r.add({"POST",   u"deltas/<uuid:project_id>/"_qs,                      T, DeltasHandler::upload,        true,  {"file"}, u"Push a deltafile"_qs, u"deltas/max_deltafile_bytes"_qs});
    r.add({"GET",    u"deltas/<uuid:project_id>/"_qs,                      T, DeltasHandler::list,          false, {}, u"Deltas of a project"_qs});
    r.add({"GET",    u"deltas/<uuid:project_id>/<uuid:deltafile_id>/"_qs,  T, DeltasHandler::listDeltafile, false, {}, u"Deltas of a deltafile"_qs});
    r.add({"POST",   u"deltas/apply/<uuid:project_id>/"_qs,                T, DeltasHandler::apply,         false, {}, u"Apply pending deltas (deprecated)"_qs});
    r.add({"POST",   u"deltas/<uuid:project_id>/reapply/"_qs,              T, DeltasHandler::reapply,       false, {}, u"Re-apply deltas (QFC)"_qs});
    r.add({"POST",   u"deltas/<uuid:project_id>/ignore/"_qs,               T, DeltasHandler::ignore,        false, {}, u"Ignore deltas (QFC)"_qs});
    // Jobs (§12)
    r.add({"GET",    u"jobs/"_qs,                T, JobsHandler::list,   false, {}, u"Jobs of a project"_qs});
    r.add({"POST",   u"jobs/"_qs,                T, JobsHandler::create, false, {}, u"Create a job"_qs});
    r.add({"GET",    u"jobs/<job_id>/"_qs,       T, JobsHandler::get,    false, {}, u"A job"_qs});
    // clang-format on
}

} // namespace qfc::api
