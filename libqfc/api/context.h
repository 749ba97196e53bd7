#pragma once

#include "auth/tokens.h"
#include "http/request.h"
#include "router.h"
#include "services.h"

#include <QJsonObject>

#include <optional>

namespace qfc::api {

// What a handler works with: the request, its route, the services and the caller.
class Context
{
public:
    Context(http::Request &request, const Route &route, Services &services);

    http::Request &request;
    const Route &route;
    Services &services;
    std::optional<tokens::Authenticated> auth;

    bool isAuthenticated() const { return auth.has_value(); }
    // The authenticated caller (the route requires authentication).
    const User &user() const;
    QString param(const QString &name) const { return request.params.value(name); }
    QString query(const QString &name) const;
    bool hasQuery(const QString &name) const { return request.query.hasQueryItem(name); }

    // The request body as an object, whatever its encoding (spec/api.md §1.2): a JSON object,
    // form-encoded or multipart fields. An empty body is {}. Throws 400 api_error for malformed
    // JSON or a non-object, 415 api_error for another content type.
    const QJsonObject &fields();
    // Field readers: std::nullopt when absent (or null); throw 400 validation_error naming the
    // field when present with the wrong type.
    std::optional<QString> stringField(const QString &name);
    std::optional<bool> boolField(const QString &name);
    bool hasField(const QString &name) { return fields().contains(name); }

private:
    std::optional<QJsonObject> m_fields;
};

// Lenient booleans of spec/api.md §1.2: JSON booleans, true/false, True/False, 1/0, yes/no, on/off.
std::optional<bool> parseBool(const QJsonValue &value);

} // namespace qfc::api
