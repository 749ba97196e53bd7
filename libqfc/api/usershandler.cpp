#include "usershandler.h"

#include "auth/userrepository.h"
#include "context.h"
#include "db/database.h"
#include "pagination.h"
#include "serializers.h"

#include <QJsonArray>

namespace qfc::api {

http::Response UsersHandler::list(Context &ctx)
{
    users::Search search;
    search.q = ctx.query(u"q"_qs);
    search.excludeOrganizations = parseBool(ctx.query(u"exclude_organizations"_qs)).value_or(false);
    search.excludeTeams = parseBool(ctx.query(u"exclude_teams"_qs)).value_or(false);
    const QList<User> found = users::search(ctx.services.database.connection(), search);
    QJsonArray out;
    for (const User &u : found)
        out.append(publicUser(u, ctx));
    return Pagination(ctx.request).respond(out);
}

} // namespace qfc::api
