#include "localfilestore.h"

#include "core/logging.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QStorageInfo>
#include <QUuid>

namespace qfc::files {

using platform::FsResult;

namespace {

const QString TempPrefix = u"blob-"_qs;
const QString TempSuffix = u".tmp"_qs;
const QString TrashPrefix = u"gc-"_qs;
const QString TrashSuffix = u".trash"_qs;

StoreError::Kind kindOf(const FsResult &result)
{
    switch (result.error) {
    case FsResult::Error::NoSpace:
        return StoreError::Kind::NoSpace;
    case FsResult::Error::NotFound:
        return StoreError::Kind::NotFound;
    default:
        return StoreError::Kind::Io;
    }
}

void check(const FsResult &result)
{
    if (!result.ok())
        throw StoreError(kindOf(result), result.message);
}

StoreError fileError(const QFileDevice &file, const QString &what)
{
    const StoreError::Kind kind = file.error() == QFileDevice::ResourceError
        ? StoreError::Kind::NoSpace
        : StoreError::Kind::Io;
    return StoreError(kind, what + u' ' + file.fileName() + u": "_qs + file.errorString());
}

qint64 ageMs(const QDateTime &modified)
{
    return QDateTime::currentMSecsSinceEpoch() - modified.toMSecsSinceEpoch();
}

QString directoryOf(const QString &path)
{
    return path.left(path.lastIndexOf(u'/'));
}

} // namespace

// Removes a temporary (closing it first: Windows cannot remove an open file) unless the rename
// consumed it.
class LocalFileStore::TempGuard
{
public:
    TempGuard(platform::FileSystemOps &ops, QFile &file) : m_ops(ops), m_file(file) { }
    ~TempGuard()
    {
        if (!m_armed)
            return;
        m_file.close();
        const FsResult removed = m_ops.remove(m_file.fileName());
        if (!removed.ok() && removed.error != FsResult::Error::NotFound)
            qCWarning(lcFiles) << "cannot remove a temporary:" << removed.message;
    }
    TempGuard(const TempGuard &) = delete;
    TempGuard &operator=(const TempGuard &) = delete;

    void dismiss() { m_armed = false; }

private:
    platform::FileSystemOps &m_ops;
    QFile &m_file;
    bool m_armed = true;
};

LocalFileStore::LocalFileStore(const QString &dataDir, std::shared_ptr<platform::FileSystemOps> ops)
    : m_ops(std::move(ops))
{
    const QString root = QDir::cleanPath(QDir(dataDir).absolutePath());
    m_blobsDir = root + u"/blobs"_qs;
    m_tempDir = root + u"/tmp"_qs;
    if (!QDir().mkpath(root))
        throw StoreError(StoreError::Kind::Io, u"cannot create the data directory "_qs + root);
    ensureDirectory(m_blobsDir, root);
    ensureDirectory(m_tempDir, root);
}

QString LocalFileStore::blobPath(const QString &sha256) const
{
    if (!isValidSha256(sha256))
        return {};
    return m_blobsDir + u'/' + QStringView(sha256).left(2) + u'/' + QStringView(sha256).mid(2, 2)
        + u'/' + sha256;
}

QString LocalFileStore::newTempPath() const
{
    return m_tempDir + u'/' + TempPrefix + m_tempOwner
        + QUuid::createUuid().toString(QUuid::WithoutBraces) + TempSuffix;
}

void LocalFileStore::ensureDirectory(const QString &dir, const QString &parent) const
{
    if (QFileInfo(dir).isDir())
        return;
    check(m_ops->makeDirectory(dir));
    // The new entry in the parent must be durable before a blob below it counts as stored.
    check(m_ops->fsyncDirectory(parent));
}

bool LocalFileStore::contains(const QString &sha256) const
{
    return isValidSha256(sha256) && QFileInfo(blobPath(sha256)).isFile();
}

ContentDigest LocalFileStore::copyIn(QIODevice &source, qint64 maxSize, QFile &temp) const
{
    StreamHasher hasher;
    QByteArray buffer(ChunkSize, Qt::Uninitialized);
    qint64 total = 0;
    for (;;) {
        const qint64 n = source.read(buffer.data(), buffer.size());
        if (n < 0)
            throw StoreError(StoreError::Kind::Io,
                             u"cannot read the content to store: "_qs + source.errorString());
        if (n == 0)
            break;
        total += n;
        if (maxSize >= 0 && total > maxSize)
            throw StoreError(StoreError::Kind::TooLarge,
                             u"the content exceeds "_qs + QString::number(maxSize) + u" bytes"_qs);
        hasher.addData(buffer.constData(), n);
        check(m_ops->write(temp, buffer.constData(), n));
    }
    return hasher.finish();
}

bool LocalFileStore::adoptExisting(const QString &sha256, qint64 size) const
{
    const QString path = blobPath(sha256);
    const QFileInfo info(path);
    if (!info.isFile())
        return false;
    if (info.size() != size) {
        // Blobs are only ever renamed into place complete, so this is damage from outside QFC:
        // replace it with the content at hand.
        qCWarning(lcFiles) << "blob" << path << "has" << info.size() << "bytes instead of" << size
                           << "- replacing it";
        return false;
    }
    // A fresh modification time tells a collection in progress (and the grace period of the
    // next ones) that the blob is wanted again.
    const FsResult touched = m_ops->touch(path);
    if (touched.error == FsResult::Error::NotFound)
        return false; // collected meanwhile: store it anew
    check(touched);
    // The blob's entry may come from a put that has not flushed the directory yet.
    check(m_ops->fsyncDirectory(directoryOf(path)));
    return true;
}

std::optional<PutResult> LocalFileStore::install(QFile &temp, const ContentDigest &digest,
                                                 TempGuard &guard, bool fallBackOnCrossDevice) const
{
    if (adoptExisting(digest.sha256, digest.size))
        return PutResult{digest, true}; // the guard drops the temporary
    check(m_ops->fsyncFile(temp));
    temp.close();
    if (temp.error() != QFileDevice::NoError)
        throw fileError(temp, u"cannot close"_qs);
    const QString target = blobPath(digest.sha256);
    const QString level1 = directoryOf(directoryOf(target));
    ensureDirectory(level1, m_blobsDir);
    ensureDirectory(directoryOf(target), level1);
    const FsResult renamed = m_ops->rename(temp.fileName(), target);
    if (!renamed.ok()) {
        if (renamed.error == FsResult::Error::CrossDevice && fallBackOnCrossDevice)
            return std::nullopt;
        // A concurrent put of the same content may have won, and Windows refuses to replace a
        // file that a reader holds open.
        if (adoptExisting(digest.sha256, digest.size))
            return PutResult{digest, true};
        if (renamed.error == FsResult::Error::CrossDevice)
            throw StoreError(StoreError::Kind::Io,
                             renamed.message
                                 + u" (the data directory's tmp/ and blobs/ must be "
                                   u"on one file system)"_qs);
        check(renamed);
    }
    guard.dismiss();
    check(m_ops->fsyncDirectory(directoryOf(target)));
    return PutResult{digest, false};
}

PutResult LocalFileStore::putFromDevice(QIODevice &source, qint64 maxSize)
{
    QFile temp(newTempPath());
    if (!temp.open(QIODevice::WriteOnly | QIODevice::NewOnly | QIODevice::Unbuffered))
        throw fileError(temp, u"cannot create the temporary"_qs);
    TempGuard guard(*m_ops, temp);
    const ContentDigest digest = copyIn(source, maxSize, temp);
    return *install(temp, digest, guard, false);
}

PutResult LocalFileStore::putFromUpload(const QString &tempPath, const ContentDigest &digest)
{
    const QFileInfo info(tempPath);
    if (!info.isFile())
        throw StoreError(StoreError::Kind::NotFound, u"no upload at "_qs + tempPath);
    QFile upload(tempPath);
    TempGuard uploadGuard(*m_ops, upload); // the store owns the upload from here on
    if (!isValidSha256(digest.sha256))
        throw StoreError(StoreError::Kind::Invalid, u"malformed sha256 "_qs + digest.sha256);
    // The HTTP layer hashed every byte on its way into the file; re-reading a multi-GiB upload
    // to hash it again would double the disk traffic. The size check catches a mix-up or a
    // truncated file at the cost of one stat().
    if (info.size() != digest.size)
        throw StoreError(StoreError::Kind::Invalid,
                         u"upload "_qs + tempPath + u" has "_qs + QString::number(info.size())
                             + u" bytes, its digest says "_qs + QString::number(digest.size));
    if (!upload.open(QIODevice::ReadWrite | QIODevice::ExistingOnly))
        throw fileError(upload, u"cannot open the upload"_qs);
    if (const std::optional<PutResult> stored = install(upload, digest, uploadGuard, true))
        return *stored;

    // The upload spool is on another file system: copy, and check the digest on the way.
    qCWarning(lcFiles) << "upload" << tempPath << "is not on the file system of" << m_blobsDir
                       << "- copying it; keep the upload spool inside the data directory";
    if (!upload.open(QIODevice::ReadOnly))
        throw fileError(upload, u"cannot open the upload"_qs);
    QFile temp(newTempPath());
    if (!temp.open(QIODevice::WriteOnly | QIODevice::NewOnly | QIODevice::Unbuffered))
        throw fileError(temp, u"cannot create the temporary"_qs);
    TempGuard guard(*m_ops, temp);
    const ContentDigest copied = copyIn(upload, digest.size, temp);
    if (copied.sha256 != digest.sha256 || copied.size != digest.size)
        throw StoreError(StoreError::Kind::Invalid,
                         u"upload "_qs + tempPath + u" does not match its digest"_qs);
    return *install(temp, digest, guard, false);
}

std::unique_ptr<QIODevice> LocalFileStore::open(const QString &sha256) const
{
    if (!isValidSha256(sha256))
        return nullptr;
    auto file = std::make_unique<QFile>(blobPath(sha256));
    if (file->open(QIODevice::ReadOnly))
        return file;
    if (!QFileInfo::exists(file->fileName()))
        return nullptr;
    throw fileError(*file, u"cannot open"_qs);
}

void LocalFileStore::copyTo(const QString &sha256, const QString &localPath) const
{
    if (!isValidSha256(sha256))
        throw StoreError(StoreError::Kind::Invalid, u"malformed sha256 "_qs + sha256);
    const std::unique_ptr<QIODevice> source = open(sha256);
    if (!source)
        throw StoreError(StoreError::Kind::NotFound, u"no blob "_qs + sha256);
    // Replace whatever is at localPath, a (hard or symbolic) link included, instead of writing
    // through it; NewOnly (O_EXCL) refuses to follow a link that appears meanwhile.
    const QFileInfo existing(localPath);
    if ((existing.exists() || existing.isSymLink()) && !QFile::remove(localPath))
        throw StoreError(StoreError::Kind::Io, u"cannot replace "_qs + localPath);
    QDir().mkpath(existing.absolutePath());
    QFile target(localPath);
    if (!target.open(QIODevice::WriteOnly | QIODevice::NewOnly | QIODevice::Unbuffered))
        throw fileError(target, u"cannot create"_qs);
    QByteArray buffer(ChunkSize, Qt::Uninitialized);
    for (;;) {
        const qint64 n = source->read(buffer.data(), buffer.size());
        if (n == 0)
            break;
        if (n < 0 || target.write(buffer.constData(), n) != n) {
            const StoreError error = n < 0
                ? StoreError(StoreError::Kind::Io, u"cannot read blob "_qs + sha256)
                : fileError(target, u"cannot write"_qs);
            target.close();
            target.remove();
            throw error;
        }
    }
    if (!target.flush()) {
        const StoreError error = fileError(target, u"cannot write"_qs);
        target.close();
        target.remove();
        throw error;
    }
}

bool LocalFileStore::remove(const QString &sha256)
{
    if (!isValidSha256(sha256))
        return false;
    const FsResult removed = m_ops->remove(blobPath(sha256));
    if (removed.error == FsResult::Error::NotFound)
        return false;
    check(removed);
    return true;
}

void LocalFileStore::forEachBlob(const std::function<bool(const BlobInfo &)> &visit) const
{
    QDirIterator it(m_blobsDir, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        const QFileInfo info = it.fileInfo();
        if (path != blobPath(info.fileName()))
            continue; // not a blob: nothing of ours
        if (!visit(BlobInfo{info.fileName(), info.size(), info.lastModified().toUTC()}))
            return;
    }
}

GarbageReport
LocalFileStore::collectGarbage(const std::function<bool(const QString &)> &isReferenced,
                               qint64 minAgeSeconds)
{
    GarbageReport report;
    const qint64 minAgeMs = minAgeSeconds * 1000;
    QDirIterator it(m_blobsDir, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        const QString sha256 = it.fileName();
        if (path != blobPath(sha256))
            continue; // not a blob: leave it alone
        const QFileInfo info(path); // fresh, not the iterator's cached one
        if (!info.isFile())
            continue; // removed meanwhile
        ++report.examined;
        const QDateTime modified = info.lastModified();
        if (ageMs(modified) < minAgeMs) {
            ++report.keptYoung;
            continue;
        }
        if (isReferenced(sha256)) {
            ++report.keptReferenced;
            continue;
        }
        collect(sha256, path, modified, info.size(), minAgeMs, report);
    }
    qCDebug(lcFiles) << "garbage collection: examined" << report.examined << "removed"
                     << report.removed << "(" << report.bytesRemoved << "bytes ) kept"
                     << report.keptReferenced << "referenced and" << report.keptYoung
                     << "young; failed" << report.failed;
    return report;
}

void LocalFileStore::collect(const QString &sha256, const QString &path, const QDateTime &modified,
                             qint64 size, qint64 minAgeMs, GarbageReport &report) const
{
    const QString trash = m_tempDir + u'/' + TrashPrefix + sha256 + u'-'
        + QUuid::createUuid().toString(QUuid::WithoutBraces) + TrashSuffix;
    const FsResult moved = m_ops->rename(path, trash);
    if (moved.error == FsResult::Error::NotFound)
        return; // removed by someone else meanwhile
    if (!moved.ok()) {
        ++report.failed;
        qCWarning(lcFiles) << "cannot collect blob" << sha256 << ":" << moved.message;
        return;
    }
    const QDateTime current = QFileInfo(trash).lastModified();
    if (current != modified || ageMs(current) < minAgeMs) {
        // A put deduplicated against the blob between the look above and the rename: it is
        // about to be referenced, put it back.
        ++report.keptYoung;
        FsResult restored = m_ops->rename(trash, path);
        if (restored.error == FsResult::Error::NotFound)
            return; // cleanTemporaries() of another process put it back already
        if (restored.ok())
            restored = m_ops->fsyncDirectory(directoryOf(path));
        if (!restored.ok()) {
            ++report.failed;
            qCCritical(lcFiles) << "cannot put blob" << sha256 << "back from" << trash << ":"
                                << restored.message
                                << "- cleanTemporaries() restores it at the next start";
        }
        return;
    }
    const FsResult removed = m_ops->remove(trash);
    if (!removed.ok()) {
        ++report.failed;
        qCWarning(lcFiles) << "cannot remove collected blob" << trash << ":" << removed.message;
        return;
    }
    ++report.removed;
    report.bytesRemoved += size;
}

void LocalFileStore::setTemporaryOwner(const QString &owner)
{
    m_tempOwner = owner.isEmpty() ? QString() : owner + u'.';
}

qint64 LocalFileStore::cleanOwnTemporaries()
{
    if (m_tempOwner.isEmpty())
        return 0;
    return removeTemporaries(TempPrefix + m_tempOwner, 0);
}

qint64 LocalFileStore::removeTemporaries(const QString &namePrefix, qint64 minAgeMs)
{
    qint64 cleared = 0;
    QDirIterator it(m_tempDir, QDir::Files | QDir::Hidden);
    while (it.hasNext()) {
        const QString path = it.next();
        const QString name = it.fileName();
        if (!name.startsWith(namePrefix) || !name.endsWith(TempSuffix))
            continue;
        // An interrupted put; its writer refreshes the modification time with every chunk.
        if (minAgeMs > 0 && ageMs(QFileInfo(path).lastModified()) < minAgeMs)
            continue;
        const FsResult removed = m_ops->remove(path);
        if (removed.ok())
            ++cleared;
        else if (removed.error != FsResult::Error::NotFound)
            qCWarning(lcFiles) << "cannot remove a stale temporary:" << removed.message;
    }
    return cleared;
}

qint64 LocalFileStore::cleanTemporaries(qint64 minAgeSeconds)
{
    qint64 cleared = removeTemporaries(TempPrefix, minAgeSeconds * 1000);
    QDirIterator it(m_tempDir, QDir::Files | QDir::Hidden);
    while (it.hasNext()) {
        const QString path = it.next();
        const QString name = it.fileName();
        if (name.startsWith(TrashPrefix) && name.endsWith(TrashSuffix)) {
            // An interrupted collection, or one running in another process: putting the blob
            // back is always safe (the next collection decides again), removing it is not.
            const QString sha256 = name.mid(TrashPrefix.size(), 64);
            const QString target = blobPath(sha256);
            if (target.isEmpty())
                continue;
            FsResult done;
            if (QFileInfo(target).isFile()) {
                done = m_ops->remove(path);
            } else {
                done = m_ops->rename(path, target);
                if (done.ok())
                    done = m_ops->fsyncDirectory(directoryOf(target));
            }
            if (done.ok())
                ++cleared;
            else if (done.error != FsResult::Error::NotFound)
                qCWarning(lcFiles) << "cannot restore" << path << ":" << done.message;
        }
    }
    return cleared;
}

qint64 LocalFileStore::bytesAvailable() const
{
    const QStorageInfo storage(m_blobsDir);
    return storage.isValid() ? storage.bytesAvailable() : -1;
}

} // namespace qfc::files
