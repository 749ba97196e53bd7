// The qfc-server command line as operators and the README use it: a real process each time.
#include "db/database.h"
#include "db/query.h"
#include "testenv.h"
#include "testserver.h"

#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace qfc::test;

class tst_Cli final : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_dbUrl;

private Q_SLOTS:
    void initTestCase() { QVERIFY2(QFile::exists(serverBinary()), qPrintable(serverBinary())); }

    void init()
    {
        QDir(m_dir.path()).removeRecursively();
        QDir().mkpath(m_dir.path());
        m_dbUrl = backend() == Backend::Postgres ? freshDatabaseUrl(m_dir.path()) : QString();
    }

    void cleanupTestCase() { dropCreatedDatabases(); }

    QStringList dbArgs() const
    {
        return m_dbUrl.isEmpty() ? QStringList() : QStringList{u"--database-url"_qs, m_dbUrl};
    }

    // The README's first command path: first start prints the admin password once; both client
    // login styles work; a restart keeps everything and prints no new password.
    void firstStartAndRestart()
    {
        ServerProcess server(m_dir.path(), m_dbUrl);
        QVERIFY2(server.start(), qPrintable(server.output()));
        const auto m =
            QRegularExpression(u"username: (\\S+)\\s+password: (\\S+)"_qs).match(server.output());
        QVERIFY2(m.hasMatch(), qPrintable(server.output()));
        const QString user = m.captured(1), password = m.captured(2);
        QCOMPARE(user, u"admin"_qs);
        QVERIFY(password.size() >= 16);
        // The password is printed, never logged.
        QFile log(m_dir.filePath(u"logs/qfc.log"_qs));
        QVERIFY(log.open(QIODevice::ReadOnly));
        QVERIFY(!log.readAll().contains(password.toUtf8()));

        HttpClient sdk(server.baseUrl());
        const Reply form =
            sdk.postForm(u"auth/login/"_qs, {{u"username"_qs, user}, {u"password"_qs, password}});
        QCOMPARE(form.status, 200);
        HttpClient qfield(server.baseUrl());
        qfield.setUserAgent("qfield|3.5.0|Tsavo|abc| QGIS/34000");
        const Reply json = qfield.postJson(u"auth/token/"_qs,
                                           {{u"username"_qs, user}, {u"password"_qs, password}});
        QCOMPARE(json.status, 200);
        qfield.setToken(json.object()[u"token"_qs].toString());
        QCOMPARE(qfield.get(u"auth/user/"_qs).object()[u"username"_qs].toString(), u"admin"_qs);
        QCOMPARE(server.stop(), 0);

        ServerProcess again(m_dir.path(), m_dbUrl);
        QVERIFY2(again.start(), qPrintable(again.output()));
        QVERIFY(!again.output().contains(u"password:"_qs));
        HttpClient c(again.baseUrl());
        c.setToken(json.object()[u"token"_qs].toString());
        QCOMPARE(c.get(u"auth/user/"_qs).status, 200);
    }

    void createUserReadsPasswordFromStdin()
    {
        CommandRun r = runServerCommand(
            QStringList{u"createuser"_qs, u"--data-dir"_qs, m_dir.path(), u"--username"_qs,
                        u"field-worker"_qs, u"--email"_qs, u"fw@example.com"_qs}
                + dbArgs(),
            "long enough secret\n");
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(r.out.contains(u"field-worker"_qs));
        // Taken names and addresses are refused.
        r = runServerCommand(QStringList{u"createuser"_qs, u"--data-dir"_qs, m_dir.path(),
                                         u"--username"_qs, u"Field-Worker"_qs, u"--email"_qs,
                                         u"x@example.com"_qs}
                                 + dbArgs(),
                             "pw\n");
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.err.contains(u"taken"_qs));
        r = runServerCommand(QStringList{u"createuser"_qs, u"--data-dir"_qs, m_dir.path(),
                                         u"--username"_qs, u"other"_qs, u"--email"_qs,
                                         u"FW@example.com"_qs}
                                 + dbArgs(),
                             "pw\n");
        QCOMPARE(r.exitCode, 1);
        // Bad input.
        r = runServerCommand(QStringList{u"createuser"_qs, u"--data-dir"_qs, m_dir.path(),
                                         u"--username"_qs, u"1bad"_qs, u"--email"_qs,
                                         u"b@example.com"_qs}
                                 + dbArgs(),
                             "pw\n");
        QCOMPARE(r.exitCode, 2);
        r = runServerCommand(QStringList{u"createuser"_qs, u"--data-dir"_qs, m_dir.path(),
                                         u"--username"_qs, u"nopw"_qs, u"--email"_qs,
                                         u"n@example.com"_qs}
                                 + dbArgs(),
                             "");
        QCOMPARE(r.exitCode, 2);

        ServerProcess server(m_dir.path(), m_dbUrl);
        QVERIFY2(server.start(), qPrintable(server.output()));
        HttpClient c(server.baseUrl());
        QCOMPARE(c.postJson(u"auth/token/"_qs,
                            {{u"username"_qs, u"field-worker"_qs},
                             {u"password"_qs, u"long enough secret"_qs}})
                     .status,
                 200);
        // The administrator is still created: the operator's user is not a superuser.
        QVERIFY(server.output().contains(u"password:"_qs));
    }

    // The key that encrypts secrets: a 0600 file where secrets/key_file says; an unusable key
    // store stops the server before it creates anything.
    void secretKeyStore()
    {
        const QStringList common = QStringList{u"--data-dir"_qs, m_dir.path()} + dbArgs();
        QFile ini(m_dir.filePath(u"qfc.ini"_qs));
        QVERIFY(ini.open(QIODevice::WriteOnly));
        ini.write("[secrets]\nkey_file = keys/server.key\n");
        ini.close();
        CommandRun r = runServerCommand(QStringList{u"createuser"_qs, u"--username"_qs, u"olga"_qs,
                                                    u"--email"_qs, u"o@example.com"_qs}
                                            + common,
                                        "long enough secret\n");
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        r = runServerCommand(
            QStringList{u"org"_qs, u"create"_qs, u"acme"_qs, u"--owner"_qs, u"olga"_qs} + common);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        r = runServerCommand(
            QStringList{u"secret"_qs, u"set"_qs, u"API_TOKEN"_qs, u"--org"_qs, u"acme"_qs} + common,
            "t0ken-value\n");
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QFileInfo key(m_dir.filePath(u"keys/server.key"_qs));
        QVERIFY(key.exists());
        QCOMPARE(key.permissions()
                     & ~(QFile::ReadOwner | QFile::WriteOwner | QFile::ReadUser | QFile::WriteUser),
                 QFile::Permissions());
        QVERIFY(!QFile::exists(m_dir.filePath(u"secret.key"_qs)));
        r = runServerCommand(QStringList{u"secret"_qs, u"list"_qs, u"--org"_qs, u"acme"_qs}
                             + common);
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains(u"API_TOKEN\tenvvar"_qs), qPrintable(r.out));
        QVERIFY(!r.out.contains(u"t0ken-value"_qs));

        // An unknown store, and (on a machine without a Secret Service, as CI) the keychain.
        QTemporaryDir empty;
        const QStringList serve{u"serve"_qs, u"--data-dir"_qs, empty.path(), u"--listen"_qs,
                                u"127.0.0.1:0"_qs};
        r = runServerCommand(serve, {}, {{u"QFC_SECRETS_KEY_STORE"_qs, u"vault"_qs}});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(u"secrets/key_store is file or keychain"_qs), qPrintable(r.err));
        QVERIFY(!QFile::exists(empty.filePath(u"qfc.sqlite3"_qs)));
        if (qEnvironmentVariableIsSet("DBUS_SESSION_BUS_ADDRESS"))
            QSKIP("a D-Bus session exists here: the keychain may be usable");
        r = runServerCommand(serve, {}, {{u"QFC_SECRETS_KEY_STORE"_qs, u"keychain"_qs}});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(u"OS keychain"_qs) && r.err.contains(u"key_store=file"_qs),
                 qPrintable(r.err));
        QVERIFY(!r.out.contains(u"password:"_qs));
        QVERIFY(!QFile::exists(empty.filePath(u"qfc.sqlite3"_qs)));
    }

    // Two servers on one data directory: the first is the node of DATA/node-id, the second runs
    // under a fresh id (so neither fails the other's jobs or removes its uploads in progress);
    // once the first is gone, the next start is that node again.
    void sharedDataDirectory()
    {
        ServerProcess first(m_dir.path(), m_dbUrl);
        QVERIFY2(first.start(), qPrintable(first.output()));
        QFile idFile(m_dir.filePath(u"node-id"_qs));
        QVERIFY(idFile.open(QIODevice::ReadOnly));
        const QString persistent = QString::fromUtf8(idFile.readAll()).trimmed();
        idFile.close();
        QVERIFY(!persistent.isEmpty());
        QVERIFY(QFileInfo(m_dir.filePath(u"tmp/uploads/"_qs + persistent)).isDir());

        ServerProcess second(m_dir.path(), m_dbUrl);
        QVERIFY2(second.start(), qPrintable(second.output()));
        const auto m =
            QRegularExpression(u"this one runs as node (\\S+)"_qs).match(second.output());
        QVERIFY2(m.hasMatch(), qPrintable(second.output()));
        const QString other = m.captured(1);
        QVERIFY(other != persistent);
        QVERIFY(QFileInfo(m_dir.filePath(u"tmp/uploads/"_qs + other)).isDir());
        QVERIFY(QFileInfo(m_dir.filePath(u"tmp/uploads/"_qs + persistent)).isDir());
        QCOMPARE(second.stop(), 0);
        QCOMPARE(first.stop(), 0);

        ServerProcess again(m_dir.path(), m_dbUrl);
        QVERIFY2(again.start(), qPrintable(again.output()));
        QVERIFY2(!again.output().contains(u"this one runs as node"_qs), qPrintable(again.output()));
        QFile idAgain(m_dir.filePath(u"node-id"_qs));
        QVERIFY(idAgain.open(QIODevice::ReadOnly));
        QCOMPARE(QString::fromUtf8(idAgain.readAll()).trimmed(), persistent);
        QCOMPARE(again.stop(), 0);
    }

    void createSuperuserBeforeFirstStart()
    {
        const CommandRun r = runServerCommand(
            QStringList{u"createsuperuser"_qs, u"--data-dir"_qs, m_dir.path(), u"--username"_qs,
                        u"boss"_qs, u"--email"_qs, u"boss@example.com"_qs}
                + dbArgs(),
            "boss secret\n");
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        ServerProcess server(m_dir.path(), m_dbUrl);
        QVERIFY2(server.start(), qPrintable(server.output()));
        QVERIFY(!server.output().contains(u"password:"_qs)); // no extra administrator
        HttpClient c(server.baseUrl());
        QCOMPARE(c.postJson(u"auth/token/"_qs,
                            {{u"username"_qs, u"boss"_qs}, {u"password"_qs, u"boss secret"_qs}})
                     .status,
                 200);
    }

    void migrateDryRunThenApply()
    {
        CommandRun r = runServerCommand(
            QStringList{u"migrate"_qs, u"--dry-run"_qs, u"--data-dir"_qs, m_dir.path()} + dbArgs());
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains(u"would apply 0001_accounts"_qs), qPrintable(r.out));
        r = runServerCommand(
            QStringList{u"migrate"_qs, u"--dry-run"_qs, u"--data-dir"_qs, m_dir.path()} + dbArgs());
        QVERIFY(r.out.contains(u"would apply 0001_accounts"_qs)); // the dry run changed nothing
        r = runServerCommand(QStringList{u"migrate"_qs, u"--data-dir"_qs, m_dir.path()} + dbArgs());
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains(u"applied 0001_accounts"_qs));
        r = runServerCommand(QStringList{u"migrate"_qs, u"--data-dir"_qs, m_dir.path()} + dbArgs());
        QVERIFY(r.out.contains(u"up to date"_qs));
    }

    void refusesNewerSchema()
    {
        QVERIFY(
            runServerCommand(QStringList{u"migrate"_qs, u"--data-dir"_qs, m_dir.path()} + dbArgs())
                .exitCode
            == 0);
        // Simulate a newer qfc-server having migrated this database.
        {
            const QString url = m_dbUrl.isEmpty() ? u"sqlite:qfc.sqlite3"_qs : m_dbUrl;
            qfc::db::Database db(url, m_dir.path());
            qfc::db::Query::run(db.connection(),
                                u"INSERT INTO schema_migrations (version, name, "
                                "applied_at) VALUES (999, 'future', 0)"_qs);
        }
        ServerProcess server(m_dir.path(), m_dbUrl);
        QVERIFY(!server.start(20000));
        QVERIFY2(server.output().contains(u"newer than this qfc-server"_qs),
                 qPrintable(server.output()));
    }

    void configurationErrors_data()
    {
        QTest::addColumn<QByteArray>("ini");
        QTest::addColumn<QString>("envName");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("unknown-key-in-file")
            << QByteArray("[server]\nlistne = 1\n") << QString() << u"server/listne"_qs;
        QTest::newRow("bad-value-in-file") << QByteArray("[auth]\ntoken_lifetime_hours = soon\n")
                                           << QString() << u"token_lifetime_hours"_qs;
        QTest::newRow("unknown-env") << QByteArray() << u"QFC_LISTNE"_qs << u"QFC_LISTNE"_qs;
    }

    void configurationErrors()
    {
        QFETCH(QByteArray, ini);
        QFETCH(QString, envName);
        QFETCH(QString, mentions);
        if (!ini.isEmpty()) {
            QFile f(m_dir.filePath(u"qfc.ini"_qs));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(ini);
        }
        QHash<QString, QString> env;
        if (!envName.isEmpty())
            env.insert(envName, u"x"_qs);
        const CommandRun r = runServerCommand(
            {u"serve"_qs, u"--data-dir"_qs, m_dir.path(), u"--listen"_qs, u"127.0.0.1:0"_qs}, {},
            env);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(mentions), qPrintable(r.err));
        QVERIFY(r.err.contains(u"configuration error"_qs));
    }

    void helpVersionAndSettings()
    {
        CommandRun r = runServerCommand({u"--version"_qs});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.startsWith(u"qfc-server "_qs));
        r = runServerCommand({u"--help"_qs});
        QCOMPARE(r.exitCode, 0);
        for (const char *word : {"serve", "migrate", "createuser", "--data-dir", "--database-url"})
            QVERIFY2(r.out.contains(QString::fromLatin1(word)), word);
        r = runServerCommand({u"--help-settings"_qs});
        QVERIFY(r.out.contains(u"QFC_MAX_BODY_BYTES"_qs));
        r = runServerCommand({u"frobnicate"_qs});
        QCOMPARE(r.exitCode, 2);
    }

    void translatedMessages_data()
    {
        QTest::addColumn<QString>("lang");
        QTest::addColumn<QString>("expected");
        QTest::newRow("de") << u"de_DE.UTF-8"_qs << u"Befehle"_qs;
        QTest::newRow("fr") << u"fr_FR.UTF-8"_qs << u"Commandes"_qs;
        QTest::newRow("en") << u"C.UTF-8"_qs << u"Commands"_qs;
    }

    void translatedMessages()
    {
        QFETCH(QString, lang);
        QFETCH(QString, expected);
        const CommandRun r = runServerCommand({u"--help"_qs}, {}, {{u"LANG"_qs, lang}});
        QVERIFY2(r.out.contains(expected), qPrintable(r.out));
    }
};

QTEST_GUILESS_MAIN(tst_Cli)
#include "tst_cli.moc"
