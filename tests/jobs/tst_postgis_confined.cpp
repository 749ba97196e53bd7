// The real qfc-worker run CONFINED by the server's job pool (libqfc/platform/sandbox,
// spec/worker.md §7.8) on projects with PostgreSQL layers, the connection coming from a project
// `pgservice` secret (spec/api.md §13) as in production:
//  - the PostGIS of the `postgis` fixture (tests/scripts/postgis.sh) is, as root, another host (a
//    network namespace of its own behind a veth pair): with jobs/network = outbound the confined
//    worker reaches it through slirp4netns and finds the layers of
//    core/delta/project_pgservice.qgs (PP-07) valid; with jobs/network = none it does not;
//  - QFC's own database on 127.0.0.1 (the `postgres` fixture, where this server keeps its data)
//    stays out of reach of the same confined worker, although the layer pointing at it is valid
//    for an unconfined one (the control run) and for this test.
// Without root the fixture runs in loopback mode (PostGIS on 127.0.0.1, which a confined worker
// must not reach), and this test skips.
#include "core/settings.h"
#include "db/database.h"
#include "jobs/secrets.h"
#include "platform/sandbox.h"
#include "server/instance.h"
#include "testenv.h"
#include "testserver.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>
#include <QUrl>

using namespace qfc;
using namespace qfc::test;

namespace {

const QByteArray kQField = "qfield|3.5.0|Tsavo|abc| QGIS/34000";
const QString kPointGeodb1 = u"point_6b900fa7_af52_4082_bbff_6077f4a91d02"_qs;
const QString kPointGeodb2 = u"point_6b900fa7_af52_4082_bbff_6077f4a91d03"_qs;
const QString kPlaintextLayer = u"point_6ed9e32d_b677_466f_ae6b_c86d48412d22"_qs;

QByteArray readFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(path));
    return f.readAll();
}

// The `[name]` blocks of a pg_service.conf, by name (each a pgservice secret's value).
QHash<QString, QString> serviceBlocks(const QString &text)
{
    QHash<QString, QString> blocks;
    QString current;
    const QStringList lines = text.split(u'\n');
    for (const QString &line : lines) {
        if (line.startsWith(u'[') && line.trimmed().endsWith(u']'))
            current = line.trimmed().mid(1).chopped(1);
        if (!current.isEmpty() && !line.trimmed().isEmpty())
            blocks[current] += line + u'\n';
    }
    return blocks;
}

QString layerText(const QJsonObject &layer)
{
    return QString::fromUtf8(QJsonDocument(layer).toJson(QJsonDocument::Compact));
}

} // namespace

class tst_PostgisConfined final : public QObject
{
    Q_OBJECT

private:
    QHash<QString, QString> m_fixture; // QFC_POSTGIS_* of the fixture's env file, without prefix
    QHash<QString, QString> m_services; // its pg_service.conf blocks

    struct Server
    {
        std::unique_ptr<TestServer> server;
        std::unique_ptr<HttpClient> client;
    };

    // A server of this node running the real worker: sandbox required (or off for the control
    // run), network none or outbound.
    static Server startServer(const QString &sandbox, const QString &network)
    {
        Server s;
        s.server = std::make_unique<TestServer>(QHash<QString, QString>{
            {u"jobs/worker_binary"_qs, qEnvironmentVariable("QFC_TEST_WORKER_BINARY")},
            {u"jobs/workers"_qs, u"1"_qs},
            {u"jobs/sandbox"_qs, sandbox},
            {u"jobs/network"_qs, network},
            {u"jobs/timeout_seconds"_qs, u"300"_qs}});
        s.server->createUser(u"alice"_qs, u"secret-alice"_qs);
        s.client = s.server->client(s.server->login(u"alice"_qs, u"secret-alice"_qs, kQField));
        s.client->setUserAgent(kQField);
        return s;
    }

    static QString createProject(Server &s, const QString &name)
    {
        return s.client
            ->postJson(u"projects/"_qs,
                       {{u"name"_qs, name},
                        {u"owner"_qs, u"alice"_qs},
                        {u"description"_qs, u""_qs},
                        {u"private"_qs, true}})
            .object()[u"id"_qs]
            .toString();
    }

    // A project pgservice secret, stored as the web UI stores it (encrypted with the server key).
    static void setPgServiceSecret(Server &s, const QString &project, const QString &name,
                                   const QString &block)
    {
        secrets::Secret secret;
        secret.name = name;
        secret.type = u"pgservice"_qs;
        secret.projectId = project;
        secret.value = block;
        const auto keys = Instance::openKeyRing(s.server->instance().settings());
        secrets::set(s.server->instance().database().connection(), *keys, secret);
    }

    // Uploads the project file; its process_projectfile job runs on its own. Returns the ended
    // job (empty after 5 minutes).
    static QJsonObject processProject(Server &s, const QString &project, const QString &name,
                                      const QByteArray &content)
    {
        const Reply r = s.client->uploadFile(u"files/"_qs + project + u'/' + name + u'/', content);
        if (r.status != 201) {
            qWarning() << "upload failed:" << r.status << r.body;
            return {};
        }
        QElapsedTimer t;
        t.start();
        QString id;
        while (t.elapsed() < 300000) {
            if (id.isEmpty()) {
                const QJsonArray all =
                    s.client
                        ->get(u"jobs/?project_id="_qs + project + u"&type=process_projectfile"_qs)
                        .array();
                if (!all.isEmpty())
                    id = all.last().toObject()[u"id"_qs].toString();
            } else {
                const QJsonObject job = s.client->get(u"jobs/"_qs + id + u'/').object();
                const QString status = job[u"status"_qs].toString();
                if (status == u"finished" || status == u"failed")
                    return job;
            }
            QTest::qWait(200);
        }
        return {};
    }

    static QJsonObject layerOf(const QJsonObject &job, const QString &id)
    {
        return job[u"feedback"_qs]
            .toObject()[u"outputs"_qs]
            .toObject()[u"project_details"_qs]
            .toObject()[u"project_details"_qs]
            .toObject()[u"layers_by_id"_qs]
            .toObject()[id]
            .toObject();
    }

    // subscription/project_plaintext.qgs (a non-spatial PostgreSQL layer) pointed at QFC's own
    // `users` table through the service qfcdb.
    static QByteArray qfcDatabaseProject()
    {
        QString project = QString::fromUtf8(
            readFile(sharedTestData() + u"/upstream/subscription/project_plaintext.qgs"_qs));
        static const QRegularExpression connection(
            u"dbname='test_postgis_db_name' host='test_postgis_db' port=5432 "
            "user='test_postgis_db_user'( password='test_postgis_db_password')?"_qs);
        project.replace(connection, u"service='qfcdb'"_qs);
        project.replace(u"table=\"public\".\"point\""_qs, u"table=\"public\".\"users\""_qs);
        project.replace(u"table=&quot;public&quot;.&quot;point&quot;"_qs,
                        u"table=&quot;public&quot;.&quot;users&quot;"_qs);
        return project.toUtf8();
    }

    // The qfcdb service: the database of `s` in the `postgres` fixture on 127.0.0.1, as this
    // server reaches it (trusted, no password).
    static QString qfcDatabaseService(const Server &s)
    {
        const QUrl url(s.server->databaseUrl());
        return u"[qfcdb]\nhost=%1\nport=%2\ndbname=%3\nuser=%4\nsslmode=disable\n"_qs.arg(
            url.host(), QString::number(url.port()), url.path().mid(1), url.userName());
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(!qEnvironmentVariable("QFC_TEST_WORKER_BINARY").isEmpty(),
                 "QFC_TEST_WORKER_BINARY (qfc-worker)");
        QCOMPARE(backend(), Backend::Postgres); // QFC's database is the one on 127.0.0.1
        const QString envFile = qEnvironmentVariable("QFC_TEST_POSTGIS_ENV");
        QFile env(envFile);
        QVERIFY2(env.open(QIODevice::ReadOnly),
                 qPrintable(u"no env file \"%1\": the `postgis` fixture (tests/scripts/postgis.sh) "
                            "did not start"_qs.arg(envFile)));
        const QStringList lines = QString::fromUtf8(env.readAll()).split(u'\n');
        for (const QString &line : lines)
            if (line.startsWith(u"QFC_POSTGIS_"_qs) && line.contains(u'='))
                m_fixture.insert(line.section(u'=', 0, 0).mid(12), line.section(u'=', 1));
        if (m_fixture.value(u"MODE"_qs) == u"loopback")
            QSKIP("the `postgis` fixture runs in loopback mode (not root: no network namespace), "
                  "so its PostGIS is on 127.0.0.1, which a confined worker must not reach; run "
                  "the suite as root to test the confined worker against PostGIS");
        QCOMPARE(m_fixture.value(u"MODE"_qs), u"netns"_qs);
        QVERIFY(!m_fixture.value(u"HOST"_qs).startsWith(u"127."_qs));
        m_services = serviceBlocks(
            QString::fromUtf8(readFile(qEnvironmentVariable("QFC_TEST_PGSERVICEFILE"))));
        QVERIFY(m_services.contains(u"geodb1"_qs) && m_services.contains(u"geodb2"_qs));
        // A confined run with the network option must be possible here (CI runs as root).
        QString why;
        QVERIFY2(platform::sandboxAvailable(&why), qPrintable(why));
        QVERIFY2(platform::networkHelperAvailable(&why), qPrintable(why));
    }

    void cleanupTestCase() { dropCreatedDatabases(); }

    // PP-07 through the pool: project_pgservice.qgs with the pgservice secrets geodb1/geodb2.
    void pgServiceLayers_data()
    {
        QTest::addColumn<QString>("network");
        QTest::addColumn<bool>("valid");
        QTest::newRow("outbound→valid") << u"outbound"_qs << true;
        QTest::newRow("none→invalid") << u"none"_qs << false;
    }

    void pgServiceLayers()
    {
        QFETCH(QString, network);
        QFETCH(bool, valid);
        Server s = startServer(u"required"_qs, network);
        const QString id = createProject(s, u"pgservice"_qs);
        QVERIFY(!id.isEmpty());
        setPgServiceSecret(s, id, u"GEODB1"_qs, m_services.value(u"geodb1"_qs));
        setPgServiceSecret(s, id, u"GEODB2"_qs, m_services.value(u"geodb2"_qs));
        const QJsonObject job = processProject(
            s, id, u"project_pgservice.qgs"_qs,
            readFile(sharedTestData() + u"/upstream/core/delta/project_pgservice.qgs"_qs));
        QVERIFY2(job[u"status"_qs].toString() == u"finished",
                 QJsonDocument(job).toJson().constData());
        for (const QString &layerId : {kPointGeodb1, kPointGeodb2}) {
            const QJsonObject layer = layerOf(job, layerId);
            QCOMPARE(layer[u"provider_name"_qs].toString(), u"postgres"_qs);
            QVERIFY2(layer[u"is_valid"_qs].toBool() == valid, qPrintable(layerText(layer)));
            if (valid) {
                QCOMPARE(layer[u"error_code"_qs].toString(), u"no_error"_qs);
            } else {
                // no network at all: libpq cannot connect (the service itself was read)
                QCOMPARE(layer[u"error_code"_qs].toString(), u"invalid_dataprovider"_qs);
                QCOMPARE(layer[u"provider_error_summary"_qs].toString(),
                         u"Unable to connect to service \"%1\"."_qs.arg(
                             layer[u"datasource"_qs].toString().section(u'\'', 1, 1)));
            }
        }
        // The secret's password never shows in what the server keeps of the run.
        QVERIFY(!QJsonDocument(job).toJson().contains(m_fixture.value(u"PASSWORD"_qs).toUtf8()));
    }

    // The same confined worker (network outbound) cannot reach QFC's database on 127.0.0.1; an
    // unconfined one can (the control), so the layer is invalid only because of the confinement.
    void qfcDatabaseUnreachable_data()
    {
        QTest::addColumn<QString>("sandbox");
        QTest::addColumn<bool>("valid");
        QTest::newRow("confined→unreachable") << u"required"_qs << false;
        QTest::newRow("unconfined control→reachable") << u"off"_qs << true;
    }

    void qfcDatabaseUnreachable()
    {
        QFETCH(QString, sandbox);
        QFETCH(bool, valid);
        Server s = startServer(sandbox, u"outbound"_qs);
        const QString id = createProject(s, u"qfcdb"_qs);
        QVERIFY(!id.isEmpty());
        const QString service = qfcDatabaseService(s);
        QVERIFY2(service.contains(u"host=127.0.0.1\n"_qs), qPrintable(service));
        {
            // This process reaches the table the layer reads, with the service's parameters.
            const QUrl url(s.server->databaseUrl());
            QSqlDatabase db = QSqlDatabase::addDatabase(u"QPSQL"_qs, u"qfcdb"_qs);
            db.setHostName(url.host());
            db.setPort(url.port());
            db.setUserName(url.userName());
            db.setDatabaseName(url.path().mid(1));
            QVERIFY2(db.open(), qPrintable(db.lastError().text()));
            QSqlQuery q(db);
            QVERIFY(q.exec(u"SELECT count(*) FROM public.users WHERE username = 'alice'"_qs));
            QVERIFY(q.next());
            QCOMPARE(q.value(0).toInt(), 1);
        }
        QSqlDatabase::removeDatabase(u"qfcdb"_qs);
        setPgServiceSecret(s, id, u"QFCDB"_qs, service);
        const QJsonObject job =
            processProject(s, id, u"project_plaintext.qgs"_qs, qfcDatabaseProject());
        QVERIFY2(job[u"status"_qs].toString() == u"finished",
                 QJsonDocument(job).toJson().constData());
        const QJsonObject layer = layerOf(job, kPlaintextLayer);
        QCOMPARE(layer[u"provider_name"_qs].toString(), u"postgres"_qs);
        QVERIFY(layer[u"datasource"_qs].toString().contains(u"service='qfcdb'"_qs));
        QVERIFY(layer[u"datasource"_qs].toString().contains(u"\"public\".\"users\""_qs));
        QVERIFY2(layer[u"is_valid"_qs].toBool() == valid, qPrintable(layerText(layer)));
        if (valid) {
            QCOMPARE(layer[u"error_code"_qs].toString(), u"no_error"_qs);
        } else {
            // 127.0.0.1 is the worker's own loopback: nothing listens there
            QCOMPARE(layer[u"error_code"_qs].toString(), u"invalid_dataprovider"_qs);
            QCOMPARE(layer[u"provider_error_summary"_qs].toString(),
                     u"Unable to connect to service \"qfcdb\"."_qs);
        }
    }
};

QTEST_GUILESS_MAIN(tst_PostgisConfined)
#include "tst_postgis_confined.moc"
