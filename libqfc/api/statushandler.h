#pragma once

#include "http/response.h"

namespace qfc::api {

class Context;

// spec/api.md §4: status/ and server/info/.
class StatusHandler
{
public:
    static http::Response status(Context &ctx);
    static http::Response serverInfo(Context &ctx);
};

} // namespace qfc::api
