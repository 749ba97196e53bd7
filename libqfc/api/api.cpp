#include "api.h"

#include "auth/authservice.h"
#include "context.h"
#include "core/apierror.h"
#include "core/logging.h"
#include "core/settings.h"
#include "db/database.h"
#include "routes.h"

#include <QFile>

namespace qfc::api {

Api::Api(Services services) : m_services(services)
{
    registerRoutes(m_router);
}

http::BodyPolicy Api::bodyPolicy(const QByteArray &method, const QString &path) const
{
    http::BodyPolicy policy;
    policy.memoryLimit = m_services.settings.maxBodyBytes();
    const Router::Match m = m_router.match(method == "HEAD" ? "GET" : method, path);
    if (m.kind == Router::Match::Found && m.route->upload) {
        policy.multipartLimit = m.route->bodyLimitSetting.isEmpty()
            ? m_services.settings.maxUploadBytes()
            : m_services.settings.integer(m.route->bodyLimitSetting);
        policy.fileFields = m.route->fileFields;
    }
    return policy;
}

http::Response Api::handle(http::Request &request)
{
    try {
        return dispatch(request);
    } catch (const ApiError &e) {
        http::Response r = http::Response::error(e);
        return r;
    } catch (const db::DbError &e) {
        qCCritical(lcDb) << "request" << request.requestId << "failed:" << e.what();
    } catch (const std::exception &e) {
        qCCritical(lcHttp) << "request" << request.requestId << "failed:" << e.what();
    }
    return http::Response::error(ApiError::unknown());
}

http::Response Api::dispatch(http::Request &request)
{
    if (request.path.startsWith(u"/static/"))
        return serveStatic(request);
    const Router::Match m = m_router.match(request.method, request.path);
    if (m.kind == Router::Match::NotFound)
        throw ApiError::notFound();
    if (m.kind == Router::Match::MethodNotAllowed) {
        http::Response r = http::Response::error(ApiError::methodNotAllowed());
        r.headers.set("Allow", m.allowed.join(", "));
        return r;
    }
    request.params = m.params;
    Context ctx(request, *m.route, m_services);
    // A token is checked on every endpoint, anonymous ones included (§1.3).
    ctx.auth = m_services.auth.authenticate(request.header("Authorization"));
    if (m.route->access == Access::Authenticated && !ctx.auth)
        throw ApiError::notAuthenticated();
    return m.route->handler(ctx);
}

http::Response Api::serveStatic(const http::Request &request) const
{
    const QString name = request.path.mid(8);
    if (request.method != "GET" || name.contains(u'/') || name.startsWith(u'.'))
        throw ApiError::notFound();
    QFile file(u":/qfc/static/"_qs + name);
    if (!file.open(QIODevice::ReadOnly))
        throw ApiError::notFound();
    const QByteArray type = name.endsWith(u".svg") ? "image/svg+xml"
        : name.endsWith(u".png")                   ? "image/png"
        : name.endsWith(u".html")                  ? "text/html; charset=utf-8"
                                                   : "application/octet-stream";
    http::Response r = http::Response::bytes(file.readAll(), type);
    r.headers.set("Cache-Control", "public, max-age=86400");
    return r;
}

} // namespace qfc::api
