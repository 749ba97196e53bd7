#pragma once

#include "http/response.h"

namespace qfc {
struct Job;
}

namespace qfc::api {

class Context;

// spec/api.md §12: jobs/, jobs/<job_id>/.
class JobsHandler
{
public:
    static http::Response list(Context &ctx);
    static http::Response create(Context &ctx);
    static http::Response get(Context &ctx);

    // The Job object; `detail` adds feedback and output.
    static QJsonObject toJson(const Job &job, bool detail);
};

} // namespace qfc::api
