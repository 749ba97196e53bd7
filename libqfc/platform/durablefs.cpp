#include "durablefs.h"

#include <QDir>
#include <QFile>
#include <QFileDevice>
#include <QFileInfo>

#ifdef Q_OS_WIN
#include <io.h>
#include <windows.h>
#else
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace qfc::platform {

namespace {

QString describe(const char *operation, const QString &path, const QString &systemText)
{
    return QString::fromLatin1(operation) + u' ' + path + u": "_qs + systemText;
}

#ifdef Q_OS_WIN

FsResult failure(const char *operation, const QString &path, DWORD code)
{
    FsResult::Error error = FsResult::Error::Other;
    switch (code) {
    case ERROR_DISK_FULL:
    case ERROR_HANDLE_DISK_FULL:
        error = FsResult::Error::NoSpace;
        break;
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
        error = FsResult::Error::NotFound;
        break;
    case ERROR_NOT_SAME_DEVICE:
        error = FsResult::Error::CrossDevice;
        break;
    default:
        break;
    }
    return FsResult::failure(error, describe(operation, path, qt_error_string(int(code))));
}

// Keeps the native form of a path alive while Win32 uses it.
struct NativePath
{
    explicit NativePath(const QString &path) : text(QDir::toNativeSeparators(path)) { }
    const wchar_t *get() const { return reinterpret_cast<const wchar_t *>(text.utf16()); }
    QString text;
};

#else

FsResult failure(const char *operation, const QString &path, int code)
{
    FsResult::Error error = FsResult::Error::Other;
    switch (code) {
    case ENOSPC:
    case EDQUOT:
        error = FsResult::Error::NoSpace;
        break;
    case ENOENT:
        error = FsResult::Error::NotFound;
        break;
    case EXDEV:
        error = FsResult::Error::CrossDevice;
        break;
    default:
        break;
    }
    return FsResult::failure(error, describe(operation, path, qt_error_string(code)));
}

#endif

} // namespace

FileSystemOps::~FileSystemOps() = default;

FsResult NativeFileSystemOps::write(QFileDevice &file, const char *data, qint64 size)
{
    // QFile retries interrupted and short writes and reports ENOSPC / a full disk as
    // ResourceError.
    while (size > 0) {
        const qint64 written = file.write(data, size);
        if (written <= 0) {
            const FsResult::Error error = file.error() == QFileDevice::ResourceError
                ? FsResult::Error::NoSpace
                : FsResult::Error::Other;
            return FsResult::failure(error, describe("write", file.fileName(), file.errorString()));
        }
        data += written;
        size -= written;
    }
    return FsResult::success();
}

#ifdef Q_OS_WIN

FsResult NativeFileSystemOps::fsyncFile(QFileDevice &file)
{
    if (!file.flush())
        return FsResult::failure(FsResult::Error::Other,
                                 describe("flush", file.fileName(), file.errorString()));
    const intptr_t handle = _get_osfhandle(file.handle());
    if (handle == intptr_t(-1))
        return FsResult::failure(FsResult::Error::Other,
                                 describe("sync", file.fileName(), u"file not open"_qs));
    // FlushFileBuffers needs a handle with write access (QFile opened for writing).
    if (FlushFileBuffers(reinterpret_cast<HANDLE>(handle)) == FALSE)
        return failure("sync", file.fileName(), GetLastError());
    return FsResult::success();
}

FsResult NativeFileSystemOps::rename(const QString &from, const QString &to)
{
    const NativePath source(from);
    const NativePath target(to);
    // No MOVEFILE_COPY_ALLOWED: a move between volumes fails (ERROR_NOT_SAME_DEVICE) instead of
    // silently becoming a non-atomic copy.
    if (!MoveFileExW(source.get(), target.get(),
                     MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
        return failure("rename", from + u" -> "_qs + to, GetLastError());
    return FsResult::success();
}

FsResult NativeFileSystemOps::fsyncDirectory(const QString &dir)
{
    // Windows has no way to flush a directory; NTFS journals its metadata, and
    // MOVEFILE_WRITE_THROUGH makes rename() return only once the move is on disk.
    Q_UNUSED(dir);
    return FsResult::success();
}

FsResult NativeFileSystemOps::makeDirectory(const QString &path)
{
    const NativePath native(path);
    if (CreateDirectoryW(native.get(), nullptr))
        return FsResult::success();
    const DWORD code = GetLastError();
    if (code == ERROR_ALREADY_EXISTS && QFileInfo(path).isDir())
        return FsResult::success();
    return failure("mkdir", path, code);
}

FsResult NativeFileSystemOps::remove(const QString &path)
{
    const NativePath native(path);
    if (!DeleteFileW(native.get()))
        return failure("remove", path, GetLastError());
    return FsResult::success();
}

FsResult NativeFileSystemOps::touch(const QString &path)
{
    const NativePath native(path);
    HANDLE handle = CreateFileW(native.get(), FILE_WRITE_ATTRIBUTES,
                                FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                                OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (handle == INVALID_HANDLE_VALUE)
        return failure("touch", path, GetLastError());
    FILETIME now;
    GetSystemTimeAsFileTime(&now);
    const bool ok = SetFileTime(handle, nullptr, nullptr, &now) != FALSE;
    const DWORD code = GetLastError();
    CloseHandle(handle);
    if (!ok)
        return failure("touch", path, code);
    return FsResult::success();
}

#else

FsResult NativeFileSystemOps::fsyncFile(QFileDevice &file)
{
    if (!file.flush())
        return FsResult::failure(FsResult::Error::Other,
                                 describe("flush", file.fileName(), file.errorString()));
    const int fd = file.handle();
    if (fd < 0)
        return FsResult::failure(FsResult::Error::Other,
                                 describe("sync", file.fileName(), u"file not open"_qs));
    int rc = 0;
    do {
#if defined(Q_OS_DARWIN)
        // fsync() on macOS does not reach the disk's platter; F_FULLFSYNC does, where supported.
        rc = ::fcntl(fd, F_FULLFSYNC);
        if (rc != 0 && errno != EINTR)
            rc = ::fsync(fd);
#elif defined(Q_OS_LINUX)
        rc = ::fdatasync(fd); // data plus the size; the timestamps need not be durable
#else
        rc = ::fsync(fd);
#endif
    } while (rc != 0 && errno == EINTR);
    if (rc != 0)
        return failure("sync", file.fileName(), errno);
    return FsResult::success();
}

FsResult NativeFileSystemOps::rename(const QString &from, const QString &to)
{
    if (::rename(QFile::encodeName(from).constData(), QFile::encodeName(to).constData()) != 0)
        return failure("rename", from + u" -> "_qs + to, errno);
    return FsResult::success();
}

FsResult NativeFileSystemOps::fsyncDirectory(const QString &dir)
{
    int fd = -1;
    do {
        fd = ::open(QFile::encodeName(dir).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return failure("open directory", dir, errno);
    int rc = 0;
    do {
        rc = ::fsync(fd);
    } while (rc != 0 && errno == EINTR);
    const int code = errno;
    ::close(fd);
    // Some file systems cannot sync a directory and say EINVAL; like PostgreSQL's fsync_fname(),
    // take that as done.
    if (rc != 0 && code != EINVAL)
        return failure("sync directory", dir, code);
    return FsResult::success();
}

FsResult NativeFileSystemOps::makeDirectory(const QString &path)
{
    if (::mkdir(QFile::encodeName(path).constData(), 0777) == 0)
        return FsResult::success();
    const int code = errno;
    if (code == EEXIST && QFileInfo(path).isDir())
        return FsResult::success(); // made by a concurrent writer
    return failure("mkdir", path, code);
}

FsResult NativeFileSystemOps::remove(const QString &path)
{
    if (::unlink(QFile::encodeName(path).constData()) != 0)
        return failure("remove", path, errno);
    return FsResult::success();
}

FsResult NativeFileSystemOps::touch(const QString &path)
{
    if (::utimensat(AT_FDCWD, QFile::encodeName(path).constData(), nullptr, 0) != 0)
        return failure("touch", path, errno);
    return FsResult::success();
}

#endif

std::shared_ptr<FileSystemOps> nativeFileSystemOps()
{
    static const std::shared_ptr<FileSystemOps> instance = std::make_shared<NativeFileSystemOps>();
    return instance;
}

} // namespace qfc::platform
