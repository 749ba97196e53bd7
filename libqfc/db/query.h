#pragma once

#include "database.h"

#include <QSqlQuery>
#include <QVariant>

#include <optional>

namespace qfc::db {

// A prepared statement with bound values only; every failure throws DbError.
//   Query q(db, u"SELECT id FROM users WHERE username = :u"_qs);
//   q.bind(u":u"_qs, name).exec();
//   while (q.next()) ...
class Query
{
public:
    Query(const QSqlDatabase &db, const QString &sql);

    Query &bind(const QString &placeholder, const QVariant &value);
    Query &exec();
    // The next row; after the last one the statement is finished, so that it holds no read
    // snapshot (SQLite) while the same connection goes on writing.
    bool next();
    // Ends the statement early (read what you need, then write on the same connection).
    void finish() { m_query.finish(); }
    QVariant value(int index) const { return m_query.value(index); }
    QVariant value(const QString &column) const { return m_query.value(column); }
    qint64 integer(int index) const { return m_query.value(index).toLongLong(); }
    QString text(int index) const { return m_query.value(index).toString(); }
    bool flag(int index) const { return m_query.value(index).toBool(); }
    // NULL → std::nullopt.
    std::optional<qint64> optionalInteger(int index) const;
    int rowsAffected() const { return m_query.numRowsAffected(); }
    QSqlQuery &raw() { return m_query; }

    // Runs a statement without results.
    static void run(const QSqlDatabase &db, const QString &sql, const QVariantMap &values = {});
    // The first column of the first row, or std::nullopt when there is no row.
    static std::optional<QVariant> scalar(const QSqlDatabase &db, const QString &sql,
                                          const QVariantMap &values = {});

private:
    [[noreturn]] void raise();

    QSqlDatabase m_db;
    QSqlQuery m_query;
    QString m_sql;
};

// An untyped NULL for bind().
QVariant null();

} // namespace qfc::db
