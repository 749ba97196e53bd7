#pragma once

#include "http/response.h"

namespace qfc::api {

class Context;

// spec/api.md §5: users/, users/<username>/, users/<username>/organizations/,
// subscriptions/<username>/current/.
class UsersHandler
{
public:
    static http::Response list(Context &ctx);
    static http::Response create(Context &ctx);
    static http::Response get(Context &ctx);
    static http::Response update(Context &ctx);
    static http::Response organizations(Context &ctx);
    static http::Response subscription(Context &ctx);
};

} // namespace qfc::api
