#pragma once

#include "http/response.h"

namespace qfc::api {

class Context;
class Router;

// spec/api.md §3: auth/token/, auth/login/, auth/user/, auth/logout/, auth/providers/.
class AuthHandler
{
public:
    static void registerRoutes(Router &router);

    static http::Response login(Context &ctx);
    static http::Response user(Context &ctx);
    static http::Response logout(Context &ctx);
    static http::Response providers(Context &ctx);
};

} // namespace qfc::api
