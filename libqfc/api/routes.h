#pragma once

namespace qfc::api {

class Router;

// Every endpoint of /api/v1/, in one table (routes.cpp).
void registerRoutes(Router &router);

} // namespace qfc::api
