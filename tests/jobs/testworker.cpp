// qfc-testworker: a stand-in for qfc-worker in the tests of the sandbox and the worker pool. Its
// arguments are a list of actions run in order:
//
//   sleep SECONDS        sleep (fractions allowed)
//   crash                die of SIGSEGV
//   abort                die of SIGABRT
//   alloc MIB            allocate and touch MIB MiB in 16 MiB blocks; on failure print how much
//                        it got and die of SIGABRT (as an uncaught std::bad_alloc would)
//   cpu [SECONDS]        busy loop on the CPU (forever without SECONDS)
//   files N              open /dev/null N times (exit 3 on failure)
//   write PATH [BYTES]   create PATH with BYTES bytes (default 4) (exit 3 on failure)
//   read PATH            read PATH and print its size (exit 3 on failure)
//   cat PATH             print the content of PATH (exit 3 on failure)
//   connect HOST PORT [WAIT_MS]
//                        TCP connect to a numeric address; while the network is unreachable
//                        retry for up to WAIT_MS (default 0) (exit 3 on failure)
//   unix PATH            connect to the AF_UNIX stream socket PATH (exit 3 on failure)
//   hang                 ignore SIGTERM, SIGINT and SIGHUP and never exit
//   feedback TEXT        write TEXT as <workdir>/feedback.json (not checked: may be invalid)
//   env NAME             print NAME's value (exit 3 when unset)
//   print TEXT           print TEXT on stdout; eprint TEXT: on stderr
//   now                  print "qfc-testworker-now <milliseconds since the epoch>" on stdout
//   spam BYTES           print BYTES bytes of log lines on stdout
//   exit CODE            exit with CODE
// Every failure prints the errno (number and name) on stderr. <workdir> is the value of
// --workdir DIR (anywhere on the command line) or the current directory. When the first argument
// is not an action (e.g. the job arguments the runner gives qfc-worker: "process_projectfile
// --project-id ..."), the actions come from the environment variable QFC_TESTWORKER_ACTIONS,
// split like a shell command line. Exit code 0 when every action succeeded.
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QStringList>
#include <QThread>

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <new>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <vector>

namespace {

constexpr int FailureExitCode = 3;

const QStringList Actions = {u"sleep"_qs,    u"crash"_qs, u"abort"_qs, u"alloc"_qs,   u"cpu"_qs,
                             u"files"_qs,    u"write"_qs, u"read"_qs,  u"connect"_qs, u"hang"_qs,
                             u"feedback"_qs, u"env"_qs,   u"print"_qs, u"eprint"_qs,  u"spam"_qs,
                             u"exit"_qs,     u"cat"_qs,   u"unix"_qs,  u"now"_qs};

[[noreturn]] void failWithErrno(const QString &what, int error)
{
#ifdef __GLIBC__
    const char *name = strerrorname_np(error);
#else
    const char *name = nullptr;
#endif
    std::fprintf(stderr, "%s: errno %d (%s): %s\n", qPrintable(what), error, name ? name : "?",
                 std::strerror(error));
    std::fflush(stderr);
    std::exit(FailureExitCode);
}

[[noreturn]] void usage(const QString &message)
{
    std::fprintf(stderr, "qfc-testworker: %s\n", qPrintable(message));
    std::exit(64);
}

QString takeArgument(QStringList &arguments, const QString &action)
{
    if (arguments.isEmpty())
        usage(action + u": missing argument"_qs);
    return arguments.takeFirst();
}

void allocate(qint64 mebibytes)
{
    constexpr qint64 block = 16;
    static std::vector<char *> blocks; // kept: the memory stays in use until exit
    qint64 done = 0;
    try {
        while (done < mebibytes) {
            const qint64 size = std::min(block, mebibytes - done) * 1024 * 1024;
            char *memory = new char[size_t(size)];
            std::memset(memory, 1, size_t(size));
            blocks.push_back(memory);
            done += size / (1024 * 1024);
        }
    } catch (const std::bad_alloc &) {
        std::fprintf(stderr, "alloc: std::bad_alloc after %lld MiB\n", done);
        std::fflush(stderr);
        std::abort();
    }
    std::printf("allocated %lld MiB\n", done);
}

void openFiles(int count)
{
    for (int i = 0; i < count; ++i) {
        if (::open("/dev/null", O_RDONLY) < 0)
            failWithErrno(u"files: open number "_qs + QString::number(i + 1), errno);
    }
    std::printf("opened %d files\n", count);
}

void writeFile(const QString &path, qint64 bytes)
{
    const int fd = ::open(QFile::encodeName(path).constData(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        failWithErrno(u"write: open "_qs + path, errno);
    const QByteArray chunk(64 * 1024, 'q');
    qint64 left = bytes;
    while (left > 0) {
        const ssize_t n =
            ::write(fd, chunk.constData(), size_t(std::min<qint64>(left, chunk.size())));
        if (n < 0)
            failWithErrno(u"write: write "_qs + path, errno);
        left -= n;
    }
    if (::close(fd) != 0)
        failWithErrno(u"write: close "_qs + path, errno);
    std::printf("wrote %lld bytes to %s\n", bytes, qPrintable(path));
}

void readFile(const QString &path, bool print)
{
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY);
    if (fd < 0)
        failWithErrno(u"read: open "_qs + path, errno);
    char buffer[65536];
    qint64 total = 0;
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0)
            failWithErrno(u"read: read "_qs + path, errno);
        if (n == 0)
            break;
        total += n;
        if (print)
            std::fwrite(buffer, 1, size_t(n), stdout);
    }
    ::close(fd);
    if (print)
        return;
    std::printf("read %lld bytes from %s\n", total, qPrintable(path));
}

void connectTo(const QString &host, int port, int waitMs)
{
    sockaddr_storage address = {};
    socklen_t length = 0;
    const QByteArray name = host.toLatin1();
    auto *v4 = reinterpret_cast<sockaddr_in *>(&address);
    auto *v6 = reinterpret_cast<sockaddr_in6 *>(&address);
    if (::inet_pton(AF_INET, name.constData(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(quint16(port));
        length = sizeof *v4;
    } else if (::inet_pton(AF_INET6, name.constData(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(quint16(port));
        length = sizeof *v6;
    } else {
        usage(u"connect: not a numeric address: "_qs + host);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(waitMs);
    for (;;) {
        const int fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            failWithErrno(u"connect: socket"_qs, errno);
        // a connect that hangs (a filtered address) fails after 5 s
        const timeval timeout = {5, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
        if (::connect(fd, reinterpret_cast<const sockaddr *>(&address), length) == 0) {
            std::printf("connected to %s port %d\n", qPrintable(host), port);
            ::close(fd);
            return;
        }
        const int error = errno;
        ::close(fd);
        const bool unreachable = error == ENETUNREACH || error == EHOSTUNREACH;
        if (!unreachable || std::chrono::steady_clock::now() >= deadline)
            failWithErrno(u"connect: "_qs + host + u" port "_qs + QString::number(port), error);
        QThread::msleep(50);
    }
}

void connectUnix(const QString &path)
{
    sockaddr_un address = {};
    address.sun_family = AF_UNIX;
    const QByteArray name = QFile::encodeName(path);
    if (size_t(name.size()) >= sizeof address.sun_path)
        usage(u"unix: path too long: "_qs + path);
    std::memcpy(address.sun_path, name.constData(), size_t(name.size()));
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        failWithErrno(u"unix: socket"_qs, errno);
    if (::connect(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) != 0)
        failWithErrno(u"unix: connect "_qs + path, errno);
    ::close(fd);
    std::printf("connected to %s\n", qPrintable(path));
}

void hang()
{
    std::signal(SIGTERM, SIG_IGN);
    std::signal(SIGINT, SIG_IGN);
    std::signal(SIGHUP, SIG_IGN);
    std::printf("hanging\n");
    std::fflush(stdout);
    for (;;)
        ::pause();
}

void burnCpu(double seconds)
{
    const auto start = std::chrono::steady_clock::now();
    volatile quint64 counter = 0;
    for (;;) {
        for (int i = 0; i < 1000000; ++i)
            counter = counter + 1;
        if (seconds > 0
            && std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()
                >= seconds)
            break;
    }
    std::printf("burnt %.1f s\n", seconds);
}

void spam(qint64 bytes)
{
    const QByteArray line = QByteArray(99, 'x') + '\n';
    for (qint64 written = 0; written < bytes; written += line.size())
        std::fwrite(line.constData(), 1, size_t(std::min<qint64>(line.size(), bytes - written)),
                    stdout);
}

int run(QStringList arguments, const QString &workDir)
{
    while (!arguments.isEmpty()) {
        const QString action = arguments.takeFirst();
        if (action == u"sleep") {
            QThread::usleep(
                (unsigned long)(takeArgument(arguments, action).toDouble() * 1000 * 1000));
        } else if (action == u"crash") {
            std::fflush(nullptr);
            std::signal(SIGSEGV, SIG_DFL);
            std::raise(SIGSEGV);
        } else if (action == u"abort") {
            std::fflush(nullptr);
            std::abort();
        } else if (action == u"alloc") {
            allocate(takeArgument(arguments, action).toLongLong());
        } else if (action == u"cpu") {
            double seconds = 0;
            if (!arguments.isEmpty() && !Actions.contains(arguments.first()))
                seconds = arguments.takeFirst().toDouble();
            burnCpu(seconds);
        } else if (action == u"files") {
            openFiles(takeArgument(arguments, action).toInt());
        } else if (action == u"write") {
            const QString path = takeArgument(arguments, action);
            qint64 bytes = 4;
            bool isNumber = false;
            if (!arguments.isEmpty()) {
                const qint64 value = arguments.first().toLongLong(&isNumber);
                if (isNumber) {
                    bytes = value;
                    arguments.removeFirst();
                }
            }
            writeFile(path, bytes);
        } else if (action == u"read") {
            readFile(takeArgument(arguments, action), false);
        } else if (action == u"cat") {
            readFile(takeArgument(arguments, action), true);
        } else if (action == u"unix") {
            connectUnix(takeArgument(arguments, action));
        } else if (action == u"connect") {
            const QString host = takeArgument(arguments, action);
            const int port = takeArgument(arguments, action).toInt();
            int waitMs = 0;
            bool isNumber = false;
            if (!arguments.isEmpty()) {
                const int value = arguments.first().toInt(&isNumber);
                if (isNumber) {
                    waitMs = value;
                    arguments.removeFirst();
                }
            }
            connectTo(host, port, waitMs);
        } else if (action == u"hang") {
            hang();
        } else if (action == u"feedback") {
            const QByteArray text = takeArgument(arguments, action).toUtf8();
            const QString path = QDir(workDir).filePath(u"feedback.json"_qs);
            QFile file(path);
            if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)
                || file.write(text) != text.size())
                failWithErrno(u"feedback: "_qs + path, errno);
            std::printf("wrote %s\n", qPrintable(path));
        } else if (action == u"env") {
            const QString name = takeArgument(arguments, action);
            if (!qEnvironmentVariableIsSet(qPrintable(name))) {
                std::fprintf(stderr, "env: %s is not set\n", qPrintable(name));
                return FailureExitCode;
            }
            std::printf("%s\n", qPrintable(qEnvironmentVariable(qPrintable(name))));
        } else if (action == u"print") {
            std::printf("%s\n", qPrintable(takeArgument(arguments, action)));
        } else if (action == u"now") {
            const auto now = std::chrono::system_clock::now().time_since_epoch();
            std::printf("qfc-testworker-now %lld\n",
                        static_cast<long long>(
                            std::chrono::duration_cast<std::chrono::milliseconds>(now).count()));
            std::fflush(stdout);
        } else if (action == u"eprint") {
            std::fprintf(stderr, "%s\n", qPrintable(takeArgument(arguments, action)));
        } else if (action == u"spam") {
            spam(takeArgument(arguments, action).toLongLong());
        } else if (action == u"exit") {
            std::fflush(nullptr);
            return takeArgument(arguments, action).toInt();
        } else {
            usage(u"unknown action "_qs + action);
        }
        std::fflush(nullptr);
    }
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QStringList arguments = app.arguments().mid(1);
    QString workDir = QDir::currentPath();
    if (const qsizetype at = arguments.indexOf(u"--workdir"_qs); at >= 0) {
        workDir = arguments.value(at + 1);
        arguments.remove(at, std::min<qsizetype>(2, arguments.size() - at));
    }
    if (arguments.isEmpty() || !Actions.contains(arguments.first())) {
        if (!qEnvironmentVariableIsSet("QFC_TESTWORKER_ACTIONS"))
            usage(u"no actions (arguments or QFC_TESTWORKER_ACTIONS)"_qs);
        arguments = QProcess::splitCommand(qEnvironmentVariable("QFC_TESTWORKER_ACTIONS"));
    }
    return run(arguments, workDir);
}
