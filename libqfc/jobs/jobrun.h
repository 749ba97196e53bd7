#pragma once

#include "job.h"
#include "platform/sandbox.h"
#include "projects/project.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFutureWatcher>
#include <QObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTimer>

#include <functional>
#include <memory>

namespace qfc::jobs {

class JobService;

// How workers are run on this node (from the jobs/ settings).
struct RunConfig
{
    enum class Sandbox { Required, Auto, Off };

    QString workerBinary;
    QString jobsDir; // work directories live in <jobsDir>/<job id>
    int timeoutSeconds = 600;
    QHash<QString, int> timeoutByType; // type → seconds (0: timeoutSeconds)
    int graceSeconds = 5;
    qint64 outputLimit = 10 << 20;
    Sandbox sandbox = Sandbox::Required;
    platform::SandboxOptions limits; // workDir is filled per job
    bool keepFailedWorkdirs = false;
    // The job's secrets (spec/api.md §13): adds their variables to the worker's environment and
    // returns the pg_service.conf text; `values` receives every secret value, which the runner
    // removes from the stored output and feedback.
    std::function<QString(const Job &, const Project &, QProcessEnvironment &, QStringList &values)>
        secrets;
};

// One job on its way through a worker process (style.md point 21): prepare the work directory
// with a private copy of the project's files, run `qfc-worker` confined with a minimal
// environment and a wall-clock timeout (terminate, grace, kill), capture its output with a cap,
// read feedback.json, run the type's hooks and store the final state. Lives on the scheduler's
// thread; the slow parts (copies, hooks) run on a thread pool.
class JobRun : public QObject
{
    Q_OBJECT
public:
    JobRun(Job job, JobService &service, const RunConfig &config, QObject *parent = nullptr);
    ~JobRun() override;

    const Job &job() const { return m_job; }
    void start();
    // Stops the worker (terminate, grace, kill); the job ends failed with "Job was cancelled."
    // (spec/api.md §19.7).
    void cancel();

Q_SIGNALS:
    void done(const QString &jobId);

private:
    enum class State { Idle, Preparing, Running, Finishing, Done };
    struct Prepared
    {
        std::optional<Project> project;
        QString error; // the job cannot run: failed with this error
        QProcessEnvironment environment;
        QStringList secretValues;
    };

    Prepared prepare();
    void launch(const Prepared &prepared);
    void onFinished(int exitCode, QProcess::ExitStatus status);
    void onTimeout();
    void collectOutput();
    void sampleMemory();
    void finish(QString status, QJsonObject feedback, std::optional<int> exitCode);
    int timeoutSeconds() const;

    Job m_job;
    JobService &m_service;
    RunConfig m_config;
    QDir m_workdir;
    State m_state = State::Idle;
    std::optional<Project> m_project;
    std::unique_ptr<QProcess> m_process;
    std::unique_ptr<QObject> m_network;
    QTimer m_timeout;
    QTimer m_kill;
    QTimer m_memory;
    QByteArray m_output;
    QStringList m_secretValues;
    bool m_outputTruncated = false;
    bool m_timedOut = false;
    bool m_cancelled = false;
    qint64 m_peakVirtual = -1;
    QElapsedTimer m_clock;
    // The pool task in flight (preparing, or storing a success) and what follows it on this
    // thread: cancel() waits for the task and runs the continuation itself, so a stop never
    // depends on the watcher's queued notification reaching a nested event loop.
    QFutureWatcherBase *m_pendingWatcher = nullptr;
    std::function<void()> m_continuation;
    void awaitPending(QFutureWatcherBase *watcher, std::function<void()> continuation);
    void runContinuation();
};

} // namespace qfc::jobs
