#include "headers.h"

namespace qfc::http {

namespace {
bool same(const QByteArray &a, const QByteArray &b)
{
    return a.compare(b, Qt::CaseInsensitive) == 0;
}
} // namespace

void Headers::set(const QByteArray &name, const QByteArray &value)
{
    remove(name);
    add(name, value);
}

void Headers::remove(const QByteArray &name)
{
    m_fields.removeIf([&](const Field &f) { return same(f.first, name); });
}

bool Headers::contains(const QByteArray &name) const
{
    for (const Field &f : m_fields)
        if (same(f.first, name))
            return true;
    return false;
}

QByteArray Headers::value(const QByteArray &name, const QByteArray &fallback) const
{
    for (const Field &f : m_fields)
        if (same(f.first, name))
            return f.second;
    return fallback;
}

QList<QByteArray> Headers::values(const QByteArray &name) const
{
    QList<QByteArray> out;
    for (const Field &f : m_fields)
        if (same(f.first, name))
            out.append(f.second);
    return out;
}

} // namespace qfc::http
