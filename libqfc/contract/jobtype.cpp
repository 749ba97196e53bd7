#include "jobtype.h"

namespace qfc::contract {

QList<JobType> allJobTypes()
{
    return {JobType::ProcessProjectfile, JobType::Package, JobType::DeltaApply};
}

QString workerCommand(JobType type)
{
    switch (type) {
    case JobType::ProcessProjectfile:
        return QStringLiteral("process_projectfile");
    case JobType::Package:
        return QStringLiteral("package");
    case JobType::DeltaApply:
        return QStringLiteral("apply_deltas");
    }
    return {};
}

std::optional<JobType> jobTypeFromWorkerCommand(const QString &command)
{
    for (const JobType type : allJobTypes()) {
        if (workerCommand(type) == command)
            return type;
    }
    return std::nullopt;
}

QString jobTypeName(JobType type)
{
    switch (type) {
    case JobType::ProcessProjectfile:
        return QStringLiteral("process_projectfile");
    case JobType::Package:
        return QStringLiteral("package");
    case JobType::DeltaApply:
        return QStringLiteral("delta_apply");
    }
    return {};
}

std::optional<JobType> jobTypeFromName(const QString &name)
{
    for (const JobType type : allJobTypes()) {
        if (jobTypeName(type) == name)
            return type;
    }
    return std::nullopt;
}

} // namespace qfc::contract
