#pragma once

#include "http/response.h"

namespace qfc::deltas {
struct Delta;
}

namespace qfc::api {

class Context;

// spec/api.md §11 and §19.9: deltas/<project_id>/, deltas/<project_id>/<deltafile_id>/,
// deltas/apply/<project_id>/, deltas/<project_id>/reapply/, deltas/<project_id>/ignore/.
class DeltasHandler
{
public:
    static http::Response upload(Context &ctx);
    static http::Response list(Context &ctx);
    static http::Response listDeltafile(Context &ctx);
    static http::Response apply(Context &ctx);
    static http::Response reapply(Context &ctx);
    static http::Response ignore(Context &ctx);

    // The Delta object of §11.3.
    static QJsonObject toJson(const deltas::Delta &delta);
};

} // namespace qfc::api
