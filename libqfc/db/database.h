#pragma once

#include <QSqlDatabase>
#include <QString>

#include <atomic>
#include <stdexcept>

namespace qfc::db {

enum class Dialect { Sqlite, Postgres };

// A database failure (connection, statement). The HTTP layer answers it with 500 unknown_error and
// logs the text; it never reaches a client.
class DbError : public std::runtime_error
{
public:
    DbError(const QString &what, QString nativeCode = {});
    const QString &nativeCode() const { return m_nativeCode; }
    // A UNIQUE constraint failed (a concurrent insert won).
    bool isUniqueViolation() const;

private:
    QString m_nativeCode;
};

// One configured database. Every thread gets its own connection, opened on first use
// (QSqlDatabase connections must stay on their thread). URLs:
//   sqlite:PATH (relative to the data directory), sqlite:///ABSOLUTE/PATH
//   postgresql://USER[:PASSWORD]@HOST[:PORT]/NAME[?sslmode=...&connect_timeout=...]
// SQLite runs with WAL, foreign keys, a busy timeout and synchronous=FULL; PostgreSQL in UTC.
class Database
{
public:
    Database(const QString &url, const QString &dataDir, int busyTimeoutMs = 15000);
    ~Database();
    Database(const Database &) = delete;
    Database &operator=(const Database &) = delete;

    Dialect dialect() const { return m_dialect; }
    // This thread's connection, opened (or re-opened after a lost connection) on demand.
    QSqlDatabase connection();
    // A description without credentials, for logs.
    QString describe() const;
    // Checks that the database answers (status endpoint).
    bool ping();

private:
    QString connectionName() const;
    void configure(QSqlDatabase &db) const;

    Dialect m_dialect;
    QString m_driver;
    QString m_sqlitePath;
    QString m_host;
    int m_port = 5432;
    QString m_name;
    QString m_user;
    QString m_password;
    QString m_options;
    int m_busyTimeoutMs;
    QString m_prefix;
    static std::atomic<int> s_instances;
};

} // namespace qfc::db

namespace qfc::db {
// The dialect of an open connection.
Dialect dialectOf(const QSqlDatabase &db);
// Dialect spellings used by the repositories.
QString sqlPosition(const QSqlDatabase &db, const QString &needle, const QString &haystack);
QString sqlBinaryCollation(const QSqlDatabase &db); // appended after an ORDER BY term
} // namespace qfc::db
