#pragma once

#include "http/response.h"

namespace qfc::api {

class Context;

// spec/api.md §10: packages/<project_id>/latest/, .../latest/files/<path>/, and the worker's
// upload packages/<project_id>/<job_id>/files/<path>/.
class PackagesHandler
{
public:
    static http::Response latest(Context &ctx);
    static http::Response download(Context &ctx);
    static http::Response upload(Context &ctx);
};

} // namespace qfc::api
