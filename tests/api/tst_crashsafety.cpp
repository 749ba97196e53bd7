// Crash safety of uploads (design.md "Data", spec/api.md §9.4): a real qfc-server process is
// killed with SIGKILL at random points while uploads run — new files and new versions of existing
// ones, 0 bytes to a few MiB, several at once — and restarted each time. After every restart:
// each listed version has exactly the content one of the client's uploads sent, every upload the
// client saw answered 201 is there (a 2xx means durable) and no file went back to content older
// than its newest acknowledged upload, versions are listed newest first and served byte-exact,
// the start-up cleanup left nothing in <data_dir>/tmp, and the project's file_storage_bytes is
// the sum of its versions' sizes.
//
// The randomness (batch sizes, paths, contents, kill points) comes from one seed, printed in the
// log; QFC_TEST_CRASH_SEED=<n> replays a run's decisions (the kills' exact timing still depends on
// the machine).
#include "testenv.h"
#include "testserver.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QProcess>
#include <QRandomGenerator>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <limits>

using namespace qfc::test;

namespace {

constexpr int kUploads = 50;
constexpr int kMaxParallel = 4;
constexpr int kMaxVersionsPerPath = 10; // the default plan keeps 10: nothing is pruned
constexpr qint64 kMaxSize = 3 * 1024 * 1024;
constexpr quint32 kDefaultSeed = 20241128;

const QByteArray kSdk = "sdk|py|0.9 python-requests|2.32";

QString hex(const QByteArray &digest)
{
    return QString::fromLatin1(digest.toHex());
}

QString sha256Of(const QByteArray &data)
{
    return hex(QCryptographicHash::hash(data, QCryptographicHash::Sha256));
}

// The S3-style ETag of §1.8, computed here independently of the server's hasher.
QString etagOf(const QByteArray &data)
{
    const qsizetype part = 8 * 1024 * 1024;
    if (data.size() <= part)
        return hex(QCryptographicHash::hash(data, QCryptographicHash::Md5));
    QByteArray digests;
    qsizetype parts = 0;
    for (qsizetype at = 0; at < data.size(); at += part, ++parts)
        digests += QCryptographicHash::hash(data.mid(at, part), QCryptographicHash::Md5);
    return hex(QCryptographicHash::hash(digests, QCryptographicHash::Md5)) + u'-'
        + QString::number(parts);
}

// One upload the client attempted, and what it learnt about it.
struct Attempt
{
    int index = 0;
    int round = 0;
    QString path;
    qint64 size = 0;
    QString sha256;
    QString etag;
    int status = 0; // 0: no (complete) answer before the kill
};

// One upload on its own connection, driven by the event loop: the request goes out in 64 KiB
// pieces as the socket drains, the answer is read as it comes.
class UploadJob
{
public:
    UploadJob(Attempt &attempt, const QByteArray &content, const QString &project,
              const QString &token)
        : m_attempt(attempt)
    {
        const QByteArray boundary = "crash-" + QByteArray::number(attempt.index) + "-7f3a9c";
        const QByteArray preamble = "--" + boundary
            + "\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n{}\r\n--" + boundary
            + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n"
              "Content-Type: application/json\r\n\r\n";
        const QByteArray epilogue = "\r\n--" + boundary + "--\r\n";
        const qint64 length = preamble.size() + content.size() + epilogue.size();
        const QByteArray target = "/api/v1/files/" + project.toLatin1() + '/'
            + QUrl::toPercentEncoding(attempt.path, "/") + '/';
        m_wire = "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: " + kSdk
            + "\r\nAuthorization: Token " + token.toLatin1()
            + "\r\nContent-Type: multipart/form-data; boundary=" + boundary
            + "\r\nContent-Length: " + QByteArray::number(length) + "\r\n\r\n";
        m_headSize = m_wire.size();
        m_wire += preamble + content + epilogue;
    }

    void start(quint16 port)
    {
        m_socket = std::make_unique<QTcpSocket>();
        QObject::connect(m_socket.get(), &QTcpSocket::connected, [this] { pump(); });
        QObject::connect(m_socket.get(), &QTcpSocket::bytesWritten, [this] { pump(); });
        QObject::connect(m_socket.get(), &QTcpSocket::readyRead, [this] { receive(); });
        QObject::connect(m_socket.get(), &QTcpSocket::disconnected, [this] { m_closed = true; });
        QObject::connect(m_socket.get(), &QTcpSocket::errorOccurred, [this] { m_closed = true; });
        m_socket->connectToHost(QHostAddress::LocalHost, port);
    }

    // Body bytes handed to the kernel so far.
    qint64 bodySent() const
    {
        const qint64 out = m_written - (m_socket ? m_socket->bytesToWrite() : 0);
        return std::max<qint64>(0, out - m_headSize);
    }
    qint64 bodySize() const { return m_wire.size() - m_headSize; }
    bool allSent() const
    {
        return m_written == m_wire.size() && m_socket && m_socket->bytesToWrite() == 0;
    }
    bool answered() const { return m_attempt.status != 0; }
    bool finished() const { return answered() || m_closed; }
    const QByteArray &response() const { return m_response; }

    // After the kill: whatever answer reached us before.
    void drain()
    {
        if (m_socket && m_socket->state() != QAbstractSocket::UnconnectedState)
            m_socket->waitForReadyRead(50);
        receive();
        if (m_socket)
            m_socket->abort();
    }

private:
    void pump()
    {
        while (m_written < m_wire.size() && m_socket->bytesToWrite() < 256 * 1024) {
            const qint64 n = std::min<qint64>(64 * 1024, m_wire.size() - m_written);
            m_socket->write(m_wire.constData() + m_written, n);
            m_written += n;
        }
    }

    void receive()
    {
        if (!m_socket)
            return;
        m_response += m_socket->readAll();
        const qsizetype end = m_response.indexOf("\r\n\r\n");
        if (end >= 0 && m_response.startsWith("HTTP/1.1 "))
            m_attempt.status = m_response.mid(9, 3).toInt();
    }

    Attempt &m_attempt;
    QByteArray m_wire;
    qint64 m_headSize = 0;
    qint64 m_written = 0;
    std::unique_ptr<QTcpSocket> m_socket;
    QByteArray m_response;
    bool m_closed = false;
};

// Every file under <data_dir>/tmp (the upload spool and the store's temporaries).
QStringList temporaries(const QString &dataDir)
{
    QStringList found;
    QDirIterator it(dataDir + u"/tmp"_qs, QDir::Files | QDir::Hidden | QDir::System,
                    QDirIterator::Subdirectories);
    while (it.hasNext())
        found << it.next().mid(dataDir.size() + 1);
    return found;
}

} // namespace

class tst_CrashSafety final : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<ServerProcess> m_server;
    QString m_token;
    QString m_project;
    QString m_lastOutput; // the killed server's output, for failure messages
    int m_presentUnanswered = 0; // stored versions whose 201 the client never saw

    std::unique_ptr<HttpClient> client() const
    {
        auto c = std::make_unique<HttpClient>(m_server->baseUrl());
        c->setUserAgent(kSdk);
        c->setToken(m_token);
        return c;
    }

    void startServer()
    {
        m_server = std::make_unique<ServerProcess>(m_dir.path(), QString());
        QVERIFY2(m_server->start(),
                 qPrintable(u"restart failed:\n"_qs + m_server->output()
                            + u"\n--- previous run ---\n"_qs + m_lastOutput.right(4000)));
    }

    // The invariants of a restarted server against what the client knows.
    void verify(const QList<Attempt> &attempts, int round)
    {
        const QString where = QStringLiteral("after round %1: ").arg(round);
        const QStringList left = temporaries(m_dir.path());
        QVERIFY2(
            left.isEmpty(),
            qPrintable(where + u"temporaries survived the start-up: "_qs + left.join(u", "_qs)));

        auto c = client();
        const Reply list = c->get(u"files/"_qs + m_project + u'/');
        QCOMPARE(list.status, 200);
        QHash<QString, QJsonObject> byPath;
        qint64 listedBytes = 0;
        for (const auto &v : list.array()) {
            const QJsonObject file = v.toObject();
            const QString path = file[u"name"_qs].toString();
            const QJsonArray versions = file[u"versions"_qs].toArray();
            QVERIFY2(!versions.isEmpty(), qPrintable(where + path + u" lists no version"_qs));
            const QJsonObject latest = versions.first().toObject();
            QCOMPARE(file[u"sha256"_qs], latest[u"sha256"_qs]);
            QCOMPARE(file[u"md5sum"_qs], latest[u"md5sum"_qs]);
            QCOMPARE(file[u"size"_qs], latest[u"size"_qs]);
            byPath.insert(path, file);
            int newerRound = std::numeric_limits<int>::max(); // of the version listed before
            for (const auto &vv : versions) {
                const QJsonObject version = vv.toObject();
                const QString sha = version[u"sha256"_qs].toString();
                const qint64 size = version[u"size"_qs].toInteger();
                listedBytes += size;
                // Content the client sent for this path, never anything else; the rounds it
                // may come from (equal contents, e.g. empty ones, were sent more than once).
                int earliest = std::numeric_limits<int>::max(), latestRound = 0;
                QString etag;
                for (const Attempt &a : attempts) {
                    if (a.path == path && a.sha256 == sha && a.size == size) {
                        earliest = std::min(earliest, a.round);
                        latestRound = std::max(latestRound, a.round);
                        etag = a.etag;
                    }
                }
                QVERIFY2(latestRound > 0,
                         qPrintable(where + path + u" lists content nobody sent: "_qs + sha));
                QCOMPARE(version[u"md5sum"_qs].toString(), etag);
                // Newest first: a round's uploads all came after the previous round's.
                QVERIFY2(earliest <= newerRound,
                         qPrintable(where + path + u" lists its versions out of order"_qs));
                newerRound = latestRound;
                // ... and served byte-exact.
                const Reply bytes = c->get(u"files/"_qs + m_project + u'/' + path + u"/?version="_qs
                                           + version[u"version_id"_qs].toString());
                QVERIFY2(bytes.status == 200,
                         qPrintable(where + path + u" version "_qs
                                    + version[u"version_id"_qs].toString() + u" is listed but "_qs
                                    + u"its download answers "_qs + QString::number(bytes.status)
                                    + u' ' + QString::fromUtf8(bytes.body.left(200))));
                QVERIFY2(sha256Of(bytes.body) == sha,
                         qPrintable(where + path + u" serves other bytes than it lists"_qs));
            }
            const Reply newest = c->get(u"files/"_qs + m_project + u'/' + path + u'/');
            QCOMPARE(newest.status, 200);
            QCOMPARE(sha256Of(newest.body), latest[u"sha256"_qs].toString());
        }

        // Everything acknowledged is there: per path and content, at least as many versions
        // as 201s, at most as many as attempts.
        QHash<QString, int> acked, tried, listed;
        for (const Attempt &a : attempts) {
            const QString key = a.path + u'\n' + a.sha256;
            ++tried[key];
            if (a.status == 201)
                ++acked[key];
        }
        for (auto it = byPath.cbegin(); it != byPath.cend(); ++it)
            for (const auto &vv : it.value()[u"versions"_qs].toArray())
                ++listed[it.key() + u'\n' + vv.toObject()[u"sha256"_qs].toString()];
        m_presentUnanswered = 0;
        for (auto it = listed.cbegin(); it != listed.cend(); ++it)
            m_presentUnanswered += std::max(0, it.value() - acked.value(it.key()));
        for (const Attempt &a : attempts) {
            const QString key = a.path + u'\n' + a.sha256;
            QVERIFY2(listed.value(key) >= acked.value(key),
                     qPrintable(where + u"upload #"_qs + QString::number(a.index) + u" of "_qs
                                + a.path + u" was answered 201 but its version is gone"_qs));
            QVERIFY2(listed.value(key) <= tried.value(key),
                     qPrintable(where + a.path + u" lists more versions than were sent"_qs));
            // The file's content is the newest acknowledged one or a later one, never older.
            if (a.status == 201) {
                const QJsonObject latest =
                    byPath.value(a.path)[u"versions"_qs].toArray().first().toObject();
                int latestRound = 0;
                for (const Attempt &b : attempts)
                    if (b.path == a.path && b.sha256 == latest[u"sha256"_qs].toString())
                        latestRound = std::max(latestRound, b.round);
                QVERIFY2(latestRound >= a.round,
                         qPrintable(where + a.path + u" went back to content older than "_qs
                                    + u"upload #"_qs + QString::number(a.index)));
            }
        }

        const Reply project = c->get(u"projects/"_qs + m_project + u'/');
        QCOMPARE(project.status, 200);
        QCOMPARE(project.object()[u"file_storage_bytes"_qs].toInteger(), listedBytes);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(serverBinary()), qPrintable(serverBinary()));
        QVERIFY(m_dir.isValid());
        QProcess cli;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const QString &k : env.keys())
            if (k.startsWith(u"QFC_") && !k.startsWith(u"QFC_TEST_"))
                env.remove(k);
        env.insert(u"QFC_PASSWORD_ITERATIONS"_qs, u"1000"_qs);
        cli.setProcessEnvironment(env);
        cli.start(serverBinary(),
                  {u"createuser"_qs, u"--data-dir"_qs, m_dir.path(), u"--username"_qs,
                   u"surveyor"_qs, u"--email"_qs, u"surveyor@example.com"_qs});
        QVERIFY(cli.waitForStarted());
        cli.write("a long enough secret\n");
        cli.closeWriteChannel();
        QVERIFY(cli.waitForFinished(120000));
        QVERIFY2(cli.exitCode() == 0, cli.readAllStandardError().constData());

        startServer();
        HttpClient c(m_server->baseUrl());
        c.setUserAgent(kSdk);
        const Reply login = c.postJson(
            u"auth/token/"_qs,
            {{u"username"_qs, u"surveyor"_qs}, {u"password"_qs, u"a long enough secret"_qs}});
        QCOMPARE(login.status, 200);
        m_token = login.object()[u"token"_qs].toString();
        c.setToken(m_token);
        m_project =
            c.postJson(u"projects/"_qs, {{u"name"_qs, u"crash"_qs}}).object()[u"id"_qs].toString();
        QVERIFY(!m_project.isEmpty());
    }

    void cleanupTestCase()
    {
        if (m_server)
            m_server->stop();
    }

    void killDuringUploads()
    {
        bool seedOk = false;
        const quint32 envSeed = qEnvironmentVariable("QFC_TEST_CRASH_SEED").toUInt(&seedOk);
        const quint32 seed = seedOk ? envSeed : kDefaultSeed;
        qInfo("seed %u (QFC_TEST_CRASH_SEED=%u replays these decisions)", seed, seed);
        QRandomGenerator rng(seed);

        QList<Attempt> attempts;
        attempts.reserve(kUploads); // the jobs keep references into it
        QStringList paths;
        QHash<QString, int> perPath;
        int rounds = 0, roundsWithLeftovers = 0;
        QHash<QString, int> killsByKind;
        QElapsedTimer total;
        total.start();

        while (attempts.size() < kUploads) {
            ++rounds;
            const int batch = std::min<int>(int(rng.bounded(1, kMaxParallel + 1)),
                                            kUploads - int(attempts.size()));
            std::vector<std::unique_ptr<UploadJob>> jobs;
            for (int i = 0; i < batch; ++i) {
                Attempt a;
                a.index = int(attempts.size());
                a.round = rounds;
                QStringList reusable;
                for (const QString &p : std::as_const(paths))
                    if (perPath.value(p) < kMaxVersionsPerPath)
                        reusable << p;
                if (!reusable.isEmpty() && rng.bounded(2) == 0) {
                    a.path = reusable.at(int(rng.bounded(int(reusable.size()))));
                } else {
                    static const QStringList shapes{u"data/layer-%1.gpkg"_qs,
                                                    u"DCIM/photo-%1.jpg"_qs,
                                                    u"Fotos/Bäume %1.jpg"_qs, u"notes-%1.txt"_qs};
                    a.path = shapes.at(int(rng.bounded(int(shapes.size())))).arg(int(paths.size()));
                    paths << a.path;
                }
                ++perPath[a.path];
                // Sizes: empty, small, or up to a few MiB.
                const int shape = int(rng.bounded(10));
                a.size = shape == 0 ? 0 : shape < 4 ? rng.bounded(4096) : rng.bounded(kMaxSize);
                QByteArray content(a.size, Qt::Uninitialized);
                QRandomGenerator bytes(rng.generate());
                for (qsizetype at = 0; at < content.size(); ++at)
                    content[at] = char(bytes.generate() & 0xff);
                a.sha256 = sha256Of(content);
                a.etag = etagOf(content);
                attempts.append(a);
                jobs.push_back(
                    std::make_unique<UploadJob>(attempts.last(), content, m_project, m_token));
            }

            // Where to kill: part-way through the bodies, some time after they were all sent
            // (the handlers store and commit then), or after some answers.
            enum Kind { MidBody, AfterBody, AfterAnswers };
            const Kind kind = Kind(rng.bounded(3));
            const double fraction = rng.generateDouble();
            const int delayMs = int(rng.bounded(40));
            const int answers = int(rng.bounded(1, batch + 1));
            const char *kindName = kind == MidBody ? "mid-body"
                : kind == AfterBody                ? "after-body"
                                                   : "after-answers";

            qint64 bodyTotal = 0;
            for (const auto &j : jobs) {
                j->start(m_server->port());
                bodyTotal += j->bodySize();
            }
            QElapsedTimer armed;
            QEventLoop loop;
            QTimer poll;
            poll.setInterval(1);
            QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
                qint64 sent = 0;
                int answered = 0;
                bool allSent = true, allFinished = true;
                for (const auto &j : jobs) {
                    sent += j->bodySent();
                    answered += j->answered() ? 1 : 0;
                    allSent = allSent && j->allSent();
                    allFinished = allFinished && j->finished();
                }
                bool condition = false;
                switch (kind) {
                case MidBody:
                    condition = double(sent) >= fraction * double(bodyTotal);
                    break;
                case AfterBody:
                    condition = allSent;
                    break;
                case AfterAnswers:
                    condition = answered >= answers;
                    break;
                }
                if ((condition || allFinished) && !armed.isValid())
                    armed.start();
                const int wait = kind == MidBody ? 0 : kind == AfterBody ? delayMs : delayMs / 8;
                if (armed.isValid() && (armed.elapsed() >= wait || allFinished))
                    loop.quit();
            });
            poll.start();
            loop.exec();
            poll.stop();
            m_server->kill();
            m_lastOutput = m_server->output();
            ++killsByKind[QString::fromLatin1(kindName)];
            for (const auto &j : jobs)
                j->drain();

            QString summary;
            const qsizetype first = attempts.size() - batch;
            for (qsizetype i = first; i < attempts.size(); ++i) {
                const Attempt &a = attempts.at(i);
                summary += QStringLiteral(" #%1 %2 (%3 B) → %4;")
                               .arg(a.index)
                               .arg(a.path)
                               .arg(a.size)
                               .arg(a.status ? QString::number(a.status) : u"-"_qs);
                // Any answer the client saw is the success one: a kill never produces another.
                QVERIFY2(a.status == 0 || a.status == 201,
                         qPrintable(
                             u"upload #"_qs + QString::number(a.index) + u" answered "_qs
                             + QString::fromLatin1(jobs[size_t(i - first)]->response().left(400))));
            }
            const QStringList leftovers = temporaries(m_dir.path());
            if (!leftovers.isEmpty())
                ++roundsWithLeftovers;
            qInfo("round %d: kill %s;%s %lld temporaries left", rounds, kindName,
                  qPrintable(summary), qint64(leftovers.size()));

            startServer();
            verify(attempts, rounds);
            if (QTest::currentTestFailed())
                return;
        }

        int acked = 0;
        for (const Attempt &a : attempts)
            acked += a.status == 201 ? 1 : 0;
        qInfo("%d uploads in %d rounds (kills: %d mid-body, %d after-body, %d after-answers), "
              "%d answered 201, %d more stored without the client seeing the answer, %d rounds "
              "left temporaries for the start-up to clean, %lld ms",
              int(attempts.size()), rounds, killsByKind.value(u"mid-body"_qs),
              killsByKind.value(u"after-body"_qs), killsByKind.value(u"after-answers"_qs), acked,
              m_presentUnanswered, roundsWithLeftovers, total.elapsed());
        // The run exercised both outcomes and the start-up cleanup.
        QVERIFY(acked > 0);
        QVERIFY(acked < kUploads);
        QVERIFY2(roundsWithLeftovers > 0, "no kill ever left a temporary file behind");
    }
};

QTEST_GUILESS_MAIN(tst_CrashSafety)
#include "tst_crashsafety.moc"
