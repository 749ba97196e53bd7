#pragma once

#include "request.h"
#include "response.h"

#include <QByteArrayList>

namespace qfc::http {

// How the connection layer takes the body of a request, decided from its head alone.
struct BodyPolicy
{
    qint64 memoryLimit = 0; // largest body held in memory (any content type)
    qint64 multipartLimit = 0; // >0: multipart/form-data bodies up to this size are streamed
    QByteArrayList fileFields; // multipart parts with these names (or with a filename) go to disk
};

// What the connection layer serves. `bodyPolicy` runs on an I/O thread for every request head
// and must be thread-safe and fast; `handle` runs on a handler thread, one call per request.
class Service
{
public:
    virtual ~Service() = default;
    virtual BodyPolicy bodyPolicy(const QByteArray &method, const QString &path) const = 0;
    virtual Response handle(Request &request) = 0;
};

} // namespace qfc::http
