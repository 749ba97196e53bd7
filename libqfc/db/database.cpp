#include "database.h"

#include "core/logging.h"

#include <QDir>
#include <QFileInfo>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>
#include <QThreadStorage>
#include <QUrl>
#include <QUrlQuery>

namespace qfc::db {

std::atomic<int> Database::s_instances{0};

namespace {

// Closes and forgets one connection of the calling thread.
void removeConnection(const QString &name)
{
    {
        QSqlDatabase db = QSqlDatabase::database(name, false);
        if (db.isOpen())
            db.close();
    }
    QSqlDatabase::removeDatabase(name);
}

// Removes this thread's connections when the thread ends. QThreadStorage deletes it while Qt still
// counts the thread as running (a pool thread's data before QThreadPool lets go of it; the main
// thread's when QCoreApplication is destroyed); a C++ thread_local would run later, at the
// thread's very exit, possibly after the process exit has destroyed QtSql's connection registry.
struct ThreadConnections
{
    QStringList names;
    ~ThreadConnections()
    {
        for (const QString &name : std::as_const(names))
            removeConnection(name);
    }
};

QThreadStorage<ThreadConnections *> s_connections;

QStringList &threadConnectionNames()
{
    if (!s_connections.hasLocalData())
        s_connections.setLocalData(new ThreadConnections);
    return s_connections.localData()->names;
}

} // namespace

DbError::DbError(const QString &what, QString nativeCode)
    : std::runtime_error(what.toStdString()), m_nativeCode(std::move(nativeCode))
{ }

bool DbError::isUniqueViolation() const
{
    // PostgreSQL SQLSTATE 23505; SQLite extended code 2067 (SQLITE_CONSTRAINT_UNIQUE) or 1555
    // (primary key), or the base constraint code with its message.
    return m_nativeCode == u"23505" || m_nativeCode == u"2067" || m_nativeCode == u"1555"
        || QString::fromUtf8(what()).contains(u"UNIQUE constraint failed");
}

Database::Database(const QString &url, const QString &dataDir, int busyTimeoutMs)
    : m_busyTimeoutMs(busyTimeoutMs), m_prefix(QStringLiteral("qfc-db%1").arg(++s_instances))
{
    if (url.startsWith(u"sqlite:")) {
        m_dialect = Dialect::Sqlite;
        m_driver = u"QSQLITE"_qs;
        QString path = url.mid(7);
        if (path.startsWith(u"//"))
            path = path.mid(2); // sqlite:///abs/path → /abs/path
        if (path.isEmpty())
            throw DbError(u"database URL has no SQLite file: "_qs + url);
        m_sqlitePath = QDir::cleanPath(QDir(dataDir).absoluteFilePath(path));
    } else if (url.startsWith(u"postgresql://") || url.startsWith(u"postgres://")) {
        m_dialect = Dialect::Postgres;
        m_driver = u"QPSQL"_qs;
        const QUrl u(url);
        if (!u.isValid() || u.path().size() < 2)
            throw DbError(
                u"malformed PostgreSQL URL (postgresql://USER:PASSWORD@HOST:PORT/NAME)"_qs);
        m_host = u.host();
        m_port = u.port(5432);
        m_name = u.path().mid(1);
        m_user = u.userName(QUrl::FullyDecoded);
        m_password = u.password(QUrl::FullyDecoded);
        QStringList opts;
        const auto items = QUrlQuery(u).queryItems(QUrl::FullyDecoded);
        for (const auto &item : items)
            opts << item.first + u'=' + item.second;
        m_options = opts.join(u';');
    } else {
        throw DbError(u"unsupported database URL (use sqlite:PATH or postgresql://...): "_qs
                      + url.section(u':', 0, 0));
    }
    if (!QSqlDatabase::isDriverAvailable(m_driver))
        throw DbError(u"the Qt SQL driver "_qs + m_driver + u" is not installed"_qs);
}

Database::~Database()
{
    const QString name = connectionName();
    if (s_connections.hasLocalData() && s_connections.localData()->names.removeAll(name) > 0)
        removeConnection(name);
}

QString Database::connectionName() const
{
    return m_prefix + u'-'
        + QString::number(reinterpret_cast<quintptr>(QThread::currentThread()), 16);
}

QString Database::describe() const
{
    if (m_dialect == Dialect::Sqlite)
        return u"SQLite "_qs + m_sqlitePath;
    return QStringLiteral("PostgreSQL %1@%2:%3/%4").arg(m_user, m_host).arg(m_port).arg(m_name);
}

void Database::configure(QSqlDatabase &db) const
{
    QSqlQuery q(db);
    auto run = [&](const QString &sql) {
        if (!q.exec(sql))
            throw DbError(u"cannot configure connection ("_qs + sql + u"): "_qs
                          + q.lastError().text());
    };
    if (m_dialect == Dialect::Sqlite) {
        run(u"PRAGMA journal_mode=WAL"_qs);
        run(u"PRAGMA synchronous=FULL"_qs);
        run(u"PRAGMA foreign_keys=ON"_qs);
        run(QStringLiteral("PRAGMA busy_timeout=%1").arg(m_busyTimeoutMs));
    } else {
        run(u"SET TIME ZONE 'UTC'"_qs);
        // Migrations' IF NOT EXISTS notices would reach stderr through libpq; warnings still do.
        run(u"SET client_min_messages = warning"_qs);
    }
}

QSqlDatabase Database::connection()
{
    const QString name = connectionName();
    if (QSqlDatabase::contains(name)) {
        QSqlDatabase db = QSqlDatabase::database(name, false);
        if (db.isOpen())
            return db;
    } else {
        QSqlDatabase db = QSqlDatabase::addDatabase(m_driver, name);
        threadConnectionNames().append(name);
        if (m_dialect == Dialect::Sqlite) {
            QDir().mkpath(QFileInfo(m_sqlitePath).absolutePath());
            db.setDatabaseName(m_sqlitePath);
            db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(m_busyTimeoutMs));
        } else {
            db.setHostName(m_host);
            db.setPort(m_port);
            db.setDatabaseName(m_name);
            db.setUserName(m_user);
            db.setPassword(m_password);
            db.setConnectOptions(m_options);
        }
    }
    QSqlDatabase db = QSqlDatabase::database(name, false);
    if (!db.open())
        throw DbError(u"cannot open "_qs + describe() + u": "_qs + db.lastError().text());
    configure(db);
    qCDebug(lcDb) << "opened connection" << name;
    return db;
}

bool Database::ping()
{
    try {
        QSqlDatabase db = connection();
        QSqlQuery q(db);
        if (q.exec(u"SELECT 1"_qs) && q.next())
            return true;
        // A lost server connection: drop it so the next call reconnects.
        db.close();
        return false;
    } catch (const DbError &e) {
        qCWarning(lcDb) << "database check failed:" << e.what();
        return false;
    }
}

} // namespace qfc::db

namespace qfc::db {

Dialect dialectOf(const QSqlDatabase &db)
{
    return db.driverName() == u"QPSQL" ? Dialect::Postgres : Dialect::Sqlite;
}

QString sqlPosition(const QSqlDatabase &db, const QString &needle, const QString &haystack)
{
    return dialectOf(db) == Dialect::Postgres ? u"strpos("_qs + haystack + u", "_qs + needle + u')'
                                              : u"instr("_qs + haystack + u", "_qs + needle + u')';
}

QString sqlBinaryCollation(const QSqlDatabase &db)
{
    return dialectOf(db) == Dialect::Postgres ? u" COLLATE \"C\""_qs : u" COLLATE BINARY"_qs;
}

} // namespace qfc::db
