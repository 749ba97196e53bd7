#pragma once

#include "http/request.h"
#include "http/response.h"

#include <QJsonArray>

namespace qfc::api {

// Opt-in limit/offset pagination of spec/api.md §1.5: active only with a valid positive `limit`;
// the body stays a bare array; X-Total-Count, X-Next-Page and X-Previous-Page carry the rest as
// absolute URLs with both parameters.
class Pagination
{
public:
    explicit Pagination(const http::Request &request);

    bool isActive() const { return m_active; }
    qint64 limit() const { return m_limit; }
    qint64 offset() const { return m_offset; }

    // Answers `all` (the complete list), sliced and with the headers when active.
    http::Response respond(const QJsonArray &all) const;
    // Answers one page that the caller already cut from `total` items.
    http::Response respondPage(const QJsonArray &page, qint64 total) const;

private:
    QUrl withQuery(qint64 limit, std::optional<qint64> offset) const;

    const http::Request &m_request;
    bool m_active = false;
    qint64 m_limit = 0;
    qint64 m_offset = 0;
};

} // namespace qfc::api
