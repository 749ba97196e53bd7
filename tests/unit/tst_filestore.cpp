#include "core/hashing.h"
#include "files/localfilestore.h"
#include "platform/durablefs.h"

#include <QBuffer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QMutex>
#include <QRegularExpression>
#include <QStorageInfo>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <latch>
#include <optional>
#include <thread>

using namespace qfc;
using files::LocalFileStore;
using files::StoreError;
using platform::FsResult;

// Every expected digest below was computed with Python's hashlib (sha256(), md5(), and the S3
// ETag as md5(b"".join(md5(part).digest() for each 8 MiB part)).hexdigest() + "-<parts>"), never
// with the code under test.

namespace {

constexpr qint64 MiB = 1024 * 1024;
constexpr qint64 GiB = 1024 * MiB;

// The bytes (i * 7 + 3) % 251 for i in range(size) (Python), `fill` repeated otherwise.
QByteArray makeContent(char fill, qint64 size)
{
    if (fill != 0)
        return QByteArray(size, fill);
    QByteArray content(size, Qt::Uninitialized);
    for (qint64 i = 0; i < size; ++i)
        content[i] = char((i * 7 + 3) % 251);
    return content;
}

QByteArray readAll(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray("<unreadable>");
}

bool writeFile(const QString &path, const QByteArray &content)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate)
        && file.write(content) == content.size();
}

bool setModified(const QString &path, const QDateTime &when)
{
    QFile file(path);
    return file.open(QIODevice::ReadWrite | QIODevice::ExistingOnly)
        && file.setFileTime(when, QFileDevice::FileModificationTime);
}

QStringList filesIn(const QString &dir)
{
    return QDir(dir).entryList(QDir::Files | QDir::Hidden, QDir::Name);
}

files::PutResult put(LocalFileStore &store, const QByteArray &content)
{
    QBuffer buffer;
    buffer.setData(content);
    buffer.open(QIODevice::ReadOnly);
    return store.putFromDevice(buffer);
}

// The native primitives, recorded as "<op> <what>" with the paths named by their role (temp,
// upload, trash, blob, dir2 = blobs/ab/cd, dir1 = blobs/ab, blobs), and made to fail at one
// chosen entry. Consecutive writes of one file are recorded once.
class RecordingOps final : public platform::NativeFileSystemOps
{
public:
    explicit RecordingOps(const QString &dataDir)
        : m_root(QDir::cleanPath(QDir(dataDir).absolutePath()))
    { }

    void failAt(const QString &entry, FsResult::Error error = FsResult::Error::Other)
    {
        QMutexLocker lock(&m_mutex);
        m_failAt = entry;
        m_failWith = error;
    }
    // Runs before (or, with `after`, after) the native operation of the entry `entry`, once.
    void hookAt(const QString &entry, std::function<void()> hook, bool after = false)
    {
        QMutexLocker lock(&m_mutex);
        m_hookAt = entry;
        m_hook = std::move(hook);
        m_hookAfter = after;
    }
    QStringList log() const
    {
        QMutexLocker lock(&m_mutex);
        return m_log;
    }
    void clear()
    {
        QMutexLocker lock(&m_mutex);
        m_log.clear();
    }

    FsResult write(QFileDevice &file, const char *data, qint64 size) override
    {
        return run(u"write "_qs + role(file.fileName()),
                   [&] { return NativeFileSystemOps::write(file, data, size); });
    }
    FsResult fsyncFile(QFileDevice &file) override
    {
        return run(u"fsyncFile "_qs + role(file.fileName()),
                   [&] { return NativeFileSystemOps::fsyncFile(file); });
    }
    FsResult rename(const QString &from, const QString &to) override
    {
        return run(u"rename "_qs + role(from) + u' ' + role(to),
                   [&] { return NativeFileSystemOps::rename(from, to); });
    }
    FsResult fsyncDirectory(const QString &dir) override
    {
        return run(u"fsyncDir "_qs + role(dir),
                   [&] { return NativeFileSystemOps::fsyncDirectory(dir); });
    }
    FsResult makeDirectory(const QString &path) override
    {
        return run(u"mkdir "_qs + role(path),
                   [&] { return NativeFileSystemOps::makeDirectory(path); });
    }
    FsResult remove(const QString &path) override
    {
        return run(u"remove "_qs + role(path), [&] { return NativeFileSystemOps::remove(path); });
    }
    FsResult touch(const QString &path) override
    {
        return run(u"touch "_qs + role(path), [&] { return NativeFileSystemOps::touch(path); });
    }

private:
    QString role(const QString &path) const
    {
        const QString rel = path.startsWith(m_root + u'/') ? path.mid(m_root.size() + 1) : path;
        static const QRegularExpression blob(u"^blobs/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}$"_qs);
        static const QRegularExpression dir2(u"^blobs/[0-9a-f]{2}/[0-9a-f]{2}$"_qs);
        static const QRegularExpression dir1(u"^blobs/[0-9a-f]{2}$"_qs);
        if (rel.startsWith(u"tmp/uploads/"))
            return u"upload"_qs;
        if (rel.startsWith(u"tmp/blob-") && rel.endsWith(u".tmp"))
            return u"temp"_qs;
        if (rel.startsWith(u"tmp/gc-") && rel.endsWith(u".trash"))
            return u"trash"_qs;
        if (blob.match(rel).hasMatch())
            return u"blob"_qs;
        if (dir2.match(rel).hasMatch())
            return u"dir2"_qs;
        if (dir1.match(rel).hasMatch())
            return u"dir1"_qs;
        return rel;
    }

    FsResult run(const QString &entry, const std::function<FsResult()> &native)
    {
        std::function<void()> hook;
        bool hookAfter = false;
        {
            QMutexLocker lock(&m_mutex);
            if (m_log.isEmpty() || m_log.constLast() != entry || !entry.startsWith(u"write "))
                m_log.append(entry);
            if (entry == m_failAt)
                return FsResult::failure(m_failWith, u"injected failure: "_qs + entry);
            if (entry == m_hookAt) {
                hook = std::exchange(m_hook, nullptr);
                hookAfter = m_hookAfter;
                m_hookAt.clear();
            }
        }
        if (hook && !hookAfter)
            hook();
        const FsResult result = native();
        if (hook && hookAfter)
            hook();
        return result;
    }

    const QString m_root;
    mutable QMutex m_mutex;
    QStringList m_log;
    QString m_failAt;
    FsResult::Error m_failWith = FsResult::Error::Other;
    QString m_hookAt;
    std::function<void()> m_hook;
    bool m_hookAfter = false;
};

// A sequential stream of `size` bytes: the 1 MiB block makeContent(0, MiB) over and over.
class PatternDevice final : public QIODevice
{
public:
    explicit PatternDevice(qint64 size) : m_size(size), m_block(makeContent(0, MiB))
    {
        open(QIODevice::ReadOnly | QIODevice::Unbuffered);
    }
    bool isSequential() const override { return true; }

protected:
    qint64 readData(char *data, qint64 maxSize) override
    {
        qint64 done = 0;
        while (done < maxSize && m_pos < m_size) {
            const qint64 offset = m_pos % MiB;
            const qint64 n = std::min({maxSize - done, MiB - offset, m_size - m_pos});
            memcpy(data + done, m_block.constData() + offset, size_t(n));
            done += n;
            m_pos += n;
        }
        return done;
    }
    qint64 writeData(const char *, qint64) override { return -1; }

private:
    qint64 m_size;
    qint64 m_pos = 0;
    QByteArray m_block;
};

// Linux: the peak resident set size, in bytes (0 elsewhere).
qint64 peakRss()
{
    QFile status(u"/proc/self/status"_qs);
    if (!status.open(QIODevice::ReadOnly | QIODevice::Text))
        return 0;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong() * 1024;
    }
    return 0;
}

const QString AbcSha = u"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"_qs;
const QStringList FreshPut{u"write temp"_qs,       u"fsyncFile temp"_qs, u"mkdir dir1"_qs,
                           u"fsyncDir blobs"_qs,   u"mkdir dir2"_qs,     u"fsyncDir dir1"_qs,
                           u"rename temp blob"_qs, u"fsyncDir dir2"_qs};

} // namespace

class tst_FileStore final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void writeSequence();
    void failingStep_data();
    void failingStep();
    void dedupSequence();
    void uploadSequence();
    void uploadCrossDeviceFallback();
    void uploadRejected_data();
    void uploadRejected();
    void maxSize();
    void constructorCreatesDirectories();

    void dedupAndIdempotent();
    void damagedBlobIsReplaced();
    void concurrentPuts();

    void openSeekRead_data();
    void openSeekRead();
    void openMissing();
    void copyToIsIndependent();
    void copyToReplacesLinks();

    void garbageCollection();
    void garbageCollectionRace_data();
    void garbageCollectionRace();
    void dedupRefreshesGrace();
    void forEachBlob();
    void cleanTemporaries();

    void digests_data();
    void digests();
    void fiveGiBStream();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::shared_ptr<RecordingOps> m_ops;
    std::unique_ptr<LocalFileStore> m_store;

    QString uploadPath(const QString &name) const
    {
        return m_dir->filePath(u"tmp/uploads/"_qs + name);
    }
    QString makeUpload(const QString &name, const QByteArray &content) const
    {
        const QString path = uploadPath(name);
        return writeFile(path, content) ? path : QString();
    }
    QStringList storeTemporaries() const { return filesIn(m_store->tempDir()); }
};

void tst_FileStore::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_ops = std::make_shared<RecordingOps>(m_dir->path());
    m_store = std::make_unique<LocalFileStore>(m_dir->path(), m_ops);
    m_ops->clear();
}

void tst_FileStore::cleanup()
{
    m_store.reset();
    m_ops.reset();
    m_dir.reset();
}

void tst_FileStore::writeSequence()
{
    const files::PutResult result = put(*m_store, "abc");
    QCOMPARE(m_ops->log(), FreshPut);
    QVERIFY(!result.deduplicated);
    QCOMPARE(result.digest.sha256, AbcSha);
    QCOMPARE(m_store->blobPath(AbcSha), m_dir->filePath(u"blobs/ba/78/"_qs + AbcSha));
    QCOMPARE(readAll(m_store->blobPath(AbcSha)), QByteArray("abc"));
    QVERIFY(storeTemporaries().isEmpty());

    // Fan-out directories that exist already are neither made nor flushed again. Python found
    // the names: sha256(b"content-44523") starts with ba78 like "abc"'s, and
    // sha256(b"content-117") with ba98.
    m_ops->clear();
    QCOMPARE(put(*m_store, "content-44523").digest.sha256,
             u"ba783a482ccc4c33d6727946feee1bada12ada9af65b7971a30ead5d6a04e515"_qs);
    const QStringList sameDirs{u"write temp"_qs, u"fsyncFile temp"_qs, u"rename temp blob"_qs,
                               u"fsyncDir dir2"_qs};
    QCOMPARE(m_ops->log(), sameDirs);

    m_ops->clear();
    QCOMPARE(put(*m_store, "content-117").digest.sha256,
             u"ba989e81845fb92dd5fbff5e2f806ad19af7bf429572f608755a5ba264772b21"_qs);
    const QStringList newLevel2{u"write temp"_qs,    u"fsyncFile temp"_qs,   u"mkdir dir2"_qs,
                                u"fsyncDir dir1"_qs, u"rename temp blob"_qs, u"fsyncDir dir2"_qs};
    QCOMPARE(m_ops->log(), newLevel2);
}

void tst_FileStore::failingStep_data()
{
    QTest::addColumn<QString>("failAt");
    QTest::addColumn<int>("error");
    QTest::addColumn<int>("kind");
    QTest::addColumn<bool>("blobVisible");

    const int other = int(FsResult::Error::Other);
    const int io = int(StoreError::Kind::Io);
    QTest::newRow("write-disk-full→NoSpace,no-blob")
        << u"write temp"_qs << int(FsResult::Error::NoSpace) << int(StoreError::Kind::NoSpace)
        << false;
    QTest::newRow("fsync-file→no-rename,no-blob") << u"fsyncFile temp"_qs << other << io << false;
    QTest::newRow("mkdir-level1→no-blob") << u"mkdir dir1"_qs << other << io << false;
    QTest::newRow("fsync-blobs-dir→no-blob") << u"fsyncDir blobs"_qs << other << io << false;
    QTest::newRow("mkdir-level2→no-blob") << u"mkdir dir2"_qs << other << io << false;
    QTest::newRow("fsync-level1-dir→no-blob") << u"fsyncDir dir1"_qs << other << io << false;
    QTest::newRow("rename→no-blob") << u"rename temp blob"_qs << other << io << false;
    // After the rename the blob is complete; it stays for a retry or the collector.
    QTest::newRow("fsync-blob-dir→error,complete-blob-stays")
        << u"fsyncDir dir2"_qs << other << io << true;
}

void tst_FileStore::failingStep()
{
    QFETCH(QString, failAt);
    QFETCH(int, error);
    QFETCH(int, kind);
    QFETCH(bool, blobVisible);

    m_ops->failAt(failAt, FsResult::Error(error));
    const QByteArray content = makeContent(0, 3 * MiB + 5); // several chunks
    try {
        put(*m_store, content);
        QFAIL("the put succeeded");
    } catch (const StoreError &e) {
        QCOMPARE(int(e.kind()), kind);
        QVERIFY2(QString::fromUtf8(e.what()).contains(u"injected failure"), e.what());
    }
    // The steps up to the failing one, in order, then at most the removal of the temporary.
    QStringList expected = FreshPut.mid(0, FreshPut.indexOf(failAt) + 1);
    if (!blobVisible)
        expected << u"remove temp"_qs;
    QCOMPARE(m_ops->log(), expected);
    QVERIFY(storeTemporaries().isEmpty());

    int blobs = 0;
    m_store->forEachBlob([&](const files::BlobInfo &info) {
        ++blobs;
        [&] {
            QCOMPARE(readAll(m_store->blobPath(info.sha256)), content);
        }();
        return true;
    });
    QCOMPARE(blobs, blobVisible ? 1 : 0);
}

void tst_FileStore::dedupSequence()
{
    put(*m_store, "abc");
    m_ops->clear();
    const files::PutResult again = put(*m_store, "abc");
    QVERIFY(again.deduplicated);
    QCOMPARE(again.digest.sha256, AbcSha);
    // No fsync of the duplicate temporary, no rename: refresh the blob, flush its directory.
    const QStringList expected{u"write temp"_qs, u"touch blob"_qs, u"fsyncDir dir2"_qs,
                               u"remove temp"_qs};
    QCOMPARE(m_ops->log(), expected);
    QVERIFY(storeTemporaries().isEmpty());
}

void tst_FileStore::uploadSequence()
{
    const QString first = makeUpload(u"upload-1.part"_qs, "abc");
    QVERIFY(!first.isEmpty());
    const ContentDigest digest = digestFile(first, nullptr);
    QCOMPARE(digest.sha256, AbcSha);
    const files::PutResult stored = m_store->putFromUpload(first, digest);
    QVERIFY(!stored.deduplicated);
    QCOMPARE(stored.digest.etag, u"900150983cd24fb0d6963f7d28e17f72"_qs);
    const QStringList expected{
        u"fsyncFile upload"_qs, u"mkdir dir1"_qs,         u"fsyncDir blobs"_qs, u"mkdir dir2"_qs,
        u"fsyncDir dir1"_qs,    u"rename upload blob"_qs, u"fsyncDir dir2"_qs};
    QCOMPARE(m_ops->log(), expected);
    QVERIFY(!QFileInfo::exists(first));
    QCOMPARE(readAll(m_store->blobPath(AbcSha)), QByteArray("abc"));

    m_ops->clear();
    const QString second = makeUpload(u"upload-2.part"_qs, "abc");
    QVERIFY(m_store->putFromUpload(second, digest).deduplicated);
    const QStringList dedup{u"touch blob"_qs, u"fsyncDir dir2"_qs, u"remove upload"_qs};
    QCOMPARE(m_ops->log(), dedup);
    QVERIFY(!QFileInfo::exists(second));
    QVERIFY(storeTemporaries().isEmpty());
}

void tst_FileStore::uploadCrossDeviceFallback()
{
    const QByteArray content = makeContent(0, 2 * MiB + 3);
    const QString path = makeUpload(u"upload-x.part"_qs, content);
    const ContentDigest digest = digestFile(path, nullptr);
    m_ops->failAt(u"rename upload blob"_qs, FsResult::Error::CrossDevice);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"is not on the file system of"_qs));
    const files::PutResult stored = m_store->putFromUpload(path, digest);
    QVERIFY(!stored.deduplicated);
    const QStringList expected{
        u"fsyncFile upload"_qs, u"mkdir dir1"_qs,     u"fsyncDir blobs"_qs,
        u"mkdir dir2"_qs,       u"fsyncDir dir1"_qs,  u"rename upload blob"_qs,
        u"write temp"_qs,       u"fsyncFile temp"_qs, u"rename temp blob"_qs,
        u"fsyncDir dir2"_qs,    u"remove upload"_qs};
    QCOMPARE(m_ops->log(), expected);
    QCOMPARE(readAll(m_store->blobPath(digest.sha256)), content);
    QVERIFY(!QFileInfo::exists(path));
    QVERIFY(storeTemporaries().isEmpty());
}

void tst_FileStore::uploadRejected_data()
{
    QTest::addColumn<QString>("sha256");
    QTest::addColumn<qint64>("size");
    QTest::addColumn<bool>("createFile");
    QTest::addColumn<int>("kind");

    QTest::newRow("missing-file→NotFound")
        << AbcSha << qint64(3) << false << int(StoreError::Kind::NotFound);
    QTest::newRow("size-mismatch→Invalid")
        << AbcSha << qint64(4) << true << int(StoreError::Kind::Invalid);
    QTest::newRow("path-traversal-sha→Invalid")
        << u"../../../../etc/passwd"_qs << qint64(3) << true << int(StoreError::Kind::Invalid);
    QTest::newRow("uppercase-sha→Invalid")
        << AbcSha.toUpper() << qint64(3) << true << int(StoreError::Kind::Invalid);
}

void tst_FileStore::uploadRejected()
{
    QFETCH(QString, sha256);
    QFETCH(qint64, size);
    QFETCH(bool, createFile);
    QFETCH(int, kind);

    const QString path =
        createFile ? makeUpload(u"upload-r.part"_qs, "abc") : uploadPath(u"upload-r.part"_qs);
    ContentDigest digest;
    digest.sha256 = sha256;
    digest.size = size;
    try {
        m_store->putFromUpload(path, digest);
        QFAIL("the put succeeded");
    } catch (const StoreError &e) {
        QCOMPARE(int(e.kind()), kind);
    }
    QVERIFY(!QFileInfo::exists(path)); // the store owned it
    QVERIFY(!m_store->contains(AbcSha));
    QVERIFY(!m_ops->log().contains(u"rename upload blob"_qs));
}

void tst_FileStore::maxSize()
{
    QBuffer source;
    source.setData(makeContent('m', 3 * MiB));
    source.open(QIODevice::ReadOnly);
    try {
        m_store->putFromDevice(source, 2 * MiB);
        QFAIL("the put succeeded");
    } catch (const StoreError &e) {
        QCOMPARE(e.kind(), StoreError::Kind::TooLarge);
    }
    QVERIFY(storeTemporaries().isEmpty());
    QVERIFY(!m_ops->log().contains(u"fsyncFile temp"_qs));

    source.seek(0);
    const files::PutResult exact = m_store->putFromDevice(source, 3 * MiB); // the limit itself
    QCOMPARE(exact.digest.size, 3 * MiB);
}

void tst_FileStore::constructorCreatesDirectories()
{
    QTemporaryDir dir;
    const QString root = dir.filePath(u"a/b/data"_qs);
    LocalFileStore store(root);
    QVERIFY(QFileInfo(root + u"/blobs"_qs).isDir());
    QVERIFY(QFileInfo(root + u"/tmp"_qs).isDir());
    QCOMPARE(store.bytesAvailable() > 0, true);

    QVERIFY(writeFile(dir.filePath(u"plainfile"_qs), "x"));
    QVERIFY_THROWS_EXCEPTION(StoreError, LocalFileStore(dir.filePath(u"plainfile/data"_qs)));
}

void tst_FileStore::dedupAndIdempotent()
{
    const files::PutResult first = put(*m_store, "same");
    const files::PutResult second = put(*m_store, "same");
    const files::PutResult third = put(*m_store, "different");
    QVERIFY(!first.deduplicated);
    QVERIFY(second.deduplicated);
    QVERIFY(!third.deduplicated);
    QCOMPARE(second.digest.sha256, first.digest.sha256);
    QCOMPARE(second.digest.etag, first.digest.etag);
    QCOMPARE(second.digest.size, 4);
    QVERIFY(first.digest.sha256 != third.digest.sha256);

    QStringList shas;
    m_store->forEachBlob([&](const files::BlobInfo &info) {
        shas << info.sha256;
        return true;
    });
    shas.sort();
    QStringList expected{first.digest.sha256, third.digest.sha256};
    expected.sort();
    QCOMPARE(shas, expected);
    QVERIFY(m_store->contains(first.digest.sha256));
    QVERIFY(m_store->contains(third.digest.sha256));
    QVERIFY(storeTemporaries().isEmpty());
}

void tst_FileStore::damagedBlobIsReplaced()
{
    const files::PutResult first = put(*m_store, "precious content");
    const QString path = m_store->blobPath(first.digest.sha256);
    QVERIFY(writeFile(path, "precious")); // truncated from outside
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"replacing it"_qs));
    const files::PutResult again = put(*m_store, "precious content");
    QVERIFY(!again.deduplicated);
    QCOMPARE(readAll(path), QByteArray("precious content"));
}

void tst_FileStore::concurrentPuts()
{
    // Twelve writers of one content start together: eight stream it, four hand over uploads.
    const QByteArray content = makeContent(0, 3 * MiB + 17);
    const ContentDigest expected = [&] {
        StreamHasher hasher;
        hasher.addData(content);
        return hasher.finish();
    }();
    QStringList uploads;
    for (int i = 0; i < 4; ++i)
        uploads << makeUpload(u"upload-c"_qs + QString::number(i) + u".part"_qs, content);

    constexpr int Writers = 12;
    std::latch start(Writers);
    std::atomic<int> failures = 0;
    std::atomic<int> fresh = 0;
    QMutex mutex;
    QStringList shas;
    std::vector<std::thread> threads;
    for (int i = 0; i < Writers; ++i) {
        threads.emplace_back([&, i] {
            start.arrive_and_wait();
            try {
                const files::PutResult result = i < 8
                    ? put(*m_store, content)
                    : m_store->putFromUpload(uploads.at(i - 8), expected);
                if (!result.deduplicated)
                    ++fresh;
                QMutexLocker lock(&mutex);
                shas << result.digest.sha256;
            } catch (const StoreError &e) {
                qWarning("writer %d failed: %s", i, e.what());
                ++failures;
            }
        });
    }
    for (std::thread &thread : threads)
        thread.join();

    QCOMPARE(failures.load(), 0);
    QCOMPARE(shas.size(), Writers);
    QCOMPARE(shas.count(expected.sha256), Writers);
    QVERIFY(fresh.load() >= 1);
    int blobs = 0;
    m_store->forEachBlob([&](const files::BlobInfo &info) {
        ++blobs;
        [&] {
            QCOMPARE(info.sha256, expected.sha256);
            QCOMPARE(info.size, content.size());
        }();
        return true;
    });
    QCOMPARE(blobs, 1);
    QCOMPARE(readAll(m_store->blobPath(expected.sha256)), content);
    QVERIFY(storeTemporaries().isEmpty());
    QVERIFY(filesIn(m_dir->filePath(u"tmp/uploads"_qs)).isEmpty());
}

void tst_FileStore::openSeekRead_data()
{
    QTest::addColumn<qint64>("offset");
    QTest::addColumn<qint64>("length");

    QTest::newRow("whole") << qint64(0) << qint64(-1);
    QTest::newRow("first-byte") << qint64(0) << qint64(1);
    QTest::newRow("resume-mid-chunk") << qint64(123457) << qint64(-1);
    QTest::newRow("range-across-MiB") << MiB - 10 << qint64(20);
    QTest::newRow("last-byte") << 2 * MiB + 100 << qint64(1);
    QTest::newRow("at-end→nothing") << 2 * MiB + 101 << qint64(-1);
}

void tst_FileStore::openSeekRead()
{
    QFETCH(qint64, offset);
    QFETCH(qint64, length);

    const QByteArray content = makeContent(0, 2 * MiB + 101);
    const QString sha = put(*m_store, content).digest.sha256;
    const std::unique_ptr<QIODevice> device = m_store->open(sha);
    QVERIFY(device);
    QVERIFY(device->isOpen());
    QVERIFY(!device->isSequential());
    QCOMPARE(device->size(), content.size());
    QVERIFY(device->seek(offset));
    const QByteArray bytes = length < 0 ? device->readAll() : device->read(length);
    QCOMPARE(bytes, content.mid(offset, length));
}

void tst_FileStore::openMissing()
{
    QVERIFY(!m_store->open(AbcSha));
    QVERIFY(!m_store->open(u"../blobs"_qs));
    QVERIFY(!m_store->contains(AbcSha));
    QVERIFY(!m_store->contains(QString()));
    QVERIFY(!m_store->remove(AbcSha));
    QVERIFY_THROWS_EXCEPTION(StoreError, m_store->copyTo(AbcSha, m_dir->filePath(u"w/x"_qs)));
    QVERIFY(m_store->blobPath(u"ABC"_qs).isEmpty());

    put(*m_store, "abc");
    QVERIFY(m_store->remove(AbcSha));
    QVERIFY(!m_store->contains(AbcSha));
    QVERIFY(!m_store->remove(AbcSha));
}

void tst_FileStore::copyToIsIndependent()
{
    const QByteArray content = makeContent(0, MiB + 3);
    const QString sha = put(*m_store, content).digest.sha256;
    const QString copy = m_dir->filePath(u"work/job-1/files/data.gpkg"_qs);
    m_store->copyTo(sha, copy); // creates the directories
    QCOMPARE(readAll(copy), content);
    QVERIFY(QFileInfo(copy).isWritable());

    QFile file(copy);
    QVERIFY(file.open(QIODevice::ReadWrite));
    QVERIFY(file.seek(10));
    QCOMPARE(file.write("changed by the worker"), 21);
    file.close();

    QCOMPARE(readAll(m_store->blobPath(sha)), content);
    bool ok = false;
    QCOMPARE(digestFile(m_store->blobPath(sha), &ok).sha256, sha);
    QVERIFY(ok);

    // Copying again replaces the modified copy.
    m_store->copyTo(sha, copy);
    QCOMPARE(readAll(copy), content);
}

void tst_FileStore::copyToReplacesLinks()
{
#ifdef Q_OS_WIN
    QSKIP("symbolic links need privileges on Windows");
#else
    const QString blobA = m_store->blobPath(put(*m_store, "content A").digest.sha256);
    const QString shaB = put(*m_store, "content B").digest.sha256;
    const QString target = m_dir->filePath(u"work/linked"_qs);
    QVERIFY(QDir().mkpath(m_dir->filePath(u"work"_qs)));
    QVERIFY(QFile::link(blobA, target)); // a link to a stored blob at the target path
    m_store->copyTo(shaB, target);
    QVERIFY(!QFileInfo(target).isSymLink());
    QCOMPARE(readAll(target), QByteArray("content B"));
    QCOMPARE(readAll(blobA), QByteArray("content A"));
#endif
}

void tst_FileStore::garbageCollection()
{
    const QDateTime old = QDateTime::currentDateTimeUtc().addDays(-2);
    const QString referencedOld = put(*m_store, "referenced, old").digest.sha256;
    const QString unreferencedOld = put(*m_store, "unreferenced, old").digest.sha256;
    const QString unreferencedOld2 = put(*m_store, "unreferenced, old too").digest.sha256;
    const QString unreferencedYoung = put(*m_store, "unreferenced, young").digest.sha256;
    for (const QString &sha : {referencedOld, unreferencedOld, unreferencedOld2})
        QVERIFY(setModified(m_store->blobPath(sha), old));
    QVERIFY(writeFile(m_dir->filePath(u"blobs/ab/cd/not-a-blob"_qs), "foreign"));

    QStringList asked;
    const files::GarbageReport report = m_store->collectGarbage(
        [&](const QString &sha) {
            asked << sha;
            return sha == referencedOld;
        },
        3600);
    QCOMPARE(report.examined, 4);
    QCOMPARE(report.removed, 2);
    QCOMPARE(report.bytesRemoved,
             qint64(strlen("unreferenced, old") + strlen("unreferenced, old too")));
    QCOMPARE(report.keptReferenced, 1);
    QCOMPARE(report.keptYoung, 1);
    QCOMPARE(report.failed, 0);
    QVERIFY(!asked.contains(unreferencedYoung)); // young blobs are not even looked up

    QVERIFY(m_store->contains(referencedOld));
    QVERIFY(m_store->contains(unreferencedYoung));
    QVERIFY(!m_store->contains(unreferencedOld));
    QVERIFY(!m_store->contains(unreferencedOld2));
    QVERIFY(QFileInfo::exists(m_dir->filePath(u"blobs/ab/cd/not-a-blob"_qs)));
    QVERIFY(storeTemporaries().isEmpty());

    // Without a grace period the young one goes too.
    const files::GarbageReport now =
        m_store->collectGarbage([&](const QString &sha) { return sha == referencedOld; }, 0);
    QCOMPARE(now.removed, 1);
    QVERIFY(!m_store->contains(unreferencedYoung));
    QVERIFY(m_store->contains(referencedOld));
}

void tst_FileStore::garbageCollectionRace_data()
{
    QTest::addColumn<bool>("putAfterRename");
    QTest::newRow("dedup-put-before-gc-rename→blob-put-back") << false;
    QTest::newRow("put-after-gc-rename→blob-rewritten") << true;
}

void tst_FileStore::garbageCollectionRace()
{
    QFETCH(bool, putAfterRename);

    const QByteArray content = makeContent(0, MiB + 1);
    const QString sha = put(*m_store, content).digest.sha256;
    QVERIFY(setModified(m_store->blobPath(sha), QDateTime::currentDateTimeUtc().addDays(-2)));

    // A concurrent upload of the same content lands between the collector's look at the blob
    // (old, unreferenced) and its rename to the trash, or right after that rename.
    std::optional<files::PutResult> concurrent;
    m_ops->hookAt(
        u"rename blob trash"_qs, [&] { concurrent = put(*m_store, content); }, putAfterRename);
    const files::GarbageReport report =
        m_store->collectGarbage([](const QString &) { return false; }, 3600);
    QVERIFY(concurrent);
    QCOMPARE(concurrent->deduplicated, !putAfterRename);
    QCOMPARE(report.removed, putAfterRename ? 1 : 0);
    QCOMPARE(report.keptYoung, putAfterRename ? 0 : 1);
    QCOMPARE(report.failed, 0);
    // Either way the blob the concurrent put reported is there, complete.
    QCOMPARE(readAll(m_store->blobPath(sha)), content);
    QVERIFY(storeTemporaries().isEmpty());
}

void tst_FileStore::dedupRefreshesGrace()
{
    const QString sha = put(*m_store, "re-uploaded").digest.sha256;
    QVERIFY(setModified(m_store->blobPath(sha), QDateTime::currentDateTimeUtc().addDays(-2)));
    QVERIFY(put(*m_store, "re-uploaded").deduplicated); // its row is not committed yet
    const files::GarbageReport report =
        m_store->collectGarbage([](const QString &) { return false; }, 3600);
    QCOMPARE(report.keptYoung, 1);
    QVERIFY(m_store->contains(sha));
}

void tst_FileStore::forEachBlob()
{
    put(*m_store, "one");
    put(*m_store, "two");
    int seen = 0;
    m_store->forEachBlob([&](const files::BlobInfo &info) {
        ++seen;
        [&] {
            QCOMPARE(info.size, 3);
            QVERIFY(qAbs(info.modified.secsTo(QDateTime::currentDateTimeUtc())) < 600);
            QCOMPARE(info.modified.timeSpec(), Qt::UTC);
        }();
        return false; // stop after the first
    });
    QCOMPARE(seen, 1);
}

void tst_FileStore::cleanTemporaries()
{
    const QString tmp = m_store->tempDir();
    const QDateTime old = QDateTime::currentDateTimeUtc().addSecs(-7200);
    const QString staleTemp = tmp + u"/blob-1111.tmp"_qs;
    const QString freshTemp = tmp + u"/blob-2222.tmp"_qs;
    const QString foreign = tmp + u"/something-else.tmp"_qs;
    const QString upload = tmp + u"/uploads/upload-3333.part"_qs;
    QVERIFY(writeFile(staleTemp, "partial"));
    QVERIFY(setModified(staleTemp, old));
    QVERIFY(writeFile(freshTemp, "in progress"));
    QVERIFY(writeFile(foreign, "not ours"));
    QVERIFY(setModified(foreign, old));
    QVERIFY(writeFile(upload, "the HTTP layer's"));
    QVERIFY(setModified(upload, old));

    // Trash of an interrupted collection: put back when the blob is missing, dropped otherwise.
    const QByteArray content = "collected, then interrupted";
    const QString trashedSha = put(*m_store, content).digest.sha256;
    const QString trash = tmp + u"/gc-"_qs + trashedSha + u"-0000.trash"_qs;
    QVERIFY(QFile::rename(m_store->blobPath(trashedSha), trash));
    const QString keptSha = put(*m_store, "still stored").digest.sha256;
    const QString duplicateTrash = tmp + u"/gc-"_qs + keptSha + u"-1111.trash"_qs;
    QVERIFY(writeFile(duplicateTrash, "still stored"));
    const QString badTrash = tmp + u"/gc-nonsense.trash"_qs;
    QVERIFY(writeFile(badTrash, "?"));

    QCOMPARE(m_store->cleanTemporaries(3600), 3);
    QVERIFY(!QFileInfo::exists(staleTemp));
    QVERIFY(QFileInfo::exists(freshTemp));
    QVERIFY(QFileInfo::exists(foreign));
    QVERIFY(QFileInfo::exists(upload));
    QVERIFY(!QFileInfo::exists(trash));
    QCOMPARE(readAll(m_store->blobPath(trashedSha)), content);
    QVERIFY(!QFileInfo::exists(duplicateTrash));
    QCOMPARE(readAll(m_store->blobPath(keptSha)), QByteArray("still stored"));
    QVERIFY(QFileInfo::exists(badTrash));

    QCOMPARE(m_store->cleanTemporaries(0), 1); // at start-up, alone: every put temporary
    QVERIFY(!QFileInfo::exists(freshTemp));
    QVERIFY(QFileInfo::exists(upload));

    // Two nodes sharing the storage: each start-up removes its own leftovers, whatever their
    // age, and never the other node's put in progress.
    LocalFileStore nodeA(m_dir->path());
    LocalFileStore nodeB(m_dir->path());
    nodeA.setTemporaryOwner(u"node-a"_qs);
    nodeB.setTemporaryOwner(u"node-b"_qs);
    const QString leftOfA = tmp + u"/blob-node-a.5555.tmp"_qs;
    const QString putOfB = tmp + u"/blob-node-b.6666.tmp"_qs;
    QVERIFY(writeFile(leftOfA, "left by a crash of a"));
    QVERIFY(writeFile(putOfB, "b is writing"));
    QCOMPARE(nodeA.cleanOwnTemporaries(), 1);
    QVERIFY(!QFileInfo::exists(leftOfA));
    QVERIFY(QFileInfo::exists(putOfB));
    QCOMPARE(nodeA.cleanTemporaries(3600), 0);
    QVERIFY(QFileInfo::exists(putOfB));
    // A node's puts carry its name: a put that fails half-way leaves nothing either way.
    const QByteArray data(64 * 1024, 'x');
    QBuffer source;
    source.setData(data);
    QVERIFY(source.open(QIODevice::ReadOnly));
    QVERIFY_THROWS_EXCEPTION(StoreError, nodeB.putFromDevice(source, 1024));
    QCOMPARE(nodeB.cleanOwnTemporaries(), 1); // only the hand-made one above
}

void tst_FileStore::digests_data()
{
    QTest::addColumn<char>("fill");
    QTest::addColumn<qint64>("size");
    QTest::addColumn<QString>("sha256");
    QTest::addColumn<QString>("md5");
    QTest::addColumn<QString>("etag");

    QTest::newRow("empty") << 'x' << qint64(0)
                           << u"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"_qs
                           << u"d41d8cd98f00b204e9800998ecf8427e"_qs
                           << u"d41d8cd98f00b204e9800998ecf8427e"_qs;
    QTest::newRow("spec-example-10000000-x→1e762c…-2")
        << 'x' << qint64(10'000'000)
        << u"0c9a42b3d065a64063eca67e98c932fa2e9a077bc7973a421a964a11304c998c"_qs
        << u"34801b928f5b34fb90c56312d79408f5"_qs << u"1e762c1c6ca960a51ce95942752cf1f6-2"_qs;
    QTest::newRow("pattern-16MiB-plus-12345→three-parts")
        << char(0) << 16 * MiB + 12345
        << u"09cc6e452d14412d2acbb662a8c3f998b344116e447a5845924f8bfb57e4e33d"_qs
        << u"fe9683b8d54f5116cee2a718f4e5df38"_qs << u"5e1c8b3ccf5f0f58b67532801b084b88-3"_qs;
}

void tst_FileStore::digests()
{
    QFETCH(char, fill);
    QFETCH(qint64, size);
    QFETCH(QString, sha256);
    QFETCH(QString, md5);
    QFETCH(QString, etag);

    const QByteArray content = makeContent(fill, size);
    const files::PutResult stored = put(*m_store, content);
    QCOMPARE(stored.digest.size, size);
    QCOMPARE(stored.digest.sha256, sha256);
    QCOMPARE(stored.digest.md5, md5);
    QCOMPARE(stored.digest.etag, etag);

    StreamHasher hasher;
    hasher.addData(content);
    const ContentDigest reference = hasher.finish();
    QCOMPARE(stored.digest.sha256, reference.sha256);
    QCOMPARE(stored.digest.md5, reference.md5);
    QCOMPARE(stored.digest.etag, reference.etag);

    // The blob holds exactly that content, under that name.
    bool ok = false;
    const ContentDigest onDisk = digestFile(m_store->blobPath(sha256), &ok);
    QVERIFY(ok);
    QCOMPARE(onDisk.sha256, sha256);
    QCOMPARE(onDisk.size, size);
}

void tst_FileStore::fiveGiBStream()
{
    constexpr qint64 Size = 5 * GiB;
    if (qEnvironmentVariableIsSet("QFC_SKIP_LARGE_TESTS"))
        QSKIP("QFC_SKIP_LARGE_TESTS is set");
    const QStorageInfo storage(m_dir->path());
    const qint64 needed = Size + 512 * MiB;
    if (storage.bytesAvailable() < needed)
        QSKIP(qPrintable(u"needs %1 MiB free in %2, has %3 MiB"_qs.arg(needed / MiB)
                             .arg(m_dir->path())
                             .arg(storage.bytesAvailable() / MiB)));

    // Reset the peak RSS (Linux >= 4.0), so that VmHWM measures this test alone.
    QFile clearRefs(u"/proc/self/clear_refs"_qs);
    const bool canMeasure = clearRefs.open(QIODevice::WriteOnly) && clearRefs.write("5") == 1;
    clearRefs.close();
    const qint64 rssBefore = peakRss();

    PatternDevice source(Size);
    const files::PutResult stored = m_store->putFromDevice(source);
    const qint64 rssGrowth = peakRss() - rssBefore;

    QCOMPARE(stored.digest.size, Q_INT64_C(5368709120));
    QCOMPARE(stored.digest.sha256,
             u"4dc5d109c2bd8015706ca950cab9523e02a779369439d1f40bdef858ab8cda9b"_qs);
    QCOMPARE(stored.digest.md5, u"780f86ebbc6abefcf291b80ee0d8c964"_qs);
    QCOMPARE(stored.digest.etag, u"34172a5cb01a0598ec46b12e348879de-640"_qs);
    if (canMeasure && rssBefore > 0) {
        qInfo("peak RSS grew by %lld KiB while storing 5 GiB", rssGrowth / 1024);
        QVERIFY2(rssGrowth < 64 * MiB, qPrintable(QString::number(rssGrowth)));
    }

    const std::unique_ptr<QIODevice> blob = m_store->open(stored.digest.sha256);
    QVERIFY(blob);
    QCOMPARE(blob->size(), Size);
    const QByteArray block = makeContent(0, MiB);
    for (const qint64 offset : {qint64(0), 4 * GiB - 7, 4 * GiB + 12345, Size - 100}) {
        QVERIFY(blob->seek(offset));
        const QByteArray bytes = blob->read(100);
        QCOMPARE(bytes.size(), 100);
        for (qint64 i = 0; i < 100; ++i)
            QCOMPARE(bytes.at(i), block.at((offset + i) % MiB));
    }
    QVERIFY(blob->read(1).isEmpty());
    QVERIFY(m_store->remove(stored.digest.sha256));
}

QTEST_GUILESS_MAIN(tst_FileStore)
#include "tst_filestore.moc"
