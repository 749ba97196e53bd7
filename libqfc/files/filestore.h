#pragma once

#include "core/hashing.h"

#include <QDateTime>
#include <QIODevice>
#include <QString>
#include <QStringView>

#include <functional>
#include <memory>
#include <stdexcept>

namespace qfc::files {

// A failure of the store. The HTTP layer answers it with 500 unknown_error and logs the text
// (`NoSpace` may become a 507 there); it never reaches a client verbatim.
class StoreError : public std::runtime_error
{
public:
    enum class Kind {
        Io, // reading or writing failed
        NoSpace, // the disk or the quota of the store is full
        NotFound, // no such blob (or no such source file)
        Invalid, // a malformed sha256, or a digest that does not match the content
        TooLarge, // the content exceeds the caller's size limit
    };

    StoreError(Kind kind, const QString &message);
    Kind kind() const { return m_kind; }

private:
    Kind m_kind;
};

// What a put stored. `digest.sha256` names the blob; the caller keeps all digests in its row.
struct PutResult
{
    ContentDigest digest;
    bool deduplicated = false; // the content was stored already: nothing new was written
};

// One blob as a listing sees it.
struct BlobInfo
{
    QString sha256;
    qint64 size = 0;
    QDateTime modified; // UTC; written or last deduplicated against
};

// What a garbage collection did.
struct GarbageReport
{
    qint64 examined = 0;
    qint64 removed = 0;
    qint64 bytesRemoved = 0;
    qint64 keptReferenced = 0;
    qint64 keptYoung = 0; // inside the grace period, or deduplicated against while collecting
    qint64 failed = 0; // could not be removed (logged); tried again next time
};

// Where file contents live (spec/api.md §19.8): content-addressed, one immutable blob per SHA-256,
// so user file names never become host file names and equal contents are stored once. File
// versions, quotas and names are the database's business; the store only knows digests.
//
// The write protocol: a put returns only once the blob is durable; the caller then commits the
// row that references it. A crash before the commit leaves an unreferenced blob, which
// collectGarbage() removes after its grace period; a crash during a put leaves at most a
// temporary, which cleanTemporaries() removes. Nothing ever exposes a partial blob.
//
// No call assumes a blob is a local file: an S3 store implements the same interface with
// objects named by the digest, ranged GETs behind open(), and multipart uploads behind the puts.
// All members are thread-safe, and stores of several processes may share one storage.
// Failures throw StoreError.
class FileStore
{
public:
    // GC grace periods shorter than the longest put→commit latency would let the collector take
    // a blob whose row is not committed yet; one day is far on the safe side.
    static constexpr qint64 DefaultGraceSeconds = 24 * 3600;

    virtual ~FileStore();

    // 64 lowercase hexadecimal digits: the only names a store accepts.
    static bool isValidSha256(QStringView sha256);

    virtual bool contains(const QString &sha256) const = 0;

    // Adopts a temporary file that the HTTP layer has already hashed while receiving it
    // (http::UploadedFile): `digest` is trusted, only its size is checked against the file. From
    // this call on the store owns `tempPath`: on return it is gone, whatever the outcome (moved
    // into the store, removed as a duplicate, or removed after a failure); call
    // UploadedFile::release() before.
    virtual PutResult putFromUpload(const QString &tempPath, const ContentDigest &digest) = 0;

    // Stores everything `source` delivers (open for reading; read() returning 0 ends it, so pass
    // files, buffers or devices whose read() blocks), hashing it on the way: server-side copies,
    // worker outputs. `maxSize` >= 0 stops at that many bytes with TooLarge.
    virtual PutResult putFromDevice(QIODevice &source, qint64 maxSize = -1) = 0;

    // The blob for reading, or nullptr when it is not stored. The device is random-access:
    // size() is the blob's size and seek() positions a ranged read (HTTP Range).
    virtual std::unique_ptr<QIODevice> open(const QString &sha256) const = 0;

    // Writes a private copy of a blob to `localPath` (replacing whatever is there, a link
    // included, without writing through it): the worker's input, which it may modify freely.
    // Never a link to the stored blob.
    virtual void copyTo(const QString &sha256, const QString &localPath) const = 0;

    // Removes one blob at once (false when it was not stored). The caller must know that nothing
    // references it; collectGarbage() is the safe way.
    virtual bool remove(const QString &sha256) = 0;

    // Calls `visit` for each stored blob, in no particular order, until it returns false.
    virtual void forEachBlob(const std::function<bool(const BlobInfo &)> &visit) const = 0;

    // Removes the blobs that `isReferenced` disowns and that are older than `minAgeSeconds`
    // (by their write or last deduplication time). `isReferenced` answers from committed database
    // state; it may use a snapshot taken when the collection starts, provided `minAgeSeconds`
    // exceeds the longest put→commit latency plus the duration of the collection. A blob that a
    // concurrent put deduplicates against while it is being collected is kept.
    virtual GarbageReport collectGarbage(const std::function<bool(const QString &)> &isReferenced,
                                         qint64 minAgeSeconds) = 0;

    // Removes what interrupted puts and collections left behind, when older than
    // `minAgeSeconds` (0 only when no other process shares the storage). Returns how many
    // leftovers it cleared.
    virtual qint64 cleanTemporaries(qint64 minAgeSeconds) = 0;
    // Names this process's temporaries after `owner` (a node id), so that at start-up it can
    // remove what it left behind without touching the puts of other nodes sharing the storage.
    virtual void setTemporaryOwner(const QString &owner) = 0;
    // Removes this owner's put temporaries whatever their age (at start-up, before any put).
    virtual qint64 cleanOwnTemporaries() = 0;

    // Free bytes for new blobs and their temporaries, or -1 when the store cannot tell.
    virtual qint64 bytesAvailable() const = 0;
};

} // namespace qfc::files
