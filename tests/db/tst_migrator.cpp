#include "auth/passwordhasher.h"
#include "db/database.h"
#include "db/migrator.h"
#include "db/query.h"
#include "db/transaction.h"
#include "testenv.h"

#include <QFile>
#include <QSqlError>
#include <QTemporaryDir>
#include <QTest>

using namespace qfc::db;

namespace {

// A readable dump of the schema: tables with their columns, and indexes.
QString schemaDump(Database &database)
{
    QSqlDatabase db = database.connection();
    QStringList lines;
    if (database.dialect() == Dialect::Sqlite) {
        Query q(db,
                u"SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
                "AND sql IS NOT NULL ORDER BY type DESC, name"_qs);
        q.exec();
        while (q.next())
            lines << q.text(0) + u' ' + q.text(1) + u": "_qs + q.text(2).simplified();
    } else {
        Query t(db,
                u"SELECT table_name, column_name, data_type, is_nullable, "
                "coalesce(column_default, '') FROM information_schema.columns WHERE "
                "table_schema = current_schema() ORDER BY table_name, ordinal_position"_qs);
        t.exec();
        while (t.next())
            lines << u"column "_qs + t.text(0) + u'.' + t.text(1) + u": "_qs + t.text(2)
                    + (t.text(3) == u"NO" ? u" NOT NULL"_qs : QString())
                    + (t.text(4).isEmpty() ? QString() : u" DEFAULT "_qs + t.text(4));
        Query i(db,
                u"SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = "
                "current_schema() ORDER BY indexname"_qs);
        i.exec();
        while (i.next())
            lines << u"index "_qs + i.text(0) + u": "_qs + i.text(1);
        Query c(db,
                u"SELECT CAST(conrelid AS regclass), conname, pg_get_constraintdef(oid) FROM "
                "pg_constraint WHERE connamespace = CAST(current_schema() AS regnamespace) "
                "ORDER BY 1, 2"_qs);
        c.exec();
        while (c.next())
            lines << u"constraint "_qs + c.text(0) + u'.' + c.text(1) + u": "_qs + c.text(2);
    }
    return lines.join(u'\n') + u'\n';
}

void runScript(Database &database, const QString &path)
{
    QFile f(path);
    QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(path));
    const QString sql = Migrator::translate(QString::fromUtf8(f.readAll()), database.dialect());
    Transaction tx(database);
    for (const QString &s : Migrator::splitStatements(sql))
        Query::run(tx.connection(), s);
    tx.commit();
}

} // namespace

class tst_Migrator final : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<Database> fresh()
    {
        return std::make_unique<Database>(qfc::test::freshDatabaseUrl(m_dir.path()), m_dir.path());
    }
    std::unique_ptr<Database> m_db;

private Q_SLOTS:
    void init()
    {
        QDir(m_dir.path()).removeRecursively();
        QDir().mkpath(m_dir.path());
        m_db = fresh();
    }

    void cleanup() { m_db.reset(); }

    void cleanupTestCase() { qfc::test::dropCreatedDatabases(); }

    void appliesAllToEmpty()
    {
        Migrator m(*m_db);
        QVERIFY(m.latestVersion() >= 1);
        QCOMPARE(m.currentVersion(), 0);
        QCOMPARE(m.pending().size(), m.latestVersion());
        const auto applied = m.migrate();
        QCOMPARE(applied.size(), m.latestVersion());
        QCOMPARE(m.currentVersion(), m.latestVersion());
        m.verifyCurrent();
        // Recorded, one row per migration.
        QCOMPARE(Query::scalar(m_db->connection(), u"SELECT count(*) FROM schema_migrations"_qs)
                     ->toInt(),
                 m.latestVersion());
    }

    void rerunIsNoop()
    {
        Migrator m(*m_db);
        m.migrate();
        const QString before = schemaDump(*m_db);
        QCOMPARE(m.migrate().size(), 0);
        QCOMPARE(m.pending().size(), 0);
        QCOMPARE(schemaDump(*m_db), before);
    }

    void dryRunChangesNothing()
    {
        Migrator m(*m_db);
        const auto planned = m.migrate(true);
        QCOMPARE(planned.size(), m.latestVersion());
        QCOMPARE(m.currentVersion(), 0);
        QCOMPARE(schemaDump(*m_db).trimmed(), QString());
    }

    void refusesNewerSchema()
    {
        Migrator m(*m_db);
        m.migrate();
        Query::run(m_db->connection(),
                   u"INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, "
                   "'future', 0)"_qs);
        try {
            m.verifyCurrent();
            QFAIL("accepted a newer schema");
        } catch (const DbError &e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(u"newer"_qs), e.what());
        }
        QVERIFY_THROWS_EXCEPTION(DbError, m.migrate());
    }

    void refusesUnmigrated()
    {
        Migrator m(*m_db);
        QVERIFY_THROWS_EXCEPTION(DbError, m.verifyCurrent());
    }

    void failedMigrationRollsBack()
    {
        QTemporaryDir scripts;
        auto write = [&](const QString &name, const QByteArray &sql) {
            QFile f(scripts.filePath(name));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(sql);
        };
        write(u"0001_one.sql"_qs, "CREATE TABLE one (id {{ID}}, v TEXT NOT NULL);");
        write(u"0002_two.sql"_qs, "CREATE TABLE two (id {{ID}});\nINSERT INTO nowhere VALUES (1);");
        Migrator m(*m_db, scripts.path());
        QVERIFY_THROWS_EXCEPTION(DbError, m.migrate());
        QCOMPARE(m.currentVersion(), 1);
        const QString dump = schemaDump(*m_db);
        QVERIFY(dump.contains(u"one"_qs));
        QVERIFY2(!dump.contains(u"two"_qs), qPrintable(dump)); // 0002 left nothing behind
    }

    void dialectOverrideWins()
    {
        QTemporaryDir scripts;
        QFile common(scripts.filePath(u"0001_x.sql"_qs));
        QVERIFY(common.open(QIODevice::WriteOnly));
        common.write("CREATE TABLE from_common (id INTEGER);");
        common.close();
        const QString own =
            qfc::test::backend() == qfc::test::Backend::Sqlite ? u"sqlite"_qs : u"postgres"_qs;
        QFile specific(scripts.filePath(u"0001_x."_qs + own + u".sql"_qs));
        QVERIFY(specific.open(QIODevice::WriteOnly));
        specific.write("CREATE TABLE from_dialect (id INTEGER);");
        specific.close();
        Migrator(*m_db, scripts.path()).migrate();
        const QString dump = schemaDump(*m_db);
        QVERIFY(dump.contains(u"from_dialect"_qs));
        QVERIFY(!dump.contains(u"from_common"_qs));
    }

    void upgradesFrozenFixture()
    {
        runScript(*m_db, qEnvironmentVariable("QFC_TEST_TESTS_DIR") + u"/data/db/v0001.sql"_qs);
        Migrator m(*m_db);
        QCOMPARE(m.currentVersion(), 1);
        m.migrate();
        m.verifyCurrent();
        Query q(m_db->connection(), u"SELECT username, email, password FROM users"_qs);
        q.exec();
        QVERIFY(q.next());
        QCOMPARE(q.text(0), u"alice"_qs);
        QCOMPARE(q.text(1), u"alice@example.com"_qs);
        QVERIFY(qfc::PasswordHasher::verify(u"fixture-password"_qs, q.text(2), 1000));
        QCOMPARE(Query::scalar(m_db->connection(), u"SELECT count(*) FROM auth_tokens"_qs)->toInt(),
                 1);
        // The upgraded schema equals a freshly built one.
        auto other = fresh();
        Migrator(*other).migrate();
        QCOMPARE(schemaDump(*m_db), schemaDump(*other));
    }

    void schemaSnapshot()
    {
        Migrator(*m_db).migrate();
        const QString dump = schemaDump(*m_db);
        const QString ref = qEnvironmentVariable("QFC_TEST_TESTS_DIR") + u"/data/schema/"_qs
            + qfc::test::backendName() + u".txt"_qs;
        QFile f(ref);
        if (qEnvironmentVariableIsSet("QFC_TEST_REGENERATE_REFERENCES")) {
            QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
            f.write(dump.toUtf8());
            QSKIP("reference regenerated");
        }
        QVERIFY2(f.open(QIODevice::ReadOnly),
                 "missing schema reference: run with QFC_TEST_REGENERATE_REFERENCES=1 and review");
        QCOMPARE(dump, QString::fromUtf8(f.readAll()));
    }

    void splitStatements_data()
    {
        QTest::addColumn<QString>("sql");
        QTest::addColumn<QStringList>("statements");
        QTest::newRow("two") << u"A; B;"_qs << QStringList{u"A"_qs, u"B"_qs};
        QTest::newRow("quoted-semicolon")
            << u"INSERT INTO t VALUES ('a;b'); X"_qs
            << QStringList{u"INSERT INTO t VALUES ('a;b')"_qs, u"X"_qs};
        QTest::newRow("line-comment")
            << u"A; -- not; a statement\nB;"_qs << QStringList{u"A"_qs, u"B"_qs};
        QTest::newRow("block-comment") << u"A /* ; */; B"_qs << QStringList{u"A"_qs, u"B"_qs};
        QTest::newRow("empty") << u" ; ;\n"_qs << QStringList{};
    }

    void splitStatements()
    {
        QFETCH(QString, sql);
        QFETCH(QStringList, statements);
        QStringList got = Migrator::splitStatements(sql);
        for (QString &s : got)
            s = s.simplified();
        QCOMPARE(got, statements);
    }

    void transactionRollsBackUnlessCommitted()
    {
        Migrator(*m_db).migrate();
        {
            Transaction tx(*m_db);
            Query::run(tx.connection(),
                       u"INSERT INTO users (username, date_joined) VALUES "
                       "('ghost', 1)"_qs);
        }
        QCOMPARE(Query::scalar(m_db->connection(), u"SELECT count(*) FROM users"_qs)->toInt(), 0);
        {
            Transaction tx(*m_db);
            Query::run(tx.connection(),
                       u"INSERT INTO users (username, date_joined) VALUES "
                       "('kept', 1)"_qs);
            tx.commit();
        }
        QCOMPARE(Query::scalar(m_db->connection(), u"SELECT count(*) FROM users"_qs)->toInt(), 1);
    }

    void uniqueViolationIsRecognised()
    {
        Migrator(*m_db).migrate();
        Query::run(m_db->connection(),
                   u"INSERT INTO users (username, date_joined) VALUES ('bob', 1)"_qs);
        try {
            Query::run(m_db->connection(),
                       u"INSERT INTO users (username, date_joined) VALUES ('BOB', 1)"_qs);
            QFAIL("case-insensitive duplicate accepted");
        } catch (const DbError &e) {
            QVERIFY2(e.isUniqueViolation(), e.what());
        }
    }
};

QTEST_GUILESS_MAIN(tst_Migrator)
#include "tst_migrator.moc"
