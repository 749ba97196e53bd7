#include "router.h"

#include <QRegularExpression>

namespace qfc::api {

bool isCanonicalUuid(const QString &text)
{
    static const QRegularExpression re(
        u"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"_qs);
    return re.match(text).hasMatch();
}

std::vector<Router::Segment> Router::compile(const QString &pattern)
{
    std::vector<Segment> out;
    const QStringList parts = pattern.split(u'/', Qt::SkipEmptyParts);
    for (const QString &part : parts) {
        Segment s;
        if (part.startsWith(u'<') && part.endsWith(u'>')) {
            const QString inner = part.mid(1, part.size() - 2);
            const qsizetype colon = inner.indexOf(u':');
            const QString type = colon < 0 ? QString() : inner.left(colon);
            s.text = colon < 0 ? inner : inner.mid(colon + 1);
            s.kind = type == u"uuid" ? Segment::Uuid
                : type == u"path"    ? Segment::Path
                                     : Segment::Param;
        } else {
            s.text = part;
        }
        out.push_back(s);
    }
    for (size_t i = 0; i + 1 < out.size(); ++i)
        Q_ASSERT_X(out[i].kind != Segment::Path, "Router", "a <path:> parameter must be last");
    return out;
}

void Router::add(Route route)
{
    m_routes.push_back(std::move(route));
    const size_t index = m_routes.size() - 1;
    const Route &r = m_routes.back();
    const std::vector<Segment> segments = compile(r.pattern);
    for (Pattern &p : m_patterns) {
        if (p.source == r.pattern) {
            p.routes.push_back(index);
            return;
        }
    }
    m_patterns.push_back({r.pattern, segments, {index}});
}

bool Router::matches(const Pattern &p, const QStringList &segments, QHash<QString, QString> *params)
{
    const auto &ps = p.segments;
    const bool greedy = !ps.empty() && ps.back().kind == Segment::Path;
    if (greedy ? segments.size() < qsizetype(ps.size()) : segments.size() != qsizetype(ps.size()))
        return false;
    QHash<QString, QString> found;
    for (size_t i = 0; i < ps.size(); ++i) {
        const Segment &s = ps[i];
        const QString &value = segments[qsizetype(i)];
        switch (s.kind) {
        case Segment::Literal:
            if (value != s.text)
                return false;
            break;
        case Segment::Uuid:
            if (!isCanonicalUuid(value))
                return false;
            found.insert(s.text, value);
            break;
        case Segment::Param:
            found.insert(s.text, value);
            break;
        case Segment::Path:
            found.insert(s.text, segments.mid(qsizetype(i)).join(u'/'));
            break;
        }
    }
    *params = std::move(found);
    return true;
}

// Literal segments beat parameters, fixed parameters beat a greedy path, earlier decides first.
bool Router::moreSpecific(const Pattern &a, const Pattern &b)
{
    const size_t n = std::min(a.segments.size(), b.segments.size());
    for (size_t i = 0; i < n; ++i) {
        const int ra = a.segments[i].kind == Segment::Literal ? 0
            : a.segments[i].kind == Segment::Path             ? 2
                                                              : 1;
        const int rb = b.segments[i].kind == Segment::Literal ? 0
            : b.segments[i].kind == Segment::Path             ? 2
                                                              : 1;
        if (ra != rb)
            return ra < rb;
    }
    return a.segments.size() > b.segments.size();
}

Router::Match Router::match(const QByteArray &method, const QString &path) const
{
    Match result;
    if (!path.startsWith(kPrefix))
        return result;
    QString rest = path.mid(kPrefix.size());
    if (rest.endsWith(u'/'))
        rest.chop(1);
    const QStringList segments = rest.isEmpty() ? QStringList() : rest.split(u'/');
    for (const QString &s : segments)
        if (s.isEmpty())
            return result; // "//" never matches

    const Pattern *best = nullptr;
    QHash<QString, QString> bestParams;
    for (const Pattern &p : m_patterns) {
        QHash<QString, QString> params;
        if (!matches(p, segments, &params))
            continue;
        if (!best || moreSpecific(p, *best)) {
            best = &p;
            bestParams = std::move(params);
        }
    }
    if (!best)
        return result;
    for (size_t index : best->routes) {
        const Route &r = m_routes[index];
        if (r.method == method) {
            result.kind = Match::Found;
            result.route = &r;
            result.params = std::move(bestParams);
            return result;
        }
        result.allowed.append(r.method);
    }
    if (result.allowed.contains("GET"))
        result.allowed.append("HEAD");
    result.kind = Match::MethodNotAllowed;
    return result;
}

} // namespace qfc::api
