#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>

namespace qfc::http {

// An ordered list of HTTP header fields with case-insensitive lookup.
class Headers
{
public:
    using Field = QPair<QByteArray, QByteArray>;

    void add(const QByteArray &name, const QByteArray &value) { m_fields.append({name, value}); }
    void set(const QByteArray &name, const QByteArray &value);
    void remove(const QByteArray &name);
    bool contains(const QByteArray &name) const;
    // The first value, or `fallback`.
    QByteArray value(const QByteArray &name, const QByteArray &fallback = {}) const;
    QList<QByteArray> values(const QByteArray &name) const;
    const QList<Field> &fields() const { return m_fields; }
    bool isEmpty() const { return m_fields.isEmpty(); }

private:
    QList<Field> m_fields;
};

} // namespace qfc::http
