#pragma once

#include "database.h"

#include <QList>
#include <QString>

namespace qfc::db {

// Numbered SQL migrations compiled in from resources/migrations/NNNN_name.sql, one transaction
// each, recorded in schema_migrations(version, name, applied_at). One set runs on both dialects:
// `{{ID}}` becomes the dialect's auto-increment primary key and `{{BLOB}}` its binary type; a
// file NNNN_name.sqlite.sql or NNNN_name.postgres.sql replaces the common one for that dialect.
class Migrator
{
public:
    struct Migration
    {
        int version = 0;
        QString name;
        QString sql; // already translated for the dialect
    };

    explicit Migrator(Database &database, QString resourceDir = u":/qfc/migrations"_qs);

    QList<Migration> available() const { return m_available; }
    int latestVersion() const;
    // 0 for an empty database.
    int currentVersion();
    QList<Migration> pending();
    // Applies the pending migrations (none with `dryRun`) and returns them. Throws DbError when the
    // database was migrated by a newer qfc-server, or when a migration fails (its transaction is
    // rolled back; earlier ones stay applied).
    QList<Migration> migrate(bool dryRun = false);
    // Throws DbError when the database schema is newer than this code or not fully migrated.
    void verifyCurrent();

    // Splits a script into statements at ';' outside quotes and comments.
    static QStringList splitStatements(const QString &sql);
    // Replaces the dialect placeholders ({{ID}}, {{BLOB}}).
    static QString translate(QString sql, Dialect dialect);

private:
    void ensureTable(const QSqlDatabase &db);
    void refuseNewer(int current) const;

    Database &m_database;
    QList<Migration> m_available;
};

} // namespace qfc::db
