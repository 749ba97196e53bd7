// The whole QField sync loop over HTTP with the real qfc-worker (issue "Deltas end to end"):
// log in as QField, create a project, upload the upstream delta test project, let
// process_projectfile run, package, download the package, push a deltafile made for it, poll
// until it is applied, download the data file and find the change; then a conflicting delta
// ends STATUS_CONFLICT, is re-applied with overwrite (spec/api.md §19.9) and ends applied.
#include "testenv.h"
#include "testserver.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QFile>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

using namespace qfc;
using namespace qfc::test;

namespace {

const QByteArray kQField = "qfield|3.5.0|Tsavo|abc| QGIS/34000";
const QString kUpstreamProject = u"e02d02cc-af1b-414c-a14c-e2ed5dfee52f"_qs;

QByteArray readFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(path));
    return f.readAll();
}

QString newUuid()
{
    return QUuid::createUuid().toString(QUuid::WithoutBraces);
}

// The int value of points_xy's feature `fid` in a GeoPackage.
QVariant pointsXyInt(const QByteArray &gpkg, int fid)
{
    QTemporaryDir dir;
    QFile out(dir.filePath(u"data.gpkg"_qs));
    if (!out.open(QIODevice::WriteOnly) || out.write(gpkg) != gpkg.size())
        return {};
    out.close();
    QVariant value;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_qs, u"loopcheck"_qs);
        db.setDatabaseName(out.fileName());
        if (db.open()) {
            QSqlQuery q(db);
            q.prepare(u"SELECT \"int\" FROM points_xy WHERE fid = :f"_qs);
            q.bindValue(u":f"_qs, fid);
            if (q.exec() && q.next())
                value = q.value(0);
        }
    }
    QSqlDatabase::removeDatabase(u"loopcheck"_qs);
    return value;
}

} // namespace

class tst_QFieldLoop final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<TestServer> m_server;
    std::unique_ptr<HttpClient> m_qfield;
    QString m_delta;

    QJsonObject waitForJob(const QString &jobId)
    {
        return m_qfield->waitForJob(jobId, 300000, 500);
    }

    // Every job of the project ended (a write-back queues process_projectfile).
    bool idle(const QString &projectId)
    {
        const QJsonArray all = m_qfield->get(u"jobs/?project_id="_qs + projectId).array();
        for (const QJsonValue &j : all) {
            const QString s = j.toObject()[u"status"_qs].toString();
            if (s != u"finished" && s != u"failed")
                return false;
        }
        return true;
    }

    // QField's push: multipart with the deltafile in "file" and "{}" in "text".
    void push(const QString &projectId, const QJsonObject &deltafile)
    {
        const Reply r =
            m_qfield->postMultipart(u"deltas/"_qs + projectId + u'/',
                                    {{"text", {}, "{}", nullptr, {}},
                                     {"file", "deltafile.json", QJsonDocument(deltafile).toJson(),
                                      nullptr, "application/json"}});
        QVERIFY2(r.status == 200, r.body.constData());
    }

    // QField's poll: GET deltas/<project>/<deltafile>/ every second while any is pending/busy.
    QJsonArray pollDeltafile(const QString &projectId, const QString &deltafileId)
    {
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 300000) {
            const QJsonArray list =
                m_qfield->get(u"deltas/"_qs + projectId + u'/' + deltafileId + u'/').array();
            bool busy = list.isEmpty();
            for (const QJsonValue &d : list) {
                const QJsonObject o = d.toObject();
                for (const char *field :
                     {"id", "deltafile_id", "created_at", "updated_at", "status"})
                    if (o.value(QLatin1String(field)).isNull())
                        qWarning() << "null" << field << o;
                const QString s = o[u"status"_qs].toString();
                busy = busy || s == u"STATUS_PENDING" || s == u"STATUS_BUSY";
            }
            if (!busy)
                return list;
            QTest::qWait(1000);
        }
        return {};
    }

    // name → version count
    QHash<QString, int> versions(const QString &projectId)
    {
        QHash<QString, int> out;
        const QJsonArray files = m_qfield->get(u"files/"_qs + projectId + u'/').array();
        for (const QJsonValue &f : files)
            out.insert(f.toObject()[u"name"_qs].toString(),
                       int(f.toObject()[u"versions"_qs].toArray().size()));
        return out;
    }

    // An upstream deltafile re-targeted at the package QField downloaded.
    QJsonObject deltafileFor(const QString &name, const QString &projectId,
                             const QString &packageId)
    {
        QByteArray raw = readFile(m_delta + u"deltas/"_qs + name);
        raw.replace(kUpstreamProject.toLatin1(), projectId.toLatin1());
        QJsonObject file = QJsonDocument::fromJson(raw).object();
        file[u"id"_qs] = newUuid();
        QJsonArray deltas = file[u"deltas"_qs].toArray();
        for (qsizetype i = 0; i < deltas.size(); ++i) {
            QJsonObject d = deltas[i].toObject();
            d[u"uuid"_qs] = newUuid();
            d[u"exportId"_qs] = packageId;
            deltas[i] = d;
        }
        file[u"deltas"_qs] = deltas;
        return file;
    }

private Q_SLOTS:
    void initTestCase()
    {
        if (qEnvironmentVariable("QFC_TEST_WORKER_BINARY").isEmpty())
            QSKIP("qfc-worker is not built (QFC_BUILD_WORKER=OFF)");
        m_delta = sharedTestData() + u"/upstream/core/delta/"_qs;
    }

    void init()
    {
        m_server = std::make_unique<TestServer>(QHash<QString, QString>{
            {u"jobs/worker_binary"_qs, qEnvironmentVariable("QFC_TEST_WORKER_BINARY")},
            {u"jobs/workers"_qs, u"2"_qs},
            {u"jobs/timeout_seconds"_qs, u"300"_qs}});
        m_server->createUser(u"alice"_qs, u"secret-alice"_qs);
        // QField logs in with a JSON body and its User-Agent.
        m_qfield = m_server->client(m_server->login(u"alice"_qs, u"secret-alice"_qs, kQField));
        m_qfield->setUserAgent(kQField);
    }

    void cleanup()
    {
        m_qfield.reset();
        m_server.reset();
    }

    void cleanupTestCase() { dropCreatedDatabases(); }

    void loop()
    {
        QCOMPARE(m_qfield->get(u"auth/user/"_qs).object()[u"username"_qs].toString(), u"alice"_qs);
        const Reply created = m_qfield->postJson(u"projects/"_qs,
                                                 {{u"name"_qs, u"fieldwork"_qs},
                                                  {u"owner"_qs, u"alice"_qs},
                                                  {u"description"_qs, u""_qs},
                                                  {u"private"_qs, true}});
        QCOMPARE(created.status, 201);
        const QString id = created.object()[u"id"_qs].toString();

        // Upload the project (data first, the QGIS file last, as QFieldSync does).
        const QStringList names{u"testdata.gpkg"_qs, u"points.geojson"_qs, u"polygons.geojson"_qs,
                                u"nonspatial.csv"_qs, u"project.qgs"_qs};
        for (const QString &name : names) {
            const Reply r = m_qfield->uploadFile(u"files/"_qs + id + u'/' + name + u'/',
                                                 readFile(m_delta + name));
            QVERIFY2(r.status == 201, r.body.constData());
        }
        // process_projectfile runs on its own.
        QTRY_VERIFY_WITH_TIMEOUT(idle(id), 300000);
        const QJsonArray process =
            m_qfield->get(u"jobs/?project_id="_qs + id + u"&type=process_projectfile"_qs).array();
        QVERIFY(!process.isEmpty());
        QCOMPARE(process.last().toObject()[u"status"_qs].toString(), u"finished"_qs);
        QCOMPARE(m_qfield->get(u"projects/"_qs + id + u'/').object()[u"status"_qs].toString(),
                 u"ok"_qs);

        // Package and download it.
        const Reply pkgJob =
            m_qfield->postJson(u"jobs/"_qs, {{u"project_id"_qs, id}, {u"type"_qs, u"package"_qs}});
        QCOMPARE(pkgJob.status, 201);
        const QString packageId = pkgJob.object()[u"id"_qs].toString();
        const QJsonObject packaged = waitForJob(packageId);
        QVERIFY2(packaged[u"status"_qs].toString() == u"finished",
                 QJsonDocument(packaged).toJson().constData());
        const QJsonObject latest = m_qfield->get(u"packages/"_qs + id + u"/latest/"_qs).object();
        QCOMPARE(latest[u"package_id"_qs].toString(), packageId);
        QStringList packageFiles;
        for (const QJsonValue &v : latest[u"files"_qs].toArray()) {
            const QJsonObject f = v.toObject();
            const Reply d = m_qfield->get(u"packages/"_qs + id + u"/latest/files/"_qs
                                          + f[u"name"_qs].toString() + u'/');
            QCOMPARE(d.status, 200);
            QCOMPARE(QString::fromLatin1(
                         QCryptographicHash::hash(d.body, QCryptographicHash::Sha256).toHex()),
                     f[u"sha256"_qs].toString());
            packageFiles << f[u"name"_qs].toString();
        }
        QVERIFY2(packageFiles.contains(u"data.gpkg"_qs), qPrintable(packageFiles.join(u',')));
        // The packaged layer keeps its source layer id (worker.md §4.7), which the deltas name.
        QVERIFY(latest[u"layers"_qs].toObject().contains(
            u"points_xy_897d5ed7_b810_4624_abe3_9f7c0a93d6a1"_qs));

        const QByteArray before = m_qfield->get(u"files/"_qs + id + u"/testdata.gpkg/"_qs).body;
        QCOMPARE(pointsXyInt(before, 1), QVariant(1));
        const QHash<QString, int> versionsBefore = versions(id);

        // Push a change made on the package: points_xy fid 1 int 1 → 666.
        const QJsonObject change = deltafileFor(u"singlelayer_singledelta.json"_qs, id, packageId);
        push(id, change);
        const QJsonArray applied = pollDeltafile(id, change[u"id"_qs].toString());
        QCOMPARE(applied.size(), 1);
        QVERIFY2(applied.at(0).toObject()[u"status"_qs].toString() == u"STATUS_APPLIED",
                 QJsonDocument(applied).toJson().constData());
        QCOMPARE(applied.at(0)
                     .toObject()[u"last_feedback"_qs]
                     .toObject()[u"modified_pk"_qs]
                     .toVariant()
                     .toInt(),
                 1);
        const QByteArray after = m_qfield->get(u"files/"_qs + id + u"/testdata.gpkg/"_qs).body;
        QCOMPARE(pointsXyInt(after, 1), QVariant(666));
        QCOMPARE(pointsXyInt(after, 2), QVariant(2));
        // Only the changed data file got a new version.
        QHash<QString, int> versionsAfter = versions(id);
        QCOMPARE(versionsAfter.value(u"testdata.gpkg"_qs),
                 versionsBefore.value(u"testdata.gpkg"_qs) + 1);
        versionsAfter[u"testdata.gpkg"_qs] -= 1;
        QCOMPARE(versionsAfter, versionsBefore);
        // The next package includes the change.
        QCOMPARE(
            m_qfield->get(u"projects/"_qs + id + u'/').object()[u"needs_repackaging"_qs].toBool(),
            true);

        // A conflicting delta (its old value 134 ≠ the server's 666) with overwrite off ...
        QCOMPARE(m_qfield
                     ->send("PATCH", u"projects/"_qs + id + u'/',
                            R"({"overwrite_conflicts": false})", "application/json")
                     .status,
                 200);
        QJsonObject conflicting =
            deltafileFor(u"singlelayer_singledelta_conflict2.json"_qs, id, packageId);
        {
            QJsonArray deltas = conflicting[u"deltas"_qs].toArray();
            QJsonObject d = deltas[0].toObject();
            d[u"new"_qs] = QJsonObject{{u"attributes"_qs, QJsonObject{{u"int"_qs, 777}}}};
            deltas[0] = d;
            conflicting[u"deltas"_qs] = deltas;
        }
        const QString conflictId =
            conflicting[u"deltas"_qs].toArray().at(0).toObject()[u"uuid"_qs].toString();
        QTRY_VERIFY_WITH_TIMEOUT(idle(id), 300000);
        const QHash<QString, int> beforeConflict = versions(id);
        push(id, conflicting);
        const QJsonObject conflict =
            pollDeltafile(id, conflicting[u"id"_qs].toString()).at(0).toObject();
        QVERIFY2(conflict[u"status"_qs].toString() == u"STATUS_CONFLICT",
                 QJsonDocument(conflict).toJson().constData());
        QCOMPARE(conflict[u"last_feedback"_qs].toObject()[u"conflicts"_qs].toArray(),
                 QJsonArray{u"The attribute \"int\" that has a conflict:\n-666\n+134"_qs});
        QTRY_VERIFY_WITH_TIMEOUT(idle(id), 300000);
        QCOMPARE(versions(id), beforeConflict);
        QCOMPARE(pointsXyInt(m_qfield->get(u"files/"_qs + id + u"/testdata.gpkg/"_qs).body, 1),
                 QVariant(666));

        // ... is re-applied with overwrite (§19.9) and ends applied.
        const Reply reapplied = m_qfield->postJson(
            u"deltas/"_qs + id + u"/reapply/"_qs,
            {{u"delta_ids"_qs, QJsonArray{conflictId}}, {u"overwrite_conflicts"_qs, true}});
        QCOMPARE(reapplied.status, 200);
        QCOMPARE(reapplied.array().at(0).toObject()[u"status"_qs].toString(), u"STATUS_PENDING"_qs);
        const QJsonObject overwritten =
            pollDeltafile(id, conflicting[u"id"_qs].toString()).at(0).toObject();
        QVERIFY2(overwritten[u"status"_qs].toString() == u"STATUS_APPLIED",
                 QJsonDocument(overwritten).toJson().constData());
        QCOMPARE(pointsXyInt(m_qfield->get(u"files/"_qs + id + u"/testdata.gpkg/"_qs).body, 1),
                 QVariant(777));
        QHash<QString, int> finalVersions = versions(id);
        QCOMPARE(finalVersions.value(u"testdata.gpkg"_qs),
                 beforeConflict.value(u"testdata.gpkg"_qs) + 1);
        finalVersions[u"testdata.gpkg"_qs] -= 1;
        QCOMPARE(finalVersions, beforeConflict);
        // The push history lists both deltas.
        QCOMPARE(m_qfield->get(u"deltas/"_qs + id + u'/').array().size(), 2);
        QTRY_VERIFY_WITH_TIMEOUT(idle(id), 300000);
    }
};

QTEST_GUILESS_MAIN(tst_QFieldLoop)
#include "tst_qfieldloop.moc"
