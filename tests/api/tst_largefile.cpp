// Multi-GiB project files through a real qfc-server process (spec/api.md §9.3, §9.4, §1.8, §1.9):
// a 5 GiB upload generated on the fly and a download hashed on the fly, neither ever held in
// memory on either side, with the server's resident memory sampled throughout; then a 4 GiB file
// whose download is interrupted and resumed with Range: bytes=<n>-.
//
// Needs about 11 GiB free where QTemporaryDir puts its directories (TMPDIR); fails otherwise.
#include "testenv.h"
#include "testserver.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QStorageInfo>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

using namespace qfc::test;

namespace {

constexpr qint64 KiB = 1024;
constexpr qint64 MiB = 1024 * KiB;
constexpr qint64 GiB = 1024 * MiB;
constexpr qint64 kBigSize = 5 * GiB;
constexpr qint64 kResumeSize = 4 * GiB + 4321; // past 2^32, a short last ETag part
constexpr qint64 kRssBoundKiB = 64 * 1024; // what the server may grow by while transferring
constexpr qint64 kChunk = 1 * MiB;
constexpr qint64 kClientBacklog = 4 * MiB; // what the client lets queue in its socket

const QByteArray kSdk = "sdk|py|0.9 python-requests|2.32";

// Deterministic pseudo-random bytes: the 8-byte word i of stream `seed` is splitmix64 of
// (seed, i), so any range can be produced again at any time and nothing is kept in memory.
class GeneratedStream final : public QIODevice
{
public:
    GeneratedStream(quint64 seed, qint64 size) : m_seed(seed), m_size(size) { }

    qint64 size() const override { return m_size; }
    bool isSequential() const override { return false; }

    static void fill(quint64 seed, qint64 offset, char *out, qint64 n)
    {
        while (n > 0) {
            const qint64 word = offset / 8;
            const int skip = int(offset % 8);
            quint64 z = seed + quint64(word + 1) * 0x9E3779B97F4A7C15ULL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
            z ^= z >> 31;
            char bytes[8];
            for (int i = 0; i < 8; ++i)
                bytes[i] = char((z >> (8 * i)) & 0xff);
            const qint64 take = std::min<qint64>(n, 8 - skip);
            std::memcpy(out, bytes + skip, size_t(take));
            out += take;
            offset += take;
            n -= take;
        }
    }

protected:
    qint64 readData(char *data, qint64 maxSize) override
    {
        const qint64 n = std::min(maxSize, m_size - pos());
        if (n <= 0)
            return 0;
        fill(m_seed, pos(), data, n);
        return n;
    }
    qint64 writeData(const char *, qint64) override { return -1; }

private:
    quint64 m_seed;
    qint64 m_size;
};

// sha256 and the S3-style ETag of §1.8 (8 MiB parts), computed here with QCryptographicHash,
// independently of the server's hasher, over a stream fed in pieces.
class ClientDigest
{
public:
    static constexpr qint64 PartSize = 8 * MiB;

    void add(const char *data, qint64 n)
    {
        m_sha256.addData(QByteArrayView(data, n));
        m_size += n;
        while (n > 0) {
            const qint64 take = std::min(n, PartSize - m_partFill);
            m_part.addData(QByteArrayView(data, take));
            m_partFill += take;
            data += take;
            n -= take;
            if (m_partFill == PartSize) {
                m_partDigests += m_part.result();
                m_part.reset();
                m_partFill = 0;
                ++m_parts;
            }
        }
    }
    qint64 size() const { return m_size; }
    QString sha256() const { return QString::fromLatin1(m_sha256.result().toHex()); }
    QString etag() const
    {
        if (m_size <= PartSize)
            return QString::fromLatin1(
                (m_parts == 1 ? m_partDigests : QByteArray(m_part.result())).toHex());
        const bool tail = m_partFill > 0;
        const QByteArray all = m_partDigests + (tail ? m_part.result() : QByteArray());
        return QString::fromLatin1(QCryptographicHash::hash(all, QCryptographicHash::Md5).toHex())
            + u'-' + QString::number(m_parts + (tail ? 1 : 0));
    }

private:
    QCryptographicHash m_sha256{QCryptographicHash::Sha256};
    QCryptographicHash m_part{QCryptographicHash::Md5};
    QByteArray m_partDigests;
    qint64 m_partFill = 0;
    qint64 m_parts = 0;
    qint64 m_size = 0;
};

// The server's peak resident size over a phase: VmRSS sampled every 50 ms by whoever calls
// sample() in its loop, and the kernel's own high-water mark (VmHWM, reset through clear_refs
// when the phase starts) for what happens between two samples.
class RssSampler
{
public:
    explicit RssSampler(ServerProcess &server) : m_server(server) { reset(); }
    // False when the server is gone.
    bool sample(bool force = false)
    {
        if (!force && m_clock.elapsed() < 50)
            return true;
        m_clock.restart();
        const qint64 rss = m_server.rssKiB();
        if (rss < 0)
            return false;
        m_peak = std::max(m_peak, rss);
        ++m_samples;
        if (force && m_hwmReset)
            m_peak = std::max(m_peak, statusKiB("VmHWM:"));
        return true;
    }
    void reset()
    {
        m_peak = 0;
        m_samples = 0;
        m_clock.start();
        QFile clear(QStringLiteral("/proc/%1/clear_refs").arg(m_server.pid()));
        m_hwmReset = clear.open(QIODevice::WriteOnly) && clear.write("5") == 1;
    }
    qint64 peakKiB() const { return m_peak; }
    int samples() const { return m_samples; }
    bool sawHighWaterMark() const { return m_hwmReset; }

private:
    qint64 statusKiB(const QByteArray &key) const
    {
        QFile f(QStringLiteral("/proc/%1/status").arg(m_server.pid()));
        if (!f.open(QIODevice::ReadOnly))
            return -1;
        const QList<QByteArray> lines = f.readAll().split('\n');
        for (const QByteArray &line : lines)
            if (line.startsWith(key))
                return line.mid(key.size()).trimmed().split(' ').first().toLongLong();
        return -1;
    }

    ServerProcess &m_server;
    QElapsedTimer m_clock;
    qint64 m_peak = 0;
    int m_samples = 0;
    bool m_hwmReset = false;
};

// What a raw exchange returned.
struct Exchange
{
    int status = 0;
    QByteArray head; // status line and headers
    QByteArray body; // only for small (JSON) answers
    qint64 bodyBytes = 0; // body bytes received
    QString error; // transport trouble, empty when none

    QByteArray header(const QByteArray &name) const
    {
        const QList<QByteArray> lines = head.split('\n');
        for (const QByteArray &line : lines) {
            const qsizetype colon = line.indexOf(':');
            if (colon > 0 && line.left(colon).trimmed().compare(name, Qt::CaseInsensitive) == 0)
                return line.mid(colon + 1).trimmed();
        }
        return {};
    }
};

// Reads a response head from `s` (the part of the body that came with it stays in `rest`).
bool readHead(QTcpSocket &s, RssSampler &rss, Exchange &x, QByteArray &rest)
{
    QByteArray buf;
    for (;;) {
        const qsizetype end = buf.indexOf("\r\n\r\n");
        if (end >= 0) {
            x.head = buf.left(end);
            rest = buf.mid(end + 4);
            x.status = x.head.mid(9, 3).toInt();
            return true;
        }
        if (s.bytesAvailable() == 0 && !s.waitForReadyRead(100)) {
            if (s.state() != QAbstractSocket::ConnectedState) {
                x.error = u"connection closed before a response head: "_qs + s.errorString();
                return false;
            }
        }
        buf += s.read(64 * KiB);
        if (!rss.sample()) {
            x.error = u"the server died"_qs;
            return false;
        }
        QCoreApplication::processEvents();
    }
}

QTcpSocket *connectTo(quint16 port)
{
    auto *s = new QTcpSocket;
    s->setReadBufferSize(kChunk);
    s->connectToHost(QHostAddress::LocalHost, port);
    if (!s->waitForConnected(10000)) {
        delete s;
        return nullptr;
    }
    return s;
}

// POSTs everything `content` delivers as the "file" part of a multipart body, read and sent in
// 1 MiB chunks (the client's own memory stays bounded too), hashing what it sends into `digest`.
Exchange uploadStream(quint16 port, const QString &target, const QString &token, QIODevice &content,
                      ClientDigest &digest, RssSampler &rss)
{
    Exchange x;
    const QByteArray boundary = "qfc-largefile-" + QByteArray::number(content.size(), 36)
        + "-b6d1c0a4f57e9e02a1d3c5f8e7b9a0c2";
    const QByteArray preamble = "--" + boundary
        + "\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n{}\r\n--" + boundary
        + "\r\nContent-Disposition: form-data; name=\"file\"; "
          "filename=\"/storage/emulated/0/big.bin\"\r\n"
          "Content-Type: application/octet-stream\r\n\r\n";
    const QByteArray epilogue = "\r\n--" + boundary + "--\r\n";
    const qint64 length = preamble.size() + content.size() + epilogue.size();
    std::unique_ptr<QTcpSocket> s(connectTo(port));
    if (!s) {
        x.error = u"cannot connect"_qs;
        return x;
    }
    s->write("POST /api/v1/" + target.toUtf8()
             + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: " + kSdk + "\r\nAuthorization: Token "
             + token.toLatin1() + "\r\nContent-Type: multipart/form-data; boundary=" + boundary
             + "\r\nContent-Length: " + QByteArray::number(length) + "\r\n\r\n" + preamble);
    if (!content.isOpen() && !content.open(QIODevice::ReadOnly)) {
        x.error = u"cannot open the content"_qs;
        return x;
    }
    QByteArray chunk(kChunk, Qt::Uninitialized);
    for (;;) {
        if (s->bytesAvailable() > 0)
            break; // an early answer (an error): read it below
        if (s->state() != QAbstractSocket::ConnectedState) {
            x.error = u"connection lost while sending: "_qs + s->errorString();
            return x;
        }
        if (s->bytesToWrite() < kClientBacklog) {
            const qint64 n = content.read(chunk.data(), chunk.size());
            if (n < 0) {
                x.error = u"cannot read the content"_qs;
                return x;
            }
            if (n == 0)
                break;
            digest.add(chunk.constData(), n);
            s->write(chunk.constData(), n);
        } else {
            s->waitForBytesWritten(100);
        }
        if (!rss.sample()) {
            x.error = u"the server died"_qs;
            return x;
        }
        QCoreApplication::processEvents();
    }
    if (s->bytesAvailable() == 0)
        s->write(epilogue);
    QByteArray rest;
    if (!readHead(*s, rss, x, rest))
        return x;
    x.body = rest;
    const qint64 want = x.header("Content-Length").toLongLong();
    while (x.body.size() < want && (s->bytesAvailable() > 0 || s->waitForReadyRead(1000)))
        x.body += s->read(want - x.body.size());
    x.bodyBytes = x.body.size();
    return x;
}

// GETs `target` and feeds the body into `sink` chunk by chunk, never holding it; stops (and
// drops the connection, as an interrupted client does) after `stopAfter` body bytes if >= 0.
Exchange download(quint16 port, const QString &target, const QString &token,
                  const QByteArray &extraHeaders, RssSampler &rss,
                  const std::function<void(const char *, qint64)> &sink, qint64 stopAfter = -1)
{
    Exchange x;
    std::unique_ptr<QTcpSocket> s(connectTo(port));
    if (!s) {
        x.error = u"cannot connect"_qs;
        return x;
    }
    s->write("GET /api/v1/" + target.toUtf8()
             + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: " + kSdk + "\r\nAuthorization: Token "
             + token.toLatin1() + "\r\n" + extraHeaders + "\r\n");
    QByteArray rest;
    if (!readHead(*s, rss, x, rest))
        return x;
    const qint64 length = x.header("Content-Length").toLongLong();
    const qint64 limit = stopAfter >= 0 ? std::min(stopAfter, length) : length;
    auto take = [&](const QByteArray &data) {
        const qint64 n = std::min<qint64>(data.size(), limit - x.bodyBytes);
        sink(data.constData(), n);
        x.bodyBytes += n;
    };
    take(rest);
    while (x.bodyBytes < limit) {
        if (s->bytesAvailable() == 0 && !s->waitForReadyRead(100)
            && s->state() != QAbstractSocket::ConnectedState) {
            x.error = QStringLiteral("connection closed after %1 of %2 body bytes: %3")
                          .arg(x.bodyBytes)
                          .arg(length)
                          .arg(s->errorString());
            return x;
        }
        take(s->read(std::min(kChunk, limit - x.bodyBytes)));
        if (!rss.sample()) {
            x.error = u"the server died"_qs;
            return x;
        }
        QCoreApplication::processEvents();
    }
    if (stopAfter >= 0)
        s->abort();
    return x;
}

double mibPerSecond(qint64 bytes, qint64 ms)
{
    return ms > 0 ? double(bytes) / double(MiB) / (double(ms) / 1000.0) : 0.0;
}

QString sha256Of(const QByteArray &data)
{
    return QString::fromLatin1(QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex());
}

} // namespace

class tst_LargeFile final : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<ServerProcess> m_server;
    std::unique_ptr<HttpClient> m_client;
    QString m_token;
    QString m_project;
    qint64 m_idleKiB = 0;

    QString files() const { return u"files/"_qs + m_project + u'/'; }

    QJsonObject listed(const QString &name)
    {
        const Reply r = m_client->get(files());
        for (const auto &v : r.array())
            if (v.toObject()[u"name"_qs].toString() == name)
                return v.toObject();
        return {};
    }

    void checkMemoryBound(const char *phase, const RssSampler &rss)
    {
        qInfo("%s: server RSS idle %lld KiB, peak %lld KiB (+%lld KiB; %d samples%s)", phase,
              m_idleKiB, rss.peakKiB(), rss.peakKiB() - m_idleKiB, rss.samples(),
              rss.sawHighWaterMark() ? " and VmHWM" : "");
        QVERIFY(rss.samples() > 0);
#if defined(__SANITIZE_ADDRESS__)
        qInfo("%s: memory bound not asserted under AddressSanitizer", phase);
#else
        QVERIFY2(rss.peakKiB() - m_idleKiB <= kRssBoundKiB,
                 qPrintable(QStringLiteral("%1: the server grew by %2 KiB (bound %3 KiB)")
                                .arg(QLatin1String(phase))
                                .arg(rss.peakKiB() - m_idleKiB)
                                .arg(kRssBoundKiB)));
#endif
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(serverBinary()), qPrintable(serverBinary()));
        QVERIFY(m_dir.isValid());
        // Each upload occupies its size once (the spool file is renamed into the store) and both
        // stay until the end: 2 x 5 GiB covers them, plus 1 GiB for the database, logs and slack.
        const qint64 needed = 2 * kBigSize + GiB;
        const QStorageInfo disk(m_dir.path());
        const qint64 available = disk.bytesAvailable();
        if (available < needed)
            QFAIL(qPrintable(
                QStringLiteral("NOT ENOUGH DISK SPACE for the large-file test: it needs %1 GiB "
                               "free in %2 (file system %3), only %4 GiB are available. Free "
                               "space there or point TMPDIR at a bigger disk.")
                    .arg(double(needed) / GiB, 0, 'f', 1)
                    .arg(m_dir.path(), disk.rootPath())
                    .arg(double(available) / GiB, 0, 'f', 1)));

        // A person created with the CLI, as an operator does.
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

        m_server = std::make_unique<ServerProcess>(m_dir.path(), QString());
        QVERIFY2(m_server->start(), qPrintable(m_server->output()));
        m_client = std::make_unique<HttpClient>(m_server->baseUrl());
        m_client->setUserAgent(kSdk);
        const Reply login = m_client->postJson(
            u"auth/token/"_qs,
            {{u"username"_qs, u"surveyor"_qs}, {u"password"_qs, u"a long enough secret"_qs}});
        QCOMPARE(login.status, 200);
        m_token = login.object()[u"token"_qs].toString();
        m_client->setToken(m_token);
        m_project = m_client->postJson(u"projects/"_qs, {{u"name"_qs, u"large"_qs}})
                        .object()[u"id"_qs]
                        .toString();
        QVERIFY(!m_project.isEmpty());

        // Warm up every path the big transfers take (spool, store, handler threads, streamed
        // download), then take the idle resident size.
        const QByteArray small(3 * MiB, 's');
        QCOMPARE(m_client->uploadFile(files() + u"warm.bin/"_qs, small).status, 201);
        QCOMPARE(m_client->get(files() + u"warm.bin/"_qs).body, small);
        QTest::qWait(500);
        m_idleKiB = m_server->rssKiB();
        QVERIFY(m_idleKiB > 0);
        qInfo("server pid %lld, idle RSS %lld KiB, data in %s", m_server->pid(), m_idleKiB,
              qPrintable(m_dir.path()));
    }

    void cleanupTestCase()
    {
        if (m_server)
            m_server->stop();
    }

    // 5 GiB up and down; both sides hash on the fly; the server's memory stays flat.
    void fiveGiBUploadAndDownload()
    {
        RssSampler rss(*m_server);
        GeneratedStream content(0x5eed0001, kBigSize);
        ClientDigest sent;
        QElapsedTimer clock;
        clock.start();
        const Exchange up = uploadStream(m_server->port(), files() + u"survey/big.gpkg/"_qs,
                                         m_token, content, sent, rss);
        const qint64 upMs = clock.elapsed();
        QVERIFY2(up.error.isEmpty(), qPrintable(up.error));
        QVERIFY2(up.status == 201, up.head.constData());
        QCOMPARE(sent.size(), kBigSize);
        rss.sample(true);
        qInfo("upload of 5 GiB: %lld ms, %.1f MiB/s", upMs, mibPerSecond(kBigSize, upMs));
        checkMemoryBound("5 GiB upload", rss);

        // The listing publishes what the client computed itself.
        const QJsonObject entry = listed(u"survey/big.gpkg"_qs);
        QCOMPARE(entry[u"size"_qs].toInteger(), kBigSize);
        QCOMPARE(entry[u"sha256"_qs].toString(), sent.sha256());
        QCOMPARE(entry[u"md5sum"_qs].toString(), sent.etag());
        QVERIFY(sent.etag().endsWith(u"-640"_qs));
        QCOMPARE(m_client->get(u"projects/"_qs + m_project + u'/')
                     .object()[u"file_storage_bytes"_qs]
                     .toInteger(),
                 kBigSize + 3 * MiB);

        rss.reset();
        QCryptographicHash received(QCryptographicHash::Sha256);
        clock.restart();
        const Exchange down =
            download(m_server->port(), files() + u"survey/big.gpkg/"_qs, m_token, {}, rss,
                     [&](const char *d, qint64 n) { received.addData(QByteArrayView(d, n)); });
        const qint64 downMs = clock.elapsed();
        QVERIFY2(down.error.isEmpty(), qPrintable(down.error));
        QCOMPARE(down.status, 200);
        QCOMPARE(down.header("Content-Length").toLongLong(), kBigSize);
        QCOMPARE(down.header("ETag"), QByteArray('"' + sent.etag().toLatin1() + '"'));
        QCOMPARE(down.bodyBytes, kBigSize);
        QCOMPARE(QString::fromLatin1(received.result().toHex()), sent.sha256());
        rss.sample(true);
        qInfo("download of 5 GiB: %lld ms, %.1f MiB/s", downMs, mibPerSecond(kBigSize, downMs));
        checkMemoryBound("5 GiB download", rss);
    }

    // QField resumes an interrupted download with Range: bytes=<n>- (§1.9): the resumed tail is
    // byte-identical to what was uploaded and completes the sha256 of the whole.
    void multiGiBRangeResumedDownload()
    {
        RssSampler rss(*m_server);
        const quint64 seed = 0x5eed0002;
        GeneratedStream content(seed, kResumeSize);
        ClientDigest sent;
        const Exchange up = uploadStream(m_server->port(), files() + u"resume.bin/"_qs, m_token,
                                         content, sent, rss);
        QVERIFY2(up.error.isEmpty(), qPrintable(up.error));
        QVERIFY2(up.status == 201, up.head.constData());
        const QJsonObject entry = listed(u"resume.bin"_qs);
        QCOMPARE(entry[u"size"_qs].toInteger(), kResumeSize);
        QCOMPARE(entry[u"sha256"_qs].toString(), sent.sha256());
        QCOMPARE(entry[u"md5sum"_qs].toString(), sent.etag());
        QVERIFY(sent.etag().endsWith(u"-513"_qs)); // 512 full parts and a 4321-byte one

        // The first attempt breaks off past 2^31 bytes.
        const qint64 cut = 2 * GiB + 5 * MiB + 777;
        QCryptographicHash whole(QCryptographicHash::Sha256);
        Exchange first = download(
            m_server->port(), files() + u"resume.bin/"_qs, m_token, {}, rss,
            [&](const char *d, qint64 n) { whole.addData(QByteArrayView(d, n)); }, cut);
        QVERIFY2(first.error.isEmpty(), qPrintable(first.error));
        QCOMPARE(first.status, 200);
        QCOMPARE(first.bodyBytes, cut);

        // The resumed tail: 206, the right Content-Range, and exactly the generated bytes.
        qint64 mismatchAt = -1;
        qint64 at = cut;
        QByteArray expected;
        const Exchange tail = download(
            m_server->port(), files() + u"resume.bin/"_qs, m_token,
            "Range: bytes=" + QByteArray::number(cut) + "-\r\n", rss, [&](const char *d, qint64 n) {
                whole.addData(QByteArrayView(d, n));
                expected.resize(n);
                GeneratedStream::fill(seed, at, expected.data(), n);
                if (mismatchAt < 0 && std::memcmp(expected.constData(), d, size_t(n)) != 0)
                    mismatchAt = at;
                at += n;
            });
        QVERIFY2(tail.error.isEmpty(), qPrintable(tail.error));
        QCOMPARE(tail.status, 206);
        QCOMPARE(tail.header("Content-Range"),
                 "bytes " + QByteArray::number(cut) + '-' + QByteArray::number(kResumeSize - 1)
                     + '/' + QByteArray::number(kResumeSize));
        QCOMPARE(tail.header("Content-Length").toLongLong(), kResumeSize - cut);
        QCOMPARE(tail.bodyBytes, kResumeSize - cut);
        QCOMPARE(mismatchAt, qint64(-1));
        QCOMPARE(QString::fromLatin1(whole.result().toHex()), sent.sha256());

        // A closed range across the 2^32-byte mark, ending 322 bytes before the end.
        const qint64 from = 4 * GiB - 2000;
        const qint64 to = 4 * GiB + 3998;
        QByteArray piece;
        const Exchange ranged = download(m_server->port(), files() + u"resume.bin/"_qs, m_token,
                                         "Range: bytes=" + QByteArray::number(from) + '-'
                                             + QByteArray::number(to) + "\r\n",
                                         rss, [&](const char *d, qint64 n) { piece.append(d, n); });
        QVERIFY2(ranged.error.isEmpty(), qPrintable(ranged.error));
        QCOMPARE(ranged.status, 206);
        QCOMPARE(ranged.header("Content-Range"),
                 "bytes " + QByteArray::number(from) + '-' + QByteArray::number(to) + '/'
                     + QByteArray::number(kResumeSize));
        QCOMPARE(piece.size(), to - from + 1);
        expected.resize(piece.size());
        GeneratedStream::fill(seed, from, expected.data(), expected.size());
        QCOMPARE(sha256Of(piece), sha256Of(expected));

        // The interrupted download left the server healthy.
        QCOMPARE(m_client->get(u"status/"_qs).status, 200);
        rss.sample(true);
        checkMemoryBound("4 GiB upload and resumed download", rss);
    }
};

// QTEST_GUILESS_MAIN, with QtTest's per-function watchdog (5 minutes by default) raised: one
// function moves 5 GiB each way, which takes longer on a slow or busy disk. CTest's TIMEOUT still
// bounds the whole run.
int main(int argc, char **argv)
{
    if (!qEnvironmentVariableIsSet("QTEST_FUNCTION_TIMEOUT"))
        qputenv("QTEST_FUNCTION_TIMEOUT", "3600000");
    QCoreApplication app(argc, argv);
    tst_LargeFile test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_largefile.moc"
