#pragma once

#include "http/response.h"

namespace qfc::api {

class Context;

// spec/api.md §5: users/ ...
class UsersHandler
{
public:
    static http::Response list(Context &ctx);
};

} // namespace qfc::api
