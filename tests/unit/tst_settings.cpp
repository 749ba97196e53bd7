#include "core/settings.h"

#include <QTemporaryDir>
#include <QTest>

using qfc::Settings;
using qfc::SettingsError;

class tst_Settings final : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    QString writeIni(const QByteArray &text)
    {
        const QString path = m_dir.filePath(u"qfc.ini"_qs);
        QFile f(path);
        f.open(QIODevice::WriteOnly | QIODevice::Truncate);
        f.write(text);
        return path;
    }

private Q_SLOTS:
    void defaults()
    {
        const Settings s = Settings::fromOverrides({});
        QCOMPARE(s.listenPort(), quint16(8080));
        QCOMPARE(s.maxBodyBytes(), 4 * 1024 * 1024);
        QCOMPARE(s.maxUploadBytes(), qint64(20) * 1024 * 1024 * 1024);
        QCOMPARE(s.integer(u"auth/token_lifetime_hours"_qs), 720);
        QCOMPARE(s.databaseUrl(), u"sqlite:qfc.sqlite3"_qs);
        QVERIFY(QDir::isAbsolutePath(s.dataDir()));
        QVERIFY(s.dataDir().endsWith(u"/qfc-data"_qs));
        QCOMPARE(s.logFile(), s.dataDir() + u"/logs/qfc.log"_qs);
    }

    void precedence()
    {
        const QString ini = writeIni("[server]\nlisten = 127.0.0.1:7000\nmax_body_bytes = 1MiB\n"
                                     "[auth]\ntoken_lifetime_hours = 10\n");
        QProcessEnvironment env;
        env.insert(u"QFC_LISTEN"_qs, u"127.0.0.1:7001"_qs);
        env.insert(u"QFC_TOKEN_LIFETIME_HOURS"_qs, u"11"_qs);
        const Settings s = Settings::load(ini, env, {{u"auth/token_lifetime_hours"_qs, u"12"_qs}});
        QCOMPARE(s.maxBodyBytes(), 1024 * 1024); // file over default
        QCOMPARE(s.listenPort(), quint16(7001)); // environment over file
        QCOMPARE(s.integer(u"auth/token_lifetime_hours"_qs), 12); // command line over all
    }

    void rejects_data()
    {
        QTest::addColumn<QByteArray>("ini");
        QTest::addColumn<QString>("envName");
        QTest::addColumn<QString>("envValue");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("unknown-file-key→error-with-line")
            << QByteArray("[server]\nlisten = 127.0.0.1:1\nlisen = x\n") << QString() << QString()
            << u"qfc.ini:3: unknown setting 'server/lisen'"_qs;
        QTest::newRow("key-outside-section→error")
            << QByteArray("listen = 1\n") << QString() << QString() << u"outside of a [section]"_qs;
        QTest::newRow("unknown-env→error") << QByteArray() << u"QFC_LISTN"_qs << u"x"_qs
                                           << u"unknown environment variable QFC_LISTN"_qs;
        QTest::newRow("int-not-a-number→error") << QByteArray() << u"QFC_TOKEN_LIFETIME_HOURS"_qs
                                                << u"ten"_qs << u"'ten' is not an integer"_qs;
        QTest::newRow("int-out-of-range→error")
            << QByteArray() << u"QFC_TOKEN_LIFETIME_HOURS"_qs << u"0"_qs << u"outside"_qs;
        QTest::newRow("bytes-garbage→error")
            << QByteArray() << u"QFC_MAX_BODY_BYTES"_qs << u"4 megs"_qs << u"is not a size"_qs;
        QTest::newRow("hostport-no-port→error")
            << QByteArray() << u"QFC_LISTEN"_qs << u"127.0.0.1"_qs << u"is not HOST:PORT"_qs;
        QTest::newRow("hostport-port-too-big→error")
            << QByteArray() << u"QFC_LISTEN"_qs << u"127.0.0.1:70000"_qs << u"HOST:PORT"_qs;
        QTest::newRow("url-not-http→error")
            << QByteArray() << u"QFC_PUBLIC_URL"_qs << u"ftp://x"_qs << u"http(s) base URL"_qs;
        QTest::newRow("proxies-garbage→error") << QByteArray() << u"QFC_TRUSTED_PROXIES"_qs
                                               << u"10.0.0.0/8, nonsense"_qs << u"networks"_qs;
        QTest::newRow("bool-garbage→error")
            << QByteArray() << u"QFC_ACCESS_LOG"_qs << u"maybe"_qs << u"is not a boolean"_qs;
        QTest::newRow("level-garbage→error") << QByteArray() << u"QFC_LOG_LEVEL"_qs << u"loud"_qs
                                             << u"debug, info, warning, error"_qs;
    }

    void rejects()
    {
        QFETCH(QByteArray, ini);
        QFETCH(QString, envName);
        QFETCH(QString, envValue);
        QFETCH(QString, mentions);
        QProcessEnvironment env;
        if (!envName.isEmpty())
            env.insert(envName, envValue);
        try {
            Settings::load(ini.isEmpty() ? QString() : writeIni(ini), env);
            QFAIL("no error");
        } catch (const SettingsError &e) {
            const QString text = QString::fromUtf8(e.what());
            QVERIFY2(text.contains(mentions), qPrintable(text));
        }
    }

    void values_data()
    {
        QTest::addColumn<QString>("env");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QVariant>("expected");
        QTest::newRow("bytes-MiB") << u"QFC_MAX_BODY_BYTES"_qs << u"2MiB"_qs
                                   << u"server/max_body_bytes"_qs << QVariant(qint64(2097152));
        QTest::newRow("bytes-MB-decimal")
            << u"QFC_MAX_BODY_BYTES"_qs << u"2MB"_qs << u"server/max_body_bytes"_qs
            << QVariant(qint64(2000000));
        QTest::newRow("bytes-plain") << u"QFC_MAX_BODY_BYTES"_qs << u"123456"_qs
                                     << u"server/max_body_bytes"_qs << QVariant(qint64(123456));
        QTest::newRow("bytes-GiB")
            << u"QFC_MAX_UPLOAD_BYTES"_qs << u"5 GiB"_qs << u"server/max_upload_bytes"_qs
            << QVariant(qint64(5) * 1024 * 1024 * 1024);
        QTest::newRow("bool-off") << u"QFC_ACCESS_LOG"_qs << u"off"_qs << u"log/access_log"_qs
                                  << QVariant(false);
        QTest::newRow("level-upper")
            << u"QFC_LOG_LEVEL"_qs << u"DEBUG"_qs << u"log/level"_qs << QVariant(u"debug"_qs);
    }

    void values()
    {
        QFETCH(QString, env);
        QFETCH(QString, value);
        QFETCH(QString, key);
        QFETCH(QVariant, expected);
        QProcessEnvironment e;
        e.insert(env, value);
        const Settings s = Settings::load(QString(), e);
        QCOMPARE(s.value(key), expected);
    }

    void ipv6Listen()
    {
        const Settings s = Settings::fromOverrides({{u"server/listen"_qs, u"[::1]:9000"_qs}});
        QCOMPARE(s.listenAddress(), QHostAddress(QHostAddress::LocalHostIPv6));
        QCOMPARE(s.listenPort(), quint16(9000));
    }

    void trustedProxies()
    {
        const Settings s = Settings::fromOverrides(
            {{u"server/trusted_proxies"_qs, u"10.0.0.0/8, 127.0.0.1, ::1"_qs}});
        const auto proxies = s.trustedProxies();
        QCOMPARE(proxies.size(), 3);
        QVERIFY(proxies[0].contains(QHostAddress(u"10.20.30.40"_qs)));
        QVERIFY(!proxies[0].contains(QHostAddress(u"11.0.0.1"_qs)));
        QVERIFY(proxies[1].contains(QHostAddress(u"127.0.0.1"_qs)));
        QVERIFY(!proxies[1].contains(QHostAddress(u"127.0.0.2"_qs)));
    }

    void pathsResolveAgainstDataDir()
    {
        const Settings s = Settings::fromOverrides({{u"storage/data_dir"_qs, m_dir.path()},
                                                    {u"log/file"_qs, u"l/x.log"_qs},
                                                    {u"server/tls_certificate"_qs, u"c.pem"_qs},
                                                    {u"server/tls_private_key"_qs, u"/k.pem"_qs}});
        QCOMPARE(s.logFile(), m_dir.path() + u"/l/x.log"_qs);
        QCOMPARE(s.text(u"server/tls_certificate"_qs), m_dir.path() + u"/c.pem"_qs);
        QCOMPARE(s.text(u"server/tls_private_key"_qs), u"/k.pem"_qs);
    }

    void tlsNeedsBoth()
    {
        QVERIFY_THROWS_EXCEPTION(
            SettingsError, Settings::fromOverrides({{u"server/tls_certificate"_qs, u"c.pem"_qs}}));
    }

    void summaryRedactsSecrets()
    {
        const Settings s = Settings::fromOverrides(
            {{u"database/url"_qs, u"postgresql://qfc:s3cret@db.example:5432/qfc"_qs}});
        const QString all = s.summary().join(u'\n');
        QVERIFY(!all.contains(u"s3cret"_qs));
        QVERIFY(all.contains(u"db.example"_qs));
    }

    void documentationListsEverySetting()
    {
        const QString doc = Settings::documentation();
        for (const auto &d : Settings::definitions()) {
            QVERIFY2(doc.contains(d.env), qPrintable(d.env));
            QVERIFY2(!d.description.isEmpty(), qPrintable(d.key));
            QVERIFY2(d.env.startsWith(u"QFC_"), qPrintable(d.env));
        }
    }
};

QTEST_GUILESS_MAIN(tst_Settings)
#include "tst_settings.moc"
