// The job queue, the worker pool and the jobs API (spec/api.md §12, §15, §19.6, §19.7;
// worker.md §2), driven with qfc-testworker standing in for qfc-worker: its behaviour comes from
// the project secret QFC_TESTWORKER_ACTIONS (an envvar secret, as operators would set one).
#include "core/clock.h"
#include "db/database.h"
#include "db/query.h"
#include "db/transaction.h"
#include "jobs/jobrepository.h"
#include "jobs/secrets.h"
#include "server/instance.h"
#include "testenv.h"
#include "testserver.h"

#include <QElapsedTimer>
#include <QFile>
#include <QHttpMultiPart>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

#include <csignal>

using namespace qfc;
using namespace qfc::test;

namespace {

const QByteArray kSdk = "sdk|py|0.9 python-requests|2.32";
const QByteArray kQgs = "<!DOCTYPE qgis><qgis version=\"3.22.16-Bia\" projectname=\"x\"></qgis>";

// A feedback.json of a successful process_projectfile run, written by the test worker.
QString okFeedback(const QString &marker = u"ok"_qs)
{
    const QString json = u"{\"feedback_version\":\"2.0\",\"workflow_id\":\"process_projectfile\","
                         "\"workflow_name\":\"Process Projectfile\",\"workflow_version\":\"2.0\","
                         "\"steps\":[],\"outputs\":{\"project_details\":{\"project_details\":"
                         "{\"marker\":\""_qs
        + marker + u"\",\"layers_by_id\":{},\"attachment_dirs\":[\"DCIM\"]}}}}"_qs;
    // QProcess::splitCommand: one quoted word, a literal quote written as three.
    return u"feedback \""_qs + QString(json).replace(u"\""_qs, u"\"\"\""_qs) + u'"';
}

} // namespace

class tst_Jobs final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<TestServer> m_server;
    QString m_token;

    QHash<QString, QString> settings(int workers = 2) const
    {
        return {{u"jobs/worker_binary"_qs, qEnvironmentVariable("QFC_TEST_TESTWORKER")},
                {u"jobs/workers"_qs, QString::number(workers)},
                {u"jobs/timeout_seconds"_qs, u"6"_qs},
                {u"jobs/kill_grace_seconds"_qs, u"1"_qs},
                {u"jobs/memory_limit_bytes"_qs, u"512MiB"_qs},
                {u"jobs/poll_interval_ms"_qs, u"200"_qs}};
    }

    std::unique_ptr<HttpClient> client() { return m_server->client(m_token); }

    QString newProject(const QString &name, const QString &actions)
    {
        const QString id =
            client()->postJson(u"projects/"_qs, {{u"name"_qs, name}}).object()[u"id"_qs].toString();
        setActions(id, actions);
        return id;
    }

    // A project with its QGIS file processed once, no jobs left, and then `actions`.
    QString readyProject(const QString &name, const QString &actions)
    {
        const QString id = newProject(name, okFeedback());
        if (runProcessJob(id)[u"status"_qs].toString() != u"finished")
            qWarning() << "the first process_projectfile job of" << name << "failed";
        db::Query::run(m_server->instance().database().connection(),
                       u"DELETE FROM jobs WHERE project_id = :p"_qs, {{u":p"_qs, id}});
        setActions(id, actions);
        return id;
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

    // Uploads the .qgs (which queues process_projectfile) and waits for the job to end.
    QJsonObject runProcessJob(const QString &projectId)
    {
        const Reply up = client()->uploadFile(u"files/"_qs + projectId + u"/project.qgs/"_qs, kQgs);
        if (up.status != 201)
            qWarning() << "upload" << up.status << up.body;
        return waitForLastJob(projectId);
    }

    QJsonObject waitForLastJob(const QString &projectId, int timeoutMs = 60000)
    {
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < timeoutMs) {
            const QJsonArray jobs = client()->get(u"jobs/?project_id="_qs + projectId).array();
            if (!jobs.isEmpty()) {
                const QString status = jobs.last().toObject()[u"status"_qs].toString();
                if (status == u"finished" || status == u"failed")
                    return client()
                        ->get(u"jobs/"_qs + jobs.last().toObject()[u"id"_qs].toString() + u'/')
                        .object();
            }
            QTest::qWait(100);
        }
        return {};
    }

    QJsonObject feedbackOf(const QJsonObject &job) { return job[u"feedback"_qs].toObject(); }

    bool workdirsGone() const
    {
        const QDir dir(m_server->dataDir() + u"/jobs/"_qs + m_server->instance().nodeId());
        return dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot).isEmpty();
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(QFile::exists(qEnvironmentVariable("QFC_TEST_TESTWORKER"))); }

    void init()
    {
        m_server = std::make_unique<TestServer>(settings());
        m_server->createUser(u"alice"_qs, u"secret-alice"_qs);
        m_token = m_server->login(u"alice"_qs, u"secret-alice"_qs, kSdk);
    }

    void cleanup() { m_server.reset(); }
    void cleanupTestCase() { dropCreatedDatabases(); }

    void successStoresDetails()
    {
        const QString id = newProject(u"ok"_qs, okFeedback(u"first"_qs));
        QCOMPARE(client()->get(u"projects/"_qs + id + u'/').object()[u"status"_qs].toString(),
                 u"failed"_qs);
        const QJsonObject job = runProcessJob(id);
        QVERIFY2(job[u"status"_qs].toString() == u"finished",
                 QJsonDocument(job).toJson().constData());
        QCOMPARE(job[u"type"_qs].toString(), u"process_projectfile"_qs);
        QVERIFY(!job[u"started_at"_qs].isNull() && !job[u"finished_at"_qs].isNull());
        QVERIFY(job[u"created_by"_qs].isDouble());
        QCOMPARE(feedbackOf(job)[u"container_exit_code"_qs].toInt(), 0);
        QCOMPARE(client()->get(u"projects/"_qs + id + u'/').object()[u"status"_qs].toString(),
                 u"ok"_qs);
        const auto p = db::Query::scalar(m_server->instance().database().connection(),
                                         u"SELECT project_details FROM projects WHERE id = :id"_qs,
                                         {{u":id"_qs, id}});
        QVERIFY(p->toString().contains(u"\"marker\":\"first\""_qs));
        // The work directory is gone afterwards.
        QTRY_VERIFY(workdirsGone());
    }

    void failures_data()
    {
        QTest::addColumn<QString>("actions");
        QTest::addColumn<QString>("error"); // expected in feedback.error
        QTest::addColumn<QString>("errorType"); // "" = absent
        QTest::addColumn<QString>("output"); // expected in the stored output
        QTest::newRow("timeout→TIMEOUT")
            << u"print started sleep 100"_qs << u"Worker timeout error."_qs << u"TIMEOUT"_qs
            << u"Timeout error! The job failed to finish within 6 seconds!"_qs;
        QTest::newRow("ignores-sigterm→killed")
            << u"hang"_qs << u"Worker timeout error."_qs << u"TIMEOUT"_qs << QString();
        QTest::newRow("crash→log-kept")
            << u"print before-the-crash crash"_qs << u"ended abnormally"_qs << QString()
            << u"before-the-crash"_qs;
        QTest::newRow("memory-limit→named")
            << u"alloc 2048"_qs << u"memory limit of 512 MiB"_qs << QString() << QString();
        QTest::newRow("bad-feedback→unreadable")
            << u"feedback {not-json"_qs << u"unreadable"_qs << QString() << QString();
        QTest::newRow("no-feedback") << u"print nothing-written"_qs << u"wrote no feedback"_qs
                                     << QString() << u"nothing-written"_qs;
        QTest::newRow("error-feedback")
            << u"feedback {\"\"\"error\"\"\":\"\"\"boom\"\"\",\"\"\"error_type\"\"\":\"\"\"UNKNOWN\"\"\"}"_qs
            << u"boom"_qs << u"UNKNOWN"_qs << QString();
        QTest::newRow("exit-nonzero")
            << u"exit 5"_qs << u"ended abnormally"_qs << QString() << QString();
    }

    void failures()
    {
        QFETCH(QString, actions);
        QFETCH(QString, error);
        QFETCH(QString, errorType);
        QFETCH(QString, output);
        const QString id = newProject(u"f"_qs, actions);
        const QJsonObject job = runProcessJob(id);
        QCOMPARE(job[u"status"_qs].toString(), u"failed"_qs);
        const QJsonObject fb = feedbackOf(job);
        QVERIFY2(fb[u"error"_qs].toString().contains(error),
                 qPrintable(QJsonDocument(fb).toJson()));
        if (!errorType.isEmpty())
            QCOMPARE(fb[u"error_type"_qs].toString(), errorType);
        QVERIFY(fb.contains(u"container_exit_code"_qs));
        QVERIFY(fb.contains(u"error_origin"_qs));
        if (!output.isEmpty())
            QVERIFY2(job[u"output"_qs].toString().contains(output),
                     qPrintable(job[u"output"_qs].toString()));
        // A failed process_projectfile leaves the project failed.
        QCOMPARE(client()->get(u"projects/"_qs + id + u'/').object()[u"status"_qs].toString(),
                 u"failed"_qs);
        // The timeout ladder ends within timeout + grace (plus scheduling slack).
        if (errorType == u"TIMEOUT") {
            const qint64 ran = *clock::parseIso(job[u"finished_at"_qs].toString())
                - *clock::parseIso(job[u"started_at"_qs].toString());
            QVERIFY2(ran < (6 + 1 + 3) * 1000000LL, qPrintable(QString::number(ran)));
            QVERIFY2(ran >= 6 * 1000000LL, qPrintable(QString::number(ran)));
        }
    }

    // The confined worker neither reads the server's files nor reaches its database.
    void confinement_data()
    {
        QTest::addColumn<QString>("actions");
        QTest::newRow("read-server-database") << u"read "_qs + u"%DB%"_qs;
        QTest::newRow("connect-loopback") << u"connect 127.0.0.1 %PORT%"_qs;
    }

    void confinement()
    {
        QFETCH(QString, actions);
        QTcpServer listener;
        QVERIFY(listener.listen(QHostAddress::LocalHost));
        actions.replace(u"%DB%"_qs, m_server->dataDir() + u"/test.sqlite3"_qs)
            .replace(u"%PORT%"_qs, QString::number(listener.serverPort()));
        const QString id = newProject(u"c"_qs, actions + u' ' + okFeedback());
        const QJsonObject job = runProcessJob(id);
        QCOMPARE(job[u"status"_qs].toString(), u"failed"_qs);
        QVERIFY(!listener.hasPendingConnections());
    }

    // Secrets reach the worker and never the stored output or feedback.
    void secretsAreInjectedAndRedacted()
    {
        const QString id = newProject(u"s"_qs,
                                      u"env DB_PASSWORD env QFIELDCLOUD_EXTRA_ENVVARS "_qs
                                          + okFeedback(u"s3cr3t-value"_qs));
        secrets::Secret s;
        s.name = u"DB_PASSWORD"_qs;
        s.type = u"envvar"_qs;
        s.projectId = id;
        s.value = u"s3cr3t-value"_qs;
        {
            db::Transaction tx(m_server->instance().database());
            secrets::set(tx.connection(), *Instance::openKeyRing(m_server->instance().settings()),
                         s);
            tx.commit();
        }
        const QJsonObject job = runProcessJob(id);
        QCOMPARE(job[u"status"_qs].toString(), u"finished"_qs);
        const QString output = job[u"output"_qs].toString();
        QVERIFY2(!output.contains(u"s3cr3t-value"_qs), qPrintable(output));
        QVERIFY2(output.contains(u"***"_qs), qPrintable(output)); // the worker did print it
        QVERIFY(output.contains(u"DB_PASSWORD"_qs)); // QFIELDCLOUD_EXTRA_ENVVARS names it
        QVERIFY(!QJsonDocument(feedbackOf(job)).toJson().contains("s3cr3t-value"));
        // Stored encrypted.
        const auto raw =
            db::Query::scalar(m_server->instance().database().connection(),
                              u"SELECT value FROM secrets WHERE name = 'DB_PASSWORD'"_qs);
        QVERIFY(!raw->toByteArray().contains("s3cr3t-value"));
    }

    // FIFO per project, one job at a time per project, projects in parallel.
    void oneJobPerProject()
    {
        const QString a = readyProject(u"a"_qs, u"sleep 0.8 "_qs + okFeedback());
        const QString b = readyProject(u"b"_qs, u"sleep 0.8 "_qs + okFeedback());
        auto c = client();
        for (int i = 0; i < 3; ++i)
            QCOMPARE(c->postJson(u"jobs/"_qs,
                                 {{u"project_id"_qs, a}, {u"type"_qs, u"process_projectfile"_qs}})
                         .status,
                     201);
        QCOMPARE(c->postJson(u"jobs/"_qs,
                             {{u"project_id"_qs, b}, {u"type"_qs, u"process_projectfile"_qs}})
                     .status,
                 201);
        const Reply state = c->get(u"projects/"_qs + a + u'/');
        QVERIFY2(state.object()[u"status"_qs].toString() == u"busy", state.body.constData());
        QTRY_VERIFY_WITH_TIMEOUT(
            !jobs::hasActiveJobs(m_server->instance().database().connection(), a)
                && !jobs::hasActiveJobs(m_server->instance().database().connection(), b),
            60000);
        const QList<Job> ja = jobs::ofProject(m_server->instance().database().connection(), a);
        const QList<Job> jb = jobs::ofProject(m_server->instance().database().connection(), b);
        QCOMPARE(ja.size(), 3);
        for (int i = 1; i < ja.size(); ++i) {
            QVERIFY(*ja[i].startedAt >= *ja[i - 1].finishedAt); // never overlapping, in order
            QVERIFY2(ja[i].status == u"finished",
                     qPrintable(QJsonDocument(*ja[i].feedback).toJson()
                                + ja[i].output.value_or(QString())));
        }
        // Project b ran while project a's first job ran.
        QVERIFY(*jb.first().startedAt < *ja.first().finishedAt);
        QVERIFY(*jb.first().finishedAt > *ja.first().startedAt);
    }

    // Six files uploaded in parallel, the .qgs not last (QFieldSync): the last upload is processed.
    void parallelUploadsEndProcessed()
    {
        const QString id = newProject(u"p"_qs, u"sleep 0.3 "_qs + okFeedback());
        QCOMPARE(client()->uploadFile(u"files/"_qs + id + u"/project.qgs/"_qs, kQgs).status, 201);
        QList<std::unique_ptr<HttpClient>> clients;
        QList<QNetworkReply *> replies;
        QNetworkAccessManager nam;
        for (int i = 0; i < 6; ++i) {
            QNetworkRequest req(QUrl(m_server->baseUrl().toString() + u"files/"_qs + id
                                     + u"/layer"_qs + QString::number(i) + u".gpkg/"_qs));
            req.setRawHeader("Authorization", "Token " + m_token.toLatin1());
            auto *multi = new QHttpMultiPart(QHttpMultiPart::FormDataType);
            QHttpPart part;
            part.setHeader(QNetworkRequest::ContentDispositionHeader,
                           "form-data; name=\"file\"; filename=\"x\"");
            part.setBody(QByteArray(200000 * (i + 1), char('a' + i)));
            multi->append(part);
            QNetworkReply *r = nam.post(req, multi);
            multi->setParent(r);
            replies << r;
        }
        QTRY_VERIFY_WITH_TIMEOUT(std::all_of(replies.cbegin(), replies.cend(),
                                             [](QNetworkReply *r) { return r->isFinished(); }),
                                 60000);
        qint64 lastUpload = 0;
        for (QNetworkReply *r : replies)
            QCOMPARE(r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 201);
        const QJsonArray list = client()->get(u"files/"_qs + id + u'/').array();
        for (const auto &f : list)
            lastUpload = std::max(lastUpload,
                                  *clock::parseIso(f.toObject()[u"versions"_qs]
                                                       .toArray()[0]
                                                       .toObject()[u"uploaded_at"_qs]
                                                       .toString()));
        QTRY_VERIFY_WITH_TIMEOUT(
            !jobs::hasActiveJobs(m_server->instance().database().connection(), id), 60000);
        const QList<Job> all = jobs::ofProject(m_server->instance().database().connection(), id);
        QVERIFY(!all.isEmpty());
        // A process_projectfile job started after the last upload was stored.
        QVERIFY(std::any_of(all.cbegin(), all.cend(), [&](const Job &j) {
            return j.startedAt && *j.startedAt >= lastUpload && j.status == u"finished";
        }));
    }

    void jobsApi()
    {
        auto c = client();
        const QString id = newProject(u"api"_qs, okFeedback());
        // No QGIS file: package refused, process_projectfile always created.
        Reply r = c->postJson(u"jobs/"_qs, {{u"project_id"_qs, id}, {u"type"_qs, u"package"_qs}});
        QCOMPARE(r.code(), u"no_qgis_project"_qs);
        r = c->postForm(u"jobs/"_qs,
                        {{u"project_id"_qs, id}, {u"type"_qs, u"process_projectfile"_qs}});
        QCOMPARE(r.status, 201);
        QCOMPARE(r.object()[u"type"_qs].toString(), u"process_projectfile"_qs);
        QVERIFY(r.object().contains(u"feedback"_qs) && r.object().contains(u"output"_qs));
        QCOMPARE(
            c->postJson(u"jobs/"_qs, {{u"project_id"_qs, id}, {u"type"_qs, u"create_project"_qs}})
                .status,
            400);
        QCOMPARE(c->postJson(u"jobs/"_qs,
                             {{u"project_id"_qs, u"00000000-0000-4000-8000-000000000000"_qs},
                              {u"type"_qs, u"package"_qs}})
                     .status,
                 404);
        // Package de-duplication: an active package job is returned with 200; force makes a new
        // one.
        setActions(id, u"sleep 2 "_qs + okFeedback());
        QCOMPARE(c->uploadFile(u"files/"_qs + id + u"/project.qgs/"_qs, kQgs).status, 201);
        r = c->postJson(u"jobs/"_qs, {{u"project_id"_qs, id}, {u"type"_qs, u"package"_qs}});
        QCOMPARE(r.status, 201);
        const QString package = r.object()[u"id"_qs].toString();
        r = c->postJson(u"jobs/"_qs, {{u"project_id"_qs, id}, {u"type"_qs, u"package"_qs}});
        QCOMPARE(r.status, 200);
        QCOMPARE(r.object()[u"id"_qs].toString(), package);
        r = c->postForm(
            u"jobs/"_qs,
            {{u"project_id"_qs, id}, {u"type"_qs, u"package"_qs}, {u"force"_qs, u"1"_qs}});
        QCOMPARE(r.status, 201);
        QVERIFY(r.object()[u"id"_qs].toString() != package);
        // Listing: oldest first, without feedback and output; filtered by type; paginated.
        const QJsonArray all = c->get(u"jobs/?project_id="_qs + id).array();
        QVERIFY(all.size() >= 4);
        QVERIFY(!all[0].toObject().contains(u"feedback"_qs));
        for (int i = 1; i < all.size(); ++i)
            QVERIFY(all[i].toObject()[u"created_at"_qs].toString()
                    >= all[i - 1].toObject()[u"created_at"_qs].toString());
        QCOMPARE(c->get(u"jobs/?project_id="_qs + id + u"&type=package"_qs).array().size(), 2);
        QCOMPARE(
            c->get(u"jobs/?project_id="_qs + id + u"&limit=1"_qs).header("X-Total-Count").toInt(),
            all.size());
        QCOMPARE(c->get(u"jobs/"_qs).status, 404);
        QCOMPARE(c->get(u"jobs/not-a-uuid/"_qs).code(), u"validation_error"_qs);
        QCOMPARE(c->get(u"jobs/00000000-0000-4000-8000-000000000000/"_qs).status, 403);
        // Someone without a role: 403 by id, nothing in lists.
        m_server->createUser(u"mallory"_qs, u"secret-mallory"_qs);
        auto m = m_server->client(m_server->login(u"mallory"_qs, u"secret-mallory"_qs, kSdk));
        QCOMPARE(m->get(u"jobs/"_qs + package + u'/').status, 403);
        QCOMPARE(m->get(u"jobs/?project_id="_qs + id).status, 403);
        QCOMPARE(
            m->postJson(u"jobs/"_qs, {{u"project_id"_qs, id}, {u"type"_qs, u"package"_qs}}).status,
            403);
        // A reader may package but not process; templates are not packaged.
        c->postForm(u"collaborators/"_qs + id + u'/',
                    {{u"collaborator"_qs, u"mallory"_qs}, {u"role"_qs, u"reader"_qs}});
        QCOMPARE(m->postJson(u"jobs/"_qs,
                             {{u"project_id"_qs, id}, {u"type"_qs, u"process_projectfile"_qs}})
                     .status,
                 403);
        QVERIFY(
            m->postJson(u"jobs/"_qs, {{u"project_id"_qs, id}, {u"type"_qs, u"package"_qs}}).status
            < 300);
        QCOMPARE(m->get(u"jobs/"_qs + package + u'/').status, 200);
        c->send("PATCH", u"projects/"_qs + id + u'/', R"({"project_type":"template"})",
                "application/json");
        QCOMPARE(
            c->postJson(u"jobs/"_qs,
                        {{u"project_id"_qs, id}, {u"type"_qs, u"package"_qs}, {u"force"_qs, true}})
                .status,
            403);
    }

    void ownerAccountChecks()
    {
        auto c = client();
        const QString id = newProject(u"q"_qs, okFeedback());
        QCOMPARE(c->uploadFile(u"files/"_qs + id + u"/project.qgs/"_qs, kQgs).status, 201);
        auto db = m_server->instance().database().connection();
        db::Query::run(db, u"UPDATE subscriptions SET status = 'inactive_cancelled'"_qs);
        QCOMPARE(
            c->postJson(u"jobs/"_qs,
                        {{u"project_id"_qs, id}, {u"type"_qs, u"package"_qs}, {u"force"_qs, true}})
                .code(),
            u"inactive_subscription"_qs);
        // process_projectfile is never refused for the account.
        QCOMPARE(c->postJson(u"jobs/"_qs,
                             {{u"project_id"_qs, id}, {u"type"_qs, u"process_projectfile"_qs}})
                     .status,
                 201);
        db::Query::run(db, u"UPDATE subscriptions SET status = 'active_paid'"_qs);
        db::Query::run(db, u"UPDATE plans SET storage_mb = 0"_qs);
        QCOMPARE(
            c->postJson(u"jobs/"_qs,
                        {{u"project_id"_qs, id}, {u"type"_qs, u"package"_qs}, {u"force"_qs, true}})
                .code(),
            u"over_quota"_qs);
    }

    // Deleting a project cancels its running job (§19.7).
    void projectDeletionCancels()
    {
        const QString id = newProject(u"d"_qs, u"sleep 30"_qs);
        QCOMPARE(client()->uploadFile(u"files/"_qs + id + u"/project.qgs/"_qs, kQgs).status, 201);
        QTRY_VERIFY_WITH_TIMEOUT(
            jobs::ofProject(m_server->instance().database().connection(), id).value(0).status
                == u"started",
            20000);
        QElapsedTimer t;
        t.start();
        QCOMPARE(client()->del(u"projects/"_qs + id + u'/').status, 204);
        QTRY_VERIFY_WITH_TIMEOUT(workdirsGone(), 15000);
        QVERIFY(t.elapsed() < 15000); // not the 30 s sleep, nor the 3 s timeout's record
    }

    // Stopping the server stops its workers; the job ends failed "Job was cancelled.".
    void shutdownCancels()
    {
        const QString id = newProject(u"s"_qs, u"sleep 30"_qs);
        QCOMPARE(client()->uploadFile(u"files/"_qs + id + u"/project.qgs/"_qs, kQgs).status, 201);
        QTRY_VERIFY_WITH_TIMEOUT(
            jobs::ofProject(m_server->instance().database().connection(), id).value(0).status
                == u"started",
            20000);
        const QString url = m_server->databaseUrl();
        const QString dir = m_server->dataDir();
        m_server->instance().stop();
        db::Database database(url, dir);
        const std::optional<Job> job = jobs::ofProject(database.connection(), id).value(0);
        QCOMPARE(job->status, u"failed"_qs);
        QCOMPARE(job->feedback->value(u"error"_qs).toString(), u"Job was cancelled."_qs);
        QCOMPARE(job->feedback->value(u"container_exit_code"_qs).toInt(), 137);
    }

    // A server killed mid-job: after restart every job is final or running (§15, design.md).
    void killedServerRecovers()
    {
        if (backend() == Backend::Postgres)
            QSKIP("the process test runs once, on SQLite");
        QTemporaryDir dir;
        const QHash<QString, QString> env{
            {u"QFC_WORKER_BINARY"_qs, qEnvironmentVariable("QFC_TEST_TESTWORKER")},
            {u"QFC_JOB_TIMEOUT_SECONDS"_qs, u"60"_qs}};
        ServerProcess server(dir.path(), QString(), {}, env);
        QVERIFY2(server.start(), qPrintable(server.output()));
        HttpClient c(server.baseUrl());
        const QString password =
            QRegularExpression(u"password: (\\S+)"_qs).match(server.output()).captured(1);
        c.setToken(c.postJson(u"auth/token/"_qs,
                              {{u"username"_qs, u"admin"_qs}, {u"password"_qs, password}})
                       .object()[u"token"_qs]
                       .toString());
        const QString id =
            c.postJson(u"projects/"_qs, {{u"name"_qs, u"k"_qs}}).object()[u"id"_qs].toString();
        {
            db::Database database(u"sqlite:qfc.sqlite3"_qs, dir.path());
            secrets::Secret s;
            s.name = u"QFC_TESTWORKER_ACTIONS"_qs;
            s.type = u"envvar"_qs;
            s.projectId = id;
            s.value = u"sleep 60"_qs;
            secrets::set(database.connection(), secrets::KeyRing(dir.path() + u"/secret.key"_qs),
                         s);
        }
        QCOMPARE(c.uploadFile(u"files/"_qs + id + u"/project.qgs/"_qs, kQgs).status, 201);
        QTRY_VERIFY_WITH_TIMEOUT(
            c.get(u"jobs/?project_id="_qs + id).array().at(0).toObject()[u"status"_qs].toString()
                == u"started",
            20000);
        server.kill();
        ServerProcess again(dir.path(), QString(), {}, env);
        QVERIFY2(again.start(), qPrintable(again.output()));
        HttpClient c2(again.baseUrl());
        c2.setToken(HttpClient(again.baseUrl())
                        .postJson(u"auth/token/"_qs,
                                  {{u"username"_qs, u"admin"_qs}, {u"password"_qs, password}})
                        .object()[u"token"_qs]
                        .toString());
        const QJsonObject job = c2.get(u"jobs/?project_id="_qs + id).array().at(0).toObject();
        QCOMPARE(job[u"status"_qs].toString(), u"failed"_qs);
        const QJsonObject detail = c2.get(u"jobs/"_qs + job[u"id"_qs].toString() + u'/').object();
        QCOMPARE(detail[u"feedback"_qs].toObject()[u"error"_qs].toString(),
                 u"Job unexpectedly terminated."_qs);
        QCOMPARE(detail[u"feedback"_qs].toObject()[u"container_exit_code"_qs].toInt(), -2);
        QCOMPARE(detail[u"output"_qs].toString(), u"Job unexpectedly terminated."_qs);
    }

    // Two schedulers on one PostgreSQL never run two jobs of one project at once.
    void twoNodesShareTheQueue()
    {
        if (backend() != Backend::Postgres)
            QSKIP("needs a shared PostgreSQL");
        // One worker per node, two projects: each node must take its share.
        m_server = std::make_unique<TestServer>(settings(1));
        m_server->createUser(u"alice"_qs, u"secret-alice"_qs);
        m_token = m_server->login(u"alice"_qs, u"secret-alice"_qs, kSdk);
        // The second node shares the database and, standing in for shared object storage, the
        // first node's data directory.
        QHash<QString, QString> s = settings(1);
        s.insert(u"database/url"_qs, m_server->databaseUrl());
        s.insert(u"storage/data_dir"_qs, m_server->dataDir());
        s.insert(u"jobs/node_id"_qs, u"second-node"_qs);
        TestServer second(s);
        const QString a = readyProject(u"n1"_qs, u"sleep 0.4 "_qs + okFeedback());
        const QString b = readyProject(u"n2"_qs, u"sleep 0.4 "_qs + okFeedback());
        for (int i = 0; i < 4; ++i)
            for (const QString &p : {a, b})
                QCOMPARE(
                    client()
                        ->postJson(u"jobs/"_qs,
                                   {{u"project_id"_qs, p}, {u"type"_qs, u"process_projectfile"_qs}})
                        .status,
                    201);
        auto db = m_server->instance().database().connection();
        QTRY_VERIFY_WITH_TIMEOUT(!jobs::hasActiveJobs(db, a) && !jobs::hasActiveJobs(db, b), 60000);
        QSet<QString> nodes;
        for (const QString &p : {a, b}) {
            const QList<Job> list = jobs::ofProject(db, p);
            QCOMPARE(list.size(), 4);
            for (int i = 0; i < list.size(); ++i) {
                QCOMPARE(list[i].status, u"finished"_qs);
                nodes.insert(list[i].nodeId);
                if (i > 0)
                    QVERIFY(*list[i].startedAt >= *list[i - 1].finishedAt);
            }
        }
        QCOMPARE(nodes.size(), 2); // both nodes took work
    }
};

QTEST_GUILESS_MAIN(tst_Jobs)
#include "tst_jobs.moc"
