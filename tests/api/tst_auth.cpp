// spec/api.md §3 and §1.3–§1.4 over real HTTP, on SQLite and PostgreSQL.
#include "auth/userrepository.h"
#include "core/clock.h"
#include "db/database.h"
#include "db/query.h"
#include "server/instance.h"
#include "testenv.h"
#include "testserver.h"

#include <QRegularExpression>
#include <QTest>

using namespace qfc::test;

namespace {
const QByteArray kQField = "qfield|3.5.0|Tsavo|abcdef| QGIS/34000";
const QByteArray kSdk = "sdk|py|0.9 python-requests|2.32";
const QByteArray kQFieldSync = "Mozilla/5.0 QGIS/34000/Ubuntu 22.04";

QJsonObject errorBody(const char *code, const char *message)
{
    return {{u"code"_qs, QString::fromLatin1(code)}, {u"message"_qs, QString::fromLatin1(message)}};
}
} // namespace

class tst_Auth final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<TestServer> m_server;

private Q_SLOTS:
    void init()
    {
        m_server = std::make_unique<TestServer>(
            QHash<QString, QString>{{u"server/trusted_proxies"_qs, u"127.0.0.1"_qs},
                                    {u"auth/throttle_user_failures"_qs, u"3"_qs},
                                    {u"auth/throttle_address_failures"_qs, u"6"_qs}});
        m_server->createUser(u"alice"_qs, u"Wonder-land 1"_qs, u"Alice@Example.com"_qs);
    }

    void cleanup()
    {
        qfc::clock::setOffsetForTests(0);
        m_server.reset();
    }

    void cleanupTestCase() { dropCreatedDatabases(); }

    void qfieldJsonLogin()
    {
        auto c = m_server->client();
        c->setUserAgent(kQField);
        const Reply r =
            c->postJson(u"auth/token/"_qs,
                        {{u"username"_qs, u"alice"_qs}, {u"password"_qs, u"Wonder-land 1"_qs}});
        QCOMPARE(r.status, 200);
        QVERIFY(r.header("Content-Type").startsWith("application/json"));
        const QJsonObject o = r.object();
        QVERIFY(QRegularExpression(u"^[A-Za-z0-9]{100}$"_qs)
                    .match(o[u"token"_qs].toString())
                    .hasMatch());
        QCOMPARE(o[u"username"_qs].toString(), u"alice"_qs);
        QCOMPARE(o[u"type"_qs].toString(), u"1"_qs); // a string in the login response
        QCOMPARE(o[u"email"_qs].toString(), u"Alice@Example.com"_qs);
        QVERIFY(o.contains(u"avatar_url"_qs));
        QCOMPARE(o[u"full_name"_qs].toString(), QString(u""_qs));
        QVERIFY(o.contains(u"first_name"_qs) && o.contains(u"last_name"_qs));
        // Expires in 720 hours, written as the spec's datetime.
        const QString expires = o[u"expires_at"_qs].toString();
        QVERIFY2(
            QRegularExpression(u"^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}\\+00:00$"_qs)
                .match(expires)
                .hasMatch(),
            qPrintable(expires));
        const qint64 lifetime = *qfc::clock::parseIso(expires) - qfc::clock::nowUs();
        QVERIFY(lifetime > 719LL * 3600 * 1000000 && lifetime <= 720LL * 3600 * 1000000);

        c->setToken(o[u"token"_qs].toString());
        const Reply me = c->get(u"auth/user/"_qs);
        QCOMPARE(me.status, 200);
        const QJsonObject u = me.object();
        QCOMPARE(u[u"username"_qs].toString(), u"alice"_qs);
        QCOMPARE(u[u"type"_qs].toInt(), 1); // an integer everywhere else
        QVERIFY(!u.contains(u"token"_qs));
        QCOMPARE(u.keys(),
                 QStringList({u"avatar_url"_qs, u"email"_qs, u"first_name"_qs, u"full_name"_qs,
                              u"last_name"_qs, u"type"_qs, u"username"_qs}));
    }

    void sdkFormLogin()
    {
        auto c = m_server->client();
        c->setUserAgent(kSdk);
        const Reply r =
            c->postForm(u"auth/login/"_qs,
                        {{u"username"_qs, u"alice"_qs}, {u"password"_qs, u"Wonder-land 1"_qs}});
        QCOMPARE(r.status, 200);
        // The SDK sends "token <key>" in lower case.
        const Reply me =
            c->get(u"auth/user/"_qs,
                   {{"Authorization", "token " + r.object()[u"token"_qs].toString().toLatin1()}});
        QCOMPARE(me.status, 200);
    }

    void loginVariants_data()
    {
        QTest::addColumn<QString>("username");
        QTest::addColumn<QString>("email");
        QTest::newRow("username-other-case") << u"ALICE"_qs << QString();
        QTest::newRow("email-in-username-field") << u"alice@example.com"_qs << QString();
        QTest::newRow("email-field-only") << QString() << u"ALICE@example.COM"_qs;
    }

    void loginVariants()
    {
        QFETCH(QString, username);
        QFETCH(QString, email);
        QJsonObject body{{u"password"_qs, u"Wonder-land 1"_qs}};
        if (!username.isNull())
            body.insert(u"username"_qs, username);
        if (!email.isNull())
            body.insert(u"email"_qs, email);
        const Reply r = m_server->client()->postJson(u"auth/token/"_qs, body);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.object()[u"username"_qs].toString(), u"alice"_qs); // canonical spelling
    }

    void loginFailures_data()
    {
        QTest::addColumn<QJsonObject>("body");
        QTest::addColumn<int>("status");
        QTest::addColumn<QJsonObject>("error");
        const QJsonObject failed = errorBody("authentication_failed", "Authentication failed");
        QTest::newRow("wrong-password→401")
            << QJsonObject{{u"username"_qs, u"alice"_qs}, {u"password"_qs, u"nope"_qs}} << 401
            << failed;
        QTest::newRow("unknown-user→401")
            << QJsonObject{{u"username"_qs, u"bob"_qs}, {u"password"_qs, u"nope"_qs}} << 401
            << failed;
        QTest::newRow("no-username-no-email→401")
            << QJsonObject{{u"username"_qs, u""_qs}, {u"password"_qs, u"x"_qs}} << 401 << failed;
        QTest::newRow("missing-password→400")
            << QJsonObject{{u"username"_qs, u"alice"_qs}} << 400 << QJsonObject{};
    }

    void loginFailures()
    {
        QFETCH(QJsonObject, body);
        QFETCH(int, status);
        QFETCH(QJsonObject, error);
        const Reply r = m_server->client()->postJson(u"auth/token/"_qs, body);
        QCOMPARE(r.status, status);
        if (!error.isEmpty())
            QCOMPARE(r.object(), error);
        else
            QCOMPARE(r.code(), u"api_error"_qs);
    }

    void inactiveOrOrganizationCannotLogIn()
    {
        auto db = m_server->instance().database().connection();
        qfc::db::Query::run(db, u"UPDATE users SET is_active = FALSE WHERE username = 'alice'"_qs);
        Reply r = m_server->client()->postJson(
            u"auth/token/"_qs,
            {{u"username"_qs, u"alice"_qs}, {u"password"_qs, u"Wonder-land 1"_qs}});
        QCOMPARE(r.status, 401);
        QCOMPARE(r.code(), u"authentication_failed"_qs);
        qfc::db::Query::run(
            db, u"UPDATE users SET is_active = TRUE, type = 2 WHERE username = 'alice'"_qs);
        r = m_server->client()->postJson(
            u"auth/token/"_qs,
            {{u"username"_qs, u"alice"_qs}, {u"password"_qs, u"Wonder-land 1"_qs}});
        QCOMPARE(r.status, 401);
        QCOMPARE(r.code(), u"authentication_failed"_qs);
    }

    void headerErrors_data()
    {
        QTest::addColumn<QByteArray>("authorization");
        QTest::addColumn<QString>("path");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("code");
        QTest::newRow("no-header→not_authenticated")
            << QByteArray() << u"auth/user/"_qs << 401 << u"not_authenticated"_qs;
        QTest::newRow("token-without-key→authentication_failed")
            << QByteArray("Token") << u"auth/user/"_qs << 401 << u"authentication_failed"_qs;
        QTest::newRow("key-with-space→authentication_failed")
            << QByteArray("Token abc def") << u"auth/user/"_qs << 401
            << u"authentication_failed"_qs;
        QTest::newRow("unknown-key→token_authentication_failed")
            << QByteArray("Token nosuchkey") << u"auth/user/"_qs << 401
            << u"token_authentication_failed"_qs;
        QTest::newRow("unknown-key-on-anonymous-status→401")
            << QByteArray("Token nosuchkey") << u"status/"_qs << 401
            << u"token_authentication_failed"_qs;
        QTest::newRow("unknown-key-on-login→401")
            << QByteArray("Token nosuchkey") << u"auth/token/"_qs << 401
            << u"token_authentication_failed"_qs;
        QTest::newRow("bearer-is-ignored→not_authenticated")
            << QByteArray("Bearer abc") << u"auth/user/"_qs << 401 << u"not_authenticated"_qs;
        QTest::newRow("bearer-on-anonymous→200")
            << QByteArray("Bearer abc") << u"status/"_qs << 200 << QString();
    }

    void headerErrors()
    {
        QFETCH(QByteArray, authorization);
        QFETCH(QString, path);
        QFETCH(int, status);
        QFETCH(QString, code);
        HttpClient::Headers headers;
        if (!authorization.isEmpty())
            headers.append({"Authorization", authorization});
        const Reply r = path == u"auth/token/"
            ? m_server->client()->send("POST", path,
                                       "{\"username\":\"alice\",\"password\":\"Wonder-land 1\"}",
                                       "application/json", headers)
            : m_server->client()->get(path, headers);
        QCOMPARE(r.status, status);
        if (!code.isEmpty()) {
            QCOMPARE(r.code(), code);
            QVERIFY(!r.object()[u"message"_qs].toString().isEmpty());
            QCOMPARE(r.header("Cache-Control"), QByteArray("no-store"));
        }
    }

    void expiredToken()
    {
        const QString token = m_server->login(u"alice"_qs, u"Wonder-land 1"_qs);
        QCOMPARE(m_server->client(token)->get(u"auth/user/"_qs).status, 200);
        qfc::clock::setOffsetForTests(720LL * 3600 * 1000000 + 1000000);
        const Reply r = m_server->client(token)->get(u"auth/user/"_qs);
        QCOMPARE(r.status, 401);
        QCOMPARE(r.code(), u"token_authentication_failed"_qs);
    }

    void inactiveUserToken()
    {
        const QString token = m_server->login(u"alice"_qs, u"Wonder-land 1"_qs);
        qfc::db::Query::run(m_server->instance().database().connection(),
                            u"UPDATE users SET is_active = FALSE WHERE username = 'alice'"_qs);
        const Reply r = m_server->client(token)->get(u"auth/user/"_qs);
        QCOMPARE(r.status, 401);
        QCOMPARE(r.code(), u"token_authentication_failed"_qs);
    }

    void oneTokenPerDeviceClass_data()
    {
        QTest::addColumn<QByteArray>("userAgent");
        QTest::addColumn<bool>("firstStaysValid");
        QTest::newRow("qfield→single") << kQField << false;
        QTest::newRow("qfieldsync→single") << kQFieldSync << false;
        QTest::newRow("unknown→single") << QByteArray("curl/8.0") << false;
        QTest::newRow("sdk→many") << kSdk << true;
    }

    void oneTokenPerDeviceClass()
    {
        QFETCH(QByteArray, userAgent);
        QFETCH(bool, firstStaysValid);
        const QString sdkToken = m_server->login(u"alice"_qs, u"Wonder-land 1"_qs, kSdk);
        const QString first = m_server->login(u"alice"_qs, u"Wonder-land 1"_qs, userAgent);
        const QString second = m_server->login(u"alice"_qs, u"Wonder-land 1"_qs, userAgent);
        QVERIFY(first != second);
        QCOMPARE(m_server->client(first)->get(u"auth/user/"_qs).status,
                 firstStaysValid ? 200 : 401);
        QCOMPARE(m_server->client(second)->get(u"auth/user/"_qs).status, 200);
        // Another class is never affected.
        QCOMPARE(m_server->client(sdkToken)->get(u"auth/user/"_qs).status, 200);
    }

    void logoutExpiresEveryToken()
    {
        const QString a = m_server->login(u"alice"_qs, u"Wonder-land 1"_qs, kQField);
        const QString b = m_server->login(u"alice"_qs, u"Wonder-land 1"_qs, kSdk);
        const Reply r =
            m_server->client(a)->send("POST", u"auth/logout/"_qs, {}, "application/json");
        QCOMPARE(r.status, 200);
        QCOMPARE(r.object(), QJsonObject({{u"detail"_qs, u"Successfully logged out."_qs}}));
        QCOMPARE(m_server->client(a)->get(u"auth/user/"_qs).code(),
                 u"token_authentication_failed"_qs);
        QCOMPARE(m_server->client(b)->get(u"auth/user/"_qs).code(),
                 u"token_authentication_failed"_qs);
        // Anonymous logout, and GET, still answer 200.
        QCOMPARE(
            m_server->client()->send("POST", u"auth/logout/"_qs, {}, "application/json").status,
            200);
        QCOMPARE(m_server->client()->get(u"auth/logout/"_qs).status, 200);
    }

    void providers()
    {
        const Reply r = m_server->client()->get(u"auth/providers/"_qs);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.array(),
                 QJsonArray({QJsonObject{{u"type"_qs, u"credentials"_qs},
                                         {u"id"_qs, u"credentials"_qs},
                                         {u"name"_qs, u"Username / Password"_qs}}}));
    }

    // Five failures per username and address (3 here), then refused even with the right password;
    // another address is not affected; the lock lifts after the window.
    void throttlePerUserAndAddress()
    {
        auto from = [&](const char *address, const QString &password) {
            return m_server->client()->postJson(
                u"auth/token/"_qs, {{u"username"_qs, u"alice"_qs}, {u"password"_qs, password}},
                {{"X-Forwarded-For", address}});
        };
        for (int i = 0; i < 3; ++i)
            QCOMPARE(from("203.0.113.5", u"wrong"_qs).code(), u"authentication_failed"_qs);
        Reply r = from("203.0.113.5", u"Wonder-land 1"_qs);
        QCOMPARE(r.status, 401);
        QCOMPARE(r.object(),
                 errorBody("too_many_failed_login_attempts", "Too many failed login attempts!"));
        QCOMPARE(from("198.51.100.7", u"Wonder-land 1"_qs).status, 200);
        qfc::clock::setOffsetForTests(1801LL * 1000000);
        QCOMPARE(from("203.0.113.5", u"Wonder-land 1"_qs).status, 200);
    }

    // One address trying many usernames is stopped too.
    void throttlePerAddress()
    {
        auto attempt = [&](const QString &user, const QString &password) {
            return m_server->client()->postJson(
                u"auth/token/"_qs, {{u"username"_qs, user}, {u"password"_qs, password}},
                {{"X-Forwarded-For", "192.0.2.9"}});
        };
        for (int i = 0; i < 6; ++i)
            QCOMPARE(attempt(u"user"_qs + QString::number(i), u"x"_qs).code(),
                     u"authentication_failed"_qs);
        QCOMPARE(attempt(u"alice"_qs, u"Wonder-land 1"_qs).code(),
                 u"too_many_failed_login_attempts"_qs);
    }

    // A successful login forgets the earlier failures of that username and address.
    void successResetsUserFailures()
    {
        auto attempt = [&](const QString &password) {
            return m_server->client()->postJson(
                u"auth/token/"_qs, {{u"username"_qs, u"alice"_qs}, {u"password"_qs, password}},
                {{"X-Forwarded-For", "203.0.113.77"}});
        };
        QCOMPARE(attempt(u"x"_qs).status, 401);
        QCOMPARE(attempt(u"x"_qs).status, 401);
        QCOMPARE(attempt(u"Wonder-land 1"_qs).status, 200);
        QCOMPARE(attempt(u"x"_qs).status, 401);
        QCOMPARE(attempt(u"x"_qs).status, 401);
        QCOMPARE(attempt(u"Wonder-land 1"_qs).status, 200);
    }

    // A hash made by Django itself verifies, and is re-hashed at the configured count on login.
    void djangoHashAndRehash()
    {
        // Django 4.2's make_password("lètmein", "seasalt", "pbkdf2_sha256") (600000 iterations,
        // tests/auth_tests/test_hashers.py).
        const QString django =
            u"pbkdf2_sha256$600000$seasalt$OAXyhAQ/4ZDA9V5RMExt3C1OwQdUpLZ99vm1McFlLRA="_qs;
        auto db = m_server->instance().database().connection();
        qfc::db::Query(db, u"UPDATE users SET password = :p WHERE username = 'alice'"_qs)
            .bind(u":p"_qs, django)
            .exec();
        const Reply r = m_server->client()->postJson(
            u"auth/token/"_qs,
            {{u"username"_qs, u"alice"_qs}, {u"password"_qs, QString::fromUtf8("lètmein")}});
        QCOMPARE(r.status, 200);
        const QString stored = qfc::users::byUsername(db, u"alice"_qs)->password;
        QVERIFY2(stored.startsWith(u"pbkdf2_sha256$1000$"_qs), qPrintable(stored));
        QCOMPARE(m_server->client()
                     ->postJson(u"auth/token/"_qs,
                                {{u"username"_qs, u"alice"_qs},
                                 {u"password"_qs, QString::fromUtf8("lètmein")}})
                     .status,
                 200);
    }

    // Tokens, users and passwords survive a restart of the server on the same database.
    void survivesRestart()
    {
        const QString token = m_server->login(u"alice"_qs, u"Wonder-land 1"_qs, kSdk);
        const QString dataDir = m_server->dataDir();
        const QString url = m_server->databaseUrl();
        QTemporaryDir keep;
        m_server->instance().stop();
        TestServer again({{u"storage/data_dir"_qs, dataDir}, {u"database/url"_qs, url}});
        QCOMPARE(again.adminPassword(), QString()); // no second administrator
        QCOMPARE(again.client(token)->get(u"auth/user/"_qs).status, 200);
        QVERIFY(!again.login(u"alice"_qs, u"Wonder-land 1"_qs).isEmpty());
    }
};

QTEST_GUILESS_MAIN(tst_Auth)
#include "tst_auth.moc"
