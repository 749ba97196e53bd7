#pragma once

#include "http/response.h"

namespace qfc::orgs {
struct Organization;
}

namespace qfc::api {

class Context;

// spec/api.md §6: members/<org>/..., organizations/<org>/teams/..., and the Organization object
// of §5.
class OrganizationsHandler
{
public:
    static http::Response listMembers(Context &ctx);
    static http::Response addMember(Context &ctx);
    static http::Response getMember(Context &ctx);
    static http::Response updateMember(Context &ctx);
    static http::Response removeMember(Context &ctx);

    static http::Response listTeams(Context &ctx);
    static http::Response createTeam(Context &ctx);
    static http::Response getTeam(Context &ctx);
    static http::Response renameTeam(Context &ctx);
    static http::Response patchTeam(Context &ctx);
    static http::Response deleteTeam(Context &ctx);
    static http::Response listTeamMembers(Context &ctx);
    static http::Response addTeamMember(Context &ctx);
    static http::Response removeTeamMember(Context &ctx);

    // The Organization object (§5) as `ctx`'s caller sees it.
    static QJsonObject organizationJson(Context &ctx, const orgs::Organization &org);
};

} // namespace qfc::api
