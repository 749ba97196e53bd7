#pragma once

#include "http/request.h"
#include "http/response.h"

namespace qfc::files {
class FileStore;
}

namespace qfc::api {

// A stored blob to serve.
struct Blob
{
    QString sha256;
    QString etag; // the API's md5sum
    qint64 size = 0;
};

// The byte-serving semantics of spec/api.md §1.9 in one place: the whole content (200) or one
// range (206; 416 invalid_http_range for anything else), ETag and If-None-Match (304, quoted or
// not), Content-Length, Accept-Ranges, Content-Disposition when `fileName` is given; streamed from
// the store, never held in memory, never a redirect.
http::Response serveBlob(const http::Request &request, files::FileStore &store, const Blob &blob,
                         const QString &fileName, const QByteArray &contentType);

} // namespace qfc::api
