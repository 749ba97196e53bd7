#pragma once

#include "http/service.h"
#include "router.h"
#include "services.h"

namespace qfc::api {

// QFC's API as a service of the connection layer: routing, authentication, error rendering.
class Api final : public http::Service
{
public:
    explicit Api(Services services);

    http::BodyPolicy bodyPolicy(const QByteArray &method, const QString &path) const override;
    http::Response handle(http::Request &request) override;
    const Router &router() const { return m_router; }

private:
    http::Response dispatch(http::Request &request);
    http::Response serveStatic(const http::Request &request) const;

    Services m_services;
    Router m_router;
};

} // namespace qfc::api
