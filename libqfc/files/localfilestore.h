#pragma once

#include "files/filestore.h"
#include "platform/durablefs.h"

#include <memory>
#include <optional>

class QFile;

namespace qfc::files {

// The FileStore on a local disk. Blob <sha256> lives at <data_dir>/blobs/<sha[0:2]>/<sha[2:4]>/
// <sha256>; temporaries live in <data_dir>/tmp/, which must be on the same file system as
// <data_dir>/blobs/ (a rename moves them into place).
//
// A put, through FileSystemOps and in this order: write the temporary (hashing it on the way) →
// fsync it → create a missing fan-out directory, each followed by an fsync of its parent →
// rename the temporary over the blob's name → fsync the blob's directory. It returns only then,
// and only then may the caller commit its row. A failing step ends the put: the temporary is
// removed and the step's error is thrown; no blob becomes visible, except that a failing last
// fsync leaves the (complete) blob in place for a retry or the collector, because a concurrent
// put of the same content may already rely on it.
//
// Equal contents: a put whose blob exists already refreshes the blob's modification time (so
// that a collection in progress keeps it, see collectGarbage()), fsyncs its directory and drops
// its temporary; the existing blob is never rewritten. Concurrent puts of one content write
// separate temporaries and rename them over the same name: rename is atomic and the contents are
// identical, so readers see a complete blob whichever rename wins.
class LocalFileStore final : public FileStore
{
public:
    // The copy buffer: the memory a running put or copy needs, whatever the content's size.
    static constexpr qint64 ChunkSize = 1024 * 1024;

    // Creates <data_dir>, its blobs/ and tmp/ when missing; throws StoreError when it cannot.
    explicit LocalFileStore(
        const QString &dataDir,
        std::shared_ptr<platform::FileSystemOps> ops = platform::nativeFileSystemOps());

    bool contains(const QString &sha256) const override;
    PutResult putFromUpload(const QString &tempPath, const ContentDigest &digest) override;
    PutResult putFromDevice(QIODevice &source, qint64 maxSize = -1) override;
    std::unique_ptr<QIODevice> open(const QString &sha256) const override;
    void copyTo(const QString &sha256, const QString &localPath) const override;
    bool remove(const QString &sha256) override;
    void forEachBlob(const std::function<bool(const BlobInfo &)> &visit) const override;
    // A candidate (old enough, not referenced) is first renamed into tmp/ as
    // "gc-<sha256>-<uuid>.trash", then its modification time is read again: a put that
    // deduplicated against it meanwhile has refreshed it, and the blob is renamed back; otherwise
    // the trash file is removed. A put that comes after the rename finds no blob and writes it
    // anew. This holds across processes sharing the data directory. Fan-out directories are never
    // removed (a concurrent put may be about to rename into one).
    GarbageReport collectGarbage(const std::function<bool(const QString &)> &isReferenced,
                                 qint64 minAgeSeconds) override;
    // Removes the put temporaries ("blob-*.tmp" in tmp/) older than `minAgeSeconds` and puts the
    // trash of an interrupted collection back where it was (the next collection decides again).
    // tmp/uploads/ belongs to the HTTP layer and is left alone.
    qint64 cleanTemporaries(qint64 minAgeSeconds) override;
    // Put temporaries become "blob-<owner>.<uuid>.tmp".
    void setTemporaryOwner(const QString &owner) override;
    qint64 cleanOwnTemporaries() override;
    qint64 bytesAvailable() const override;

    // Where a blob lives (diagnostics, tests); empty for a malformed sha256.
    QString blobPath(const QString &sha256) const;
    const QString &blobsDir() const { return m_blobsDir; }
    const QString &tempDir() const { return m_tempDir; }

private:
    class TempGuard;

    QString newTempPath() const;
    qint64 removeTemporaries(const QString &namePrefix, qint64 minAgeMs);
    void ensureDirectory(const QString &dir, const QString &parent) const;
    ContentDigest copyIn(QIODevice &source, qint64 maxSize, QFile &temp) const;
    bool adoptExisting(const QString &sha256, qint64 size) const;
    std::optional<PutResult> install(QFile &temp, const ContentDigest &digest, TempGuard &guard,
                                     bool fallBackOnCrossDevice) const;
    void collect(const QString &sha256, const QString &path, const QDateTime &modified, qint64 size,
                 qint64 minAgeMs, GarbageReport &report) const;

    std::shared_ptr<platform::FileSystemOps> m_ops;
    QString m_blobsDir;
    QString m_tempDir;
    QString m_tempOwner; // "<owner>." or empty
};

} // namespace qfc::files
