#pragma once

#include "job.h"

#include <QMap>

#include <functional>
#include <memory>

namespace qfc::worker {

// Job type → job. A job type nobody registered is served by a placeholder whose workflow fails
// at once with "Job type "<command>" is not implemented in this build." (error_type UNKNOWN,
// all steps at stage 0), so the runner sees a clean failure rather than a crash.
class JobRegistry
{
public:
    using Factory = std::function<std::unique_ptr<Job>()>;

    static JobRegistry &instance();

    void add(contract::JobType type, Factory factory);
    bool isImplemented(contract::JobType type) const;
    std::unique_ptr<Job> create(contract::JobType type) const;

private:
    JobRegistry() = default;

    QMap<int, Factory> m_factories;
};

template<typename T>
struct JobRegistration
{
    explicit JobRegistration(contract::JobType type)
    {
        JobRegistry::instance().add(type, [] { return std::make_unique<T>(); });
    }
};

// The error message of the placeholder job.
QString notImplementedMessage(contract::JobType type);

} // namespace qfc::worker

// In the job's .cpp file, inside namespace qfc::worker:
//     QFC_WORKER_REGISTER_JOB(PackageJob, contract::JobType::Package)
#define QFC_WORKER_REGISTER_JOB(JobClass, jobType)                               \
    namespace {                                                                  \
    const JobRegistration<JobClass> qfcWorkerJobRegistration##JobClass(jobType); \
    }
