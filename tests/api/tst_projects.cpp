// Projects, collaborators, organizations and role resolution as the clients use them
// (spec/api.md §5–§8, §14), on SQLite and PostgreSQL.
#include "auth/userrepository.h"
#include "db/query.h"
#include "server/instance.h"
#include "testenv.h"
#include "testserver.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QUrlQuery>

using namespace qfc::test;

namespace {
const QByteArray kSdk = "sdk|py|0.9 python-requests|2.32";
const QByteArray kQField = "qfield|3.5.0|Tsavo|abc| QGIS/34000";
const QByteArray kQFieldSync = "Mozilla/5.0 QGIS/34000/Ubuntu 22.04";

QStringList names(const QJsonArray &projects)
{
    QStringList out;
    for (const auto &v : projects)
        out << v.toObject()[u"owner"_qs].toString() + u'/' + v.toObject()[u"name"_qs].toString();
    return out;
}
} // namespace

class tst_Projects final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<TestServer> m_server;
    QString m_alice; // tokens
    QString m_bob;
    QString m_carol;

    std::unique_ptr<HttpClient> as(const QString &token, const QByteArray &ua = kSdk)
    {
        auto c = m_server->client(token);
        c->setUserAgent(ua);
        return c;
    }

    QString create(const QString &token, const QJsonObject &body)
    {
        const Reply r = as(token)->postJson(u"projects/"_qs, body);
        if (r.status != 201)
            qWarning() << r.status << r.body;
        return r.object()[u"id"_qs].toString();
    }

private Q_SLOTS:
    void init()
    {
        m_server = std::make_unique<TestServer>();
        for (const char *n : {"alice", "bob", "carol", "dave"})
            m_server->createUser(QString::fromLatin1(n), u"secret-"_qs + QString::fromLatin1(n));
        m_alice = m_server->login(u"alice"_qs, u"secret-alice"_qs, kSdk);
        m_bob = m_server->login(u"bob"_qs, u"secret-bob"_qs, kSdk);
        m_carol = m_server->login(u"carol"_qs, u"secret-carol"_qs, kSdk);
    }

    void cleanup() { m_server.reset(); }
    void cleanupTestCase() { dropCreatedDatabases(); }

    // The SDK's calls: form bodies, is_public as 0/1, limit/offset appended to every call.
    void sdkLifecycle()
    {
        auto c = as(m_alice);
        Reply r = c->postForm(u"projects/?limit=20&offset=0"_qs,
                              {{u"name"_qs, u"field-survey"_qs},
                               {u"owner"_qs, u"alice"_qs},
                               {u"description"_qs, u"first"_qs},
                               {u"is_public"_qs, u"0"_qs}});
        QCOMPARE(r.status, 201);
        const QJsonObject p = r.object();
        const QString id = p[u"id"_qs].toString();
        QCOMPARE(p[u"name"_qs].toString(), u"field-survey"_qs);
        QCOMPARE(p[u"owner"_qs].toString(), u"alice"_qs);
        QCOMPARE(p[u"is_public"_qs].toBool(), false);
        QCOMPARE(p[u"private"_qs].toBool(), true);
        QCOMPARE(p[u"user_role"_qs].toString(), u"admin"_qs);
        QCOMPARE(p[u"user_role_origin"_qs].toString(), u"project_owner"_qs);
        // A project without files or jobs (§7.1, §15.4).
        QCOMPARE(p[u"status"_qs].toString(), u"failed"_qs);
        QCOMPARE(p[u"needs_repackaging"_qs].toBool(), true);
        QCOMPARE(p[u"can_repackage"_qs].toBool(), true);
        QVERIFY(p[u"the_qgis_file_name"_qs].isNull());
        QCOMPARE(p[u"file_storage_bytes"_qs].toInt(), 0);
        QVERIFY(p[u"data_last_packaged_at"_qs].isNull());
        QCOMPARE(p[u"overwrite_conflicts"_qs].toBool(), true);
        QCOMPARE(p[u"project_type"_qs].toString(), u"regular"_qs);

        // GET with the SDK's limit/offset: an object, not a page.
        r = c->get(u"projects/"_qs + id + u"/?limit=20&offset=0"_qs);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.object()[u"id"_qs].toString(), id);
        QVERIFY(r.header("X-Total-Count").isEmpty());

        // Rename, make public (form, 1), then private again with the deprecated field.
        r = c->send("PATCH", u"projects/"_qs + id + u"/?limit=20&offset=0"_qs,
                    "name=renamed&is_public=1", "application/x-www-form-urlencoded");
        QCOMPARE(r.status, 200);
        QCOMPARE(r.object()[u"name"_qs].toString(), u"renamed"_qs);
        QCOMPARE(r.object()[u"is_public"_qs].toBool(), true);
        r = c->send("PATCH", u"projects/"_qs + id + u"/"_qs, R"({"private": true})",
                    "application/json");
        QCOMPARE(r.object()[u"is_public"_qs].toBool(), false);

        // Collaborators: add (form), change, list, remove.
        r = c->postForm(u"collaborators/"_qs + id + u"/?limit=20&offset=0"_qs,
                        {{u"collaborator"_qs, u"bob"_qs}, {u"role"_qs, u"editor"_qs}});
        QCOMPARE(r.status, 201);
        QCOMPARE(r.object()[u"collaborator"_qs].toString(), u"bob"_qs);
        QCOMPARE(r.object()[u"role"_qs].toString(), u"editor"_qs);
        QCOMPARE(r.object()[u"created_by"_qs].toString(), u"alice"_qs);
        QCOMPARE(r.object()[u"project_id"_qs].toString(), id);
        QCOMPARE(
            as(m_bob)->get(u"projects/"_qs + id + u"/"_qs).object()[u"user_role"_qs].toString(),
            u"editor"_qs);
        r = c->send("PATCH", u"collaborators/"_qs + id + u"/bob/?limit=20&offset=0"_qs,
                    "role=manager", "application/x-www-form-urlencoded");
        QCOMPARE(r.status, 200);
        QCOMPARE(r.object()[u"role"_qs].toString(), u"manager"_qs);
        QCOMPARE(
            as(m_bob)->get(u"projects/"_qs + id + u"/"_qs).object()[u"user_role"_qs].toString(),
            u"manager"_qs);
        r = c->get(u"collaborators/"_qs + id + u"/"_qs);
        QCOMPARE(r.array().size(), 1);
        QCOMPARE(c->del(u"collaborators/"_qs + id + u"/bob/"_qs).status, 204);
        QCOMPARE(as(m_bob)->get(u"projects/"_qs + id + u"/"_qs).status, 403);

        // Delete: nothing of it stays reachable.
        QCOMPARE(
            c->postForm(u"collaborators/"_qs + id + u"/"_qs, {{u"collaborator"_qs, u"carol"_qs}})
                .status,
            201);
        QCOMPARE(c->del(u"projects/"_qs + id + u"/"_qs).status, 204);
        QCOMPARE(c->get(u"projects/"_qs + id + u"/"_qs).code(), u"object_not_found"_qs);
        QCOMPARE(c->get(u"collaborators/"_qs + id + u"/"_qs).code(), u"object_not_found"_qs);
        QCOMPARE(as(m_carol)->get(u"projects/"_qs + id + u"/"_qs).code(), u"object_not_found"_qs);
        QVERIFY(c->get(u"projects/"_qs).array().isEmpty());
        QVERIFY(as(m_carol)->get(u"projects/"_qs).array().isEmpty());
        QCOMPARE(qfc::db::Query::scalar(m_server->instance().database().connection(),
                                        u"SELECT count(*) FROM project_collaborators"_qs)
                     ->toInt(),
                 0);
    }

    // QField: {"name", "owner": self, "description": "", "private": true} as JSON.
    void qfieldCreate()
    {
        const Reply r = as(m_alice, kQField)
                            ->postJson(u"projects/"_qs,
                                       {{u"name"_qs, u"from-phone"_qs},
                                        {u"owner"_qs, u"alice"_qs},
                                        {u"description"_qs, u""_qs},
                                        {u"private"_qs, true}});
        QCOMPARE(r.status, 201);
        const QJsonObject o = r.object();
        // The fields QField requires to be well typed.
        for (const char *s : {"name", "owner", "description", "user_role"})
            QVERIFY2(o[QString::fromLatin1(s)].isString(), s);
        for (const char *b : {"is_public", "can_repackage", "needs_repackaging"})
            QVERIFY2(o[QString::fromLatin1(b)].isBool(), b);
        QCOMPARE(o[u"is_public"_qs].toBool(), false);
    }

    // QFieldSync: name, owner, description, is_public, project_type as JSON.
    void qfieldsyncCreate()
    {
        const Reply r = as(m_alice, kQFieldSync)
                            ->postJson(u"projects/"_qs,
                                       {{u"name"_qs, u"desk"_qs},
                                        {u"owner"_qs, u"alice"_qs},
                                        {u"description"_qs, u"d"_qs},
                                        {u"is_public"_qs, true},
                                        {u"project_type"_qs, u"template"_qs}});
        QCOMPARE(r.status, 201);
        QCOMPARE(r.object()[u"project_type"_qs].toString(), u"template"_qs);
        QCOMPARE(r.object()[u"can_repackage"_qs].toBool(), false);
        QCOMPARE(r.object()[u"is_public"_qs].toBool(), true);
    }

    void createErrors_data()
    {
        QTest::addColumn<QJsonObject>("body");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("code");
        QTest::newRow("missing-name→400")
            << QJsonObject{{u"description"_qs, u"x"_qs}} << 400 << u"api_error"_qs;
        QTest::newRow("bad-name→400")
            << QJsonObject{{u"name"_qs, u"no spaces"_qs}} << 400 << u"api_error"_qs;
        QTest::newRow("bad-type→400")
            << QJsonObject{{u"name"_qs, u"t"_qs}, {u"project_type"_qs, u"odd"_qs}} << 400
            << u"api_error"_qs;
        QTest::newRow("bad-bool→400")
            << QJsonObject{{u"name"_qs, u"t"_qs}, {u"is_public"_qs, u"maybe"_qs}} << 400
            << u"validation_error"_qs;
        QTest::newRow("other-person-owner→403")
            << QJsonObject{{u"name"_qs, u"t"_qs}, {u"owner"_qs, u"bob"_qs}} << 403
            << u"permission_denied"_qs;
        QTest::newRow("unknown-owner→404")
            << QJsonObject{{u"name"_qs, u"t"_qs}, {u"owner"_qs, u"zed"_qs}} << 404
            << u"object_not_found"_qs;
        QTest::newRow("seed→not_supported")
            << QJsonObject{{u"name"_qs, u"t"_qs},
                           {u"seed"_qs, QJsonObject{{u"extent"_qs, u"0,0,1,1"_qs}}}}
            << 400 << u"not_supported"_qs;
    }

    void createErrors()
    {
        QFETCH(QJsonObject, body);
        QFETCH(int, status);
        QFETCH(QString, code);
        const Reply r = as(m_alice)->postJson(u"projects/"_qs, body);
        QCOMPARE(r.status, status);
        QCOMPARE(r.code(), code);
        if (code == u"not_supported")
            QCOMPARE(r.object()[u"message"_qs].toString(), u"Project seeds are not supported."_qs);
        QVERIFY(as(m_alice)->get(u"projects/"_qs).array().isEmpty()); // nothing stored
    }

    void duplicateNames()
    {
        QVERIFY(!create(m_alice, {{u"name"_qs, u"Survey"_qs}}).isEmpty());
        Reply r = as(m_alice)->postJson(u"projects/"_qs, {{u"name"_qs, u"Survey"_qs}});
        QCOMPARE(r.status, 400);
        QCOMPARE(r.code(), u"project_already_exists"_qs);
        QCOMPARE(r.object()[u"message"_qs].toString(),
                 u"This user already owns a project with the same name."_qs);
        r = as(m_alice)->postJson(u"projects/"_qs, {{u"name"_qs, u"survey"_qs}});
        QCOMPARE(r.code(), u"project_already_exists"_qs); // names are unique regardless of case
        QCOMPARE(as(m_bob)->postJson(u"projects/"_qs, {{u"name"_qs, u"Survey"_qs}}).status,
                 201); // per owner
        const QString other = create(m_alice, {{u"name"_qs, u"other"_qs}});
        r = as(m_alice)->send("PATCH", u"projects/"_qs + other + u"/"_qs, R"({"name":"SURVEY"})",
                              "application/json");
        QCOMPARE(r.code(), u"project_already_exists"_qs);
        // One shared_datasets project per owner, and the name decides the type.
        r = as(m_alice)->postJson(u"projects/"_qs, {{u"name"_qs, u"shared_datasets"_qs}});
        QCOMPARE(r.object()[u"project_type"_qs].toString(), u"shared_datasets"_qs);
        QCOMPARE(r.object()[u"is_shared_datasets_project"_qs].toBool(), true);
        QCOMPARE(r.object()[u"status"_qs].toString(), u"ok"_qs);
        const QString shared = r.object()[u"id"_qs].toString();
        QCOMPARE(as(m_alice)
                     ->get(u"projects/"_qs + other + u"/"_qs)
                     .object()[u"shared_datasets_project_id"_qs]
                     .toString(),
                 shared);
    }

    // Fields the caller may not set are ignored, never applied (mass assignment).
    void readOnlyFieldsIgnored()
    {
        const QString id = create(m_alice, {{u"name"_qs, u"p1"_qs}});
        const Reply r = as(m_alice)->postJson(u"projects/"_qs + id + u"/"_qs, {});
        QCOMPARE(r.status, 405);
        const QJsonObject sneaky{{u"id"_qs, u"00000000-0000-4000-8000-000000000000"_qs},
                                 {u"user_role"_qs, u"reader"_qs},
                                 {u"status"_qs, u"ok"_qs},
                                 {u"file_storage_bytes"_qs, 99},
                                 {u"the_qgis_file_name"_qs, u"x.qgs"_qs},
                                 {u"created_at"_qs, u"2000-01-01T00:00:00Z"_qs},
                                 {u"data_last_packaged_at"_qs, u"2000-01-01T00:00:00Z"_qs},
                                 {u"description"_qs, u"fine"_qs}};
        const Reply p = as(m_alice)->send("PATCH", u"projects/"_qs + id + u"/"_qs,
                                          QJsonDocument(sneaky).toJson(), "application/json");
        QCOMPARE(p.status, 200);
        const QJsonObject o = p.object();
        QCOMPARE(o[u"id"_qs].toString(), id);
        QCOMPARE(o[u"description"_qs].toString(), u"fine"_qs);
        QCOMPARE(o[u"user_role"_qs].toString(), u"admin"_qs);
        QCOMPARE(o[u"status"_qs].toString(), u"failed"_qs);
        QCOMPARE(o[u"file_storage_bytes"_qs].toInt(), 0);
        QVERIFY(o[u"the_qgis_file_name"_qs].isNull());
        QVERIFY(o[u"data_last_packaged_at"_qs].isNull());
        QVERIFY(!o[u"created_at"_qs].toString().startsWith(u"2000"_qs));
        // A person cannot make itself staff, change its type or its password through PATCH.
        const Reply u = as(m_bob)->send(
            "PATCH", u"users/bob/"_qs,
            R"({"is_staff": true, "is_superuser": true, "type": 2, "password": "x", "first_name": "Bob"})",
            "application/json");
        QCOMPARE(u.status, 200);
        QCOMPARE(u.object()[u"type"_qs].toInt(), 1);
        QCOMPARE(u.object()[u"first_name"_qs].toString(), u"Bob"_qs);
        const auto bob =
            qfc::users::byUsername(m_server->instance().database().connection(), u"bob"_qs);
        QVERIFY(!bob->isStaff && !bob->isSuperuser);
        QVERIFY(!m_server->login(u"bob"_qs, u"secret-bob"_qs, kSdk).isEmpty());
    }

    // A manager cannot give the project away to someone it may not create projects for.
    void ownerTransfer()
    {
        const QString id = create(m_alice, {{u"name"_qs, u"moving"_qs}});
        QCOMPARE(as(m_alice)
                     ->postForm(u"collaborators/"_qs + id + u"/"_qs,
                                {{u"collaborator"_qs, u"bob"_qs}, {u"role"_qs, u"manager"_qs}})
                     .status,
                 201);
        Reply r = as(m_bob)->send("PATCH", u"projects/"_qs + id + u"/"_qs, R"({"owner":"carol"})",
                                  "application/json");
        QCOMPARE(r.status, 403);
        QCOMPARE(as(m_alice)->get(u"projects/"_qs + id + u"/"_qs).object()[u"owner"_qs].toString(),
                 u"alice"_qs);
        r = as(m_bob)->send("PATCH", u"projects/"_qs + id + u"/"_qs, R"({"owner":"bob"})",
                            "application/json");
        QCOMPARE(r.status, 200);
        QCOMPARE(r.object()[u"owner"_qs].toString(), u"bob"_qs);
        QCOMPARE(r.object()[u"user_role_origin"_qs].toString(), u"project_owner"_qs);
    }

    void listFilters()
    {
        create(m_alice, {{u"name"_qs, u"beta"_qs}});
        create(m_alice, {{u"name"_qs, u"Alpha"_qs}, {u"is_public"_qs, true}});
        create(m_bob, {{u"name"_qs, u"open-data"_qs}, {u"is_public"_qs, true}});
        create(m_bob, {{u"name"_qs, u"hidden"_qs}});
        auto c = as(m_alice);
        QCOMPARE(names(c->get(u"projects/"_qs).array()),
                 QStringList({u"alice/Alpha"_qs, u"alice/beta"_qs}));
        QCOMPARE(names(c->get(u"projects/?include_public=1"_qs).array()),
                 QStringList({u"alice/Alpha"_qs, u"alice/beta"_qs, u"bob/open-data"_qs}));
        QCOMPARE(names(c->get(u"projects/?include-public=1"_qs).array()).size(), 3);
        QCOMPARE(names(c->get(u"projects/?include_public=0"_qs).array()).size(), 2);
        QCOMPARE(c->get(u"projects/?include_public=yes"_qs).code(), u"api_error"_qs);
        // QField's owner/name link resolution.
        QCOMPARE(names(c->get(u"projects/?owner=BOB&name=OPEN-DATA&include_public=1"_qs).array()),
                 QStringList({u"bob/open-data"_qs}));
        QCOMPARE(names(c->get(u"projects/?search=alice%20bet"_qs).array()),
                 QStringList({u"alice/beta"_qs}));
        QCOMPARE(names(c->get(u"projects/?search=ALP,alice"_qs).array()),
                 QStringList({u"alice/Alpha"_qs}));
        QCOMPARE(names(c->get(u"projects/?ordering=-name"_qs).array()),
                 QStringList({u"alice/beta"_qs, u"alice/Alpha"_qs}));
        // The public-only project shows its reader role.
        const QJsonArray withPublic = c->get(u"projects/?include_public=1&owner=bob"_qs).array();
        QCOMPARE(withPublic.first().toObject()[u"user_role_origin"_qs].toString(), u"public"_qs);
        QCOMPARE(withPublic.first().toObject()[u"user_role"_qs].toString(), u"reader"_qs);
        // projects/public/: every public project, paginated opt-in.
        const Reply pub = c->get(u"projects/public/?limit=1"_qs);
        QCOMPARE(pub.header("X-Total-Count"), QByteArray("2"));
        QCOMPARE(pub.array().size(), 1);
        // Featured first by default.
        qfc::db::Query::run(m_server->instance().database().connection(),
                            u"UPDATE projects SET is_featured = TRUE WHERE name = 'beta'"_qs);
        QCOMPARE(names(c->get(u"projects/"_qs).array()),
                 QStringList({u"alice/beta"_qs, u"alice/Alpha"_qs}));
    }

    // §14.2: the first matching source decides, even when a later one grants more.
    void roleResolutionOrder()
    {
        QTemporaryDir none;
        auto run = [&](const QStringList &args) {
            QProcess p;
            QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
            e.insert(u"QFC_DATABASE_URL"_qs, m_server->databaseUrl());
            e.insert(u"QFC_DATA_DIR"_qs, m_server->dataDir());
            e.insert(u"QFC_LOG_FILE"_qs, u"none"_qs);
            p.setProcessEnvironment(e);
            p.start(serverBinary(), args);
            p.waitForFinished(60000);
            QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        };
        // acme: alice owns, bob admin, carol member; team "crew" with carol; members default to
        // reporter.
        run({u"org"_qs, u"create"_qs, u"acme"_qs, u"--owner"_qs, u"alice"_qs});
        run({u"org"_qs, u"member"_qs, u"add"_qs, u"acme"_qs, u"bob"_qs, u"--role"_qs, u"admin"_qs});
        run({u"org"_qs, u"member"_qs, u"add"_qs, u"acme"_qs, u"carol"_qs});
        run({u"org"_qs, u"member"_qs, u"add"_qs, u"acme"_qs, u"dave"_qs});
        run({u"team"_qs, u"create"_qs, u"acme"_qs, u"crew"_qs});
        run({u"team"_qs, u"member"_qs, u"add"_qs, u"acme"_qs, u"crew"_qs, u"carol"_qs});
        run({u"org"_qs, u"set"_qs, u"acme"_qs, u"--default-member-role"_qs, u"reporter"_qs});
        const QString id = create(m_alice, {{u"name"_qs, u"net"_qs}, {u"owner"_qs, u"acme"_qs}});
        QVERIFY(!id.isEmpty());
        auto c = as(m_alice);
        // bob is org admin and also a direct reader: org admin comes first.
        QCOMPARE(c->postForm(u"collaborators/"_qs + id + u"/"_qs,
                             {{u"collaborator"_qs, u"bob"_qs}, {u"role"_qs, u"reader"_qs}})
                     .status,
                 201);
        // carol: direct reader beats the team's manager role.
        QCOMPARE(c->postForm(u"collaborators/"_qs + id + u"/"_qs,
                             {{u"collaborator"_qs, u"crew"_qs}, {u"role"_qs, u"manager"_qs}})
                     .status,
                 201);
        QCOMPARE(c->postForm(u"collaborators/"_qs + id + u"/"_qs,
                             {{u"collaborator"_qs, u"carol"_qs}, {u"role"_qs, u"reader"_qs}})
                     .status,
                 201);
        const QString dave = m_server->login(u"dave"_qs, u"secret-dave"_qs, kSdk);
        auto roleOf = [&](const QString &token) -> QString {
            const QJsonObject o = as(token)->get(u"projects/"_qs + id + u"/"_qs).object();
            return o[u"user_role"_qs].toString() + u'/' + o[u"user_role_origin"_qs].toString();
        };
        QCOMPARE(roleOf(m_alice), u"admin/organization_owner"_qs);
        QCOMPARE(roleOf(m_bob), u"admin/organization_admin"_qs);
        QCOMPARE(roleOf(m_carol), u"reader/collaborator"_qs);
        QCOMPARE(roleOf(dave), u"reporter/organization_member"_qs);
        // Removing carol's own entry lets the team's role through.
        QCOMPARE(c->del(u"collaborators/"_qs + id + u"/carol/"_qs).status, 204);
        QCOMPARE(roleOf(m_carol), u"manager/team_member"_qs);
        QCOMPARE(
            c->get(u"collaborators/"_qs + id + u"/@acme/crew/"_qs).object()[u"role"_qs].toString(),
            u"manager"_qs);
        // Removing dave from the organization drops his role; the project disappears from his list.
        QCOMPARE(c->del(u"members/acme/dave/"_qs).status, 204);
        QCOMPARE(as(dave)->get(u"projects/"_qs + id + u"/"_qs).status, 403);
        QVERIFY(as(dave)->get(u"projects/"_qs).array().isEmpty());
        // Collaborator rules (§8): owner, non-members, teams of other organizations, duplicates.
        m_server->createUser(u"erin"_qs, u"secret-erin"_qs);
        QCOMPARE(
            c->postForm(u"collaborators/"_qs + id + u"/"_qs, {{u"collaborator"_qs, u"erin"_qs}})
                .code(),
            u"validation_error"_qs);
        QCOMPARE(
            c->postForm(u"collaborators/"_qs + id + u"/"_qs, {{u"collaborator"_qs, u"acme"_qs}})
                .code(),
            u"validation_error"_qs);
        QCOMPARE(c->postForm(u"collaborators/"_qs + id + u"/"_qs, {{u"collaborator"_qs, u"bob"_qs}})
                     .code(),
                 u"validation_error"_qs);
        QCOMPARE(
            c->postForm(u"collaborators/"_qs + id + u"/"_qs, {{u"collaborator"_qs, u"ghost"_qs}})
                .code(),
            u"api_error"_qs);
    }

    // A plan that caps collaborators on private projects makes the extra roles invalid: the project
    // is still listed but its detail answers 403, and its status is failed (§14.2, §17).
    void collaboratorCapInvalidatesRoles()
    {
        const QString id = create(m_alice, {{u"name"_qs, u"capped"_qs}});
        for (const QString &who : {u"bob"_qs, u"carol"_qs})
            QCOMPARE(
                as(m_alice)
                    ->postForm(u"collaborators/"_qs + id + u"/"_qs, {{u"collaborator"_qs, who}})
                    .status,
                201);
        qfc::db::Query::run(
            m_server->instance().database().connection(),
            u"UPDATE plans SET max_premium_collaborators_per_private_project = 1"_qs);
        QCOMPARE(as(m_bob)->get(u"projects/"_qs + id + u"/"_qs).status, 403);
        QCOMPARE(names(as(m_bob)->get(u"projects/"_qs).array()), QStringList({u"alice/capped"_qs}));
        const QJsonObject mine = as(m_alice)->get(u"projects/"_qs + id + u"/"_qs).object();
        QCOMPARE(mine[u"user_role"_qs].toString(), u"admin"_qs);
        QCOMPARE(mine[u"status"_qs].toString(), u"failed"_qs);
        // Public projects are not capped.
        QCOMPARE(as(m_alice)
                     ->send("PATCH", u"projects/"_qs + id + u"/"_qs, R"({"is_public": true})",
                            "application/json")
                     .status,
                 200);
        QCOMPARE(as(m_bob)->get(u"projects/"_qs + id + u"/"_qs).status, 200);
    }

    void membersAndTeams()
    {
        QCOMPARE(m_server->instance().database().dialect() == qfc::db::Dialect::Sqlite
                     || m_server->instance().database().dialect() == qfc::db::Dialect::Postgres,
                 true);
        // An organization set up through the staff API path is not offered (web only, §6): the CLI.
        QProcess p;
        QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
        e.insert(u"QFC_DATABASE_URL"_qs, m_server->databaseUrl());
        e.insert(u"QFC_DATA_DIR"_qs, m_server->dataDir());
        e.insert(u"QFC_LOG_FILE"_qs, u"none"_qs);
        p.setProcessEnvironment(e);
        p.start(serverBinary(), {u"org"_qs, u"create"_qs, u"acme"_qs, u"--owner"_qs, u"alice"_qs});
        QVERIFY(p.waitForFinished(60000) && p.exitCode() == 0);
        auto a = as(m_alice);
        Reply r = a->postJson(
            u"members/acme/"_qs,
            {{u"member"_qs, u"bob"_qs}, {u"role"_qs, u"admin"_qs}, {u"is_public"_qs, true}});
        QCOMPARE(r.status, 201);
        QCOMPARE(r.object(),
                 QJsonObject({{u"organization"_qs, u"acme"_qs},
                              {u"member"_qs, u"bob"_qs},
                              {u"role"_qs, u"admin"_qs},
                              {u"is_public"_qs, true}}));
        QCOMPARE(a->postJson(u"members/acme/"_qs, {{u"member"_qs, u"bob"_qs}}).code(),
                 u"validation_error"_qs);
        QCOMPARE(a->postJson(u"members/acme/"_qs, {{u"member"_qs, u"alice"_qs}}).code(),
                 u"validation_error"_qs);
        QCOMPARE(a->postJson(u"members/acme/"_qs, {{u"member"_qs, u"nobody"_qs}}).status, 404);
        QCOMPARE(as(m_bob)->postJson(u"members/acme/"_qs, {{u"member"_qs, u"carol"_qs}}).status,
                 201);
        QCOMPARE(a->send("PATCH", u"members/acme/carol/"_qs,
                         R"({"role":"creator","organization":"evil","member":"x"})",
                         "application/json")
                     .object()[u"role"_qs]
                     .toString(),
                 u"creator"_qs);
        QCOMPARE(a->get(u"members/acme/"_qs).array().size(), 2);
        // users/<me>/organizations/: the Organization object.
        const QJsonObject org =
            as(m_bob)->get(u"users/bob/organizations/"_qs).array().first().toObject();
        QCOMPARE(org[u"username"_qs].toString(), u"acme"_qs);
        QCOMPARE(org[u"organization_owner"_qs].toString(), u"alice"_qs);
        QCOMPARE(org[u"membership_role"_qs].toString(), u"admin"_qs);
        QCOMPARE(org[u"membership_role_origin"_qs].toString(), u"organization_member"_qs);
        QCOMPARE(org[u"members"_qs].toArray(), QJsonArray({u"bob"_qs}));
        QCOMPARE(as(m_alice)
                     ->get(u"users/alice/organizations/"_qs)
                     .array()
                     .first()
                     .toObject()[u"membership_role_origin"_qs]
                     .toString(),
                 u"organization_owner"_qs);
        // Teams: create, members by name or e-mail, rename, PATCH refused, delete.
        QCOMPARE(a->postJson(u"organizations/acme/teams/"_qs, {{u"team"_qs, u"crew"_qs}}).status,
                 201);
        QCOMPARE(a->postJson(u"organizations/acme/teams/crew/members/"_qs,
                             {{u"member"_qs, u"carol@example.com"_qs}})
                     .object(),
                 QJsonObject({{u"member"_qs, u"carol"_qs}}));
        QCOMPARE(
            a->postJson(u"organizations/acme/teams/crew/members/"_qs, {{u"member"_qs, u"carol"_qs}})
                .code(),
            u"api_error"_qs);
        QCOMPARE(
            a->postJson(u"organizations/acme/teams/crew/members/"_qs, {{u"member"_qs, u"dave"_qs}})
                .code(),
            u"validation_error"_qs);
        QCOMPARE(a->get(u"organizations/acme/teams/"_qs).array().first().toObject(),
                 QJsonObject({{u"team"_qs, u"crew"_qs},
                              {u"organization"_qs, u"acme"_qs},
                              {u"members"_qs, QJsonArray{u"carol"_qs}}}));
        QCOMPARE(a->send("PUT", u"organizations/acme/teams/crew/"_qs, R"({"team":"squad"})",
                         "application/json")
                     .status,
                 200);
        QCOMPARE(a->get(u"organizations/acme/teams/crew/"_qs).status, 404);
        QCOMPARE(a->get(u"organizations/acme/teams/squad/members/"_qs).array().size(), 1);
        QCOMPARE(a->send("PATCH", u"organizations/acme/teams/squad/"_qs, R"({"team":"x"})",
                         "application/json")
                     .status,
                 403);
        // Removing carol from the organization removes her from its teams too (§6.1).
        QCOMPARE(a->del(u"members/acme/carol/"_qs).status, 204);
        QVERIFY(a->get(u"organizations/acme/teams/squad/members/"_qs).array().isEmpty());
        QCOMPARE(a->del(u"organizations/acme/teams/squad/"_qs).status, 204);
        QVERIFY(a->get(u"organizations/acme/teams/"_qs).array().isEmpty());
        // Subscription of the organization for its members.
        const QJsonObject sub = as(m_bob)->get(u"subscriptions/acme/current/"_qs).object();
        QCOMPARE(sub[u"plan_code"_qs].toString(), u"self_hosted"_qs);
        QCOMPARE(sub[u"status"_qs].toString(), u"active_paid"_qs);
        QCOMPARE(sub[u"storage_used_bytes"_qs].toInteger(), 0);
        QCOMPARE(sub[u"active_storage_total_bytes"_qs].toInteger(), qint64(1000000) * 1000000);
    }

    void staffCreatesUsers()
    {
        auto admin =
            m_server->client(m_server->login(u"admin"_qs, m_server->adminPassword(), kSdk));
        Reply r = admin->postJson(u"users/"_qs,
                                  {{u"username"_qs, u"frank"_qs},
                                   {u"password"_qs, u"pw-frank-1"_qs},
                                   {u"email"_qs, u"frank@example.com"_qs},
                                   {u"first_name"_qs, u"Frank"_qs}});
        QCOMPARE(r.status, 201);
        QCOMPARE(r.object()[u"username"_qs].toString(), u"frank"_qs);
        QCOMPARE(r.object()[u"full_name"_qs].toString(), u"Frank"_qs);
        QVERIFY(!m_server->login(u"frank"_qs, u"pw-frank-1"_qs).isEmpty());
        r = admin->postJson(u"users/"_qs,
                            {{u"username"_qs, u"FRANK"_qs},
                             {u"password"_qs, u"x"_qs},
                             {u"email"_qs, u"f2@example.com"_qs}});
        QCOMPARE(r.code(), u"validation_error"_qs);
        QVERIFY(r.object()[u"details"_qs].toObject().contains(u"username"_qs));
        r = admin->postJson(u"users/"_qs,
                            {{u"username"_qs, u"gina"_qs},
                             {u"password"_qs, u"x"_qs},
                             {u"email"_qs, u"FRANK@example.com"_qs}});
        QVERIFY(r.object()[u"details"_qs].toObject().contains(u"email"_qs));
        r = admin->postJson(u"users/"_qs, {{u"username"_qs, u"gina"_qs}});
        QCOMPARE(r.object()[u"details"_qs].toObject().keys(),
                 QStringList({u"email"_qs, u"password"_qs}));
    }
};

QTEST_GUILESS_MAIN(tst_Projects)
#include "tst_projects.moc"
