#pragma once

#include "headers.h"

#include <QByteArray>
#include <QIODevice>
#include <QJsonArray>
#include <QJsonObject>

#include <memory>

namespace qfc {
class ApiError;
}

namespace qfc::http {

// What a handler answers. Either `body` (small, in memory) or `stream` (a device read in chunks by
// the connection layer, e.g. an opened file, with `streamLength` bytes from its current position).
struct Response
{
    int status = 200;
    Headers headers; // Content-Type goes here; Content-Length and the common headers are added
                     // by the connection layer
    QByteArray body;
    std::unique_ptr<QIODevice> stream;
    qint64 streamLength = 0;

    static Response json(const QJsonObject &object, int status = 200);
    static Response json(const QJsonArray &array, int status = 200);
    static Response error(const ApiError &error);
    static Response empty(int status);
    static Response bytes(QByteArray data, const QByteArray &contentType, int status = 200);

    bool isJson() const;
};

// The reason phrase of a status code ("Not Found").
QByteArray reasonPhrase(int status);

} // namespace qfc::http
