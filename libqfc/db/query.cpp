#include "query.h"

#include <QSqlError>

namespace qfc::db {

QVariant null()
{
    return QVariant(QMetaType::fromType<QString>());
}

Query::Query(const QSqlDatabase &db, const QString &sql) : m_db(db), m_query(db), m_sql(sql)
{
    m_query.setForwardOnly(true);
    if (!m_query.prepare(sql))
        raise();
}

void Query::raise()
{
    const QSqlError err = m_query.lastError();
    // A lost PostgreSQL connection: close it so that this thread reconnects on its next use.
    // (QSQLITE reports ordinary statement failures as connection errors, so only PostgreSQL.)
    if (dialectOf(m_db) == Dialect::Postgres) {
        const QString text = err.text();
        if (text.contains(u"server closed the connection"_qs) || text.contains(u"no connection"_qs)
            || text.contains(u"terminating connection"_qs) || text.contains(u"SSL SYSCALL"_qs)
            || text.contains(u"could not send data"_qs))
            m_db.close();
    }
    throw DbError(err.text() + u" [SQL: "_qs + m_sql.simplified().left(300) + u"]"_qs,
                  err.nativeErrorCode());
}

Query &Query::bind(const QString &placeholder, const QVariant &value)
{
    // A null QString is text here (''); SQL NULL is bound with db::null().
    if (!value.isNull() && value.metaType() == QMetaType::fromType<QString>()
        && value.toString().isNull())
        m_query.bindValue(placeholder, QString(u""_qs));
    else
        m_query.bindValue(placeholder, value);
    return *this;
}

Query &Query::exec()
{
    if (!m_query.exec())
        raise();
    return *this;
}

bool Query::next()
{
    if (m_query.next())
        return true;
    m_query.finish();
    return false;
}

std::optional<qint64> Query::optionalInteger(int index) const
{
    const QVariant v = m_query.value(index);
    if (v.isNull())
        return std::nullopt;
    return v.toLongLong();
}

void Query::run(const QSqlDatabase &db, const QString &sql, const QVariantMap &values)
{
    if (values.isEmpty()) {
        // Unprepared: DDL cannot be prepared on PostgreSQL.
        QSqlQuery q(db);
        if (!q.exec(sql))
            throw DbError(q.lastError().text() + u" [SQL: "_qs + sql.simplified().left(300)
                              + u"]"_qs,
                          q.lastError().nativeErrorCode());
        return;
    }
    Query q(db, sql);
    for (auto it = values.cbegin(); it != values.cend(); ++it)
        q.bind(it.key(), it.value());
    q.exec();
}

std::optional<QVariant> Query::scalar(const QSqlDatabase &db, const QString &sql,
                                      const QVariantMap &values)
{
    Query q(db, sql);
    for (auto it = values.cbegin(); it != values.cend(); ++it)
        q.bind(it.key(), it.value());
    q.exec();
    if (!q.next())
        return std::nullopt;
    const QVariant value = q.value(0);
    q.finish();
    return value;
}

} // namespace qfc::db
