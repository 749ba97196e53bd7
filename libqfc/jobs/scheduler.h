#pragma once

#include "jobrun.h"

#include <QHash>
#include <QObject>
#include <QTimer>

namespace qfc::jobs {

class JobService;

// The job queue of one node (spec/api.md §15, §19.7; design.md "Data"): claims pending jobs in
// FIFO order per project up to `workers` at a time and runs each as a JobRun; wakes at once when
// this node creates a job and polls for jobs of other nodes; keeps a lease (heartbeat) and fails
// the jobs of dead nodes; on start fails what this node left behind. Lives on its own thread.
class Scheduler : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        QString nodeId;
        int workers = 1;
        int pollIntervalMs = 2000;
        int leaseSeconds = 60;
        RunConfig run;
    };

    Scheduler(JobService &service, Options options);
    ~Scheduler() override;

    // Starts scheduling (call on the scheduler's thread).
    void start();
    // Cancels running jobs (they end failed, "Job was cancelled.") and stops; blocks until done.
    void stop();
    // Looks for work now (thread-safe, queued).
    void wake();
    // Cancels the running jobs of a deleted project (thread-safe, queued).
    void cancelProject(const QString &projectId);

    int running() const { return int(m_runs.size()); }

Q_SIGNALS:
    void jobDone(const QString &jobId);

private:
    void schedule();
    void heartbeat();
    void onRunDone(const QString &jobId);

    JobService &m_service;
    Options m_options;
    QHash<QString, JobRun *> m_runs; // job id → run
    QTimer m_poll;
    QTimer m_heartbeat;
    bool m_stopping = false;
    bool m_scheduling = false;
};

} // namespace qfc::jobs
