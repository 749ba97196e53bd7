#pragma once

#include "http/response.h"

namespace qfc::api {

class Context;

// spec/api.md §8: collaborators/<project_id>/ and collaborators/<project_id>/<username>/.
class CollaboratorsHandler
{
public:
    static http::Response list(Context &ctx);
    static http::Response create(Context &ctx);
    static http::Response get(Context &ctx);
    static http::Response update(Context &ctx);
    static http::Response remove(Context &ctx);
};

} // namespace qfc::api
