#include "response.h"

#include "core/apierror.h"

#include <QJsonDocument>

namespace qfc::http {

namespace {
const QByteArray kJson = QByteArrayLiteral("application/json");
}

Response Response::json(const QJsonObject &object, int status)
{
    return bytes(QJsonDocument(object).toJson(QJsonDocument::Compact), kJson, status);
}

Response Response::json(const QJsonArray &array, int status)
{
    return bytes(QJsonDocument(array).toJson(QJsonDocument::Compact), kJson, status);
}

Response Response::error(const ApiError &error)
{
    return json(error.toJson(), error.status());
}

Response Response::empty(int status)
{
    Response r;
    r.status = status;
    return r;
}

Response Response::bytes(QByteArray data, const QByteArray &contentType, int status)
{
    Response r;
    r.status = status;
    r.body = std::move(data);
    if (!contentType.isEmpty())
        r.headers.set("Content-Type", contentType);
    return r;
}

bool Response::isJson() const
{
    return headers.value("Content-Type").startsWith(kJson);
}

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 206:
        return "Partial Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 402:
        return "Payment Required";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 411:
        return "Length Required";
    case 413:
        return "Payload Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 416:
        return "Range Not Satisfiable";
    case 417:
        return "Expectation Failed";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

} // namespace qfc::http
