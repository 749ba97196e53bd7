// The worker sandbox (libqfc/platform/sandbox): what a confined child may and may not do, the
// limits and how they are named, the parent-death signal, the optional outbound network, and the
// real qfc-worker under confinement. Every "cannot" case first checks that the same action works
// unconfined, so a denial is the sandbox's doing.
//
// Environment: QFC_TEST_TESTWORKER (qfc-testworker, required), QFC_TEST_WORKER_BINARY (qfc-worker,
// optional), QFC_TEST_DATA (shared/testdata), QFC_TEST_PG_URL_FILE (the test PostgreSQL's URL),
// QFC_TEST_REMOTE_TCP (optional, ADDRESS:PORT of a listener on another host that a confined child
// with allowNetwork must reach).
#include "platform/sandbox.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocalServer>
#include <QNetworkInterface>
#include <QProcess>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTemporaryFile>
#include <QTest>
#include <QThread>
#include <QUrl>

#include <algorithm>
#include <csignal>
#include <unistd.h>

using qfc::platform::SandboxOptions;

namespace {

struct Run
{
    bool started = false;
    bool finished = false;
    QProcess::ExitStatus status = QProcess::CrashExit;
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
    qint64 peakVirtual = -1;
    qint64 elapsedMs = 0;

    bool succeeded() const { return finished && status == QProcess::NormalExit && exitCode == 0; }
    // exit code 3: the test worker's "the action failed"
    bool actionFailed() const
    {
        return finished && status == QProcess::NormalExit && exitCode == 3;
    }
    QByteArray describe() const
    {
        return "status=" + QByteArray(status == QProcess::NormalExit ? "normal" : "crash")
            + " code=" + QByteArray::number(exitCode) + "\nstdout: " + out + "\nstderr: " + err;
    }
};

QString testWorker()
{
    return qEnvironmentVariable("QFC_TEST_TESTWORKER");
}

// Runs `program arguments`, confined by `options` or not, sampling VmPeak as a runner does.
Run run(const QString &program, const QStringList &arguments, const SandboxOptions &options,
        bool confined = true, int timeoutMs = 60000,
        const QProcessEnvironment &environment = QProcessEnvironment::systemEnvironment())
{
    Run result;
    QProcess process;
    process.setProcessEnvironment(environment);
    process.setWorkingDirectory(options.workDir);
    if (confined) {
        qfc::platform::confine(process, program, arguments, options);
    } else {
        process.setProgram(program);
        process.setArguments(arguments);
    }
    QElapsedTimer timer;
    timer.start();
    process.start();
    result.started = process.waitForStarted(10000);
    if (!result.started) {
        result.err = process.errorString().toUtf8();
        return result;
    }
    std::unique_ptr<QObject> network;
    try {
        if (confined)
            network = qfc::platform::attachNetwork(process.processId(), options);
    } catch (const std::exception &error) {
        process.kill();
        process.waitForFinished(5000);
        result.err = QByteArray("attachNetwork: ") + error.what();
        return result;
    }
    while (!process.waitForFinished(1)) {
        if (process.state() == QProcess::NotRunning)
            break;
        result.peakVirtual =
            std::max(result.peakVirtual, qfc::platform::peakVirtualMemory(process.processId()));
        if (timer.elapsed() > timeoutMs) {
            process.kill();
            process.waitForFinished(5000);
            result.err = "killed after timeout\n";
            break;
        }
    }
    result.elapsedMs = timer.elapsed();
    result.finished = result.err.isEmpty();
    result.status = process.exitStatus();
    result.exitCode = process.exitCode();
    result.out = process.readAllStandardOutput();
    result.err += process.readAllStandardError();
    return result;
}

bool processAlive(qint64 pid)
{
    QFile stat(u"/proc/"_qs + QString::number(pid) + u"/stat"_qs);
    if (!stat.open(QIODevice::ReadOnly))
        return false;
    const QByteArray text = stat.readAll();
    const qsizetype end = text.lastIndexOf(')');
    return end > 0 && text.mid(end + 2, 1) != "Z"; // a zombie is dead
}

// The mode of this executable that stands between the test and a confined child: it starts the
// child (qfc-testworker sleep 120), prints its pid and waits to be killed.
int confinedHelper(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    SandboxOptions options;
    options.workDir = app.arguments().value(2);
    QProcess child;
    qfc::platform::confine(child, testWorker(), {u"sleep"_qs, u"120"_qs}, options);
    child.start();
    if (!child.waitForStarted())
        return 1;
    std::printf("%lld\n", child.processId());
    std::fflush(stdout);
    child.waitForFinished(-1);
    return 0;
}

QString nonLoopbackIPv4()
{
    const auto addresses = QNetworkInterface::allAddresses();
    for (const QHostAddress &address : addresses) {
        if (address.protocol() == QAbstractSocket::IPv4Protocol && !address.isLoopback()
            && !address.isLinkLocal())
            return address.toString();
    }
    return {};
}

} // namespace

class tst_Sandbox final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();

    void workDirReadWrite();
    void readOutside_data();
    void readOutside();
    void writeOutside_data();
    void writeOutside();
    void noHostLoopback_data();
    void noHostLoopback();
    void noUnixSockets();
    void noPrivileges();
    void memoryLimit();
    void cpuLimit();
    void fileSizeLimit();
    void openFilesLimit();
    void setupFailureIsReported();
    void childDiesWithParent();
    void networkAllowed();
    void realWorker();
    void setupCost();

private:
    SandboxOptions options() const;

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_workDir;
};

void tst_Sandbox::initTestCase()
{
    QVERIFY2(QFileInfo(testWorker()).isExecutable(), "QFC_TEST_TESTWORKER is not set");
    QString why;
    QVERIFY2(qfc::platform::sandboxAvailable(&why), qPrintable(why));
    qInfo("sandbox: %s; running as uid %d", qPrintable(why), int(::getuid()));
}

void tst_Sandbox::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    QVERIFY(QDir(m_dir->path()).mkpath(u"work/sub"_qs));
    m_workDir = QFileInfo(m_dir->path() + u"/work"_qs).canonicalFilePath();
}

SandboxOptions tst_Sandbox::options() const
{
    SandboxOptions options;
    options.workDir = m_workDir;
    return options;
}

void tst_Sandbox::workDirReadWrite()
{
    QFile prepared(m_workDir + u"/sub/prepared.txt"_qs);
    QVERIFY(prepared.open(QIODevice::WriteOnly));
    prepared.write("by the runner");
    prepared.close();

    const Run result = run(testWorker(),
                           {u"write"_qs, m_workDir + u"/sub/new.txt"_qs, u"read"_qs,
                            m_workDir + u"/sub/new.txt"_qs, u"read"_qs, prepared.fileName(),
                            u"write"_qs, u"relative.txt"_qs, u"feedback"_qs, u"{}"_qs},
                           options());
    QVERIFY2(result.succeeded(), result.describe().constData());
    QVERIFY(QFile::exists(m_workDir + u"/sub/new.txt"_qs));
    QVERIFY(QFile::exists(m_workDir + u"/relative.txt"_qs));
    QVERIFY(QFile::exists(m_workDir + u"/feedback.json"_qs));
}

void tst_Sandbox::readOutside_data()
{
    QTest::addColumn<QString>("path");
    QTest::newRow("temp-file-in-/tmp→denied") << QString();
    QTest::newRow("shared-test-data→denied")
        << qEnvironmentVariable("QFC_TEST_DATA") + u"/upstream/core/delta/project.qgs"_qs;
    QTest::newRow("test-sources→denied")
        << qEnvironmentVariable("QFC_TEST_TESTS_DIR") + u"/CMakeLists.txt"_qs;
    QTest::newRow("sibling-of-workdir→denied") << u"SIBLING"_qs;
    QTest::newRow("/etc/shadow→denied") << u"/etc/shadow"_qs;
    QTest::newRow("/etc/hostname→denied") << u"/etc/hostname"_qs;
    QTest::newRow("/etc/postgresql-common→denied") << u"/etc/postgresql-common/pg_service.conf"_qs;
}

void tst_Sandbox::readOutside()
{
    QFETCH(QString, path);
    QTemporaryFile temp(QDir::tempPath() + u"/qfc-sandbox-XXXXXX"_qs);
    if (path.isEmpty() || path == u"SIBLING") {
        if (path == u"SIBLING")
            temp.setFileTemplate(m_dir->path() + u"/sibling-XXXXXX"_qs);
        QVERIFY(temp.open());
        temp.write("secret");
        temp.close();
        temp.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner
                            | QFileDevice::ReadGroup | QFileDevice::ReadOther);
        path = temp.fileName();
    }
    if (!QFileInfo::exists(path))
        QSKIP(qPrintable(path + u" does not exist here"_qs));

    // control: readable without the sandbox (the file or a system file may be root's only)
    const Run control = run(testWorker(), {u"read"_qs, path}, options(), false);
    if (!control.succeeded())
        QSKIP(qPrintable(path + u" is not readable by this user even unconfined"_qs));

    const Run result = run(testWorker(), {u"read"_qs, path}, options());
    QVERIFY2(result.actionFailed(), result.describe().constData());
    QVERIFY2(result.err.contains("EACCES"), result.err.constData());
}

void tst_Sandbox::writeOutside_data()
{
    QTest::addColumn<QString>("path");
    QTest::newRow("/tmp→denied") << QDir::tempPath() + u"/qfc-sandbox-write-test-"_qs
            + QString::number(QCoreApplication::applicationPid());
    QTest::newRow("sibling-of-workdir→denied") << u"SIBLING"_qs;
    QTest::newRow("/etc→denied") << u"/etc/qfc-sandbox-write-test"_qs;
    QTest::newRow("/dev/shm→denied") << u"/dev/shm/qfc-sandbox-write-test"_qs;
}

void tst_Sandbox::writeOutside()
{
    QFETCH(QString, path);
    if (path == u"SIBLING")
        path = m_dir->path() + u"/sibling.txt"_qs;
    QFile::remove(path);
    const Run result = run(testWorker(), {u"write"_qs, path}, options());
    const bool created = QFile::exists(path);
    QFile::remove(path);
    QVERIFY2(result.actionFailed(), result.describe().constData());
    QVERIFY2(result.err.contains("EACCES"), result.err.constData());
    QVERIFY(!created);
}

void tst_Sandbox::noHostLoopback_data()
{
    QTest::addColumn<QString>("address");
    QTest::addColumn<int>("port"); // 0: a listener of the test on `address`
    QTest::newRow("127.0.0.1→unreachable") << u"127.0.0.1"_qs << 0;
    QTest::newRow("::1→unreachable") << u"::1"_qs << 0;

    QFile urlFile(qEnvironmentVariable("QFC_TEST_PG_URL_FILE"));
    if (!urlFile.fileName().isEmpty() && urlFile.open(QIODevice::ReadOnly)) {
        const QUrl url(QString::fromUtf8(urlFile.readAll().trimmed()));
        QTest::newRow("test-postgresql→unreachable") << url.host() << url.port(5432);
    }
    const QString other = nonLoopbackIPv4();
    if (!other.isEmpty())
        QTest::newRow("this-host's-own-address→unreachable") << other << 0;
}

void tst_Sandbox::noHostLoopback()
{
    QFETCH(QString, address);
    QFETCH(int, port);
    QTcpServer server;
    if (port == 0) {
        if (!server.listen(QHostAddress(address)))
            QSKIP(qPrintable(u"cannot listen on "_qs + address + u": "_qs + server.errorString()));
        port = server.serverPort();
    }
    const QStringList arguments = {u"connect"_qs, address, QString::number(port)};
    const Run control = run(testWorker(), arguments, options(), false);
    QVERIFY2(control.succeeded(), control.describe().constData());
    if (server.isListening()) {
        QVERIFY(server.waitForNewConnection(5000));
        delete server.nextPendingConnection();
    }

    const Run result = run(testWorker(), arguments, options());
    QVERIFY2(result.actionFailed(), result.describe().constData());
    if (server.isListening())
        QVERIFY(!server.waitForNewConnection(200));
}

void tst_Sandbox::noUnixSockets()
{
    // A path socket (PostgreSQL's, Docker's) is outside the network namespace and Landlock:
    // seccomp refuses AF_UNIX sockets, even to a socket in the work directory.
    QLocalServer server;
    server.setSocketOptions(QLocalServer::WorldAccessOption);
    QVERIFY(server.listen(m_workDir + u"/socket"_qs));
    const QStringList arguments = {u"unix"_qs, server.fullServerName()};
    const Run control = run(testWorker(), arguments, options(), false);
    QVERIFY2(control.succeeded(), control.describe().constData());

    const Run result = run(testWorker(), arguments, options());
    QVERIFY2(result.actionFailed(), result.describe().constData());
    QVERIFY2(result.err.contains("EAFNOSUPPORT"), result.err.constData());
}

void tst_Sandbox::noPrivileges()
{
    // Root or not, the child keeps no capability (it could otherwise leave its namespace or
    // raise its limits), cannot gain any, and runs under seccomp.
    const Run result = run(testWorker(), {u"cat"_qs, u"/proc/self/status"_qs}, options());
    QVERIFY2(result.succeeded(), result.describe().constData());
    QHash<QByteArray, QByteArray> status;
    for (const QByteArray &line : result.out.split('\n')) {
        const qsizetype colon = line.indexOf(':');
        if (colon > 0)
            status.insert(line.left(colon), line.mid(colon + 1).trimmed());
    }
    for (const char *set : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"})
        QCOMPARE(status.value(set), QByteArray("0000000000000000"));
    QCOMPARE(status.value("NoNewPrivs"), QByteArray("1"));
    QCOMPARE(status.value("Seccomp"), QByteArray("2"));
}

void tst_Sandbox::memoryLimit()
{
    SandboxOptions limited = options();
    limited.memoryBytes = 512LL << 20;

    const Run fits = run(testWorker(), {u"alloc"_qs, u"128"_qs}, limited);
    QVERIFY2(fits.succeeded(), fits.describe().constData());

    const Run result = run(testWorker(), {u"alloc"_qs, u"1024"_qs}, limited);
    QVERIFY2(result.finished && !result.succeeded(), result.describe().constData());
    QVERIFY2(result.err.contains("bad_alloc"), result.err.constData());
    QVERIFY2(result.peakVirtual <= limited.memoryBytes,
             qPrintable(QString::number(result.peakVirtual)));
    const QString expected = u"memory limit of 512 MiB exceeded"_qs;
    QCOMPARE(qfc::platform::limitHit(result.status, result.exitCode, limited, result.peakVirtual,
                                     result.err),
             expected);
    // From the sampled peak alone: the child dies within milliseconds of the refused allocation,
    // so a sampler may miss the last few; count on it only when it saw the peak near the limit.
    qInfo("sampled VmPeak %lld MiB of 512 MiB", result.peakVirtual >> 20);
    if (result.peakVirtual >= (448LL << 20))
        QCOMPARE(
            qfc::platform::limitHit(result.status, result.exitCode, limited, result.peakVirtual),
            expected);
    QCOMPARE(qfc::platform::limitHit(QProcess::CrashExit, SIGSEGV, limited, 500LL << 20), expected);
    QCOMPARE(qfc::platform::limitHit(QProcess::NormalExit, 1, limited, 460LL << 20), expected);
    // the same deaths far below the limit are not blamed on it, nor is success
    QCOMPARE(qfc::platform::limitHit(QProcess::CrashExit, SIGSEGV, limited, 100LL << 20),
             QString());
    QCOMPARE(qfc::platform::limitHit(QProcess::CrashExit, SIGSEGV, limited, -1), QString());
    QCOMPARE(qfc::platform::limitHit(QProcess::NormalExit, 0, limited, 511LL << 20), QString());
    QCOMPARE(qfc::platform::limitHit(QProcess::CrashExit, SIGSEGV, limited, -1,
                                     "Segmentation fault in QgsVectorLayer"),
             QString());
}

void tst_Sandbox::cpuLimit()
{
    SandboxOptions limited = options();
    limited.cpuSeconds = 1;
    const Run result = run(testWorker(), {u"cpu"_qs}, limited, true, 30000);
    QVERIFY2(result.finished && result.status == QProcess::CrashExit,
             result.describe().constData());
    QCOMPARE(result.exitCode, int(SIGXCPU));
    QCOMPARE(qfc::platform::limitHit(result.status, result.exitCode, limited, result.peakVirtual),
             u"CPU time limit of 1 s exceeded"_qs);
    QVERIFY2(result.elapsedMs < 25000, qPrintable(QString::number(result.elapsedMs)));
}

void tst_Sandbox::fileSizeLimit()
{
    SandboxOptions limited = options();
    limited.fileSizeBytes = 1LL << 20;
    const Run fits =
        run(testWorker(), {u"write"_qs, u"small"_qs, QString::number(512 * 1024)}, limited);
    QVERIFY2(fits.succeeded(), fits.describe().constData());

    const Run result =
        run(testWorker(), {u"write"_qs, u"big"_qs, QString::number(4 << 20)}, limited);
    QVERIFY2(result.finished && result.status == QProcess::CrashExit,
             result.describe().constData());
    QCOMPARE(result.exitCode, int(SIGXFSZ));
    QCOMPARE(qfc::platform::limitHit(result.status, result.exitCode, limited, result.peakVirtual),
             u"file size limit of 1 MiB exceeded"_qs);
}

void tst_Sandbox::openFilesLimit()
{
    SandboxOptions limited = options();
    limited.openFiles = 32;
    const Run fits = run(testWorker(), {u"files"_qs, u"16"_qs}, limited);
    QVERIFY2(fits.succeeded(), fits.describe().constData());

    const Run result = run(testWorker(), {u"files"_qs, u"64"_qs}, limited);
    QVERIFY2(result.actionFailed(), result.describe().constData());
    QVERIFY2(result.err.contains("EMFILE"), result.err.constData());
}

void tst_Sandbox::setupFailureIsReported()
{
    // A failure between fork and exec (here: a read-only path gone by then) stops the child
    // before the program runs, with a reason on its stderr.
    QTemporaryDir gone;
    SandboxOptions broken = options();
    broken.readOnlyPaths = {gone.path()};
    QProcess process;
    qfc::platform::confine(process, testWorker(), {u"print"_qs, u"ran"_qs}, broken);
    QVERIFY(gone.remove());
    process.start();
    QVERIFY(process.waitForFinished(10000));
    QCOMPARE(process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(process.exitCode(), qfc::platform::SandboxSetupFailedExitCode);
    QVERIFY(!process.readAllStandardOutput().contains("ran"));
    const QByteArray error = process.readAllStandardError();
    QVERIFY2(error.contains("qfc sandbox: opening"), error.constData());

    SandboxOptions missing = options();
    missing.workDir = m_workDir + u"/does-not-exist"_qs;
    QVERIFY_THROWS_EXCEPTION(std::runtime_error,
                             qfc::platform::confine(process, testWorker(), {}, missing));
}

void tst_Sandbox::childDiesWithParent()
{
    QProcess helper;
    helper.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    helper.start(QCoreApplication::applicationFilePath(), {u"--confined-helper"_qs, m_workDir});
    QVERIFY(helper.waitForStarted());
    QVERIFY(helper.waitForReadyRead(10000));
    const qint64 child = helper.readLine().trimmed().toLongLong();
    QVERIFY(child > 0);
    QVERIFY(processAlive(child));

    ::kill(pid_t(helper.processId()), SIGKILL);
    QVERIFY(helper.waitForFinished(5000));
    QTRY_VERIFY_WITH_TIMEOUT(!processAlive(child), 5000);
}

void tst_Sandbox::networkAllowed()
{
    QString why;
    if (!qfc::platform::networkHelperAvailable(&why))
        QSKIP(qPrintable(u"no outbound network for confined processes: "_qs + why));
    SandboxOptions online = options();
    online.allowNetwork = true;

    QTcpServer loopback;
    QVERIFY(loopback.listen(QHostAddress::LocalHost));
    const QString loopbackPort = QString::number(loopback.serverPort());

    // the host's loopback: neither directly (the namespace's own lo) nor through slirp4netns's
    // host alias 10.0.2.2; link-local (cloud metadata) is unreachable
    for (const QString &address : {u"127.0.0.1"_qs, u"10.0.2.2"_qs}) {
        const Run result =
            run(testWorker(), {u"connect"_qs, address, loopbackPort, u"3000"_qs}, online);
        QVERIFY2(result.actionFailed(), result.describe().constData());
    }
    QVERIFY(!loopback.waitForNewConnection(200));
    const Run metadata =
        run(testWorker(), {u"connect"_qs, u"169.254.169.254"_qs, u"80"_qs}, online);
    QVERIFY2(metadata.actionFailed(), metadata.describe().constData());
    QVERIFY2(metadata.err.contains("EHOSTUNREACH") || metadata.err.contains("ENETUNREACH"),
             metadata.err.constData());

    const QString address = nonLoopbackIPv4();
    if (address.isEmpty())
        QSKIP("this machine has no non-loopback IPv4 address to reach from the sandbox");
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress(address)));
    const Run result =
        run(testWorker(),
            {u"connect"_qs, address, QString::number(server.serverPort()), u"5000"_qs}, online);
    QVERIFY2(result.succeeded(), result.describe().constData());
    QVERIFY(server.waitForNewConnection(5000));

    // without allowNetwork the same address is out of reach
    const Run offline = run(
        testWorker(), {u"connect"_qs, address, QString::number(server.serverPort())}, options());
    QVERIFY2(offline.actionFailed(), offline.describe().constData());

    // optionally another host, e.g. a PostGIS in a network namespace behind a veth pair
    const QStringList remote = qEnvironmentVariable("QFC_TEST_REMOTE_TCP").split(u':');
    if (remote.size() == 2) {
        const Run reached =
            run(testWorker(), {u"connect"_qs, remote[0], remote[1], u"5000"_qs}, online);
        QVERIFY2(reached.succeeded(), reached.describe().constData());
        const Run unreached = run(testWorker(), {u"connect"_qs, remote[0], remote[1]}, options());
        QVERIFY2(unreached.actionFailed(), unreached.describe().constData());
    }
}

void tst_Sandbox::realWorker()
{
    const QString worker = qEnvironmentVariable("QFC_TEST_WORKER_BINARY");
    if (worker.isEmpty())
        QSKIP("QFC_TEST_WORKER_BINARY is not set (qfc-worker is not built)");
    const QString source = qEnvironmentVariable("QFC_TEST_DATA") + u"/upstream/core/delta"_qs;
    const QStringList files = {u"project.qgs"_qs, u"testdata.gpkg"_qs, u"points.geojson"_qs,
                               u"polygons.geojson"_qs, u"nonspatial.csv"_qs};

    // one fresh work directory per run, laid out as the runner does (spec/worker.md §2.1)
    auto runOnce = [&](bool confined, QJsonObject *feedback) {
        QTemporaryDir scratch;
        const QString work = QFileInfo(scratch.path()).canonicalFilePath();
        for (const char *dir : {"files", "home", "tmp", "runtime", "qgis-config"})
            QDir(work).mkpath(QLatin1String(dir));
        for (const QString &name : files) {
            QFile::copy(source + u'/' + name, work + u"/files/"_qs + name);
            QFile::setPermissions(work + u"/files/"_qs + name,
                                  QFileDevice::ReadOwner | QFileDevice::WriteOwner);
        }
        QProcessEnvironment environment;
        environment.insert(u"PATH"_qs, u"/usr/bin:/bin"_qs);
        environment.insert(u"LANG"_qs, u"C.UTF-8"_qs);
        environment.insert(u"QT_QPA_PLATFORM"_qs, u"offscreen"_qs);
        environment.insert(u"HOME"_qs, work + u"/home"_qs);
        environment.insert(u"TMPDIR"_qs, work + u"/tmp"_qs);
        environment.insert(u"XDG_RUNTIME_DIR"_qs, work + u"/runtime"_qs);
        environment.insert(u"QGIS_CUSTOM_CONFIG_PATH"_qs, work + u"/qgis-config"_qs);
        environment.insert(u"QFIELDCLOUD_EXTRA_ENVVARS"_qs, u"[]"_qs);
        SandboxOptions sandbox;
        sandbox.workDir = work;
        const Run result = run(worker,
                               {u"process_projectfile"_qs, u"--project-id"_qs,
                                u"3d0e8b3e-4a6f-4f7c-9b52-0b6c1f4e2a17"_qs, u"--project-file"_qs,
                                u"project.qgs"_qs, u"--workdir"_qs, work},
                               sandbox, confined, 180000, environment);
        QFile file(work + u"/feedback.json"_qs);
        if (file.open(QIODevice::ReadOnly))
            *feedback = QJsonDocument::fromJson(file.readAll()).object();
        return result;
    };

    QList<qint64> plain;
    QList<qint64> confined;
    qint64 peak = -1;
    QJsonObject plainFeedback;
    constexpr int Runs = 5;
    for (int i = 0; i < Runs; ++i) {
        QJsonObject feedback;
        const Run unconfinedRun = runOnce(false, &plainFeedback);
        QVERIFY2(unconfinedRun.succeeded(), unconfinedRun.describe().constData());
        plain.append(unconfinedRun.elapsedMs);

        const Run confinedRun = runOnce(true, &feedback);
        QVERIFY2(confinedRun.succeeded(), confinedRun.describe().constData());
        QVERIFY2(!feedback.isEmpty(), confinedRun.describe().constData());
        QVERIFY2(!feedback.contains(u"error"_qs) || feedback.value(u"error"_qs).isNull(),
                 QJsonDocument(feedback).toJson().constData());
        // confinement changes nothing in what the worker finds out about the layers
        const auto layers = [](const QJsonObject &object) {
            const QJsonObject byId = object.value(u"outputs"_qs)
                                         .toObject()
                                         .value(u"project_details"_qs)
                                         .toObject()
                                         .value(u"project_details"_qs)
                                         .toObject()
                                         .value(u"layers_by_id"_qs)
                                         .toObject();
            QStringList summary;
            for (auto it = byId.begin(); it != byId.end(); ++it) {
                const QJsonObject layer = it.value().toObject();
                summary.append(it.key() + u' ' + layer.value(u"is_valid"_qs).toVariant().toString()
                               + u' ' + layer.value(u"error_code"_qs).toString());
            }
            return summary;
        };
        QVERIFY(!layers(feedback).isEmpty());
        QCOMPARE(layers(feedback), layers(plainFeedback));
        confined.append(confinedRun.elapsedMs);
        peak = std::max(peak, confinedRun.peakVirtual);
    }
    std::sort(plain.begin(), plain.end());
    std::sort(confined.begin(), confined.end());
    qInfo("qfc-worker process_projectfile, %d runs: median %lld ms unconfined (%lld..%lld), "
          "%lld ms confined (%lld..%lld); VmPeak confined %lld MiB",
          Runs, plain.at(Runs / 2), plain.first(), plain.last(), confined.at(Runs / 2),
          confined.first(), confined.last(), peak >> 20);
}

void tst_Sandbox::setupCost()
{
    // What confinement adds to a process start (namespaces, Landlock, seccomp), informational.
    constexpr int Runs = 20;
    QList<qint64> plain;
    QList<qint64> confined;
    for (int i = 0; i < Runs; ++i) {
        for (bool confine : {false, true}) {
            const Run result = run(testWorker(), {u"exit"_qs, u"0"_qs}, options(), confine);
            QVERIFY2(result.succeeded(), result.describe().constData());
            (confine ? confined : plain).append(result.elapsedMs);
        }
    }
    std::sort(plain.begin(), plain.end());
    std::sort(confined.begin(), confined.end());
    qInfo("qfc-testworker start to exit, median of %d: %lld ms unconfined, %lld ms confined", Runs,
          plain.at(Runs / 2), confined.at(Runs / 2));
}

int main(int argc, char **argv)
{
    if (argc >= 3 && qstrcmp(argv[1], "--confined-helper") == 0)
        return confinedHelper(argc, argv);
    QCoreApplication app(argc, argv);
    tst_Sandbox test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_sandbox.moc"
