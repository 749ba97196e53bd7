#pragma once

#include <QString>

#include <memory>

class QFileDevice;

namespace qfc::platform {

// The outcome of one file system operation: the failures a caller must tell apart, plus the
// system's text for the log.
struct FsResult
{
    enum class Error {
        None,
        NoSpace, // the disk (or the quota) is full
        NotFound, // the path (or a parent directory) does not exist
        CrossDevice, // a rename between two file systems
        Other,
    };

    Error error = Error::None;
    QString message;

    bool ok() const { return error == Error::None; }
    static FsResult success() { return {}; }
    static FsResult failure(Error error, QString message) { return {error, std::move(message)}; }
};

// The primitives of a durable write: write a temporary file, flush it to stable storage, rename it
// over its final name, flush the directory that holds the name. Behind an interface so that tests
// can record the order of the steps and make any step fail. Implementations are stateless and
// thread-safe: one instance serves every thread.
class FileSystemOps
{
public:
    virtual ~FileSystemOps();

    // Writes all `size` bytes at the current position of `file` (open for writing).
    virtual FsResult write(QFileDevice &file, const char *data, qint64 size) = 0;
    // Flushes the file's data, and the metadata needed to read it back (its size), to stable
    // storage. The file stays open.
    virtual FsResult fsyncFile(QFileDevice &file) = 0;
    // Renames the file `from` to `to`, atomically replacing `to` when it exists: a reader sees the
    // old file or the new one, never neither and never a mix. Both paths on one file system
    // (CrossDevice otherwise). `from` must not be open (Windows).
    virtual FsResult rename(const QString &from, const QString &to) = 0;
    // Makes the entries of a directory (a file renamed into it, a new subdirectory) durable.
    virtual FsResult fsyncDirectory(const QString &dir) = 0;
    // Creates one directory whose parent exists; success when the directory already exists.
    virtual FsResult makeDirectory(const QString &path) = 0;
    // Removes a file (not a directory).
    virtual FsResult remove(const QString &path) = 0;
    // Sets the modification time of an existing file to now (NotFound when it is gone).
    virtual FsResult touch(const QString &path) = 0;
};

// The operating system's primitives. POSIX: write(2), fdatasync(2) (F_FULLFSYNC on macOS),
// rename(2), open(O_DIRECTORY) + fsync(2), mkdir(2), unlink(2), utimensat(2). Windows: WriteFile
// through QFile, FlushFileBuffers, MoveFileExW(MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH),
// CreateDirectoryW, DeleteFileW, SetFileTime; directories cannot be flushed there (NTFS journals
// its metadata), so fsyncDirectory() is a documented no-op.
class NativeFileSystemOps : public FileSystemOps
{
public:
    FsResult write(QFileDevice &file, const char *data, qint64 size) override;
    FsResult fsyncFile(QFileDevice &file) override;
    FsResult rename(const QString &from, const QString &to) override;
    FsResult fsyncDirectory(const QString &dir) override;
    FsResult makeDirectory(const QString &path) override;
    FsResult remove(const QString &path) override;
    FsResult touch(const QString &path) override;
};

// The shared NativeFileSystemOps instance.
std::shared_ptr<FileSystemOps> nativeFileSystemOps();

} // namespace qfc::platform
