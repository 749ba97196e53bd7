#include "instance.h"

#include "api/api.h"
#include "api/http/server.h"
#include "auth/authservice.h"
#include "auth/loginthrottle.h"
#include "auth/tokens.h"
#include "auth/userrepository.h"
#include "core/logging.h"
#include "db/database.h"
#include "db/migrator.h"
#include "db/transaction.h"
#include "deltas/applyjob.h"
#include "files/filerepository.h"
#include "files/localfilestore.h"
#include "files/projectfiles.h"
#include "jobs/jobservice.h"
#include "jobs/scheduler.h"
#include "jobs/secrets.h"
#include "packages/packages.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSslCertificate>
#include <QSslKey>
#include <QStandardPaths>
#include <QUuid>

#include <stdexcept>

namespace qfc {

namespace {

constexpr int kMaintenanceIntervalMs = 3600 * 1000;

QString spoolRoot(const Settings &s)
{
    return QDir(s.dataDir()).filePath(u"tmp/uploads"_qs);
}

// Each node streams uploads into a directory of its own: nodes sharing a data directory never
// remove each other's uploads in progress.
QString spoolDir(const Settings &s, const QString &nodeId)
{
    return spoolRoot(s) + u'/' + nodeId;
}

QString randomPassword()
{
    static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    QString out;
    auto *rng = QRandomGenerator::system();
    for (int i = 0; i < 20; ++i)
        out.append(QLatin1Char(alphabet[rng->bounded(int(sizeof alphabet) - 1)]));
    return out;
}

QSslConfiguration tlsConfiguration(const Settings &s)
{
    QFile certFile(s.text(u"server/tls_certificate"_qs));
    QFile keyFile(s.text(u"server/tls_private_key"_qs));
    if (!certFile.open(QIODevice::ReadOnly) || !keyFile.open(QIODevice::ReadOnly))
        throw std::runtime_error("cannot read the TLS certificate or key");
    const QList<QSslCertificate> chain = QSslCertificate::fromData(certFile.readAll(), QSsl::Pem);
    const QByteArray keyData = keyFile.readAll();
    QSslKey key(keyData, QSsl::Rsa, QSsl::Pem);
    if (key.isNull())
        key = QSslKey(keyData, QSsl::Ec, QSsl::Pem);
    if (chain.isEmpty() || key.isNull())
        throw std::runtime_error("the TLS certificate or key is not valid PEM");
    QSslConfiguration conf = QSslConfiguration::defaultConfiguration();
    conf.setLocalCertificateChain(chain);
    conf.setPrivateKey(key);
    conf.setPeerVerifyMode(QSslSocket::VerifyNone);
    return conf;
}

} // namespace

Instance::Instance(Settings settings, QObject *parent)
    : QObject(parent), m_settings(std::move(settings))
{
    m_maintenance.setInterval(kMaintenanceIntervalMs);
    connect(&m_maintenance, &QTimer::timeout, this, &Instance::maintenance);
}

Instance::~Instance()
{
    stop();
}

AuthService::Options Instance::authOptions(const Settings &s)
{
    AuthService::Options o;
    o.tokenLifetimeUs = s.integer(u"auth/token_lifetime_hours"_qs) * 3600LL * 1000000;
    o.passwordIterations = int(s.integer(u"auth/password_iterations"_qs));
    o.throttle.userFailures = int(s.integer(u"auth/throttle_user_failures"_qs));
    o.throttle.userWindowUs = s.integer(u"auth/throttle_user_window_seconds"_qs) * 1000000;
    o.throttle.addressFailures = int(s.integer(u"auth/throttle_address_failures"_qs));
    o.throttle.addressWindowUs = s.integer(u"auth/throttle_address_window_seconds"_qs) * 1000000;
    return o;
}

std::unique_ptr<db::Database> Instance::openDatabase(const Settings &s)
{
    if (!QDir().mkpath(s.dataDir()))
        throw std::runtime_error("cannot create the data directory " + s.dataDir().toStdString());
    return std::make_unique<db::Database>(s.databaseUrl(), s.dataDir(),
                                          int(s.integer(u"database/busy_timeout_ms"_qs)));
}

void Instance::resolveNodeId()
{
    static const QRegularExpression unsafe(u"[^A-Za-z0-9_.-]"_qs);
    m_nodeId = m_settings.text(u"jobs/node_id"_qs);
    if (!m_nodeId.isEmpty()) {
        m_nodeId.replace(unsafe, u"_"_qs); // it names directories and files
        return;
    }
    // Kept in the data directory, so a restarted node recognizes what it left behind. Only one
    // process at a time may be that node: another one sharing the data directory runs under a
    // fresh id of its own (give every node its own jobs/node_id to keep theirs across restarts).
    const QDir data(m_settings.dataDir());
    m_nodeIdLock = std::make_unique<QLockFile>(data.filePath(u"node-id.lock"_qs));
    m_nodeIdLock->setStaleLockTime(0); // stale only when its process is gone
    if (m_nodeIdLock->tryLock(0)) {
        QFile f(data.filePath(u"node-id"_qs));
        if (f.open(QIODevice::ReadOnly))
            m_nodeId = QString::fromUtf8(f.readAll()).trimmed().replace(unsafe, u"_"_qs);
        f.close();
        if (m_nodeId.isEmpty()) {
            m_nodeId = QUuid::createUuid().toString(QUuid::WithoutBraces);
            QSaveFile out(f.fileName());
            if (!out.open(QIODevice::WriteOnly) || out.write(m_nodeId.toUtf8()) < 0
                || !out.commit())
                throw std::runtime_error("cannot write " + f.fileName().toStdString());
        }
        return;
    }
    m_nodeIdLock.reset();
    m_nodeId = QUuid::createUuid().toString(QUuid::WithoutBraces);
    qCInfo(lcServer).noquote() << QStringLiteral(
                                      "another qfc-server uses this data directory's node id: "
                                      "this one runs as node %1")
                                      .arg(m_nodeId);
}

void Instance::prepareDataDir()
{
    const QString spool = spoolDir(m_settings, m_nodeId);
    if (!QDir().mkpath(spool))
        throw std::runtime_error("cannot create " + spool.toStdString());
    // Upload spool files left by a crash are never referenced: remove them.
    QDirIterator it(spool, QDir::Files);
    while (it.hasNext())
        QFile::remove(it.next());
}

std::optional<QString> Instance::ensureAdministrator(db::Database &database, AuthService &auth,
                                                     const QString &username)
{
    if (users::countSuperusers(database.connection()) > 0)
        return std::nullopt;
    const QString password = randomPassword();
    const QString hash = auth.hashPassword(password);
    db::Transaction tx(database, db::Transaction::Write);
    if (users::countSuperusers(tx.connection()) > 0
        || users::usernameTaken(tx.connection(), username))
        return std::nullopt; // another node was first, or the name is in use
    User admin;
    admin.username = username;
    admin.isStaff = true;
    admin.isSuperuser = true;
    admin.password = hash;
    users::insert(tx.connection(), admin);
    tx.commit();
    qCInfo(lcServer) << "created the first administrator" << username;
    return password;
}

Services Instance::services()
{
    return Services{m_settings, *m_database, *m_auth, *m_store, *m_projectFiles, *m_jobs};
}

void Instance::start(bool migrate)
{
    QDir().mkpath(m_settings.dataDir());
    resolveNodeId();
    prepareDataDir();
    // First: a key store that cannot be used stops the start before anything is created.
    m_keys = openKeyRing(m_settings);
    m_database = openDatabase(m_settings);
    qCInfo(lcServer).noquote() << "database:" << m_database->describe();
    db::Migrator migrator(*m_database);
    if (migrate)
        migrator.migrate();
    migrator.verifyCurrent();
    m_auth = std::make_unique<AuthService>(*m_database, authOptions(m_settings));
    m_store = std::make_unique<files::LocalFileStore>(m_settings.dataDir());
    m_store->setTemporaryOwner(m_nodeId);
    m_store->cleanOwnTemporaries(); // what this node left when it stopped
    m_store->cleanTemporaries(3600); // and what dead nodes left
    m_projectFiles = std::make_unique<files::ProjectFiles>(*m_database, *m_store);
    m_jobs = std::make_unique<jobs::JobService>(*m_database, *m_store, *m_projectFiles);
    m_jobs->setHooks(jobtypes::ProcessProjectfile, jobs::processProjectfileHooks(*m_jobs));
    m_jobs->setHooks(jobtypes::DeltaApply, deltas::deltaApplyHooks(*m_jobs));
    m_jobs->setHooks(jobtypes::Package, packages::packageHooks(*m_jobs));
    m_projectFiles->setUploadHook([this](const Project &project, const QString &, qint64 userId) {
        m_jobs->onProjectFileUploaded(project, userId);
    });
    m_adminPassword =
        ensureAdministrator(*m_database, *m_auth, m_settings.text(u"auth/admin_username"_qs));

    m_api = std::make_unique<api::Api>(services());
    http::Server::Options o;
    o.address = m_settings.listenAddress();
    o.port = m_settings.listenPort();
    o.ioThreads = int(m_settings.integer(u"server/io_threads"_qs));
    o.handlerThreads = int(m_settings.integer(u"server/handler_threads"_qs));
    o.maxHeaderBytes = m_settings.integer(u"server/max_header_bytes"_qs);
    o.idleTimeoutMs = int(m_settings.integer(u"server/idle_timeout_seconds"_qs) * 1000);
    o.readTimeoutMs = int(m_settings.integer(u"server/read_timeout_seconds"_qs) * 1000);
    o.spoolDir = spoolDir(m_settings, m_nodeId);
    o.trustedProxies = m_settings.trustedProxies();
    o.publicUrl = m_settings.publicUrl();
    o.accessLog = m_settings.flag(u"log/access_log"_qs);
    o.serverHeader = "qfc/" QFC_VERSION;
    if (!m_settings.text(u"server/tls_certificate"_qs).isEmpty())
        o.tls = tlsConfiguration(m_settings);
    m_http = std::make_unique<http::Server>(o, m_api.get());
    QString error;
    if (!m_http->listen(&error))
        throw std::runtime_error(QStringLiteral("cannot listen on %1: %2")
                                     .arg(m_settings.text(u"server/listen"_qs), error)
                                     .toStdString());
    m_maintenance.start();
    startScheduler();
    qCInfo(lcServer).noquote()
        << QStringLiteral("serving on %1:%2").arg(o.address.toString()).arg(m_http->port());
}

void Instance::stop()
{
    m_maintenance.stop();
    stopScheduler();
    if (m_http) {
        m_http->close();
        m_http.reset();
    }
    m_api.reset();
    m_jobs.reset();
    m_projectFiles.reset();
    m_store.reset();
    m_auth.reset();
    m_database.reset();
}

quint16 Instance::port() const
{
    return m_http ? m_http->port() : 0;
}

std::shared_ptr<secrets::KeyRing> Instance::openKeyRing(const Settings &settings)
{
    const QString store = settings.text(u"secrets/key_store"_qs);
    if (store == u"keychain") {
        // One entry per data directory: two instances on one machine keep separate keys.
        const QString dir = QDir(settings.dataDir()).absolutePath();
        return std::make_shared<secrets::KeyRing>(secrets::KeyRing::fromKeychain(
            u"secret-key:"_qs
            + QString::fromLatin1(QCryptographicHash::hash(dir.toUtf8(), QCryptographicHash::Sha256)
                                      .toHex()
                                      .left(16))));
    }
    if (store != u"file")
        throw secrets::SecretError("secrets/key_store is file or keychain, not "
                                   + store.toStdString());
    return std::make_shared<secrets::KeyRing>(
        QDir(settings.dataDir()).absoluteFilePath(settings.text(u"secrets/key_file"_qs)));
}

QString Instance::findWorkerBinary(const Settings &settings)
{
    const QString configured = settings.text(u"jobs/worker_binary"_qs);
    if (!configured.isEmpty())
        return configured;
    const QString here = QCoreApplication::applicationDirPath();
    for (const QString &candidate :
         {QString(here + u"/qfc-worker"_qs), QString(here + u"/../worker/qfc-worker"_qs)})
        if (QFileInfo(candidate).isExecutable())
            return QFileInfo(candidate).canonicalFilePath();
    return QStandardPaths::findExecutable(u"qfc-worker"_qs);
}

void Instance::startScheduler()
{
    const int workers = int(m_settings.integer(u"jobs/workers"_qs));
    if (workers == 0)
        return;
    jobs::Scheduler::Options o;
    o.nodeId = m_nodeId;
    o.workers = workers;
    o.pollIntervalMs = int(m_settings.integer(u"jobs/poll_interval_ms"_qs));
    o.leaseSeconds = int(m_settings.integer(u"jobs/lease_seconds"_qs));
    jobs::RunConfig &r = o.run;
    r.workerBinary = findWorkerBinary(m_settings);
    // Per node: nodes that share a data directory never touch each other's work directories.
    r.jobsDir = QDir(m_settings.dataDir()).filePath(u"jobs/"_qs + m_nodeId);
    r.timeoutSeconds = int(m_settings.integer(u"jobs/timeout_seconds"_qs));
    r.timeoutByType = {
        {jobtypes::ProcessProjectfile,
         int(m_settings.integer(u"jobs/timeout_process_projectfile_seconds"_qs))},
        {jobtypes::Package, int(m_settings.integer(u"jobs/timeout_package_seconds"_qs))},
        {jobtypes::DeltaApply, int(m_settings.integer(u"jobs/timeout_delta_apply_seconds"_qs))}};
    r.graceSeconds = int(m_settings.integer(u"jobs/kill_grace_seconds"_qs));
    r.outputLimit = m_settings.integer(u"jobs/output_limit_bytes"_qs);
    const QString sandbox = m_settings.text(u"jobs/sandbox"_qs);
    r.sandbox = sandbox == u"off" ? jobs::RunConfig::Sandbox::Off
        : sandbox == u"auto"      ? jobs::RunConfig::Sandbox::Auto
                                  : jobs::RunConfig::Sandbox::Required;
    r.limits.memoryBytes = m_settings.integer(u"jobs/memory_limit_bytes"_qs);
    r.limits.cpuSeconds = int(m_settings.integer(u"jobs/cpu_limit_seconds"_qs));
    r.limits.openFiles = int(m_settings.integer(u"jobs/open_files_limit"_qs));
    r.limits.allowNetwork = m_settings.text(u"jobs/network"_qs) == u"outbound";
    r.keepFailedWorkdirs = m_settings.flag(u"jobs/keep_failed_workdirs"_qs);
    if (!m_keys)
        m_keys = openKeyRing(m_settings);
    r.secrets = [keys = m_keys, db = m_database.get()](const Job &job, const Project &project,
                                                       QProcessEnvironment &env,
                                                       QStringList &values) {
        const QList<secrets::Secret> list =
            secrets::forJob(db->connection(), *keys, project.id, project.ownerId, job.createdBy);
        QString pgService;
        secrets::applyToEnvironment(list, env, pgService);
        for (const secrets::Secret &s : list) {
            values << s.value;
            // A pg_service.conf block: its passwords too.
            if (s.type == u"pgservice") {
                const QStringList lines = s.value.split(u'\n');
                for (const QString &line : lines)
                    if (line.trimmed().startsWith(u"password"_qs) && line.contains(u'='))
                        values << line.section(u'=', 1).trimmed();
            }
        }
        return pgService;
    };
    if (r.workerBinary.isEmpty())
        qCWarning(lcJobs) << "qfc-worker not found: jobs will fail until jobs/worker_binary is set";
    QDir(r.jobsDir).removeRecursively(); // work directories of an earlier run
    QDir().mkpath(r.jobsDir);

    m_jobsThread = new QThread;
    m_jobsThread->setObjectName(u"qfc-jobs"_qs);
    m_scheduler = new jobs::Scheduler(*m_jobs, o);
    m_scheduler->moveToThread(m_jobsThread);
    connect(m_jobs.get(), &jobs::JobService::created, m_scheduler, &jobs::Scheduler::wake);
    connect(m_jobs.get(), &jobs::JobService::projectDeleted, m_scheduler,
            &jobs::Scheduler::cancelProject);
    m_jobsThread->start();
    QMetaObject::invokeMethod(m_scheduler, &jobs::Scheduler::start, Qt::QueuedConnection);
    qCInfo(lcJobs).noquote() << QStringLiteral("node %1 runs up to %2 jobs with %3")
                                    .arg(m_nodeId)
                                    .arg(workers)
                                    .arg(r.workerBinary);
}

void Instance::stopScheduler()
{
    if (!m_jobsThread)
        return;
    QMetaObject::invokeMethod(m_scheduler, &jobs::Scheduler::stop, Qt::BlockingQueuedConnection);
    QMetaObject::invokeMethod(
        m_scheduler, [s = m_scheduler] { delete s; }, Qt::BlockingQueuedConnection);
    m_scheduler = nullptr;
    m_jobsThread->quit();
    m_jobsThread->wait();
    delete m_jobsThread;
    m_jobsThread = nullptr;
}

void Instance::collectGarbage()
{
    // Blobs no row refers to any more (deleted files and versions, deleted projects), once they
    // are older than the grace period (a blob is stored before its row is committed).
    QSqlDatabase db = m_database->connection();
    const files::GarbageReport report = m_store->collectGarbage(
        [&db](const QString &sha256) { return files::isBlobReferenced(db, sha256); },
        files::FileStore::DefaultGraceSeconds);
    if (report.removed > 0)
        qCInfo(lcFiles) << "collected" << report.removed << "unreferenced blobs,"
                        << report.bytesRemoved << "bytes";
    m_store->cleanTemporaries(3600);
    // Upload spool files are written continuously while their upload lasts: one untouched for an
    // hour belongs to a node that died (its own start-up clears only its own directory).
    QDirIterator it(spoolRoot(m_settings), QDir::Files | QDir::Hidden,
                    QDirIterator::Subdirectories);
    const QDateTime cutoff = QDateTime::currentDateTimeUtc().addSecs(-3600);
    while (it.hasNext()) {
        const QString path = it.next();
        if (it.fileInfo().lastModified().toUTC() < cutoff)
            QFile::remove(path);
    }
}

void Instance::maintenance()
{
    try {
        QSqlDatabase db = m_database->connection();
        const int purged = tokens::purgeExpired(db, 7LL * 24 * 3600 * 1000000);
        LoginThrottle(authOptions(m_settings).throttle).purge(db);
        if (purged > 0)
            qCInfo(lcAuth) << "removed" << purged << "expired tokens";
        collectGarbage();
    } catch (const std::exception &e) {
        qCWarning(lcServer) << "maintenance failed:" << e.what();
    }
}

} // namespace qfc
