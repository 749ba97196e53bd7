// Deltas over HTTP (spec/api.md §11, §15.1, §15.3, §16, §17, §19.4, §19.5, §19.7, §19.9;
// worker.md §5.2, §5.9, §7.7): pushing QField's deltafiles from the upstream test data, listing,
// the §19.4 answers, de-duplication, the reporter rule, roles, re-apply and ignore, and the server
// side of delta_apply jobs. qfc-testworker stands in for qfc-worker: the project secret
// QFC_TESTWORKER_ACTIONS tells it what to do (write a data file, report per-delta results in
// feedback.json, crash, sleep past the timeout ...), so every path of the runner is reachable.
#include "core/clock.h"
#include "db/database.h"
#include "db/query.h"
#include "db/transaction.h"
#include "deltas/deltarepository.h"
#include "jobs/jobrepository.h"
#include "jobs/secrets.h"
#include "projects/collaborators.h"
#include "server/instance.h"
#include "testenv.h"
#include "testserver.h"

#include <QElapsedTimer>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

#include <numeric>

using namespace qfc;
using namespace qfc::test;

namespace {

const QByteArray kQField = "qfield|3.5.0|Tsavo|abc| QGIS/34000";
const QString kUpstreamProject = u"e02d02cc-af1b-414c-a14c-e2ed5dfee52f"_qs;
const QString kPointsXy = u"points_xy_897d5ed7_b810_4624_abe3_9f7c0a93d6a1"_qs;
const QString kGeojson = u"points_c2784cf9_c9c3_45f6_9ce5_98a6047e4d6c"_qs;

QByteArray readFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(path));
    return f.readAll();
}

QString deltaDir()
{
    return sharedTestData() + u"/upstream/core/delta/"_qs;
}

// An upstream deltafile made for `projectId`.
QByteArray deltafile(const QString &name, const QString &projectId)
{
    QByteArray raw = readFile(deltaDir() + u"deltas/"_qs + name);
    const QString upstream = QJsonDocument::fromJson(raw).object()[u"project"_qs].toString();
    raw.replace(upstream.toLatin1(), projectId.toLatin1());
    return raw;
}

QJsonObject parsed(const QByteArray &raw)
{
    return QJsonDocument::fromJson(raw).object();
}

QString compact(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

// One quoted word for QProcess::splitCommand (a literal quote is written as three).
QString word(const QString &text)
{
    return u"\""_qs + QString(text).replace(u"\""_qs, u"\"\"\""_qs) + u'"';
}

// The project details a process_projectfile run stores (worker.md §3.3): where each layer's data
// lives (an absolute path in that job's work directory).
// The project details process_projectfile reports; `withPostgis` adds a layer on a PostGIS
// table (an online vector layer, §17).
QJsonObject details(bool withPostgis = false)
{
    const QJsonObject gpkg{{u"filename"_qs, u"/jobs/x/files/testdata.gpkg"_qs}};
    QJsonObject layers{
        {kPointsXy, gpkg},
        {u"polygons_f18b6046_e2f6_4ddc_b6fe_b0bc1e7d7a5a"_qs, gpkg},
        {kGeojson, QJsonObject{{u"filename"_qs, u"/jobs/x/files/points.geojson"_qs}}}};
    if (withPostgis)
        layers.insert(u"point_pg"_qs,
                      QJsonObject{{u"type"_qs, 0},
                                  {u"provider_name"_qs, u"postgres"_qs},
                                  {u"filename"_qs, QString()},
                                  {u"is_valid"_qs, true}});
    return {{u"layers_by_id"_qs, layers}, {u"attachment_dirs"_qs, QJsonArray{u"DCIM"_qs}}};
}

// The feedback.json of a run: the project details (for process_projectfile runs) and, for apply
// runs, one delta_feedback entry per delta (worker.md §5.9).
QString feedback(const QJsonArray &deltaFeedback = {}, bool withPostgis = false)
{
    const QJsonObject f{
        {u"feedback_version"_qs, u"2.0"_qs},
        {u"workflow_id"_qs, u"apply_deltas"_qs},
        {u"workflow_name"_qs, u"Apply Deltas"_qs},
        {u"workflow_version"_qs, u"2.0"_qs},
        {u"steps"_qs, QJsonArray{}},
        {u"outputs"_qs,
         QJsonObject{
             {u"project_details"_qs, QJsonObject{{u"project_details"_qs, details(withPostgis)}}},
             {u"apply_deltas"_qs, QJsonObject{{u"delta_feedback"_qs, deltaFeedback}}}}}};
    return u"feedback "_qs + word(compact(f));
}

QJsonObject entry(const QString &deltaId, const QString &status, const QString &layerId,
                  const QJsonValue &modifiedPk = QJsonValue::Null)
{
    const bool ok = status == u"status_applied";
    const bool conflict = status == u"status_conflict";
    return {
        {u"msg"_qs,
         ok             ? u"Successfully applied delta!"_qs
             : conflict ? u"There are conflicts with the already existing feature!"_qs
                        : u"Unable to find feature"_qs},
        {u"status"_qs, status},
        {u"e_type"_qs, ok ? QJsonValue::Null : QJsonValue(conflict ? u"CONFLICT"_qs : u"ERROR"_qs)},
        {u"delta_file_id"_qs, u"00000000-0000-4000-8000-000000000000"_qs},
        {u"layer_id"_qs, layerId},
        {u"delta_index"_qs, 0},
        {u"delta_id"_qs, deltaId},
        {u"feature_pk"_qs, u"1"_qs},
        {u"modified_pk"_qs, ok ? modifiedPk : QJsonValue::Null},
        {u"conflicts"_qs,
         conflict
             ? QJsonValue(QJsonArray{u"The attribute \"int\" that has a conflict:\n-1\n+134"_qs})
             : QJsonValue::Null},
        {u"provider_errors"_qs, QJsonValue::Null},
        {u"method"_qs, u"patch"_qs}};
}

// The deltafile.json a job's worker printed with `cat` (followed by the worker's own lines).
QJsonObject printedDeltafile(const QString &output)
{
    const qsizetype start = output.indexOf(u"{\"clientPks\""_qs);
    const qsizetype end = output.lastIndexOf(u'}', output.indexOf(u"wrote "_qs, start));
    return QJsonDocument::fromJson(output.mid(start, end - start + 1).toUtf8()).object();
}

bool isFinal(const QJsonArray &deltas)
{
    if (deltas.isEmpty())
        return false;
    for (const QJsonValue &d : deltas) {
        const QString s = d.toObject()[u"status"_qs].toString();
        if (s == u"STATUS_PENDING" || s == u"STATUS_BUSY")
            return false;
    }
    return true;
}

} // namespace

class tst_Deltas final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<TestServer> m_server;
    std::unique_ptr<HttpClient> m_alice;
    QHash<QString, qint64> m_ids;

    QHash<QString, QString> settings() const
    {
        return {{u"jobs/worker_binary"_qs, qEnvironmentVariable("QFC_TEST_TESTWORKER")},
                {u"jobs/workers"_qs, u"2"_qs},
                {u"jobs/timeout_seconds"_qs, u"6"_qs},
                {u"jobs/kill_grace_seconds"_qs, u"1"_qs},
                {u"jobs/poll_interval_ms"_qs, u"200"_qs},
                {u"deltas/max_deltafile_bytes"_qs, u"16KiB"_qs}};
    }

    QSqlDatabase db() { return m_server->instance().database().connection(); }

    std::unique_ptr<HttpClient> as(const QString &user)
    {
        auto c = m_server->client(m_server->login(user, u"secret-"_qs + user, kQField));
        c->setUserAgent(kQField);
        return c;
    }

    void setActions(const QString &projectId, const QString &actions)
    {
        secrets::Secret s;
        s.name = u"QFC_TESTWORKER_ACTIONS"_qs;
        s.type = u"envvar"_qs;
        s.projectId = projectId;
        s.value = actions;
        db::Transaction tx(m_server->instance().database());
        secrets::set(tx.connection(), *Instance::openKeyRing(m_server->instance().settings()), s);
        tx.commit();
    }

    QJsonObject waitForJob(const QString &jobId, int timeoutMs = 60000)
    {
        return m_alice->waitForJob(jobId, timeoutMs, 100);
    }

    QJsonArray jobsOf(const QString &projectId, const QString &type)
    {
        return m_alice->get(u"jobs/?project_id="_qs + projectId + u"&type="_qs + type).array();
    }

    bool idle(const QString &projectId) { return !jobs::hasActiveJobs(db(), projectId); }

    // A project owned by alice with its data files and the QGIS file, processed once (the
    // project details say which file holds which layer); reader .. manager are collaborators.
    QString readyProject(const QString &name)
    {
        const QString id =
            m_alice->postJson(u"projects/"_qs, {{u"name"_qs, name}}).object()[u"id"_qs].toString();
        setActions(id, feedback());
        for (const QString &f : {u"testdata.gpkg"_qs, u"points.geojson"_qs, u"project.qgs"_qs}) {
            const Reply r =
                m_alice->uploadFile(u"files/"_qs + id + u'/' + f + u'/', readFile(deltaDir() + f));
            if (r.status != 201)
                qWarning() << "upload" << f << r.status << r.body;
        }
        const QJsonArray process = jobsOf(id, u"process_projectfile"_qs);
        if (process.size() != 1
            || waitForJob(process.at(0).toObject()[u"id"_qs].toString())
                    .value(u"status"_qs)
                    .toString()
                != u"finished")
            qWarning() << "processing" << name << "failed";
        db::Transaction tx(m_server->instance().database());
        for (const QString &role : {u"reader"_qs, u"reporter"_qs, u"editor"_qs, u"manager"_qs})
            collaborators::add(tx.connection(), id, m_ids[role], *projectRoleFromName(role),
                               m_ids[u"alice"_qs]);
        tx.commit();
        return id;
    }

    Reply push(HttpClient &client, const QString &projectId, const QByteArray &raw)
    {
        return client.postMultipart(u"deltas/"_qs + projectId + u'/',
                                    {{"text", {}, "{}", nullptr, {}},
                                     {"file", "deltafile.json", raw, nullptr, "application/json"}});
    }

    QJsonArray deltasOf(const QString &projectId, const QString &deltafileId = {})
    {
        return m_alice
            ->get(u"deltas/"_qs + projectId + u'/'
                  + (deltafileId.isEmpty() ? QString() : deltafileId + u'/'))
            .array();
    }

    // Polls like QField until no delta of the deltafile is pending or busy.
    QJsonArray waitFinal(const QString &projectId, const QString &deltafileId,
                         int timeoutMs = 60000)
    {
        QElapsedTimer t;
        t.start();
        QJsonArray found;
        while (t.elapsed() < timeoutMs) {
            found = deltasOf(projectId, deltafileId);
            if (isFinal(found) && idle(projectId))
                return found;
            QTest::qWait(100);
        }
        qWarning() << "deltas not final:" << found;
        return {};
    }

    QHash<QString, QJsonObject> byId(const QJsonArray &deltas)
    {
        QHash<QString, QJsonObject> out;
        for (const QJsonValue &d : deltas)
            out.insert(d.toObject()[u"id"_qs].toString(), d.toObject());
        return out;
    }

    // name → number of stored versions
    QHash<QString, int> versions(const QString &projectId)
    {
        QHash<QString, int> out;
        const QJsonArray files = m_alice->get(u"files/"_qs + projectId + u'/').array();
        for (const QJsonValue &f : files)
            out.insert(f.toObject()[u"name"_qs].toString(),
                       int(f.toObject()[u"versions"_qs].toArray().size()));
        return out;
    }

    QByteArray download(const QString &projectId, const QString &name)
    {
        return m_alice->get(u"files/"_qs + projectId + u'/' + name + u'/').body;
    }

    qint64 deltaRows(const QString &projectId)
    {
        return db::Query::scalar(db(), u"SELECT count(*) FROM deltas WHERE project_id = :p"_qs,
                                 {{u":p"_qs, projectId}})
            .value_or(-1)
            .toLongLong();
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(QFile::exists(qEnvironmentVariable("QFC_TEST_TESTWORKER"))); }

    void init()
    {
        m_server = std::make_unique<TestServer>(settings());
        for (const QString &u : {u"alice"_qs, u"reader"_qs, u"reporter"_qs, u"editor"_qs,
                                 u"manager"_qs, u"stranger"_qs})
            m_ids.insert(u, m_server->createUser(u, u"secret-"_qs + u));
        m_alice = as(u"alice"_qs);
    }

    void cleanup()
    {
        m_alice.reset();
        m_server.reset();
    }

    void cleanupTestCase() { dropCreatedDatabases(); }

    // A valid deltafile: 200 with an empty body, a delta_apply job applies it, the polled list
    // says STATUS_APPLIED with every field QField needs, the data file behind the layer gets
    // exactly one new version (what the worker left), nothing else does.
    void pushApplyAndList()
    {
        const QString id = readyProject(u"p"_qs);
        const QByteArray raw = deltafile(u"singlelayer_singledelta.json"_qs, id);
        const QString delta = u"9311eb96-bff8-4d5b-ab36-c314a007cfcd"_qs;
        setActions(id,
                   u"write files/testdata.gpkg 1234 "_qs
                       + feedback({entry(delta, u"status_applied"_qs, kPointsXy, 1)}));
        const QHash<QString, int> before = versions(id);
        const QString updatedBefore = m_alice->get(u"projects/"_qs + id + u'/')
                                          .object()[u"data_last_updated_at"_qs]
                                          .toString();

        const Reply r = push(*m_alice, id, raw);
        QCOMPARE(r.status, 200);
        QVERIFY(r.body.isEmpty());
        const QString dfid = parsed(raw)[u"id"_qs].toString();
        const QJsonArray list = waitFinal(id, dfid);
        QCOMPARE(list.size(), 1);
        const QJsonObject d = list.at(0).toObject();
        QCOMPARE(d[u"id"_qs].toString(), delta);
        QCOMPARE(d[u"deltafile_id"_qs].toString(), dfid);
        QCOMPARE(d[u"created_by"_qs].toString(), u"alice"_qs);
        QVERIFY(clock::parseIso(d[u"created_at"_qs].toString()));
        QVERIFY(clock::parseIso(d[u"updated_at"_qs].toString()));
        QCOMPARE(d[u"status"_qs].toString(), u"STATUS_APPLIED"_qs);
        QCOMPARE(d[u"last_status"_qs].toString(), u"applied"_qs);
        QCOMPARE(d[u"last_feedback"_qs].toObject()[u"msg"_qs].toString(),
                 u"Successfully applied delta!"_qs);
        QCOMPARE(d[u"output"_qs].toString(), u"Successfully applied delta!"_qs);
        QCOMPARE(d[u"content"_qs].toObject(), parsed(raw)[u"deltas"_qs].toArray().at(0).toObject());

        // Write-back: only testdata.gpkg, with the worker's bytes.
        QHash<QString, int> after = versions(id);
        QCOMPARE(after.value(u"testdata.gpkg"_qs), before.value(u"testdata.gpkg"_qs) + 1);
        after.remove(u"testdata.gpkg"_qs);
        QHash<QString, int> others = before;
        others.remove(u"testdata.gpkg"_qs);
        QCOMPARE(after, others);
        QCOMPARE(download(id, u"testdata.gpkg"_qs).size(), 1234);
        const QJsonObject project = m_alice->get(u"projects/"_qs + id + u'/').object();
        QVERIFY(project[u"data_last_updated_at"_qs].toString() > updatedBefore);
        QCOMPARE(project[u"needs_repackaging"_qs].toBool(), true);

        // The project list holds it too; an unknown deltafile lists [].
        const QJsonArray all = deltasOf(id);
        QCOMPARE(all.size(), 1);
        QCOMPARE(all.at(0).toObject(), d);
        QCOMPARE(deltasOf(id, u"3aab7e58-ea27-4b7c-9bca-c772b6d94820"_qs), QJsonArray());
        // The job ran once with this delta; its stored result is the worker's entry.
        QCOMPARE(jobsOf(id, u"delta_apply"_qs).size(), 1);
    }

    // The deltafile handed to the worker holds the job's deltas with clientPks; a second push
    // resolves through the primary key an applied create produced (worker.md §5.2).
    void workerDeltafile()
    {
        const QString id = readyProject(u"p"_qs);
        const QByteArray create = deltafile(u"multistage_p1_c1_create.json"_qs, id);
        const QString createId =
            parsed(create)[u"deltas"_qs].toArray().at(0).toObject()[u"uuid"_qs].toString();
        setActions(id,
                   u"cat deltafile.json "_qs
                       + feedback({entry(createId, u"status_applied"_qs, kPointsXy, 1000)}));
        QCOMPARE(push(*m_alice, id, create).status, 200);
        waitFinal(id, parsed(create)[u"id"_qs].toString());
        const QJsonArray jobs = jobsOf(id, u"delta_apply"_qs);
        QCOMPARE(jobs.size(), 1);
        const QString output =
            waitForJob(jobs.at(0).toObject()[u"id"_qs].toString())[u"output"_qs].toString();
        const QJsonObject handed = printedDeltafile(output);
        QVERIFY2(!handed.isEmpty(), qPrintable(output));
        QCOMPARE(handed[u"version"_qs].toString(), u"1.0"_qs);
        QCOMPARE(handed[u"project"_qs].toString(), id);
        QCOMPARE(handed[u"clientPks"_qs].toObject(), QJsonObject());
        QCOMPARE(handed[u"deltas"_qs].toArray(), parsed(create)[u"deltas"_qs].toArray());

        const QByteArray patch = deltafile(u"multistage_p3_c1_patch.json"_qs, id);
        setActions(id, u"cat deltafile.json "_qs + feedback());
        QCOMPARE(push(*m_alice, id, patch).status, 200);
        waitFinal(id, parsed(patch)[u"id"_qs].toString());
        const QJsonArray jobs2 = jobsOf(id, u"delta_apply"_qs);
        QCOMPARE(jobs2.size(), 2);
        const QString output2 =
            waitForJob(jobs2.at(1).toObject()[u"id"_qs].toString())[u"output"_qs].toString();
        const QJsonObject handed2 = printedDeltafile(output2);
        QCOMPARE(
            handed2[u"clientPks"_qs].toObject(),
            QJsonObject({{u"cd517e24-a520-4021-8850-e5af70e3a612__"_qs + kPointsXy + u"__1000"_qs,
                          u"1000"_qs}}));
        QCOMPARE(handed2[u"deltas"_qs].toArray().size(), 1);
        // The patch got no result from the worker: error, saying so.
        const QJsonObject p = deltasOf(id, parsed(patch)[u"id"_qs].toString()).at(0).toObject();
        QCOMPARE(p[u"status"_qs].toString(), u"STATUS_ERROR"_qs);
        QVERIFY(p[u"output"_qs].toString().contains(u"no result"_qs));
    }

    // §11.1 step 2: literal \u0000 escapes are removed before parsing (DA-03).
    void nulEscapesRemoved()
    {
        const QString id = readyProject(u"p"_qs);
        setActions(id, u"sleep 30"_qs);
        const QByteArray raw = deltafile(u"singlelayer_singledelta_null.json"_qs, id);
        QVERIFY(raw.contains("\\u0000"));
        QCOMPARE(push(*m_alice, id, raw).status, 200);
        const QJsonObject d = deltasOf(id).at(0).toObject();
        QCOMPARE(d[u"content"_qs]
                     .toObject()[u"new"_qs]
                     .toObject()[u"attributes"_qs]
                     .toObject()[u"str"_qs],
                 QJsonValue(u""_qs));
    }

    // Worker results map to statuses (§15.3); files behind layers without an applied delta are
    // not stored back even though the worker rewrote them (worker.md §7.7).
    void resultsAndWriteBack()
    {
        const QString id = readyProject(u"p"_qs);
        const QByteArray raw = deltafile(u"multilayer_multidelta_create.json"_qs, id);
        const QJsonArray sent = parsed(raw)[u"deltas"_qs].toArray();
        QCOMPARE(sent.size(), 2);
        const QString onGpkg = sent.at(0).toObject()[u"uuid"_qs].toString();
        const QString onGeojson = sent.at(1).toObject()[u"uuid"_qs].toString();
        QCOMPARE(sent.at(0).toObject()[u"sourceLayerId"_qs].toString(), kPointsXy);
        QCOMPARE(sent.at(1).toObject()[u"sourceLayerId"_qs].toString(), kGeojson);
        setActions(id,
                   u"write files/testdata.gpkg 10 write files/points.geojson 20 "_qs
                       + feedback({entry(onGpkg, u"status_conflict"_qs, kPointsXy),
                                   entry(onGeojson, u"status_applied"_qs, kGeojson, 2000)}));
        const QHash<QString, int> before = versions(id);
        const QByteArray gpkg = download(id, u"testdata.gpkg"_qs);
        QCOMPARE(push(*m_alice, id, raw).status, 200);
        const QHash<QString, QJsonObject> got =
            byId(waitFinal(id, parsed(raw)[u"id"_qs].toString()));
        QCOMPARE(got[onGpkg][u"status"_qs].toString(), u"STATUS_CONFLICT"_qs);
        QCOMPARE(got[onGpkg][u"last_feedback"_qs].toObject()[u"conflicts"_qs].toArray().size(), 1);
        QVERIFY(got[onGpkg][u"output"_qs].toString().contains(u"that has a conflict"_qs));
        QCOMPARE(got[onGeojson][u"status"_qs].toString(), u"STATUS_APPLIED"_qs);
        const QHash<QString, int> after = versions(id);
        QCOMPARE(after[u"points.geojson"_qs], before[u"points.geojson"_qs] + 1);
        QCOMPARE(after[u"testdata.gpkg"_qs], before[u"testdata.gpkg"_qs]);
        QCOMPARE(after[u"project.qgs"_qs], before[u"project.qgs"_qs]);
        QCOMPARE(download(id, u"testdata.gpkg"_qs), gpkg);
        QCOMPARE(download(id, u"points.geojson"_qs).size(), 20);

        // not_applied and unknown results; nothing applied → nothing stored back.
        const QByteArray raw2 = deltafile(u"singlelayer_multidelta.json"_qs, id);
        const QJsonArray sent2 = parsed(raw2)[u"deltas"_qs].toArray();
        const QString a = sent2.at(0).toObject()[u"uuid"_qs].toString();
        const QString b = sent2.at(1).toObject()[u"uuid"_qs].toString();
        const QString c = sent2.at(2).toObject()[u"uuid"_qs].toString();
        setActions(id,
                   u"write files/testdata.gpkg 30 "_qs
                       + feedback({entry(a, u"status_apply_failed"_qs, kPointsXy),
                                   entry(b, u"status_unknown_error"_qs, kPointsXy)}));
        QCOMPARE(push(*m_alice, id, raw2).status, 200);
        const QHash<QString, QJsonObject> got2 =
            byId(waitFinal(id, parsed(raw2)[u"id"_qs].toString()));
        QCOMPARE(got2[a][u"status"_qs].toString(), u"STATUS_NOT_APPLIED"_qs);
        QCOMPARE(got2[a][u"last_status"_qs].toString(), u"not_applied"_qs);
        QCOMPARE(got2[b][u"status"_qs].toString(), u"STATUS_ERROR"_qs);
        QCOMPARE(got2[c][u"status"_qs].toString(), u"STATUS_ERROR"_qs);
        QCOMPARE(versions(id), after);
        QCOMPARE(download(id, u"testdata.gpkg"_qs), gpkg);
    }

    // §19.4: not JSON, schema violations, another project → 400 invalid_deltafile with the
    // violation; no part → 400 empty_content; nothing is stored, no job is created.
    void malformed_data()
    {
        QTest::addColumn<QByteArray>("body"); // {pid} replaced by the project id
        QTest::addColumn<QString>("code");
        QTest::addColumn<QString>("message"); // expected in the message
        const QByteArray valid = readFile(deltaDir() + u"deltas/singlelayer_singledelta.json"_qs)
                                     .replace(kUpstreamProject.toLatin1(), "{pid}");
        auto edited = [&](const std::function<void(QJsonObject &)> &edit) {
            QJsonObject o = parsed(valid);
            edit(o);
            return QJsonDocument(o).toJson();
        };
        auto editDelta = [&](const std::function<void(QJsonObject &)> &edit) {
            return edited([&](QJsonObject &o) {
                QJsonArray deltas = o[u"deltas"_qs].toArray();
                QJsonObject d = deltas.at(0).toObject();
                edit(d);
                deltas[0] = d;
                o[u"deltas"_qs] = deltas;
            });
        };
        QTest::newRow("not-json→400")
            << QByteArray("{\"deltas\": [") << u"invalid_deltafile"_qs << u"not valid JSON"_qs;
        QTest::newRow("not-utf8→400")
            << QByteArray("{\"x\": \"\xff\xfe\"}") << u"invalid_deltafile"_qs << u"UTF-8"_qs;
        QTest::newRow("array→400")
            << QByteArray("[]") << u"invalid_deltafile"_qs << u"is not of type 'object'"_qs;
        QTest::newRow("upstream-not_schema_valid→400")
            << readFile(deltaDir() + u"deltas/not_schema_valid.json"_qs)
                   .replace(kUpstreamProject.toLatin1(), "{pid}")
            << u"invalid_deltafile"_qs << u"'deltas' is a required property"_qs;
        QTest::newRow("version-2→400")
            << edited([](QJsonObject &o) { o[u"version"_qs] = u"2.0"_qs; })
            << u"invalid_deltafile"_qs << u"is not one of ['1.0']"_qs;
        QTest::newRow("files-not-unique→400") << edited([](QJsonObject &o) {
            o[u"files"_qs] = QJsonArray{u"a"_qs, u"a"_qs};
        }) << u"invalid_deltafile"_qs << u"non-unique"_qs;
        QTest::newRow("bad-method→400")
            << editDelta([](QJsonObject &d) { d[u"method"_qs] = u"update"_qs; })
            << u"invalid_deltafile"_qs << u"deltas[0].method: 'update' is not one of"_qs;
        QTest::newRow("uuid-not-uuid→400")
            << editDelta([](QJsonObject &d) { d[u"uuid"_qs] = u"123"_qs; })
            << u"invalid_deltafile"_qs << u"is not a 'uuid'"_qs;
        QTest::newRow("localPk-number→400")
            << editDelta([](QJsonObject &d) { d[u"localPk"_qs] = 1; }) << u"invalid_deltafile"_qs
            << u"deltas[0].localPk: 1 is not of type 'string'"_qs;
        QTest::newRow("extra-key-in-new→400")
            << editDelta([](QJsonObject &d) {
                   QJsonObject n = d[u"new"_qs].toObject();
                   n[u"colour"_qs] = u"red"_qs;
                   d[u"new"_qs] = n;
               })
            << u"invalid_deltafile"_qs
            << u"Additional properties are not allowed ('colour' was unexpected)"_qs;
        QTest::newRow("missing-clientId→400")
            << editDelta([](QJsonObject &d) { d.remove(u"clientId"_qs); })
            << u"invalid_deltafile"_qs << u"'clientId' is a required property"_qs;
        QTest::newRow("missing-sourcePk→400")
            << editDelta([](QJsonObject &d) { d.remove(u"sourcePk"_qs); })
            << u"invalid_deltafile"_qs << u"'sourcePk' is a required property"_qs;
        QTest::newRow("other-project→400")
            << QByteArray(valid).replace("{pid}", "a4d4b8c2-1d63-4c84-9e35-0c1ac1a7f0a1")
            << u"invalid_deltafile"_qs << u"a4d4b8c2-1d63-4c84-9e35-0c1ac1a7f0a1"_qs;
        QTest::newRow("no-file-part→400") << QByteArray() << u"empty_content"_qs << QString();
    }

    void malformed()
    {
        QFETCH(QByteArray, body);
        QFETCH(QString, code);
        QFETCH(QString, message);
        const QString id = readyProject(u"p"_qs);
        setActions(id, u"sleep 30"_qs);
        body.replace("{pid}", id.toLatin1());
        const Reply r = body.isEmpty()
            ? m_alice->postMultipart(u"deltas/"_qs + id + u'/', {{"text", {}, "{}", nullptr, {}}})
            : push(*m_alice, id, body);
        QCOMPARE(r.status, 400);
        QCOMPARE(r.code(), code);
        QVERIFY2(r.object()[u"message"_qs].toString().contains(message), r.body.constData());
        QCOMPARE(deltasOf(id), QJsonArray());
        QCOMPARE(deltaRows(id), 0);
        QCOMPARE(jobsOf(id, u"delta_apply"_qs), QJsonArray());
    }

    // A body over deltas/max_deltafile_bytes → 413 payload_too_large, nothing stored; the
    // answer comes from the headers alone (the body is never sent).
    void overSizeLimit()
    {
        const QString id = readyProject(u"p"_qs);
        QJsonObject big = parsed(deltafile(u"singlelayer_singledelta.json"_qs, id));
        big[u"padding"_qs] = QString(20000, u'x');
        const Reply r = push(*m_alice, id, QJsonDocument(big).toJson());
        QCOMPARE(r.status, 413);
        QCOMPARE(r.code(), u"payload_too_large"_qs);
        QCOMPARE(deltaRows(id), 0);

        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, m_server->port());
        QVERIFY(socket.waitForConnected(5000));
        const QByteArray token = m_server->login(u"alice"_qs, u"secret-alice"_qs).toLatin1();
        socket.write("POST /api/v1/deltas/" + id.toLatin1()
                     + "/ HTTP/1.1\r\nHost: x\r\nAuthorization: Token " + token
                     + "\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                       "Content-Length: 100000000\r\n\r\n");
        QByteArray answer;
        QTRY_VERIFY_WITH_TIMEOUT((answer += socket.readAll()).contains("\r\n\r\n"), 10000);
        QVERIFY2(answer.startsWith("HTTP/1.1 413"), answer.constData());
        QTRY_VERIFY_WITH_TIMEOUT((answer += socket.readAll()).contains("payload_too_large"), 5000);
        QCOMPARE(deltaRows(id), 0);
        // Within the limit the same request body shape is accepted.
        QCOMPARE(push(*m_alice, id, deltafile(u"singlelayer_singledelta.json"_qs, id)).status, 200);
    }

    // Project without a QGIS file → 400 no_qgis_project (§11.1 step 3), nothing stored.
    void noQgisProject()
    {
        const QString id = m_alice->postJson(u"projects/"_qs, {{u"name"_qs, u"empty"_qs}})
                               .object()[u"id"_qs]
                               .toString();
        const Reply r = push(*m_alice, id, deltafile(u"singlelayer_singledelta.json"_qs, id));
        QCOMPARE(r.status, 400);
        QCOMPARE(r.code(), u"no_qgis_project"_qs);
        QCOMPARE(deltaRows(id), 0);
    }

    // §19.5: the same deltafile twice stores each delta once and schedules no second job
    // (DA-07's re-upload).
    void sameDeltafileTwice()
    {
        const QString id = readyProject(u"p"_qs);
        const QByteArray raw = deltafile(u"singlelayer_multidelta.json"_qs, id);
        const QJsonArray sent = parsed(raw)[u"deltas"_qs].toArray();
        QJsonArray results;
        for (const QJsonValue &d : sent)
            results.append(
                entry(d.toObject()[u"uuid"_qs].toString(), u"status_applied"_qs, kPointsXy, 1));
        setActions(id, feedback(results));
        QCOMPARE(push(*m_alice, id, raw).status, 200);
        const QJsonArray first = waitFinal(id, parsed(raw)[u"id"_qs].toString());
        QCOMPARE(first.size(), 3);
        QCOMPARE(push(*m_alice, id, raw).status, 200);
        QCOMPARE(
            as(u"editor"_qs)
                ->postMultipart(u"deltas/"_qs + id + u'/', {{"file", "d.json", raw, nullptr, {}}})
                .status,
            200);
        QCOMPARE(deltasOf(id, parsed(raw)[u"id"_qs].toString()), first);
        QCOMPARE(deltaRows(id), 3);
        QCOMPARE(jobsOf(id, u"delta_apply"_qs).size(), 1);
        for (const QJsonValue &d : first)
            QCOMPARE(d.toObject()[u"created_by"_qs].toString(), u"alice"_qs);
    }

    // Two clients push the same deltafile at the same time (and a third one that shares a
    // delta): every delta is stored once and is in exactly one apply job.
    void concurrentPushes()
    {
        const QString id = readyProject(u"p"_qs);
        setActions(id, u"sleep 0.5 "_qs + feedback());
        const QByteArray a = deltafile(u"singlelayer_multidelta.json"_qs, id);
        QJsonObject mixed = parsed(deltafile(u"singlelayer_singledelta.json"_qs, id));
        QJsonArray deltas = mixed[u"deltas"_qs].toArray();
        deltas.append(parsed(a)[u"deltas"_qs].toArray().at(1));
        mixed[u"deltas"_qs] = deltas;
        const QByteArray b = QJsonDocument(mixed).toJson();

        QNetworkAccessManager nam;
        QList<QNetworkReply *> replies;
        const QStringList users{u"alice"_qs, u"editor"_qs, u"manager"_qs, u"alice"_qs};
        const QList<QByteArray> bodies{a, a, b, b};
        for (int i = 0; i < users.size(); ++i) {
            const QByteArray boundary = "qfcboundary" + QByteArray::number(i);
            QByteArray body = "--" + boundary
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"d.json\"\r\n"
                  "Content-Type: application/json\r\n\r\n"
                + bodies[i] + "\r\n--" + boundary + "--\r\n";
            QNetworkRequest request(HttpClient(m_server->baseUrl()).url(u"deltas/"_qs + id + u'/'));
            request.setRawHeader(
                "Authorization",
                "Token " + m_server->login(users[i], u"secret-"_qs + users[i]).toLatin1());
            request.setRawHeader("Content-Type",
                                 QByteArray("multipart/form-data; boundary=") + boundary);
            replies << nam.post(request, body);
        }
        for (QNetworkReply *reply : std::as_const(replies)) {
            QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 20000);
            QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
            reply->deleteLater();
        }
        QTRY_VERIFY_WITH_TIMEOUT(idle(id), 30000);
        QCOMPARE(deltaRows(id), 4);
        QCOMPARE(deltasOf(id).size(), 4);
        const qint64 attachments =
            db::Query::scalar(db(),
                              u"SELECT count(*) FROM job_deltas jd JOIN jobs j ON j.id = "
                              "jd.job_id WHERE j.project_id = :p"_qs,
                              {{u":p"_qs, id}})
                ->toLongLong();
        QCOMPARE(attachments, 4);
        const qint64 distinct =
            db::Query::scalar(db(),
                              u"SELECT count(DISTINCT jd.delta_id) FROM job_deltas jd JOIN jobs j "
                              "ON j.id = jd.job_id WHERE j.project_id = :p"_qs,
                              {{u":p"_qs, id}})
                ->toLongLong();
        QCOMPARE(distinct, 4);
    }

    // §11.1 step 5 / DA-23: a reporter's patch is stored unpermitted (and never reaches the
    // worker), the create is applied.
    void reporterRule()
    {
        const QString id = readyProject(u"p"_qs);
        const QByteArray raw = deltafile(u"singlelayer_multidelta_patch_create.json"_qs, id);
        const QString patch = u"736bf2c2-646a-41a2-8c55-28c26aecd68d"_qs;
        const QString create = u"8adac0df-e1d3-473e-b150-f8c4a91b4781"_qs;
        setActions(id,
                   u"cat deltafile.json "_qs
                       + feedback({entry(create, u"status_applied"_qs, kPointsXy, 4)}));
        QCOMPARE(push(*as(u"reporter"_qs), id, raw).status, 200);
        const QHash<QString, QJsonObject> got =
            byId(waitFinal(id, parsed(raw)[u"id"_qs].toString()));
        QCOMPARE(got[patch][u"status"_qs].toString(), u"STATUS_UNPERMITTED"_qs);
        QCOMPARE(got[patch][u"last_status"_qs].toString(), u"unpermitted"_qs);
        QVERIFY(got[patch][u"last_feedback"_qs].toObject()[u"msg"_qs].toString().startsWith(
            u"User has no rights to create delta on this project."_qs));
        QCOMPARE(got[patch][u"created_by"_qs].toString(), u"reporter"_qs);
        QCOMPARE(got[create][u"status"_qs].toString(), u"STATUS_APPLIED"_qs);
        const QJsonArray jobs = jobsOf(id, u"delta_apply"_qs);
        QCOMPARE(jobs.size(), 1);
        const QString output =
            waitForJob(jobs.at(0).toObject()[u"id"_qs].toString())[u"output"_qs].toString();
        QVERIFY(output.contains(create));
        QVERIFY(!output.contains(patch));
        // Reporters may list deltas (§11.2).
        QCOMPARE(as(u"reporter"_qs)->get(u"deltas/"_qs + id + u'/').array().size(), 2);
    }

    // Roles (§11, §14.4): readers and strangers get 403 everywhere; templates take no deltas;
    // re-apply and ignore are for admins and managers.
    void roles()
    {
        const QString id = readyProject(u"p"_qs);
        setActions(id, u"sleep 30"_qs);
        const QByteArray raw = deltafile(u"singlelayer_singledelta.json"_qs, id);
        const QString dfid = parsed(raw)[u"id"_qs].toString();
        for (const QString &user : {u"reader"_qs, u"stranger"_qs}) {
            auto c = as(user);
            const Reply pushed = push(*c, id, raw);
            QCOMPARE(pushed.status, 403);
            QCOMPARE(pushed.code(), u"permission_denied"_qs);
            QCOMPARE(c->get(u"deltas/"_qs + id + u'/').status, 403);
            QCOMPARE(c->get(u"deltas/"_qs + id + u'/' + dfid + u'/').status, 403);
        }
        QCOMPARE(deltaRows(id), 0);
        QCOMPARE(push(*as(u"editor"_qs), id, raw).status, 200);
        const QString delta = u"9311eb96-bff8-4d5b-ab36-c314a007cfcd"_qs;
        for (const QString &user : {u"reporter"_qs, u"editor"_qs}) {
            auto c = as(user);
            QCOMPARE(c->postJson(u"deltas/"_qs + id + u"/ignore/"_qs,
                                 {{u"delta_ids"_qs, QJsonArray{delta}}})
                         .status,
                     403);
            QCOMPARE(c->postJson(u"deltas/"_qs + id + u"/reapply/"_qs,
                                 {{u"delta_ids"_qs, QJsonArray{delta}}})
                         .status,
                     403);
        }
        db::Query::run(db(), u"UPDATE projects SET project_type = 'template' WHERE id = :id"_qs,
                       {{u":id"_qs, id}});
        QCOMPARE(push(*m_alice, id, raw).status, 403);
        QCOMPARE(m_alice->get(u"deltas/"_qs + id + u'/').status, 403);
    }

    // §19.9: a conflict re-applied with overwrite ends applied; reapply refuses started deltas;
    // ignore marks deltas ignored; from_delta_id takes that delta and every newer one.
    void reapplyAndIgnore()
    {
        const QString id = readyProject(u"p"_qs);
        const QByteArray raw = deltafile(u"singlelayer_singledelta_conflict2.json"_qs, id);
        const QString delta = u"bd507a3d-aa7b-42c4-bdb7-23ff34f65d5c"_qs;
        setActions(id, feedback({entry(delta, u"status_conflict"_qs, kPointsXy)}));
        QCOMPARE(push(*m_alice, id, raw).status, 200);
        const QString dfid = parsed(raw)[u"id"_qs].toString();
        QCOMPARE(waitFinal(id, dfid).at(0).toObject()[u"status"_qs].toString(),
                 u"STATUS_CONFLICT"_qs);

        // While the re-apply job runs the delta is busy, and cannot be re-applied again.
        setActions(id,
                   u"sleep 2 write files/testdata.gpkg 77 "_qs
                       + feedback({entry(delta, u"status_applied"_qs, kPointsXy, 1)}));
        auto manager = as(u"manager"_qs);
        const Reply r = manager->postJson(
            u"deltas/"_qs + id + u"/reapply/"_qs,
            {{u"delta_ids"_qs, QJsonArray{delta}}, {u"overwrite_conflicts"_qs, true}});
        QCOMPARE(r.status, 200);
        QCOMPARE(r.array().size(), 1);
        QCOMPARE(r.array().at(0).toObject()[u"id"_qs].toString(), delta);
        QCOMPARE(r.array().at(0).toObject()[u"status"_qs].toString(), u"STATUS_PENDING"_qs);
        const QJsonArray applyJobs = jobsOf(id, u"delta_apply"_qs);
        QCOMPARE(applyJobs.size(), 2);
        QCOMPARE(
            jobs::byId(db(), applyJobs.at(1).toObject()[u"id"_qs].toString())->overwriteConflicts,
            std::optional<bool>(true));
        QTRY_COMPARE_WITH_TIMEOUT(deltasOf(id, dfid).at(0).toObject()[u"status"_qs].toString(),
                                  u"STATUS_BUSY"_qs, 20000);
        const Reply busy = manager->postJson(u"deltas/"_qs + id + u"/reapply/"_qs,
                                             {{u"delta_ids"_qs, QJsonArray{delta}}});
        QCOMPARE(busy.status, 400);
        QCOMPARE(busy.code(), u"api_error"_qs);
        QCOMPARE(manager
                     ->postJson(u"deltas/"_qs + id + u"/ignore/"_qs,
                                {{u"delta_ids"_qs, QJsonArray{delta}}})
                     .status,
                 400);
        const QJsonObject applied = waitFinal(id, dfid).at(0).toObject();
        QCOMPARE(applied[u"status"_qs].toString(), u"STATUS_APPLIED"_qs);
        QCOMPARE(download(id, u"testdata.gpkg"_qs).size(), 77);

        // Unknown ids, an empty list, a malformed id → 400.
        for (const QJsonObject &body :
             {QJsonObject{
                  {u"delta_ids"_qs, QJsonArray{u"a4d4b8c2-1d63-4c84-9e35-0c1ac1a7f0a1"_qs}}},
              QJsonObject{{u"delta_ids"_qs, QJsonArray{}}},
              QJsonObject{{u"delta_ids"_qs, QJsonArray{u"nope"_qs}}}}) {
            const Reply bad = m_alice->postJson(u"deltas/"_qs + id + u"/reapply/"_qs, body);
            QCOMPARE(bad.status, 400);
            QCOMPARE(bad.code(), u"api_error"_qs);
        }

        // from_delta_id: that delta and every newer one.
        setActions(id, u"sleep 30"_qs);
        const QByteArray later = deltafile(u"singlelayer_singledelta2.json"_qs, id);
        QCOMPARE(push(*m_alice, id, later).status, 200);
        const QString laterId =
            parsed(later)[u"deltas"_qs].toArray().at(0).toObject()[u"uuid"_qs].toString();
        QTRY_COMPARE_WITH_TIMEOUT(deltasOf(id, parsed(later)[u"id"_qs].toString())
                                      .at(0)
                                      .toObject()[u"status"_qs]
                                      .toString(),
                                  u"STATUS_BUSY"_qs, 20000);
        const Reply refused =
            m_alice->postJson(u"deltas/"_qs + id + u"/reapply/"_qs, {{u"from_delta_id"_qs, delta}});
        QCOMPARE(refused.status, 400); // the newer one is started
        QTRY_VERIFY_WITH_TIMEOUT(idle(id), 30000); // it times out → error
        QCOMPARE(deltasOf(id, parsed(later)[u"id"_qs].toString())
                     .at(0)
                     .toObject()[u"status"_qs]
                     .toString(),
                 u"STATUS_ERROR"_qs);
        // Ignore both, then re-apply from the first: both pending in one new job.
        const Reply ignored = m_alice->postJson(u"deltas/"_qs + id + u"/ignore/"_qs,
                                                {{u"delta_ids"_qs, QJsonArray{delta, laterId}}});
        QCOMPARE(ignored.status, 200);
        QCOMPARE(ignored.array().size(), 2);
        for (const QJsonValue &d : ignored.array())
            QCOMPARE(d.toObject()[u"status"_qs].toString(), u"STATUS_IGNORED"_qs);
        QCOMPARE(byId(deltasOf(id))[laterId][u"last_status"_qs].toString(), u"ignored"_qs);
        const qsizetype jobsBefore = jobsOf(id, u"delta_apply"_qs).size();
        setActions(id, u"sleep 30"_qs);
        const Reply from =
            m_alice->postJson(u"deltas/"_qs + id + u"/reapply/"_qs, {{u"from_delta_id"_qs, delta}});
        QCOMPARE(from.status, 200);
        QCOMPARE(from.array().size(), 2);
        QCOMPARE(jobsOf(id, u"delta_apply"_qs).size(), jobsBefore + 1);
        // The project's own setting when no override is given.
        QCOMPARE(
            jobs::byId(db(), jobsOf(id, u"delta_apply"_qs).last().toObject()[u"id"_qs].toString())
                ->overwriteConflicts,
            std::optional<bool>(true));
    }

    // §15.1, §19.7: a crashed, timed-out, failing or killed apply run leaves its deltas error
    // with null feedback, and no file gets a new version whatever the worker wrote.
    void failedRuns_data()
    {
        QTest::addColumn<QString>("actions"); // {fb} = an applied result for the delta
        QTest::newRow("crash→error") << u"write files/testdata.gpkg 5 crash"_qs;
        QTest::newRow("timeout→error") << u"write files/testdata.gpkg 5 sleep 100 {fb}"_qs;
        QTest::newRow("ignores-sigterm→error") << u"write files/testdata.gpkg 5 hang"_qs;
        QTest::newRow("exit-nonzero→error") << u"write files/testdata.gpkg 5 {fb} exit 2"_qs;
        QTest::newRow("no-feedback→error") << u"write files/testdata.gpkg 5"_qs;
        QTest::newRow("error-feedback→error")
            << u"write files/testdata.gpkg 5 feedback {\"\"\"error\"\"\":\"\"\"boom\"\"\"}"_qs;
    }

    void failedRuns()
    {
        QFETCH(QString, actions);
        const QString id = readyProject(u"p"_qs);
        const QByteArray raw = deltafile(u"singlelayer_singledelta.json"_qs, id);
        const QString delta = u"9311eb96-bff8-4d5b-ab36-c314a007cfcd"_qs;
        actions.replace(u"{fb}"_qs, feedback({entry(delta, u"status_applied"_qs, kPointsXy, 1)}));
        setActions(id, actions);
        const QHash<QString, int> before = versions(id);
        const QByteArray gpkg = download(id, u"testdata.gpkg"_qs);
        QCOMPARE(push(*m_alice, id, raw).status, 200);
        const QJsonArray list = waitFinal(id, parsed(raw)[u"id"_qs].toString(), 60000);
        QCOMPARE(list.size(), 1);
        const QJsonObject d = list.at(0).toObject();
        QCOMPARE(d[u"status"_qs].toString(), u"STATUS_ERROR"_qs);
        QCOMPARE(d[u"last_status"_qs].toString(), u"error"_qs);
        QVERIFY(d[u"last_feedback"_qs].isNull());
        QCOMPARE(jobsOf(id, u"delta_apply"_qs).at(0).toObject()[u"status"_qs].toString(),
                 u"failed"_qs);
        QCOMPARE(versions(id), before);
        QCOMPARE(download(id, u"testdata.gpkg"_qs), gpkg);
        QCOMPARE(deltaRows(id), 1);
    }

    // §19.7: a shutdown cancels the running apply job; its deltas end error, files untouched.
    void cancelledByShutdown()
    {
        const QString id = readyProject(u"p"_qs);
        const QByteArray raw = deltafile(u"singlelayer_singledelta.json"_qs, id);
        setActions(id, u"write files/testdata.gpkg 5 sleep 30"_qs);
        const QHash<QString, int> before = versions(id);
        QCOMPARE(push(*m_alice, id, raw).status, 200);
        QTRY_COMPARE_WITH_TIMEOUT(deltasOf(id).at(0).toObject()[u"status"_qs].toString(),
                                  u"STATUS_BUSY"_qs, 20000);
        const QString url = m_server->databaseUrl();
        const QString dir = m_server->dataDir();
        m_alice.reset();
        m_server->instance().stop();
        db::Database database(url, dir);
        const QList<Job> list = jobs::ofProject(database.connection(), id);
        const Job job = list.last();
        QCOMPARE(job.type, u"delta_apply"_qs);
        QCOMPARE(job.status, u"failed"_qs);
        QCOMPARE(job.feedback->value(u"error"_qs).toString(), u"Job was cancelled."_qs);
        const auto status = db::Query::scalar(
            database.connection(), u"SELECT last_status FROM deltas WHERE project_id = :p"_qs,
            {{u":p"_qs, id}});
        QCOMPARE(status->toString(), u"error"_qs);
        const auto count = db::Query::scalar(
            database.connection(),
            u"SELECT count(*) FROM file_versions v JOIN files f ON f.id = v.file_id WHERE "
            "f.project_id = :p"_qs,
            {{u":p"_qs, id}});
        int expected = 0;
        for (int n : before)
            expected += n;
        QCOMPARE(count->toInt(), expected);
    }

    // worker.md §7.7: a data file uploaded while the job ran is kept; the delta that would have
    // overwritten it ends error saying why, and can be re-applied.
    void uploadDuringJobIsKept()
    {
        const QString id = readyProject(u"p"_qs);
        const QByteArray raw = deltafile(u"singlelayer_singledelta.json"_qs, id);
        const QString delta = u"9311eb96-bff8-4d5b-ab36-c314a007cfcd"_qs;
        setActions(id,
                   u"write files/testdata.gpkg 5 sleep 2 "_qs
                       + feedback({entry(delta, u"status_applied"_qs, kPointsXy, 1)}));
        QCOMPARE(push(*m_alice, id, raw).status, 200);
        QTRY_COMPARE_WITH_TIMEOUT(deltasOf(id).at(0).toObject()[u"status"_qs].toString(),
                                  u"STATUS_BUSY"_qs, 20000);
        const QByteArray uploaded("a newer GeoPackage from the office");
        QCOMPARE(m_alice->uploadFile(u"files/"_qs + id + u"/testdata.gpkg/"_qs, uploaded).status,
                 201);
        const QJsonObject d = waitFinal(id, parsed(raw)[u"id"_qs].toString()).at(0).toObject();
        QCOMPARE(d[u"status"_qs].toString(), u"STATUS_ERROR"_qs);
        QVERIFY2(d[u"output"_qs].toString().contains(u"changed on the server"_qs),
                 qPrintable(d[u"output"_qs].toString()));
        QCOMPARE(download(id, u"testdata.gpkg"_qs), uploaded);
    }

    // §15.3: more than 1000 pending deltas go to several apply jobs with disjoint chunks in
    // receipt order; "apply pending deltas" again creates nothing while they are attached.
    void disjointChunks()
    {
        const QString id = readyProject(u"p"_qs);
        setActions(id, u"sleep 30"_qs);
        {
            db::Transaction tx(m_server->instance().database());
            const qint64 now = clock::nowUs();
            for (int i = 0; i < 2001; ++i) {
                deltas::Delta d;
                d.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
                d.deltafileId = u"6f109cd3-f44c-41db-b134-5f38468b9fda"_qs;
                d.deltafileIndex = i;
                d.projectId = id;
                d.clientId = u"cd517e24-a520-4021-8850-e5af70e3a612"_qs;
                d.content = u"{}"_qs;
                d.createdBy = m_ids[u"alice"_qs];
                d.createdAt = d.updatedAt = now;
                d.lastStatus = u"pending"_qs;
                QVERIFY(deltas::insertIfNew(tx.connection(), d));
            }
            tx.commit();
        }
        QCOMPARE(m_alice->send("POST", u"deltas/apply/"_qs + id + u'/', {}, {}).status, 200);
        const QJsonArray jobs = jobsOf(id, u"delta_apply"_qs);
        QCOMPARE(jobs.size(), 3);
        QList<QList<int>> chunks; // each job's deltas, by their position in receipt order
        for (const QJsonValue &j : jobs) {
            db::Query q(db(),
                        u"SELECT d.deltafile_index FROM job_deltas jd JOIN deltas d ON d.id = "
                        "jd.delta_id WHERE jd.job_id = :j ORDER BY jd.job_index"_qs);
            q.bind(u":j"_qs, j.toObject()[u"id"_qs].toString()).exec();
            QList<int> chunk;
            while (q.next())
                chunk << int(q.integer(0));
            chunks << chunk;
        }
        std::sort(chunks.begin(), chunks.end(),
                  [](const QList<int> &a, const QList<int> &b) { return a.value(0) < b.value(0); });
        QList<int> sizes;
        QList<int> all;
        for (const QList<int> &c : std::as_const(chunks)) {
            sizes << int(c.size());
            all << c;
        }
        QList<int> expected(2001);
        std::iota(expected.begin(), expected.end(), 0);
        QCOMPARE(all, expected); // disjoint, complete, in receipt order
        QCOMPARE(sizes, QList<int>({1000, 1000, 1}));
        QCOMPARE(m_alice->send("POST", u"deltas/apply/"_qs + id + u'/', {}, {}).status, 200);
        QCOMPARE(jobsOf(id, u"delta_apply"_qs).size(), 3);
    }

    // §17 / DA-25: an owner who cannot run jobs: the push succeeds, the delta stays pending with
    // an explanation, no job.
    void ownerCannotRunJobs()
    {
        const QString id = readyProject(u"p"_qs);
        db::Query::run(db(), u"UPDATE subscriptions SET status = 'inactive_cancelled'"_qs);
        const QByteArray raw = deltafile(u"singlelayer_singledelta.json"_qs, id);
        QCOMPARE(push(*m_alice, id, raw).status, 200);
        const QJsonObject d = deltasOf(id).at(0).toObject();
        QCOMPARE(d[u"status"_qs].toString(), u"STATUS_PENDING"_qs);
        QVERIFY(!d[u"last_feedback"_qs].toObject()[u"msg"_qs].toString().isEmpty());
        QCOMPARE(jobsOf(id, u"delta_apply"_qs), QJsonArray());
    }

    // DA-26's server half (§17): a project with a PostGIS layer whose owner's plan does not
    // allow external databases: the push succeeds, its delta stays pending saying why, POST jobs/
    // is refused; once the plan allows it, the pending delta is applied.
    void externalDatabaseNotAllowed()
    {
        const QString id = readyProject(u"pg"_qs);
        setActions(id, feedback({}, true));
        QCOMPARE(m_alice
                     ->uploadFile(u"files/"_qs + id + u"/project.qgs/"_qs,
                                  readFile(deltaDir() + u"project.qgs"_qs))
                     .status,
                 201);
        const QJsonArray process = jobsOf(id, u"process_projectfile"_qs);
        QCOMPARE(process.size(), 2);
        QCOMPARE(
            waitForJob(process.last().toObject()[u"id"_qs].toString())[u"status"_qs].toString(),
            u"finished"_qs);
        db::Query::run(db(), u"UPDATE plans SET is_external_db_supported = :no"_qs,
                       {{u":no"_qs, false}});

        const QByteArray raw = deltafile(u"singlelayer_singledelta.json"_qs, id);
        QCOMPARE(push(*m_alice, id, raw).status, 200);
        QJsonObject d = deltasOf(id).at(0).toObject();
        QCOMPARE(d[u"status"_qs].toString(), u"STATUS_PENDING"_qs);
        QVERIFY(!d[u"last_feedback"_qs].toObject()[u"msg"_qs].toString().isEmpty());
        QCOMPARE(jobsOf(id, u"delta_apply"_qs), QJsonArray());
        const Reply refused = m_alice->postJson(
            u"jobs/"_qs, {{u"project_id"_qs, id}, {u"type"_qs, u"delta_apply"_qs}});
        QCOMPARE(refused.status, 403);
        QCOMPARE(refused.code(), u"permission_denied_plan_insufficient"_qs);

        db::Query::run(db(), u"UPDATE plans SET is_external_db_supported = :yes"_qs,
                       {{u":yes"_qs, true}});
        setActions(
            id,
            feedback({entry(d[u"id"_qs].toString(), u"status_applied"_qs, kPointsXy, u"1"_qs)},
                     true));
        QCOMPARE(m_alice->send("POST", u"deltas/apply/"_qs + id + u'/', {}, {}).status, 200);
        const QJsonArray apply = jobsOf(id, u"delta_apply"_qs);
        QCOMPARE(apply.size(), 1);
        QCOMPARE(waitForJob(apply.at(0).toObject()[u"id"_qs].toString())[u"status"_qs].toString(),
                 u"finished"_qs);
        d = deltasOf(id).at(0).toObject();
        QCOMPARE(d[u"status"_qs].toString(), u"STATUS_APPLIED"_qs);
    }

    // A server killed during delta_apply (SIGKILL): after the restart the delta is recorded
    // once, in a final status, and the data file is the one from before.
    void killedServer()
    {
        if (backend() == Backend::Postgres)
            QSKIP("the process test runs once, on SQLite");
        QTemporaryDir dir;
        const QHash<QString, QString> env{
            {u"QFC_WORKER_BINARY"_qs, qEnvironmentVariable("QFC_TEST_TESTWORKER")},
            {u"QFC_JOB_TIMEOUT_SECONDS"_qs, u"60"_qs}};
        auto server = std::make_unique<ServerProcess>(dir.path(), QString(), QStringList(), env);
        QVERIFY2(server->start(), qPrintable(server->output()));
        const QString password =
            QRegularExpression(u"password: (\\S+)"_qs).match(server->output()).captured(1);
        auto login = [&password](const QUrl &base) {
            auto c = std::make_unique<HttpClient>(base);
            c->setUserAgent(kQField);
            c->setToken(c->postJson(u"auth/token/"_qs,
                                    {{u"username"_qs, u"admin"_qs}, {u"password"_qs, password}})
                            .object()[u"token"_qs]
                            .toString());
            return c;
        };
        auto c = login(server->baseUrl());
        const QString id =
            c->postJson(u"projects/"_qs, {{u"name"_qs, u"k"_qs}}).object()[u"id"_qs].toString();
        auto setSecret = [&](const QString &actions) {
            db::Database database(u"sqlite:qfc.sqlite3"_qs, dir.path());
            secrets::Secret s;
            s.name = u"QFC_TESTWORKER_ACTIONS"_qs;
            s.type = u"envvar"_qs;
            s.projectId = id;
            s.value = actions;
            secrets::set(database.connection(), secrets::KeyRing(dir.path() + u"/secret.key"_qs),
                         s);
        };
        setSecret(feedback());
        for (const QString &f : {u"testdata.gpkg"_qs, u"project.qgs"_qs})
            QCOMPARE(
                c->uploadFile(u"files/"_qs + id + u'/' + f + u'/', readFile(deltaDir() + f)).status,
                201);
        QTRY_VERIFY_WITH_TIMEOUT(
            c->get(u"jobs/?project_id="_qs + id).array().at(0).toObject()[u"status"_qs].toString()
                == u"finished",
            30000);
        const QByteArray gpkg = c->get(u"files/"_qs + id + u"/testdata.gpkg/"_qs).body;
        setSecret(u"write files/testdata.gpkg 5 sleep 60"_qs);
        const QByteArray raw = deltafile(u"singlelayer_singledelta.json"_qs, id);
        const QString dfid = parsed(raw)[u"id"_qs].toString();
        QCOMPARE(c->postMultipart(u"deltas/"_qs + id + u'/',
                                  {{"file", "deltafile.json", raw, nullptr, {}}})
                     .status,
                 200);
        QTRY_COMPARE_WITH_TIMEOUT(c->get(u"deltas/"_qs + id + u'/' + dfid + u'/')
                                      .array()
                                      .at(0)
                                      .toObject()[u"status"_qs]
                                      .toString(),
                                  u"STATUS_BUSY"_qs, 30000);
        server->kill();
        server.reset();
        ServerProcess again(dir.path(), QString(), {}, env);
        QVERIFY2(again.start(), qPrintable(again.output()));
        auto c2 = login(again.baseUrl());
        const QJsonArray list = c2->get(u"deltas/"_qs + id + u'/' + dfid + u'/').array();
        QCOMPARE(list.size(), 1);
        QCOMPARE(list.at(0).toObject()[u"status"_qs].toString(), u"STATUS_ERROR"_qs);
        QCOMPARE(c2->get(u"files/"_qs + id + u"/testdata.gpkg/"_qs).body, gpkg);
        // Pushing it again (QField retries) does not store it twice.
        QCOMPARE(c2->postMultipart(u"deltas/"_qs + id + u'/',
                                   {{"file", "deltafile.json", raw, nullptr, {}}})
                     .status,
                 200);
        QCOMPARE(c2->get(u"deltas/"_qs + id + u'/').array().size(), 1);
        again.stop();
    }
};

QTEST_GUILESS_MAIN(tst_Deltas)
#include "tst_deltas.moc"
