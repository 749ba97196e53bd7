#include "api/context.h"
#include "api/router.h"

#include <QTest>

using qfc::api::Router;

class tst_Router final : public QObject
{
    Q_OBJECT

private:
    Router m_router;

    static qfc::api::Route route(const char *method, const QString &pattern)
    {
        qfc::api::Route r;
        r.method = method;
        r.pattern = pattern;
        r.summary = QString::fromLatin1(method) + u' ' + pattern;
        return r;
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_router.add(route("GET", u"status/"_qs));
        m_router.add(route("GET", u"projects/"_qs));
        m_router.add(route("POST", u"projects/"_qs));
        m_router.add(route("GET", u"projects/<project_id>/"_qs));
        m_router.add(route("PATCH", u"projects/<project_id>/"_qs));
        m_router.add(route("GET", u"projects/public/"_qs));
        m_router.add(route("GET", u"files/<uuid:project_id>/"_qs));
        m_router.add(route("GET", u"files/<uuid:project_id>/<path:path>/"_qs));
        m_router.add(route("POST", u"files/<uuid:project_id>/<path:path>/"_qs));
        m_router.add(route("GET", u"files/thumbnails/<uuid:project_id>/"_qs));
        m_router.add(route("GET", u"files/avatars/<public_id>/<filename>"_qs));
    }

    void match_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QString>("path");
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("summary");
        QTest::addColumn<QString>("params");
        const QString pid = u"4f0c0a3e-9f4e-4a3b-8e3f-0a1b2c3d4e5f"_qs;
        const int F = Router::Match::Found, N = Router::Match::NotFound,
                  M = Router::Match::MethodNotAllowed;
        QTest::newRow("slash") << QByteArray("GET") << u"/api/v1/status/"_qs << F
                               << u"GET status/"_qs << QString();
        QTest::newRow("no-slash-same-route")
            << QByteArray("GET") << u"/api/v1/status"_qs << F << u"GET status/"_qs << QString();
        QTest::newRow("wrong-prefix→404")
            << QByteArray("GET") << u"/api/v2/status/"_qs << N << QString() << QString();
        QTest::newRow("double-slash→404")
            << QByteArray("GET") << u"/api/v1//status/"_qs << N << QString() << QString();
        QTest::newRow("wrong-method→405")
            << QByteArray("DELETE") << u"/api/v1/status/"_qs << M << QString() << QString();
        QTest::newRow("literal-beats-param") << QByteArray("GET") << u"/api/v1/projects/public/"_qs
                                             << F << u"GET projects/public/"_qs << QString();
        QTest::newRow("literal-405-not-param-route")
            << QByteArray("PATCH") << u"/api/v1/projects/public/"_qs << M << QString() << QString();
        QTest::newRow("param") << QByteArray("GET") << u"/api/v1/projects/abc/"_qs << F
                               << u"GET projects/<project_id>/"_qs << u"project_id=abc"_qs;
        QTest::newRow("uuid-list")
            << QByteArray("GET") << (u"/api/v1/files/"_qs + pid + u'/') << F
            << u"GET files/<uuid:project_id>/"_qs << (u"project_id="_qs + pid);
        QTest::newRow("uuid-upper→404")
            << QByteArray("GET") << (u"/api/v1/files/"_qs + pid.toUpper() + u'/') << N << QString()
            << QString();
        QTest::newRow("uuid-malformed→404")
            << QByteArray("GET") << u"/api/v1/files/not-a-uuid/a.gpkg/"_qs << N << QString()
            << QString();
        QTest::newRow("greedy-path")
            << QByteArray("GET") << (u"/api/v1/files/"_qs + pid + u"/DCIM/sub dir/a.jpg/"_qs) << F
            << u"GET files/<uuid:project_id>/<path:path>/"_qs
            << (u"path=DCIM/sub dir/a.jpg;project_id="_qs + pid);
        QTest::newRow("greedy-path-no-slash")
            << QByteArray("POST") << (u"/api/v1/files/"_qs + pid + u"/a.qgs"_qs) << F
            << u"POST files/<uuid:project_id>/<path:path>/"_qs
            << (u"path=a.qgs;project_id="_qs + pid);
        QTest::newRow("literal-segment-before-uuid")
            << QByteArray("GET") << (u"/api/v1/files/thumbnails/"_qs + pid + u'/') << F
            << u"GET files/thumbnails/<uuid:project_id>/"_qs << (u"project_id="_qs + pid);
        QTest::newRow("avatar-no-trailing-slash")
            << QByteArray("GET") << u"/api/v1/files/avatars/xyz/avatar.png"_qs << F
            << u"GET files/avatars/<public_id>/<filename>"_qs
            << u"filename=avatar.png;public_id=xyz"_qs;
    }

    void match()
    {
        QFETCH(QByteArray, method);
        QFETCH(QString, path);
        QFETCH(int, kind);
        QFETCH(QString, summary);
        QFETCH(QString, params);
        const Router::Match m = m_router.match(method, path);
        QCOMPARE(int(m.kind), kind);
        if (kind == Router::Match::Found) {
            QCOMPARE(m.route->summary, summary);
            QStringList got;
            for (auto it = m.params.cbegin(); it != m.params.cend(); ++it)
                got << it.key() + u'=' + it.value();
            got.sort();
            QCOMPARE(got.join(u';'), params);
        }
    }

    void allowHeader()
    {
        const Router::Match m = m_router.match("PUT", u"/api/v1/projects/"_qs);
        QCOMPARE(int(m.kind), int(Router::Match::MethodNotAllowed));
        QCOMPARE(m.allowed, QByteArrayList({"GET", "POST", "HEAD"}));
    }

    void lenientBool_data()
    {
        QTest::addColumn<QJsonValue>("value");
        QTest::addColumn<int>("expected"); // 1 true, 0 false, -1 invalid
        QTest::newRow("json-true") << QJsonValue(true) << 1;
        QTest::newRow("json-false") << QJsonValue(false) << 0;
        QTest::newRow("int-1") << QJsonValue(1) << 1;
        QTest::newRow("int-0") << QJsonValue(0) << 0;
        QTest::newRow("int-2→invalid") << QJsonValue(2) << -1;
        for (const char *s : {"true", "True", "1", "yes", "on"})
            QTest::newRow(qPrintable(u"str-"_qs + QString::fromLatin1(s)))
                << QJsonValue(QString::fromLatin1(s)) << 1;
        for (const char *s : {"false", "False", "0", "no", "off"})
            QTest::newRow(qPrintable(u"str-"_qs + QString::fromLatin1(s)))
                << QJsonValue(QString::fromLatin1(s)) << 0;
        QTest::newRow("str-maybe→invalid") << QJsonValue(u"maybe"_qs) << -1;
        QTest::newRow("str-empty→invalid") << QJsonValue(u""_qs) << -1;
        QTest::newRow("array→invalid") << QJsonValue(QJsonArray{true}) << -1;
    }

    void lenientBool()
    {
        QFETCH(QJsonValue, value);
        QFETCH(int, expected);
        const std::optional<bool> b = qfc::api::parseBool(value);
        QCOMPARE(b ? int(*b) : -1, expected);
    }
};

QTEST_GUILESS_MAIN(tst_Router)
#include "tst_router.moc"
