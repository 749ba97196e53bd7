#include "testenv.h"

#include <QFile>
#include <QProcessEnvironment>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>
#include <QUrl>
#include <QUuid>

#include <stdexcept>

namespace qfc::test {

namespace {
QStringList &createdDatabases()
{
    static QStringList names;
    return names;
}

QString clusterUrl()
{
    const QString file = qEnvironmentVariable("QFC_TEST_PG_URL_FILE");
    QFile f(file);
    if (file.isEmpty() || !f.open(QIODevice::ReadOnly))
        throw std::runtime_error("QFC_TEST_PG_URL_FILE is not set or unreadable: the PostgreSQL "
                                 "test cluster did not start (it is mandatory)");
    return QString::fromUtf8(f.readAll()).trimmed();
}

// Runs one statement on the cluster's maintenance database.
void admin(const QString &sql)
{
    const QUrl url(clusterUrl());
    const QString name = u"qfc-test-admin"_qs;
    {
        QSqlDatabase db = QSqlDatabase::contains(name)
            ? QSqlDatabase::database(name)
            : QSqlDatabase::addDatabase(u"QPSQL"_qs, name);
        db.setHostName(url.host());
        db.setPort(url.port());
        db.setUserName(url.userName());
        db.setDatabaseName(u"postgres"_qs);
        if (!db.isOpen() && !db.open())
            throw std::runtime_error("cannot reach the PostgreSQL test cluster: "
                                     + db.lastError().text().toStdString());
        QSqlQuery q(db);
        if (!q.exec(sql))
            throw std::runtime_error(q.lastError().text().toStdString());
    }
}
} // namespace

Backend backend()
{
    return qEnvironmentVariable("QFC_TEST_DB") == u"postgres" ? Backend::Postgres : Backend::Sqlite;
}

QString backendName()
{
    return backend() == Backend::Postgres ? u"postgres"_qs : u"sqlite"_qs;
}

QString freshDatabaseUrl(const QString &dataDir)
{
    if (backend() == Backend::Sqlite)
        return u"sqlite:///"_qs + dataDir + u"/test.sqlite3"_qs;
    const QString name = u"qfc_test_"_qs + QUuid::createUuid().toString(QUuid::Id128).left(16);
    admin(u"CREATE DATABASE "_qs + name);
    createdDatabases().append(name);
    QUrl url(clusterUrl());
    url.setPath(u"/"_qs + name);
    return url.toString();
}

void dropCreatedDatabases()
{
    for (const QString &name : std::as_const(createdDatabases())) {
        try {
            admin(u"DROP DATABASE IF EXISTS "_qs + name + u" WITH (FORCE)"_qs);
        } catch (const std::exception &) { }
    }
    createdDatabases().clear();
    QSqlDatabase::removeDatabase(u"qfc-test-admin"_qs);
}

QString serverBinary()
{
    return qEnvironmentVariable("QFC_TEST_SERVER_BINARY");
}

QString sharedTestData()
{
    return qEnvironmentVariable("QFC_TEST_DATA");
}

} // namespace qfc::test
