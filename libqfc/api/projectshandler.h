#pragma once

#include "http/response.h"

namespace qfc {
struct Project;
struct EffectiveRole;
} // namespace qfc

namespace qfc::api {

class Context;

// spec/api.md §7: projects/, projects/public/, projects/<id>/, projects/<id>/thumbnail/.
class ProjectsHandler
{
public:
    static http::Response list(Context &ctx);
    static http::Response listPublic(Context &ctx);
    static http::Response create(Context &ctx);
    static http::Response get(Context &ctx);
    static http::Response put(Context &ctx);
    static http::Response patch(Context &ctx);
    static http::Response remove(Context &ctx);

    // The Project object of §7.1 for the caller.
    static QJsonObject toJson(Context &ctx, const Project &project, const EffectiveRole &role);

private:
    static http::Response update(Context &ctx, bool put);
};

} // namespace qfc::api
