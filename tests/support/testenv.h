#pragma once

#include <QString>

namespace qfc::test {

// The database backend a test executable runs against: QFC_TEST_DB = sqlite (default) | postgres.
enum class Backend { Sqlite, Postgres };
Backend backend();
QString backendName();

// A fresh, empty database for one test server: a SQLite file under `dataDir`, or a new database
// in the test suite's PostgreSQL cluster (QFC_TEST_PG_URL_FILE names the file with its URL). With
// the postgres backend and no reachable cluster this fails the test: PostgreSQL is mandatory.
QString freshDatabaseUrl(const QString &dataDir);
// Drops the PostgreSQL databases created by freshDatabaseUrl() (best effort, at exit).
void dropCreatedDatabases();

// Paths CTest passes in: QFC_TEST_SERVER_BINARY (qfc-server), QFC_TEST_DATA (shared test data).
QString serverBinary();
QString sharedTestData();

} // namespace qfc::test
