#pragma once

#include "http/response.h"

#include <QByteArrayList>
#include <QHash>
#include <QString>

#include <functional>
#include <vector>

namespace qfc::api {

class Context;

enum class Access { Anonymous, Authenticated };

using Handler = std::function<http::Response(Context &)>;

// One endpoint: a method on a pattern relative to /api/v1/. Pattern segments are literals or
// parameters: <name> (one segment), <uuid:name> (a canonical lower-case UUID, else no match) and
// <path:name> (the rest of the path, one or more segments; last only). Every route is served with
// and without its trailing slash.
struct Route
{
    QByteArray method;
    QString pattern;
    Access access = Access::Authenticated;
    Handler handler;
    bool upload = false; // a multipart upload endpoint: large bodies stream to disk
    QByteArrayList fileFields; // its file part names
    QString summary; // for the OpenAPI document
    QString bodyLimitSetting{}; // upload: a setting that replaces server/max_upload_bytes
};

class Router
{
public:
    void add(Route route);

    struct Match
    {
        enum Kind { Found, NotFound, MethodNotAllowed } kind = NotFound;
        const Route *route = nullptr;
        QHash<QString, QString> params;
        QByteArrayList allowed; // for MethodNotAllowed
    };
    // `path` is the full decoded request path (it must start with /api/v1/).
    Match match(const QByteArray &method, const QString &path) const;
    const std::vector<Route> &routes() const { return m_routes; }

    static constexpr QStringView kPrefix = u"/api/v1/";

private:
    struct Segment
    {
        enum Kind { Literal, Param, Uuid, Path } kind = Literal;
        QString text; // the literal, or the parameter name
    };
    struct Pattern
    {
        QString source;
        std::vector<Segment> segments;
        std::vector<size_t> routes; // indexes into m_routes, one per method
    };
    static std::vector<Segment> compile(const QString &pattern);
    static bool matches(const Pattern &p, const QStringList &segments,
                        QHash<QString, QString> *params);
    static bool moreSpecific(const Pattern &a, const Pattern &b);

    std::vector<Route> m_routes;
    std::vector<Pattern> m_patterns;
};

bool isCanonicalUuid(const QString &text);

} // namespace qfc::api
