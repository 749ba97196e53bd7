// The HTTP conventions every endpoint shares (spec/api.md §1, §19.1, §19.2), checked once each.
#include "testenv.h"
#include "testserver.h"

#include <QHttpMultiPart>
#include <QNetworkReply>
#include <QTest>
#include <QUrlQuery>

using namespace qfc::test;

class tst_Conventions final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<TestServer> m_server;
    QString m_token;

private Q_SLOTS:
    void initTestCase()
    {
        m_server = std::make_unique<TestServer>(
            QHash<QString, QString>{{u"server/trusted_proxies"_qs, u"127.0.0.1"_qs}});
        m_server->createUser(u"carol"_qs, u"secret-carol"_qs);
        // An SDK token: the logins below (class "unknown") do not expire it.
        m_token =
            m_server->login(u"carol"_qs, u"secret-carol"_qs, "sdk|py|0.9 python-requests|2.32");
        for (const char *name : {"ann", "anna", "hanna", "joanna", "bob", "ben", "banana"})
            m_server->createUser(QString::fromLatin1(name), u"pw-123456"_qs);
    }

    void cleanupTestCase()
    {
        m_server.reset();
        dropCreatedDatabases();
    }

    void unknownRouteIsJson404()
    {
        const Reply r = m_server->client()->get(u"no/such/thing/"_qs);
        QCOMPARE(r.status, 404);
        QCOMPARE(r.object(),
                 QJsonObject({{u"code"_qs, u"not_found"_qs}, {u"message"_qs, u"Not found"_qs}}));
        QVERIFY(r.header("Content-Type").startsWith("application/json"));
        QCOMPARE(r.header("Cache-Control"), QByteArray("no-store"));
        QCOMPARE(r.header("X-Request-Id").size(), 16);
        // Outside /api/v1/ too.
        QCOMPARE(m_server->client()
                     ->get(u"http://127.0.0.1:"_qs + QString::number(m_server->port()) + u"/"_qs)
                     .code(),
                 u"not_found"_qs);
    }

    void wrongMethodIs405WithAllow()
    {
        const Reply r = m_server->client()->send("DELETE", u"status/"_qs, {}, {});
        QCOMPARE(r.status, 405);
        QCOMPARE(r.code(), u"api_error"_qs);
        QCOMPARE(r.header("Allow"), QByteArray("GET, HEAD"));
        const Reply p = m_server->client()->get(u"auth/token/"_qs);
        QCOMPARE(p.status, 405);
        QCOMPARE(p.header("Allow"), QByteArray("POST"));
    }

    void bothSlashFormsWithoutRedirect()
    {
        QCOMPARE(m_server->client()->get(u"status"_qs).status, 200);
        QCOMPARE(m_server->client()->get(u"status/"_qs).status, 200);
        const Reply r = m_server->client()->postJson(
            u"auth/token"_qs,
            {{u"username"_qs, u"carol"_qs}, {u"password"_qs, u"secret-carol"_qs}});
        QCOMPARE(r.status, 200); // a POST body is not lost to a redirect
    }

    void headLikeGet()
    {
        const Reply g = m_server->client()->get(u"server/info/"_qs);
        const Reply h = m_server->client()->head(u"server/info/"_qs);
        QCOMPARE(h.status, 200);
        QVERIFY(h.body.isEmpty());
        QCOMPARE(h.header("Content-Length"), QByteArray::number(g.body.size()));
        QCOMPARE(h.header("Content-Type"), g.header("Content-Type"));
    }

    void jsonResponsesAreNotCacheable()
    {
        for (const QString &path : {u"status/"_qs, u"server/info/"_qs}) {
            const Reply r = m_server->client()->get(path);
            QCOMPARE(r.header("Cache-Control"), QByteArray("no-store"));
            QVERIFY(r.header("Last-Modified").isEmpty());
            QVERIFY(r.header("Expires").isEmpty());
        }
        QCOMPARE(m_server->client(m_token)->get(u"auth/user/"_qs).header("Cache-Control"),
                 QByteArray("no-store"));
    }

    void requestIdsDiffer()
    {
        const QByteArray a = m_server->client()->get(u"status/"_qs).header("X-Request-Id");
        const QByteArray b = m_server->client()->get(u"status/"_qs).header("X-Request-Id");
        QVERIFY(!a.isEmpty() && a != b);
        // A trusted proxy's request id is kept.
        QCOMPARE(m_server->client()
                     ->get(u"status/"_qs, {{"X-Request-Id", "proxy-1234"}})
                     .header("X-Request-Id"),
                 QByteArray("proxy-1234"));
    }

    void bodyEncodings()
    {
        auto c = m_server->client();
        QCOMPARE(c->postJson(u"auth/login/"_qs,
                             {{u"username"_qs, u"carol"_qs}, {u"password"_qs, u"secret-carol"_qs}})
                     .status,
                 200);
        QCOMPARE(c->postForm(u"auth/login/"_qs,
                             {{u"username"_qs, u"carol"_qs}, {u"password"_qs, u"secret-carol"_qs}})
                     .status,
                 200);
        // Form encoding with '+' for spaces and percent escapes.
        m_server->createUser(u"dave"_qs, u"a b+c&d"_qs);
        QCOMPARE(c->send("POST", u"auth/login/"_qs, "username=dave&password=a+b%2Bc%26d",
                         "application/x-www-form-urlencoded")
                     .status,
                 200);
        // Multipart form fields.
        const QByteArray boundary = "----qfcboundary";
        const QByteArray multipart = "------qfcboundary\r\nContent-Disposition: form-data; "
                                     "name=\"username\"\r\n\r\ncarol\r\n"
                                     "------qfcboundary\r\nContent-Disposition: form-data; "
                                     "name=\"password\"\r\n\r\nsecret-carol\r\n"
                                     "------qfcboundary--\r\n";
        QCOMPARE(c->send("POST", u"auth/login/"_qs, multipart,
                         "multipart/form-data; boundary=" + boundary)
                     .status,
                 200);
        // JSON with a charset parameter.
        QCOMPARE(c->send("POST", u"auth/login/"_qs,
                         R"({"username":"carol","password":"secret-carol"})",
                         "application/json; charset=utf-8")
                     .status,
                 200);
    }

    void badBodies_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QByteArray>("type");
        QTest::addColumn<int>("status");
        QTest::newRow("malformed-json→400")
            << QByteArray("{\"username\": ") << QByteArray("application/json") << 400;
        QTest::newRow("json-array→400")
            << QByteArray("[1,2]") << QByteArray("application/json") << 400;
        QTest::newRow("text-plain→415")
            << QByteArray("username=carol") << QByteArray("text/plain") << 415;
    }

    void badBodies()
    {
        QFETCH(QByteArray, body);
        QFETCH(QByteArray, type);
        QFETCH(int, status);
        const Reply r = m_server->client()->send("POST", u"auth/token/"_qs, body, type);
        QCOMPARE(r.status, status);
        QCOMPARE(r.code(), u"api_error"_qs);
        QCOMPARE(r.object()[u"message"_qs].toString(), u"API Error"_qs);
    }

    void serverInfo()
    {
        const Reply r = m_server->client()->get(u"server/info/"_qs);
        QCOMPARE(r.status, 200);
        const QJsonObject o = r.object();
        QCOMPARE(o[u"auth_providers"_qs].toArray().first().toObject()[u"type"_qs].toString(),
                 u"credentials"_qs);
        QVERIFY(o[u"signup_url"_qs].isNull());
        const QString logo = o[u"whitelabel"_qs].toObject()[u"logo_main"_qs].toString();
        QVERIFY2(logo.startsWith(u"http://127.0.0.1:"_qs), qPrintable(logo));
        const Reply img = m_server->client()->get(logo);
        QCOMPARE(img.status, 200);
        QCOMPARE(img.header("Content-Type"), QByteArray("image/svg+xml"));
    }

    void status()
    {
        const Reply r = m_server->client()->get(u"status/"_qs);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.object(),
                 QJsonObject({{u"database"_qs, u"ok"_qs},
                              {u"storage"_qs, u"ok"_qs},
                              {u"status_page_url"_qs, QJsonValue::Null},
                              {u"incident_message"_qs, QJsonValue::Null},
                              {u"incident_timestamp_utc"_qs, QJsonValue::Null},
                              {u"maintenance_message"_qs, QJsonValue::Null},
                              {u"maintenance_start_timestamp_utc"_qs, QJsonValue::Null},
                              {u"maintenance_end_timestamp_utc"_qs, QJsonValue::Null}}));
    }

    void statusReportsMaintenance()
    {
        TestServer s({{u"status/maintenance_message"_qs, u"Upgrade tonight"_qs},
                      {u"status/maintenance_start"_qs, u"2026-12-01T22:00:00Z"_qs},
                      {u"status/maintenance_end"_qs, u"2026-12-01T23:00:00+00:00"_qs}});
        const QJsonObject o = s.client()->get(u"status/"_qs).object();
        QCOMPARE(o[u"maintenance_message"_qs].toString(), u"Upgrade tonight"_qs);
        QCOMPARE(o[u"maintenance_start_timestamp_utc"_qs].toString(),
                 u"2026-12-01T22:00:00.000000+00:00"_qs);
        QCOMPARE(o[u"maintenance_end_timestamp_utc"_qs].toString(),
                 u"2026-12-01T23:00:00.000000+00:00"_qs);
    }

    // §1.5 on users/: bare arrays, headers only with a valid limit, absolute URLs with both
    // parameters.
    void pagination()
    {
        auto c = m_server->client(m_token);
        const QJsonArray all = c->get(u"users/"_qs).array();
        QCOMPARE(all.size(), 10); // admin, carol, dave and seven more (dave from bodyEncodings)
        Reply r = c->get(u"users/?limit=3&offset=0"_qs);
        QCOMPARE(r.array().size(), 3);
        QCOMPARE(r.header("X-Total-Count"), QByteArray("10"));
        QVERIFY(r.header("X-Previous-Page").isEmpty());
        const QUrl next(QString::fromLatin1(r.header("X-Next-Page")));
        QCOMPARE(next.scheme(), u"http"_qs);
        QCOMPARE(next.port(), int(m_server->port()));
        QCOMPARE(next.path(), u"/api/v1/users/"_qs);
        QCOMPARE(QUrlQuery(next).queryItemValue(u"limit"_qs), u"3"_qs);
        QCOMPARE(QUrlQuery(next).queryItemValue(u"offset"_qs), u"3"_qs);
        // Following X-Next-Page walks the whole list once.
        QJsonArray walked = r.array();
        while (!r.header("X-Next-Page").isEmpty()) {
            r = c->get(QString::fromLatin1(r.header("X-Next-Page")));
            for (const auto &v : r.array())
                walked.append(v);
        }
        QCOMPARE(walked, all);
        // Previous page: offset removed when it would reach 0, else offset - limit.
        r = c->get(u"users/?limit=3&offset=3"_qs);
        QCOMPARE(QUrlQuery(QUrl(QString::fromLatin1(r.header("X-Previous-Page"))))
                     .hasQueryItem(u"offset"_qs),
                 false);
        r = c->get(u"users/?limit=3&offset=7"_qs);
        QCOMPARE(QUrlQuery(QUrl(QString::fromLatin1(r.header("X-Previous-Page"))))
                     .queryItemValue(u"offset"_qs),
                 u"4"_qs);
        QVERIFY(r.header("X-Next-Page").isEmpty());
        QCOMPARE(r.array().size(), 3);
    }

    void paginationInactive_data()
    {
        QTest::addColumn<QString>("query");
        QTest::newRow("no-limit") << QString();
        QTest::newRow("limit-0") << u"?limit=0&offset=2"_qs;
        QTest::newRow("limit-garbage") << u"?limit=abc"_qs;
        QTest::newRow("offset-alone") << u"?offset=5"_qs;
    }

    void paginationInactive()
    {
        QFETCH(QString, query);
        const Reply r = m_server->client(m_token)->get(u"users/"_qs + query);
        QCOMPARE(r.array().size(), 10);
        QVERIFY(r.header("X-Total-Count").isEmpty());
        QVERIFY(r.header("X-Next-Page").isEmpty());
    }

    void paginationKeepsOtherParametersAndProxyHost()
    {
        const Reply r = m_server->client(m_token)->get(
            u"users/?q=an&limit=2&offset=0"_qs,
            {{"X-Forwarded-Proto", "https"}, {"X-Forwarded-Host", "qfc.example.org"}});
        const QUrl next(QString::fromLatin1(r.header("X-Next-Page")));
        QCOMPARE(next.scheme(), u"https"_qs);
        QCOMPARE(next.host(), u"qfc.example.org"_qs);
        QCOMPARE(QUrlQuery(next).queryItemValue(u"q"_qs), u"an"_qs);
    }

    void paginationUsesPublicUrl()
    {
        TestServer s({{u"server/public_url"_qs, u"https://sync.example.net/qfc"_qs}});
        s.createUser(u"erin"_qs, u"pw-123456"_qs);
        const QString token = s.login(u"erin"_qs, u"pw-123456"_qs);
        const Reply r = s.client(token)->get(u"users/?limit=1"_qs);
        QCOMPARE(QString::fromLatin1(r.header("X-Next-Page")),
                 u"https://sync.example.net/qfc/api/v1/users/?limit=1&offset=1"_qs);
    }

    // §5.1: ordered by the position of q in the username, then the username.
    void usersSearchOrder()
    {
        const QJsonArray a = m_server->client(m_token)->get(u"users/?q=ann"_qs).array();
        QStringList names;
        for (const auto &v : a)
            names << v.toObject()[u"username"_qs].toString();
        QCOMPARE(names, QStringList({u"ann"_qs, u"anna"_qs, u"hanna"_qs, u"joanna"_qs}));
        QCOMPARE(a.first().toObject().keys(),
                 QStringList({u"avatar_url"_qs, u"full_name"_qs, u"type"_qs, u"username"_qs,
                              u"username_display"_qs}));
    }
};

QTEST_GUILESS_MAIN(tst_Conventions)
#include "tst_conventions.moc"
