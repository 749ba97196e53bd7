#include "jobrun.h"

#include "contract/feedback.h"
#include "contract/jobtype.h"
#include "contract/runnerfeedback.h"
#include "contract/workdir.h"
#include "contract/workerarguments.h"
#include "core/clock.h"
#include "core/logging.h"
#include "db/database.h"
#include "files/filerepository.h"
#include "files/filestore.h"
#include "files/projectfiles.h"
#include "jobrepository.h"
#include "jobservice.h"
#include "projects/projectrepository.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QtConcurrent>

namespace qfc::jobs {

namespace {

constexpr int kMemorySampleMs = 250;

QString offlinerOf(const Project &project)
{
    return project.packagingOffliner.isEmpty() ? u"pythonmini"_qs : project.packagingOffliner;
}

} // namespace

JobRun::JobRun(Job job, JobService &service, const RunConfig &config, QObject *parent)
    : QObject(parent)
    , m_job(std::move(job))
    , m_service(service)
    , m_config(config)
    , m_workdir(QDir(config.jobsDir).filePath(m_job.id))
    , m_timeout(this)
    , m_kill(this)
    , m_memory(this)
{
    m_timeout.setSingleShot(true);
    m_timeout.setTimerType(Qt::PreciseTimer); // a coarse timer may fire up to 5 % early
    m_kill.setSingleShot(true);
    m_memory.setInterval(kMemorySampleMs);
    connect(&m_timeout, &QTimer::timeout, this, &JobRun::onTimeout);
    connect(&m_kill, &QTimer::timeout, this, [this] {
        if (m_process && m_process->state() != QProcess::NotRunning)
            m_process->kill();
    });
    connect(&m_memory, &QTimer::timeout, this, &JobRun::sampleMemory);
}

JobRun::~JobRun()
{
    if (m_process && m_process->state() != QProcess::NotRunning) {
        m_process->kill();
        m_process->waitForFinished(5000);
    }
}

int JobRun::timeoutSeconds() const
{
    const int t = m_config.timeoutByType.value(m_job.type);
    return t > 0 ? t : m_config.timeoutSeconds;
}

void JobRun::start()
{
    m_state = State::Preparing;
    m_clock.start();
    auto *watcher = new QFutureWatcher<Prepared>(this);
    awaitPending(watcher, [this, watcher] {
        const Prepared prepared = watcher->result();
        watcher->deleteLater();
        launch(prepared);
    });
    watcher->setFuture(QtConcurrent::run([this] { return prepare(); }));
}

void JobRun::awaitPending(QFutureWatcherBase *watcher, std::function<void()> continuation)
{
    m_pendingWatcher = watcher;
    m_continuation = std::move(continuation);
    connect(watcher, &QFutureWatcherBase::finished, this, &JobRun::runContinuation);
}

void JobRun::runContinuation()
{
    if (!m_pendingWatcher)
        return;
    disconnect(m_pendingWatcher, nullptr, this, nullptr);
    m_pendingWatcher = nullptr;
    const std::function<void()> next = std::move(m_continuation);
    m_continuation = nullptr;
    next();
}

// On a pool thread: the job row becomes started, the work directory gets its private copy of the
// project's files, the type's hook prepares the rest.
JobRun::Prepared JobRun::prepare()
{
    Prepared p;
    try {
        QSqlDatabase db = m_service.database().connection();
        p.project = projects::byId(db, m_job.projectId);
        if (!p.project) {
            p.error = u"The project was deleted."_qs;
            return p;
        }
        const qint64 snapshot = clock::nowUs();
        markStarted(db, m_job.id,
                    m_job.type == jobtypes::Package ? std::optional<qint64>(snapshot)
                                                    : std::nullopt);
        m_job.status = u"started"_qs;
        if (!p.project->theQgisFileName) {
            p.error = u"The project has no QGIS project file."_qs;
            return p;
        }
        m_workdir.removeRecursively();
        const contract::WorkDir layout(m_workdir.absolutePath());
        for (const QString &dir :
             {layout.filesDir(), layout.exportDir(), m_workdir.filePath(u"home"_qs),
              m_workdir.filePath(u"tmp"_qs), m_workdir.filePath(u"runtime"_qs)})
            if (!QDir().mkpath(dir))
                throw std::runtime_error("cannot create " + dir.toStdString());
        QFile::setPermissions(m_workdir.filePath(u"runtime"_qs),
                              QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        // A private copy of every non-attachment file (never links to stored blobs).
        const QList<files::File> all = files::ofProject(db, p.project->id);
        for (const files::File &f : all) {
            if (files::ProjectFiles::isAttachment(*p.project, f.name))
                continue;
            const QString target = QDir(layout.filesDir()).filePath(f.name);
            QDir().mkpath(QFileInfo(target).absolutePath());
            m_service.store().copyTo(f.latest().sha256, target);
        }
        QProcessEnvironment env;
        env.insert(u"PATH"_qs, u"/usr/local/bin:/usr/bin:/bin"_qs);
        env.insert(u"LANG"_qs, u"C.UTF-8"_qs);
        env.insert(u"QT_QPA_PLATFORM"_qs, u"offscreen"_qs);
        env.insert(u"HOME"_qs, m_workdir.filePath(u"home"_qs));
        env.insert(u"TMPDIR"_qs, m_workdir.filePath(u"tmp"_qs));
        env.insert(u"XDG_RUNTIME_DIR"_qs, m_workdir.filePath(u"runtime"_qs));
        env.insert(u"QGIS_CUSTOM_CONFIG_PATH"_qs, m_workdir.filePath(u"home"_qs));
        env.insert(u"JOB_ID"_qs, m_job.id);
        QString pgService;
        if (m_config.secrets)
            pgService = m_config.secrets(m_job, *p.project, env, p.secretValues);
        if (!pgService.isEmpty()) {
            QFile f(m_workdir.filePath(u"pg_service.conf"_qs));
            if (!f.open(QIODevice::WriteOnly) || f.write(pgService.toUtf8()) < 0)
                throw std::runtime_error("cannot write pg_service.conf");
            f.setPermissions(QFile::ReadOwner | QFile::WriteOwner);
            env.insert(u"PGSERVICEFILE"_qs, f.fileName());
        }
        p.environment = env;
        if (const Hooks h = m_service.hooks(m_job.type); h.prepare)
            h.prepare(m_job, *p.project, m_workdir);
    } catch (const std::exception &e) {
        p.error = QString::fromUtf8(e.what());
    }
    return p;
}

void JobRun::launch(const Prepared &prepared)
{
    m_project = prepared.project;
    m_secretValues = prepared.secretValues;
    if (m_cancelled) {
        finish(u"failed"_qs, contract::RunnerFeedback::cancelled().toJson(), 137);
        return;
    }
    if (!prepared.error.isEmpty()) {
        contract::Feedback f =
            contract::RunnerFeedback::unreadable(prepared.error, u"JobPreparationError"_qs, -1);
        finish(u"failed"_qs, f.toJson(), std::nullopt);
        return;
    }
    contract::WorkerArguments args;
    args.jobType = *contract::jobTypeFromName(m_job.type);
    args.projectId = m_project->id;
    args.projectFile = *m_project->theQgisFileName;
    args.workdir = m_workdir.absolutePath();
    if (m_job.type == jobtypes::Package)
        args.offliner = contract::offlinerFromName(offlinerOf(*m_project));
    if (m_job.type == jobtypes::DeltaApply)
        args.overwriteConflicts = m_job.overwriteConflicts.value_or(m_project->overwriteConflicts);

    m_process = std::make_unique<QProcess>();
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    m_process->setProcessEnvironment(prepared.environment);
    m_process->setWorkingDirectory(m_workdir.absolutePath());
    connect(m_process.get(), &QProcess::readyRead, this, &JobRun::collectOutput);
    connect(m_process.get(), &QProcess::finished, this, &JobRun::onFinished);
    connect(m_process.get(), &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
        if (e == QProcess::FailedToStart) {
            m_output += "Cannot start the worker: " + m_process->errorString().toUtf8() + '\n';
            onFinished(-1, QProcess::CrashExit);
        }
    });

    if (m_config.workerBinary.isEmpty()) {
        contract::Feedback f = contract::RunnerFeedback::unreadable(
            u"qfc-worker is not installed on this node (set jobs/worker_binary)."_qs,
            u"WorkerMissing"_qs, -1);
        finish(u"failed"_qs, f.toJson(), std::nullopt);
        return;
    }
    platform::SandboxOptions limits = m_config.limits;
    limits.workDir = m_workdir.absolutePath();
    limits.readOnlyPaths.append(QFileInfo(m_config.workerBinary).absolutePath());
    bool confined = false;
    if (m_config.sandbox != RunConfig::Sandbox::Off) {
        QString why;
        if (platform::sandboxAvailable(&why)) {
            try {
                platform::confine(*m_process, m_config.workerBinary, args.toArguments(), limits);
                confined = true;
            } catch (const std::exception &e) {
                why = QString::fromUtf8(e.what());
            }
        }
        if (!confined && m_config.sandbox == RunConfig::Sandbox::Auto)
            qCWarning(lcJobs).noquote()
                << QStringLiteral("job %1 runs NOT confined (jobs/sandbox=auto): %2")
                       .arg(m_job.id, why);
        if (!confined && m_config.sandbox == RunConfig::Sandbox::Required) {
            contract::Feedback f = contract::RunnerFeedback::unreadable(
                u"Worker confinement is required but unavailable: "_qs + why, u"SandboxError"_qs,
                -1);
            finish(u"failed"_qs, f.toJson(), std::nullopt);
            return;
        }
    }
    if (!confined) {
        m_process->setProgram(m_config.workerBinary);
        m_process->setArguments(args.toArguments());
    }
    m_state = State::Running;
    qCInfo(lcJobs).noquote() << QStringLiteral("starting %1 job %2 (%3)")
                                    .arg(m_job.type, m_job.id,
                                         confined ? u"confined"_qs : u"not confined"_qs);
    m_process->start();
    if (m_process->waitForStarted(30000)) {
        if (confined && limits.allowNetwork) {
            try {
                m_network = platform::attachNetwork(m_process->processId(), limits);
            } catch (const std::exception &e) {
                // The worker would run without the network its project needs: stop it, and the
                // job fails saying why.
                qCWarning(lcJobs).noquote()
                    << QStringLiteral("job %1: cannot give the worker its network: %2")
                           .arg(m_job.id, QString::fromUtf8(e.what()));
                m_output += "QFC: cannot give the worker its network (jobs/network=outbound): "
                    + QByteArray(e.what()) + '\n';
                m_process->kill();
            }
        }
        m_memory.start();
    }
    m_timeout.start(timeoutSeconds() * 1000);
}

void JobRun::collectOutput()
{
    m_output += m_process->readAll();
    // Keep the tail within the limit.
    if (m_output.size() > m_config.outputLimit) {
        m_output.remove(0, m_output.size() - m_config.outputLimit);
        m_outputTruncated = true;
    }
}

void JobRun::sampleMemory()
{
    if (m_process && m_process->processId() > 0)
        m_peakVirtual =
            std::max(m_peakVirtual, platform::peakVirtualMemory(m_process->processId()));
}

void JobRun::onTimeout()
{
    if (m_state != State::Running || !m_process)
        return;
    m_timedOut = true;
    qCWarning(lcJobs) << "job" << m_job.id << "timed out after" << timeoutSeconds() << "s";
    m_process->terminate();
    m_kill.start(m_config.graceSeconds * 1000);
}

void JobRun::cancel()
{
    m_cancelled = true;
    if (m_pendingWatcher) {
        // Preparing, or storing a success: let the pool task end, then go on from here (a
        // prepared run then ends cancelled at once; a stored success finishes).
        m_pendingWatcher->waitForFinished();
        runContinuation();
        return;
    }
    if (m_state == State::Running && m_process) {
        m_process->terminate();
        m_kill.start(m_config.graceSeconds * 1000);
    }
}

void JobRun::onFinished(int exitCode, QProcess::ExitStatus status)
{
    if (m_state != State::Running)
        return;
    m_timeout.stop();
    m_kill.stop();
    m_memory.stop();
    if (m_process)
        collectOutput();
    m_network.reset();
    m_state = State::Finishing;
    const contract::WorkDir layout(m_workdir.absolutePath());

    if (m_cancelled) {
        finish(u"failed"_qs, contract::RunnerFeedback::cancelled().toJson(), 137);
        return;
    }
    if (m_timedOut) {
        m_output += contract::RunnerFeedback::timeoutOutputSuffix(timeoutSeconds()).toUtf8();
        finish(u"failed"_qs, contract::RunnerFeedback::timeout().toJson(), -1);
        return;
    }
    const int code = status == QProcess::CrashExit ? -1 : exitCode;
    QFile file(layout.feedbackFile());
    const QByteArray bytes = file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    QString parseError;
    const std::optional<contract::Feedback> feedback =
        bytes.isEmpty() ? std::nullopt : contract::Feedback::fromBytes(bytes, &parseError);
    if (status == QProcess::CrashExit || exitCode != 0 || !feedback) {
        QString reason = platform::limitHit(
            status, exitCode, m_config.limits, m_peakVirtual,
            QByteArrayView(m_output).last(std::min<qsizetype>(m_output.size(), 4096)));
        if (reason.isEmpty()) {
            reason = !feedback && exitCode == 0 && status == QProcess::NormalExit
                ? (bytes.isEmpty() ? u"The worker wrote no feedback."_qs
                                   : u"The worker's feedback is unreadable: "_qs + parseError)
                : QStringLiteral("The worker ended abnormally (%1 %2).")
                      .arg(status == QProcess::CrashExit ? u"signal/crash"_qs : u"exit code"_qs)
                      .arg(exitCode);
        }
        const QJsonValue partial =
            feedback ? QJsonValue(feedback->toJson()) : QJsonValue(QJsonValue::Undefined);
        finish(
            u"failed"_qs,
            contract::RunnerFeedback::unreadable(reason, u"WorkerError"_qs, code, partial).toJson(),
            code);
        return;
    }
    const contract::Feedback completed = contract::RunnerFeedback::completed(*feedback, code);
    if (feedback->hasError()) {
        finish(u"failed"_qs, completed.toJson(), code);
        return;
    }
    // The worker succeeded: the type's hook takes its results, off this thread.
    auto *watcher = new QFutureWatcher<QString>(this);
    const QJsonObject json = completed.toJson();
    awaitPending(watcher, [this, watcher, json, code] {
        const QString error = watcher->result();
        watcher->deleteLater();
        if (error.isEmpty()) {
            finish(u"finished"_qs, json, code);
        } else {
            QJsonObject failed = json;
            failed.insert(u"error"_qs, error);
            failed.insert(u"error_origin"_qs, u"worker_wrapper"_qs);
            finish(u"failed"_qs, failed, code);
        }
    });
    watcher->setFuture(QtConcurrent::run([this, json]() -> QString {
        try {
            if (const Hooks h = m_service.hooks(m_job.type); h.succeeded)
                h.succeeded(m_job, *m_project, m_workdir, json);
            return {};
        } catch (const std::exception &e) {
            return u"Storing the results failed: "_qs + QString::fromUtf8(e.what());
        }
    }));
}

void JobRun::finish(QString status, QJsonObject feedback, std::optional<int> exitCode)
{
    QString output = QString::fromUtf8(m_output);
    if (m_outputTruncated)
        output.prepend(u"[earlier output truncated]\n"_qs);
    // Secret values never reach the stored output or feedback, whatever the worker printed.
    if (!m_secretValues.isEmpty()) {
        QString text = QString::fromUtf8(QJsonDocument(feedback).toJson(QJsonDocument::Compact));
        for (const QString &value : std::as_const(m_secretValues)) {
            if (value.size() < 3)
                continue;
            output.replace(value, u"***"_qs);
            text.replace(
                QString::fromUtf8(QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact))
                    .mid(2)
                    .chopped(2),
                u"***"_qs);
        }
        feedback = QJsonDocument::fromJson(text.toUtf8()).object();
    }
    try {
        QSqlDatabase db = m_service.database().connection();
        if (status == u"failed") {
            if (const Hooks h = m_service.hooks(m_job.type); h.failed)
                h.failed(m_job);
        }
        complete(db, m_job.id, status, output, feedback, exitCode);
    } catch (const std::exception &e) {
        qCCritical(lcJobs) << "cannot record the end of job" << m_job.id << e.what();
    }
    m_job.status = status;
    qCInfo(lcJobs).noquote() << QStringLiteral("job %1 %2 in %3 ms%4")
                                    .arg(m_job.id, status)
                                    .arg(m_clock.elapsed())
                                    .arg(status == u"failed"
                                             ? u": "_qs + feedback.value(u"error"_qs).toString()
                                             : QString());
    if (status == u"finished" || !m_config.keepFailedWorkdirs)
        m_workdir.removeRecursively();
    m_state = State::Done;
    Q_EMIT done(m_job.id);
}

} // namespace qfc::jobs
