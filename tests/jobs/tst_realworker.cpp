// The real qfc-worker through the server's confined worker pool, over HTTP: process_projectfile
// after an upload (issue "worker part 1"), package and the packages API (part 2), on the upstream
// test data.
#include "db/query.h"
#include "server/instance.h"
#include "testenv.h"
#include "testserver.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QFile>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace qfc;
using namespace qfc::test;

namespace {

const QByteArray kQField = "qfield|3.5.0|Tsavo|abc| QGIS/34000";

QByteArray readFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(path));
    return f.readAll();
}

QString sha256(const QByteArray &data)
{
    return QString::fromLatin1(QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex());
}

} // namespace

class tst_RealWorker final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<TestServer> m_server;
    std::unique_ptr<HttpClient> m_client;
    QString m_core;

    QString createProject(const QString &name)
    {
        return m_client
            ->postJson(u"projects/"_qs,
                       {{u"name"_qs, name},
                        {u"owner"_qs, u"alice"_qs},
                        {u"description"_qs, u""_qs},
                        {u"private"_qs, true}})
            .object()[u"id"_qs]
            .toString();
    }

    void upload(const QString &project, const QString &name, const QString &source)
    {
        const Reply r =
            m_client->uploadFile(u"files/"_qs + project + u'/' + name + u'/', readFile(source));
        QVERIFY2(r.status == 201, r.body.constData());
    }

    // Polls like QField (GET jobs/<id>/ every so often) until the job ends.
    QJsonObject waitFor(const QString &jobId) { return m_client->waitForJob(jobId, 300000, 200); }

    QJsonObject lastJob(const QString &project, const QString &type)
    {
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 60000) {
            const QJsonArray all =
                m_client->get(u"jobs/?project_id="_qs + project + u"&type="_qs + type).array();
            if (!all.isEmpty())
                return waitFor(all.last().toObject()[u"id"_qs].toString());
            QTest::qWait(200);
        }
        return {};
    }

private Q_SLOTS:
    void initTestCase()
    {
        if (qEnvironmentVariable("QFC_TEST_WORKER_BINARY").isEmpty())
            QSKIP("qfc-worker is not built (QFC_BUILD_WORKER=OFF)");
        m_core = sharedTestData() + u"/upstream/core/"_qs;
    }

    void init()
    {
        m_server = std::make_unique<TestServer>(QHash<QString, QString>{
            {u"jobs/worker_binary"_qs, qEnvironmentVariable("QFC_TEST_WORKER_BINARY")},
            {u"jobs/workers"_qs, u"2"_qs},
            {u"jobs/timeout_seconds"_qs, u"300"_qs}});
        m_server->createUser(u"alice"_qs, u"secret-alice"_qs);
        m_client = m_server->client(m_server->login(u"alice"_qs, u"secret-alice"_qs, kQField));
        m_client->setUserAgent(kQField);
    }

    void cleanup()
    {
        m_client.reset();
        m_server.reset();
    }

    void cleanupTestCase() { dropCreatedDatabases(); }

    // Uploading a project makes process_projectfile finish on its own; the project is then ok and
    // its layers and thumbnail are known.
    void processProjectfile()
    {
        const QString id = createProject(u"bees"_qs);
        upload(id, u"bumblebees.gpkg"_qs, m_core + u"bumblebees.gpkg"_qs);
        upload(id, u"DCIM/1.jpg"_qs, m_core + u"DCIM/1.jpg"_qs);
        upload(id, u"simple_bumblebees.qgs"_qs, m_core + u"simple_bumblebees.qgs"_qs);
        const QJsonObject job = lastJob(id, u"process_projectfile"_qs);
        QVERIFY2(job[u"status"_qs].toString() == u"finished",
                 QJsonDocument(job).toJson().constData());
        const QJsonObject project = m_client->get(u"projects/"_qs + id + u'/').object();
        QCOMPARE(project[u"status"_qs].toString(), u"ok"_qs);
        QCOMPARE(project[u"the_qgis_file_name"_qs].toString(), u"simple_bumblebees.qgs"_qs);
        const QJsonObject details = job[u"feedback"_qs]
                                        .toObject()[u"outputs"_qs]
                                        .toObject()[u"project_details"_qs]
                                        .toObject()[u"project_details"_qs]
                                        .toObject();
        const QJsonObject layers = details[u"layers_by_id"_qs].toObject();
        QStringList valid;
        for (auto it = layers.begin(); it != layers.end(); ++it)
            if (it.value().toObject()[u"is_valid"_qs].toBool())
                valid << it.value().toObject()[u"name"_qs].toString();
        valid.sort();
        QCOMPARE(valid, (QStringList{u"Apiary"_qs, u"Fields"_qs, u"Online OpenStreetMap"_qs}));
        QVERIFY(!job[u"feedback"_qs].toObject()[u"steps"_qs].toArray().isEmpty());
        QVERIFY(job[u"output"_qs].toString().contains(
            u"::<<<::"_qs)); // the worker's log with step markers
        // The thumbnail the worker rendered.
        const Reply thumb = m_client->get(u"files/thumbnails/"_qs + id + u'/');
        QCOMPARE(thumb.status, 200);
        QCOMPARE(thumb.header("Content-Type"), QByteArray("image/png"));
        QVERIFY(thumb.body.startsWith("\x89PNG\r\n\x1a\n"));
    }

    void brokenProjectFails()
    {
        const QString id = createProject(u"broken"_qs);
        upload(id, u"broken.qgs"_qs, m_core + u"delta/broken.qgs"_qs);
        const QJsonObject job = lastJob(id, u"process_projectfile"_qs);
        QCOMPARE(job[u"status"_qs].toString(), u"failed"_qs);
        const QJsonObject fb = job[u"feedback"_qs].toObject();
        QCOMPARE(fb[u"error_type"_qs].toString(), u"INVALID_PROJECT_FILE"_qs);
        QVERIFY2(
            fb[u"error"_qs].toString().startsWith(u"Project file is an invalid XML document:"_qs),
            qPrintable(fb[u"error"_qs].toString()));
        QCOMPARE(fb[u"error_origin"_qs].toString(), u"container"_qs);
        QCOMPARE(m_client->get(u"projects/"_qs + id + u'/').object()[u"status"_qs].toString(),
                 u"failed"_qs);
    }

    // POST jobs/ package → the latest package lists the files → each downloads intact;
    // needs_repackaging false after it and true after a new upload.
    void packageAndDownload()
    {
        const QString id = createProject(u"field"_qs);
        upload(id, u"bumblebees.gpkg"_qs, m_core + u"bumblebees.gpkg"_qs);
        upload(id, u"DCIM/1.jpg"_qs, m_core + u"DCIM/1.jpg"_qs);
        upload(id, u"simple_bumblebees.qgs"_qs, m_core + u"simple_bumblebees.qgs"_qs);
        QCOMPARE(lastJob(id, u"process_projectfile"_qs)[u"status"_qs].toString(), u"finished"_qs);
        QCOMPARE(m_client->get(u"packages/"_qs + id + u"/latest/"_qs).code(), u"invalid_job"_qs);
        QCOMPARE(
            m_client->get(u"projects/"_qs + id + u'/').object()[u"needs_repackaging"_qs].toBool(),
            true);

        const Reply created =
            m_client->postJson(u"jobs/"_qs, {{u"project_id"_qs, id}, {u"type"_qs, u"package"_qs}});
        QCOMPARE(created.status, 201);
        const QJsonObject job = waitFor(created.object()[u"id"_qs].toString());
        QVERIFY2(job[u"status"_qs].toString() == u"finished",
                 QJsonDocument(job).toJson().constData());

        const Reply latest = m_client->get(u"packages/"_qs + id + u"/latest/"_qs);
        QCOMPARE(latest.status, 200);
        const QJsonObject pkg = latest.object();
        QCOMPARE(pkg[u"package_id"_qs].toString(), job[u"id"_qs].toString());
        QCOMPARE(pkg[u"status"_qs].toString(), u"finished"_qs);
        QVERIFY(!pkg[u"packaged_at"_qs].isNull());
        QVERIFY(pkg[u"layers"_qs].isObject() && !pkg[u"layers"_qs].toObject().isEmpty());
        QStringList names;
        for (const auto &v : pkg[u"files"_qs].toArray()) {
            const QJsonObject f = v.toObject();
            names << f[u"name"_qs].toString();
            // What QField requires of every entry.
            QVERIFY(f[u"size"_qs].isDouble() && !f[u"name"_qs].toString().isEmpty()
                    && !f[u"md5sum"_qs].toString().isEmpty());
            const Reply d = m_client->get(u"packages/"_qs + id + u"/latest/files/"_qs
                                          + f[u"name"_qs].toString() + u'/');
            QCOMPARE(d.status, 200);
            QCOMPARE(d.body.size(), f[u"size"_qs].toInteger());
            QCOMPARE(sha256(d.body), f[u"sha256"_qs].toString());
            if (f[u"name"_qs].toString() == u"data.gpkg") {
                // A GeoPackage with the source's features: 35 apiaries and 14 areas.
                QTemporaryDir dir;
                QFile out(dir.filePath(u"data.gpkg"_qs));
                QVERIFY(out.open(QIODevice::WriteOnly));
                out.write(d.body);
                out.close();
                {
                    QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_qs, u"pkgcheck"_qs);
                    db.setDatabaseName(out.fileName());
                    QVERIFY(db.open());
                    QSqlQuery q(db);
                    QVERIFY(q.exec(
                        u"SELECT table_name FROM gpkg_contents WHERE data_type = 'features'"_qs));
                    QList<int> counts;
                    while (q.next()) {
                        QSqlQuery c(db);
                        QVERIFY(
                            c.exec(u"SELECT count(*) FROM \""_qs + q.value(0).toString() + u'"'));
                        c.next();
                        counts << c.value(0).toInt();
                    }
                    std::sort(counts.begin(), counts.end());
                    QCOMPARE(counts, QList<int>({14, 35}));
                }
                QSqlDatabase::removeDatabase(u"pkgcheck"_qs);
            }
        }
        QVERIFY2(names.contains(u"data.gpkg"_qs), qPrintable(names.join(u',')));
        QVERIFY(names.contains(u"DCIM/1.jpg"_qs)); // attachments come from the project files
        QVERIFY(std::any_of(names.cbegin(), names.cend(), [](const QString &n) {
            return n.endsWith(u"_qfield.qgz"_qs) || n.endsWith(u"_qfield.qgs"_qs);
        }));
        QCOMPARE(m_client->get(u"packages/"_qs + id + u"/latest/files/DCIM/1.jpg/"_qs).body,
                 readFile(m_core + u"DCIM/1.jpg"_qs));
        QCOMPARE(m_client->get(u"packages/"_qs + id + u"/latest/files/nothing.gpkg/"_qs).status,
                 404);
        const Reply resumed = m_client->get(u"packages/"_qs + id + u"/latest/files/data.gpkg/"_qs,
                                            {{"Range", "bytes=1000-"}});
        QCOMPARE(resumed.status, 206);
        // Package files are written by the runner, never uploaded with a user's token (§10.3).
        const Reply forged = m_client->uploadFile(
            u"packages/"_qs + id + u'/' + job[u"id"_qs].toString() + u"/files/data.gpkg/"_qs,
            "not a package");
        QCOMPARE(forged.status, 403);
        QCOMPARE(m_client->get(u"packages/"_qs + id + u"/latest/files/data.gpkg/"_qs).body.size(),
                 resumed.body.size() + 1000);

        QCOMPARE(
            m_client->get(u"projects/"_qs + id + u'/').object()[u"needs_repackaging"_qs].toBool(),
            false);
        QTest::qWait(5);
        upload(id, u"DCIM/2.jpg"_qs, m_core + u"DCIM/2.jpg"_qs);
        QCOMPARE(
            m_client->get(u"projects/"_qs + id + u'/').object()[u"needs_repackaging"_qs].toBool(),
            true);

        // A second package replaces the first; the first one's files are removed.
        const QString second =
            m_client->postJson(u"jobs/"_qs, {{u"project_id"_qs, id}, {u"type"_qs, u"package"_qs}})
                .object()[u"id"_qs]
                .toString();
        QCOMPARE(waitFor(second)[u"status"_qs].toString(), u"finished"_qs);
        QCOMPARE(m_client->get(u"packages/"_qs + id + u"/latest/"_qs)
                     .object()[u"package_id"_qs]
                     .toString(),
                 second);
        QCOMPARE(db::Query::scalar(m_server->instance().database().connection(),
                                   u"SELECT count(*) FROM package_files WHERE job_id = :j"_qs,
                                   {{u":j"_qs, job[u"id"_qs].toString()}})
                     ->toInt(),
                 0);
        // A failed newer package hides the older one (§10): the project file becomes a broken one
        // (its process_projectfile job runs first, FIFO per project), then packaging it fails.
        upload(id, u"simple_bumblebees.qgs"_qs, m_core + u"delta/broken.qgs"_qs);
        const QString failing =
            m_client
                ->postJson(
                    u"jobs/"_qs,
                    {{u"project_id"_qs, id}, {u"type"_qs, u"package"_qs}, {u"force"_qs, true}})
                .object()[u"id"_qs]
                .toString();
        QVERIFY(!failing.isEmpty());
        QCOMPARE(waitFor(failing)[u"status"_qs].toString(), u"failed"_qs);
        // The failed job has no files, and the broken project file lists no attachment
        // directories: no package at all, although an older one finished.
        const Reply hidden = m_client->get(u"packages/"_qs + id + u"/latest/"_qs);
        QCOMPARE(hidden.status, 400);
        QCOMPARE(hidden.code(), u"invalid_job"_qs);
    }
};

QTEST_GUILESS_MAIN(tst_RealWorker)
#include "tst_realworker.moc"
