#include "scheduler.h"

#include "core/logging.h"
#include "db/database.h"
#include "jobrepository.h"
#include "jobservice.h"

#include <QEventLoop>
#include <QHostInfo>

namespace qfc::jobs {

Scheduler::Scheduler(JobService &service, Options options)
    : m_service(service), m_options(std::move(options)), m_poll(this), m_heartbeat(this)
{
    m_poll.setInterval(m_options.pollIntervalMs);
    connect(&m_poll, &QTimer::timeout, this, &Scheduler::schedule);
    m_heartbeat.setInterval(std::max(1000, m_options.leaseSeconds * 1000 / 4));
    connect(&m_heartbeat, &QTimer::timeout, this, &Scheduler::heartbeat);
}

Scheduler::~Scheduler()
{
    qDeleteAll(m_runs);
}

void Scheduler::start()
{
    try {
        heartbeat();
        // What this node left queued or started before (a crash) cannot finish any more.
        const QList<Job> orphans = failOrphans(m_service.database(), m_options.nodeId, 0);
        for (const Job &j : orphans) {
            qCWarning(lcJobs) << "job" << j.id << "was left unfinished by this node: failed";
            if (const Hooks h = m_service.hooks(j.type); h.failed)
                h.failed(j);
        }
    } catch (const std::exception &e) {
        qCCritical(lcJobs) << "cannot recover the job queue:" << e.what();
    }
    m_heartbeat.start();
    m_poll.start();
    schedule();
}

void Scheduler::wake()
{
    QMetaObject::invokeMethod(this, &Scheduler::schedule, Qt::QueuedConnection);
}

void Scheduler::cancelProject(const QString &projectId)
{
    QMetaObject::invokeMethod(
        this,
        [this, projectId] {
            // A copy: cancel() may end a run at once, which removes it from m_runs.
            const QList<JobRun *> runs = m_runs.values();
            for (JobRun *run : runs)
                if (run->job().projectId == projectId)
                    run->cancel();
        },
        Qt::QueuedConnection);
}

void Scheduler::heartbeat()
{
    try {
        QSqlDatabase db = m_service.database().connection();
        jobs::heartbeat(db, m_options.nodeId, QHostInfo::localHostName());
        // Nodes whose lease ran out: their jobs fail.
        const QList<Job> orphans =
            failOrphans(m_service.database(), QString(), qint64(m_options.leaseSeconds) * 1000000);
        for (const Job &j : orphans) {
            qCWarning(lcJobs) << "job" << j.id << "of node" << j.nodeId << "lost its node: failed";
            if (const Hooks h = m_service.hooks(j.type); h.failed)
                h.failed(j);
        }
        // Another node may have deleted a project whose job runs here.
        const QList<JobRun *> runs = m_runs.values();
        for (JobRun *run : runs)
            if (!byId(db, run->job().id))
                run->cancel();
    } catch (const std::exception &e) {
        qCWarning(lcJobs) << "heartbeat failed:" << e.what();
    }
}

void Scheduler::schedule()
{
    if (m_stopping || m_scheduling)
        return;
    m_scheduling = true;
    try {
        while (m_runs.size() < m_options.workers) {
            std::optional<Job> job = claimNext(m_service.database(), m_options.nodeId);
            if (!job)
                break;
            auto *run = new JobRun(*job, m_service, m_options.run, this);
            connect(run, &JobRun::done, this, &Scheduler::onRunDone);
            m_runs.insert(job->id, run);
            run->start();
        }
    } catch (const std::exception &e) {
        qCWarning(lcJobs) << "scheduling failed:" << e.what();
    }
    m_scheduling = false;
}

void Scheduler::onRunDone(const QString &jobId)
{
    if (JobRun *run = m_runs.take(jobId))
        run->deleteLater();
    Q_EMIT jobDone(jobId);
    if (!m_stopping)
        schedule();
}

void Scheduler::stop()
{
    m_stopping = true;
    m_poll.stop();
    m_heartbeat.stop();
    if (!m_runs.isEmpty()) {
        QEventLoop loop;
        connect(this, &Scheduler::jobDone, &loop, [this, &loop] {
            if (m_runs.isEmpty())
                loop.quit();
        });
        const QList<JobRun *> runs = m_runs.values();
        for (JobRun *run : runs)
            run->cancel();
        if (!m_runs.isEmpty())
            loop.exec();
    }
    try {
        removeNode(m_service.database().connection(), m_options.nodeId);
    } catch (const std::exception &e) {
        qCWarning(lcJobs) << "cannot remove the node lease:" << e.what();
    }
}

} // namespace qfc::jobs
