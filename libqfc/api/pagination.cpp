#include "pagination.h"

#include <algorithm>

namespace qfc::api {

Pagination::Pagination(const http::Request &request) : m_request(request)
{
    bool ok = false;
    const qint64 limit = request.query.queryItemValue(u"limit"_qs).toLongLong(&ok);
    if (!ok || limit <= 0)
        return;
    m_active = true;
    m_limit = limit;
    const qint64 offset = request.query.queryItemValue(u"offset"_qs).toLongLong(&ok);
    m_offset = ok && offset > 0 ? offset : 0;
}

// The same URL with limit and offset replaced (or offset removed), parameters sorted by name as
// upstream's paginator writes them.
QUrl Pagination::withQuery(qint64 limit, std::optional<qint64> offset) const
{
    QList<QPair<QString, QString>> items = m_request.query.queryItems(QUrl::FullyDecoded);
    items.removeIf([](const auto &i) { return i.first == u"limit" || i.first == u"offset"; });
    items.append({u"limit"_qs, QString::number(limit)});
    if (offset)
        items.append({u"offset"_qs, QString::number(*offset)});
    std::stable_sort(items.begin(), items.end(),
                     [](const auto &a, const auto &b) { return a.first < b.first; });
    QUrlQuery q;
    for (const auto &i : std::as_const(items))
        q.addQueryItem(QString::fromLatin1(QUrl::toPercentEncoding(i.first)),
                       QString::fromLatin1(QUrl::toPercentEncoding(i.second)));
    return m_request.absoluteUrl(q);
}

http::Response Pagination::respond(const QJsonArray &all) const
{
    if (!m_active)
        return http::Response::json(all);
    QJsonArray page;
    const qint64 end = std::min<qint64>(all.size(), m_offset + m_limit);
    for (qint64 i = m_offset; i < end; ++i)
        page.append(all.at(i));
    return respondPage(page, all.size());
}

http::Response Pagination::respondPage(const QJsonArray &page, qint64 total) const
{
    http::Response r = http::Response::json(page);
    if (!m_active)
        return r;
    r.headers.set("X-Total-Count", QByteArray::number(total));
    if (m_offset + m_limit < total)
        r.headers.set("X-Next-Page", withQuery(m_limit, m_offset + m_limit).toEncoded());
    if (m_offset > 0) {
        const std::optional<qint64> previous =
            m_offset - m_limit <= 0 ? std::nullopt : std::optional<qint64>(m_offset - m_limit);
        r.headers.set("X-Previous-Page", withQuery(m_limit, previous).toEncoded());
    }
    return r;
}

} // namespace qfc::api
