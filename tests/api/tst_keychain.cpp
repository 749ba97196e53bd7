// The OS keychain as the store of the key that encrypts secrets (secrets/key_store=keychain, the
// default on Windows), on Linux's Secret Service: a private D-Bus session bus and an unlocked
// gnome-keyring-daemon, both in temporary directories; nothing of the machine's own session is
// used. (tst_cli covers the other half: without a Secret Service the server refuses to start.)
#include "auth/userrepository.h"
#include "core/settings.h"
#include "db/database.h"
#include "jobs/secrets.h"
#include "platform/keychain.h"
#include "projects/projectrepository.h"
#include "server/instance.h"
#include "testenv.h"
#include "testserver.h"

#include <QDBusConnection>
#include <QDBusConnectionInterface>
#include <QDir>
#include <QElapsedTimer>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace qfc;
using namespace qfc::test;

class tst_Keychain final : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QProcess m_bus;
    QProcess m_keyring;
    QString m_busAddress;

    QHash<QString, QString> sessionEnvironment() const
    {
        return {{u"DBUS_SESSION_BUS_ADDRESS"_qs, m_busAddress},
                {u"HOME"_qs, m_dir.filePath(u"home"_qs)},
                {u"XDG_RUNTIME_DIR"_qs, m_dir.filePath(u"run"_qs)},
                {u"QFC_SECRETS_KEY_STORE"_qs, u"keychain"_qs}};
    }

    static void stop(QProcess &process)
    {
        if (process.state() == QProcess::NotRunning)
            return;
        process.terminate();
        if (!process.waitForFinished(5000)) {
            process.kill();
            process.waitForFinished(5000);
        }
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(serverBinary()), qPrintable(serverBinary()));
        const QString busDaemon = QStandardPaths::findExecutable(u"dbus-daemon"_qs);
        const QString keyringDaemon = QStandardPaths::findExecutable(u"gnome-keyring-daemon"_qs);
        QVERIFY2(!busDaemon.isEmpty() && !keyringDaemon.isEmpty(),
                 "dbus-daemon and gnome-keyring-daemon are needed (scripts/install-deps.sh "
                 "installs them)");
        QVERIFY(QDir().mkpath(m_dir.filePath(u"home"_qs)));
        QVERIFY(QDir().mkpath(m_dir.filePath(u"run"_qs)));
        QFile::setPermissions(m_dir.filePath(u"run"_qs),
                              QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);

        // A session bus of this test's own; its address is the first line it prints.
        m_bus.setProgram(busDaemon);
        m_bus.setArguments({u"--session"_qs, u"--nofork"_qs, u"--nopidfile"_qs,
                            u"--address=unix:path="_qs + m_dir.filePath(u"run/bus"_qs),
                            u"--print-address=1"_qs});
        m_bus.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_bus.start();
        QVERIFY2(m_bus.waitForStarted(), qPrintable(m_bus.errorString()));
        QElapsedTimer t;
        t.start();
        while (!m_bus.canReadLine() && t.elapsed() < 10000)
            m_bus.waitForReadyRead(500);
        m_busAddress = QString::fromUtf8(m_bus.readLine()).trimmed();
        QVERIFY2(!m_busAddress.isEmpty(), "dbus-daemon printed no address");

        // gnome-keyring-daemon with its secrets component, its login keyring unlocked by the
        // password on its standard input.
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        const QHash<QString, QString> session = sessionEnvironment();
        for (auto it = session.cbegin(); it != session.cend(); ++it)
            env.insert(it.key(), it.value());
        m_keyring.setProcessEnvironment(env);
        m_keyring.setProgram(keyringDaemon);
        m_keyring.setArguments({u"--foreground"_qs, u"--unlock"_qs, u"--components=secrets"_qs});
        m_keyring.setProcessChannelMode(QProcess::MergedChannels);
        m_keyring.start();
        QVERIFY2(m_keyring.waitForStarted(), qPrintable(m_keyring.errorString()));
        m_keyring.write("keyring password");
        m_keyring.closeWriteChannel();

        // This process talks to that bus too (GLib and QtDBus read the variable on first use).
        qputenv("DBUS_SESSION_BUS_ADDRESS", m_busAddress.toUtf8());
        // Wait until the Secret Service is on the bus: a call before would have D-Bus start
        // another, locked, instance.
        QDBusConnection probe = QDBusConnection::connectToBus(m_busAddress, u"probe"_qs);
        QVERIFY2(probe.isConnected(), qPrintable(probe.lastError().message()));
        t.restart();
        while (!probe.interface()->isServiceRegistered(u"org.freedesktop.secrets"_qs)
               && t.elapsed() < 20000)
            QTest::qWait(100);
        QVERIFY2(probe.interface()->isServiceRegistered(u"org.freedesktop.secrets"_qs),
                 m_keyring.readAll().constData());
        QDBusConnection::disconnectFromBus(u"probe"_qs);
    }

    void cleanupTestCase()
    {
        stop(m_keyring);
        stop(m_bus);
    }

    // The key is made once and read back by a later key ring: what one encrypts, the other
    // decrypts. The keychain holds it as base64 of 32 bytes under service "QFC".
    void keyRingRoundTrip()
    {
        const QString entry = u"tst-keychain-round-trip"_qs;
        QVERIFY(!platform::readKeychain(u"QFC"_qs, entry));
        const QByteArray sealed =
            secrets::KeyRing::fromKeychain(entry).encrypt("pg password with ümlaut");
        const std::optional<QByteArray> stored = platform::readKeychain(u"QFC"_qs, entry);
        QVERIFY(stored);
        QCOMPARE(QByteArray::fromBase64(*stored).size(), 32);
        QCOMPARE(secrets::KeyRing::fromKeychain(entry).decrypt(sealed),
                 QByteArray("pg password with ümlaut"));
        // A damaged entry is an error, never a silently new key.
        platform::writeKeychain(u"QFC"_qs, entry, "not a key");
        QVERIFY_THROWS_EXCEPTION(secrets::SecretError, secrets::KeyRing::fromKeychain(entry));
    }

    // The operator's path: `secret set` and `serve` with QFC_SECRETS_KEY_STORE=keychain keep no
    // key file in the data directory, and what the command stored decrypts with the key that
    // another process (this test) reads from the keychain for that data directory.
    void serverKeepsItsKeyInTheKeychain()
    {
        const QString data = m_dir.filePath(u"data"_qs);
        const QStringList common{u"--data-dir"_qs, data};
        const QHash<QString, QString> env = sessionEnvironment();
        CommandRun r = runServerCommand(QStringList{u"createuser"_qs, u"--username"_qs, u"olga"_qs,
                                                    u"--email"_qs, u"o@example.com"_qs}
                                            + common,
                                        "long enough secret\n", env);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        r = runServerCommand(
            QStringList{u"org"_qs, u"create"_qs, u"acme"_qs, u"--owner"_qs, u"olga"_qs} + common,
            {}, env);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        r = runServerCommand(
            QStringList{u"secret"_qs, u"set"_qs, u"API_TOKEN"_qs, u"--org"_qs, u"acme"_qs} + common,
            "t0ken-value\n", env);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QStringList keyFiles =
            QDir(data).entryList({u"*.key"_qs, u"*key*"_qs}, QDir::Files | QDir::Hidden);
        QVERIFY2(keyFiles.isEmpty(), qPrintable(keyFiles.join(u", "_qs)));

        // The server starts on that key and serves.
        ServerProcess server(data, QString(), {}, env);
        QVERIFY2(server.start(), qPrintable(server.output()));
        QCOMPARE(server.stop(), 0);

        // Decrypted here with the key from the keychain, as a job of an acme project sees it.
        Settings settings = Settings::fromOverrides(
            {{u"storage/data_dir"_qs, data}, {u"secrets/key_store"_qs, u"keychain"_qs}});
        const std::shared_ptr<secrets::KeyRing> keys = Instance::openKeyRing(settings);
        db::Database database(settings.databaseUrl(), data);
        QSqlDatabase db = database.connection();
        const std::optional<User> acme = users::byUsername(db, u"acme"_qs);
        QVERIFY(acme);
        Project project;
        project.ownerId = acme->id;
        project.name = u"survey"_qs;
        project = projects::insert(db, project);
        const QList<secrets::Secret> seen =
            secrets::forJob(db, *keys, project.id, acme->id, std::nullopt);
        QCOMPARE(seen.size(), 1);
        QCOMPARE(seen.first().name, u"API_TOKEN"_qs);
        QCOMPARE(seen.first().value, u"t0ken-value"_qs);
    }
};

QTEST_GUILESS_MAIN(tst_Keychain)
#include "tst_keychain.moc"
