// The connection layer (libqfc/api/http) on its own, with a small service double as its
// neighbour, plus the real qfc-server process for the memory bound of a refused huge body.
#include "api/http/server.h"
#include "core/apierror.h"
#include "core/hashing.h"
#include "testenv.h"
#include "testserver.h"

#include <QBuffer>
#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTemporaryFile>
#include <QTest>

using namespace qfc;
using namespace qfc::test;

namespace {

// Answers what it received; /upload streams multipart bodies, /slow takes its time, /stream
// answers with a device.
class EchoService final : public http::Service
{
public:
    QString spoolDir;
    std::atomic<int> slowRunning{0};

    http::BodyPolicy bodyPolicy(const QByteArray &, const QString &path) const override
    {
        http::BodyPolicy p;
        p.memoryLimit = 1024;
        if (path == u"/upload") {
            p.multipartLimit = 512LL << 20;
            p.fileFields = {"file"};
        }
        return p;
    }

    http::Response handle(http::Request &r) override
    {
        if (r.path == u"/slow") {
            ++slowRunning;
            QThread::msleep(1500);
            --slowRunning;
        }
        if (r.path == u"/stream") {
            auto buffer = std::make_unique<QBuffer>();
            QByteArray data(20 << 20, 'z');
            data[0] = 'a';
            buffer->setData(data);
            buffer->open(QIODevice::ReadOnly);
            http::Response resp;
            resp.stream = std::move(buffer);
            resp.streamLength = data.size();
            resp.headers.set("Content-Type", "application/octet-stream");
            return resp;
        }
        if (r.path == u"/fail")
            throw ApiError::permissionDenied();
        QJsonObject o{{u"method"_qs, QString::fromLatin1(r.method)},
                      {u"path"_qs, r.path},
                      {u"body"_qs, QString::fromUtf8(r.body)},
                      {u"head"_qs, r.isHead}};
        QJsonArray files;
        for (const auto &f : r.files) {
            files.append(QJsonObject{{u"field"_qs, f->fieldName()},
                                     {u"name"_qs, f->fileName()},
                                     {u"size"_qs, f->digest().size},
                                     {u"sha256"_qs, f->digest().sha256},
                                     {u"exists"_qs, QFile::exists(f->tempPath())},
                                     {u"inSpool"_qs, f->tempPath().startsWith(spoolDir)}});
        }
        o.insert(u"files"_qs, files);
        QJsonObject fields;
        for (const auto &f : r.formFields)
            fields.insert(f.first, QString::fromUtf8(f.second));
        o.insert(u"fields"_qs, fields);
        return http::Response::json(o);
    }
};

// A raw HTTP/1.1 exchange on one socket.
struct RawClient
{
    QTcpSocket socket;
    explicit RawClient(quint16 port)
    {
        socket.connectToHost(QHostAddress::LocalHost, port);
        QVERIFY(socket.waitForConnected(5000));
    }
    void send(const QByteArray &bytes)
    {
        socket.write(bytes);
        socket.flush();
    }
    // Reads until `n` complete responses (by Content-Length) arrived or the peer closed.
    QList<QByteArray> responses(int n, int timeoutMs = 30000)
    {
        QByteArray buf;
        QList<QByteArray> out;
        QElapsedTimer t;
        t.start();
        while (out.size() < n && t.elapsed() < timeoutMs) {
            const qsizetype end = buf.indexOf("\r\n\r\n");
            if (end >= 0) {
                const QByteArray head = buf.left(end);
                qsizetype len = 0;
                for (const QByteArray &line : head.split('\n'))
                    if (line.toLower().startsWith("content-length:"))
                        len = line.mid(15).trimmed().toLongLong();
                if (head.startsWith("HTTP/1.1 100"))
                    len = 0;
                if (buf.size() >= end + 4 + len) {
                    out.append(buf.left(end + 4 + len));
                    buf.remove(0, end + 4 + len);
                    continue;
                }
            }
            if (socket.state() != QAbstractSocket::ConnectedState && socket.bytesAvailable() == 0)
                break;
            socket.waitForReadyRead(100);
            buf += socket.readAll();
        }
        return out;
    }
};

int statusOf(const QByteArray &response)
{
    return response.mid(9, 3).toInt();
}

QByteArray bodyOf(const QByteArray &response)
{
    return response.mid(response.indexOf("\r\n\r\n") + 4);
}

} // namespace

class tst_Connection final : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    EchoService m_service;
    std::unique_ptr<http::Server> m_server;

    quint16 port() const { return m_server->port(); }
    HttpClient client() const
    {
        return HttpClient(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port())));
    }

private Q_SLOTS:
    void initTestCase()
    {
        http::Server::Options o;
        o.spoolDir = m_dir.filePath(u"spool"_qs);
        o.maxHeaderBytes = 8192;
        o.readTimeoutMs = 3000;
        o.handlerThreads = 4;
        m_service.spoolDir = o.spoolDir;
        m_server = std::make_unique<http::Server>(o, &m_service);
        QString error;
        QVERIFY2(m_server->listen(&error), qPrintable(error));
    }

    void cleanupTestCase() { m_server.reset(); }

    void bodyOverLimitIs413BeforeTheBody()
    {
        RawClient c(port());
        // Only the head: the answer comes without a single body byte sent.
        c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: "
               "application/json\r\nContent-Length: 5000\r\n\r\n");
        const auto r = c.responses(1, 10000);
        QCOMPARE(r.size(), 1);
        QCOMPARE(statusOf(r[0]), 413);
        QCOMPARE(QJsonDocument::fromJson(bodyOf(r[0])).object()[u"code"_qs].toString(),
                 u"payload_too_large"_qs);
        QVERIFY(r[0].contains("Connection: close"));
    }

    void expectContinue()
    {
        RawClient big(port());
        big.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: "
                 "100-continue\r\n\r\n");
        auto r = big.responses(1, 10000);
        QCOMPARE(statusOf(r.value(0)), 413); // refused without a 100 Continue

        RawClient ok(port());
        ok.send(
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
        r = ok.responses(1, 10000);
        QCOMPARE(statusOf(r.value(0)), 100);
        ok.send("hello");
        r = ok.responses(1, 10000);
        QCOMPARE(statusOf(r.value(0)), 200);
        QCOMPARE(QJsonDocument::fromJson(bodyOf(r[0])).object()[u"body"_qs].toString(),
                 u"hello"_qs);
    }

    void chunkedBodies()
    {
        RawClient c(port());
        c.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n");
        auto r = c.responses(1);
        QCOMPARE(statusOf(r.value(0)), 200);
        QCOMPARE(QJsonDocument::fromJson(bodyOf(r[0])).object()[u"body"_qs].toString(),
                 u"hello world"_qs);

        RawClient big(port());
        QByteArray chunks = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
        for (int i = 0; i < 3; ++i)
            chunks += "200\r\n" + QByteArray(512, 'q') + "\r\n";
        big.send(chunks);
        r = big.responses(1, 10000);
        QCOMPARE(statusOf(r.value(0)), 413);
    }

    void malformedRequests_data()
    {
        QTest::addColumn<QByteArray>("request");
        QTest::addColumn<int>("status");
        QTest::newRow("garbage-request-line→400") << QByteArray("HELLO\r\n\r\n") << 400;
        QTest::newRow("bad-version→505") << QByteArray("GET / HTTP/2.0\r\n\r\n") << 505;
        QTest::newRow("bad-content-length→400")
            << QByteArray("POST /echo HTTP/1.1\r\nContent-Length: -1\r\n\r\n") << 400;
        QTest::newRow("cl-and-te→400") << QByteArray(
            "POST /echo HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")
                                       << 400;
        QTest::newRow("folded-header→400")
            << QByteArray("GET /echo HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n") << 400;
        QTest::newRow("bad-utf8-path→400") << QByteArray("GET /%FF%FE HTTP/1.1\r\n\r\n") << 400;
        QTest::newRow("huge-head→431")
            << (QByteArray("GET /echo HTTP/1.1\r\nX-Big: ") + QByteArray(9000, 'a') + "\r\n\r\n")
            << 431;
    }

    void malformedRequests()
    {
        QFETCH(QByteArray, request);
        QFETCH(int, status);
        RawClient c(port());
        c.send(request);
        const auto r = c.responses(1, 10000);
        QCOMPARE(statusOf(r.value(0)), status);
        QVERIFY(r[0].contains("X-Request-Id: "));
    }

    void keepAliveAndPipelining()
    {
        RawClient c(port());
        c.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
        auto r = c.responses(1);
        QCOMPARE(statusOf(r.value(0)), 200);
        c.send("GET /b HTTP/1.1\r\nHost: x\r\n\r\nPOST /c HTTP/1.1\r\nHost: x\r\nContent-Length: "
               "2\r\n\r\nhiGET /d HTTP/1.1\r\nHost: x\r\n\r\n");
        r = c.responses(3);
        QCOMPARE(r.size(), 3);
        QCOMPARE(QJsonDocument::fromJson(bodyOf(r[0])).object()[u"path"_qs].toString(), u"/b"_qs);
        QCOMPARE(QJsonDocument::fromJson(bodyOf(r[1])).object()[u"body"_qs].toString(), u"hi"_qs);
        QCOMPARE(QJsonDocument::fromJson(bodyOf(r[2])).object()[u"path"_qs].toString(), u"/d"_qs);
        QCOMPARE(c.socket.state(), QAbstractSocket::ConnectedState);
    }

    void http10ClosesUnlessKeepAlive()
    {
        RawClient c(port());
        c.send("GET /a HTTP/1.0\r\n\r\n");
        const auto r = c.responses(1);
        QVERIFY(r.value(0).contains("Connection: close"));
        QVERIFY(c.socket.waitForDisconnected(5000)
                || c.socket.state() == QAbstractSocket::UnconnectedState);
    }

    void errorsAndHeadRenderedOnce()
    {
        const Reply e = client().get(u"/fail"_qs);
        QCOMPARE(e.status, 403);
        QCOMPARE(e.code(), u"permission_denied"_qs);
        QCOMPARE(e.header("Cache-Control"), QByteArray("no-store"));
        const Reply h = client().head(u"/echo"_qs);
        QCOMPARE(h.status, 200);
        QVERIFY(h.body.isEmpty());
        QVERIFY(h.header("Content-Length").toInt() > 0);
    }

    void streamedResponse()
    {
        const Reply r = client().get(u"/stream"_qs);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body.size(), 20 << 20);
        QCOMPARE(r.body.at(0), 'a');
        QCOMPARE(r.body.count('z'), (20 << 20) - 1);
        QVERIFY(!r.header("X-Request-Id").isEmpty()); // common headers on streamed responses too
        const Reply h = client().head(u"/stream"_qs);
        QCOMPARE(h.header("Content-Length"), QByteArray::number(20 << 20));
        QVERIFY(h.body.isEmpty());
    }

    // A multipart upload streams its file part to the spool directory, hashed on the way; the
    // handler sees the digest, and the temporary file is gone after the response.
    void multipartUploadStreamsToDisk()
    {
        QByteArray content(30 << 20, Qt::Uninitialized);
        auto *rng = QRandomGenerator::global();
        for (qsizetype i = 0; i < content.size(); i += 4)
            *reinterpret_cast<quint32 *>(content.data() + i) = rng->generate();
        const QByteArray sha =
            QCryptographicHash::hash(content, QCryptographicHash::Sha256).toHex();
        const QByteArray body =
            "--XyZ\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n{}\r\n"
            "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; "
            "filename=\"/storage/emulated/0/a.gpkg\"\r\n"
            "Content-Type: application/json\r\n\r\n"
            + content + "\r\n--XyZ--\r\n";
        const Reply r =
            client().send("POST", u"/upload"_qs, body, "multipart/form-data; boundary=XyZ");
        QCOMPARE(r.status, 200);
        const QJsonObject o = r.object();
        QCOMPARE(o[u"fields"_qs].toObject()[u"text"_qs].toString(), u"{}"_qs);
        const QJsonObject f = o[u"files"_qs].toArray().first().toObject();
        QCOMPARE(f[u"field"_qs].toString(), u"file"_qs);
        QCOMPARE(f[u"name"_qs].toString(), u"/storage/emulated/0/a.gpkg"_qs);
        QCOMPARE(f[u"size"_qs].toInteger(), content.size());
        QCOMPARE(f[u"sha256"_qs].toString().toLatin1(), sha);
        QVERIFY(f[u"exists"_qs].toBool());
        QVERIFY(f[u"inSpool"_qs].toBool());
        QTRY_COMPARE(QDir(m_dir.filePath(u"spool"_qs)).entryList(QDir::Files).size(), 0);
    }

    void multipartFieldsAreBounded()
    {
        const QByteArray body = "--B\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n"
            + QByteArray(4096, 'n') + "\r\n--B--\r\n";
        const Reply r =
            client().send("POST", u"/upload"_qs, body, "multipart/form-data; boundary=B");
        QCOMPARE(r.status, 413);
    }

    void brokenMultipartIs400AndLeavesNothing()
    {
        const QByteArray body =
            "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n\r\nabc";
        const Reply r =
            client().send("POST", u"/upload"_qs, body, "multipart/form-data; boundary=B");
        QCOMPARE(r.status, 400);
        QTRY_COMPARE(QDir(m_dir.filePath(u"spool"_qs)).entryList(QDir::Files).size(), 0);
    }

    // A client that disconnects in the middle of an upload leaves no file behind.
    void disconnectMidUploadLeavesNothing()
    {
        {
            RawClient c(port());
            c.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
                   "boundary=B\r\n"
                   "Content-Length: 100000000\r\n\r\n--B\r\nContent-Disposition: form-data; "
                   "name=\"file\"; filename=\"x\"\r\n\r\n");
            c.send(QByteArray(4 << 20, 'p'));
            QTRY_COMPARE(QDir(m_dir.filePath(u"spool"_qs)).entryList(QDir::Files).size(), 1);
            c.socket.abort();
        }
        QTRY_COMPARE(QDir(m_dir.filePath(u"spool"_qs)).entryList(QDir::Files).size(), 0);
    }

    // A client sending its body slowly does not hold up anybody else.
    void slowClientDoesNotBlockOthers()
    {
        RawClient slow(port());
        slow.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab");
        QTest::qWait(50);
        const Reply r = client().get(u"/status"_qs);
        QCOMPARE(r.status, 200);
        // The slow request is still waiting for its body.
        slow.send("cdefghij");
        QCOMPARE(statusOf(slow.responses(1).value(0)), 200);
    }

    // A handler that takes long (password hashing, disk) runs off the I/O threads.
    void slowHandlerDoesNotBlockOthers()
    {
        RawClient slow(port());
        slow.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
        QTRY_COMPARE(m_service.slowRunning.load(), 1);
        const Reply r = client().get(u"/quick"_qs);
        QCOMPARE(r.status, 200);
        QCOMPARE(m_service.slowRunning.load(), 1); // answered while the slow handler still ran
        QCOMPARE(statusOf(slow.responses(1).value(0)), 200);
    }

    // An anonymous 1 GiB POST auth/token/ to the real server gets 413, and the server's memory
    // does not grow by the body.
    void hugeBodyRefusedWithoutMemoryGrowth()
    {
        QTemporaryDir dir;
        ServerProcess server(dir.path(), QString());
        QVERIFY2(server.start(), qPrintable(server.output()));
        HttpClient warm(server.baseUrl());
        QCOMPARE(warm.get(u"status/"_qs).status, 200);
        const qint64 before = server.rssKiB();
        QVERIFY(before > 0);

        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, server.port());
        QVERIFY(s.waitForConnected(5000));
        s.write("POST /api/v1/auth/token/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                "Content-Length: 1073741824\r\n\r\n");
        const QByteArray chunk(1 << 20, 'x');
        QByteArray received;
        qint64 sent = 0;
        // Keep sending like a client that ignores the early answer, until the server stops us.
        while (sent < (1LL << 30) && s.state() == QAbstractSocket::ConnectedState) {
            if (s.bytesToWrite() < (4 << 20)) {
                s.write(chunk);
                sent += chunk.size();
            }
            s.waitForBytesWritten(50);
            received += s.readAll();
            if (received.contains("\r\n\r\n") && sent > (256 << 20))
                break;
        }
        s.waitForReadyRead(2000);
        received += s.readAll();
        QVERIFY2(received.startsWith("HTTP/1.1 413"), received.left(200).constData());
        QVERIFY(received.contains("payload_too_large"));
        const qint64 after = server.rssKiB();
        qInfo() << "server RSS before" << before << "KiB, after" << after << "KiB, client sent"
                << (sent >> 20) << "MiB";
#if defined(__SANITIZE_ADDRESS__)
        qInfo() << "memory bound not asserted under AddressSanitizer";
#else
        QVERIFY2(after - before < 16 * 1024, qPrintable(QString::number(after - before)));
#endif
        QCOMPARE(HttpClient(server.baseUrl()).get(u"status/"_qs).status, 200);
    }

    // Every request gets one access-log line with its request id, 404s included.
    void accessLogCoversEveryRequest()
    {
        QTemporaryDir dir;
        ServerProcess server(dir.path(), QString());
        QVERIFY2(server.start(), qPrintable(server.output()));
        HttpClient c(server.baseUrl());
        const QByteArray missing = c.get(u"nothing/here/"_qs).header("X-Request-Id");
        const QByteArray ok = c.get(u"status/"_qs).header("X-Request-Id");
        QTRY_VERIFY(server.output().contains(u"rid="_qs + QString::fromLatin1(missing)));
        QTRY_VERIFY(server.output().contains(u"rid="_qs + QString::fromLatin1(ok)));
        const QString log = server.output();
        QVERIFY(log.contains(u"\"GET /api/v1/nothing/here/\" 404"_qs));
        // The log file in the data directory has them too.
        QFile f(dir.filePath(u"logs/qfc.log"_qs));
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(f.readAll().contains(QByteArray("rid=" + missing)));
    }
};

QTEST_GUILESS_MAIN(tst_Connection)
#include "tst_connection.moc"
