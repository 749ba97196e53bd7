#pragma once

#include "http/response.h"

namespace qfc::files {
struct File;
}
namespace qfc {
struct Project;
}

namespace qfc::api {

class Context;

// spec/api.md §9 and §7.7: files/<project_id>/..., files/metadata/..., files/thumbnails/...,
// projects/<project_id>/thumbnail/.
class FilesHandler
{
public:
    static http::Response list(Context &ctx);
    static http::Response download(Context &ctx);
    static http::Response upload(Context &ctx);
    static http::Response remove(Context &ctx);
    static http::Response metadata(Context &ctx);
    static http::Response thumbnail(Context &ctx);
    static http::Response uploadThumbnail(Context &ctx);

    // FileWithVersions (with versions) or File (without) of §9.1.
    static QJsonObject fileJson(const Project &project, const files::File &file, bool withVersions);
};

} // namespace qfc::api
