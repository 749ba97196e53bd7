#include "jobtype.h"

namespace qfc::contract {

namespace {

// Each job type with its worker command (argv) and its stored/API name: they differ only for
// delta_apply, whose worker command is "apply_deltas".
struct JobTypeNames
{
    JobType type;
    const char *workerCommand;
    const char *name;
};

constexpr JobTypeNames kJobTypes[] = {
    {JobType::ProcessProjectfile, "process_projectfile", "process_projectfile"},
    {JobType::Package, "package", "package"},
    {JobType::DeltaApply, "apply_deltas", "delta_apply"},
};

const JobTypeNames *namesOf(JobType type)
{
    for (const JobTypeNames &names : kJobTypes) {
        if (names.type == type)
            return &names;
    }
    return nullptr;
}

} // namespace

QList<JobType> allJobTypes()
{
    QList<JobType> types;
    for (const JobTypeNames &names : kJobTypes)
        types.append(names.type);
    return types;
}

QString workerCommand(JobType type)
{
    const JobTypeNames *names = namesOf(type);
    return names ? QString::fromLatin1(names->workerCommand) : QString();
}

std::optional<JobType> jobTypeFromWorkerCommand(const QString &command)
{
    for (const JobTypeNames &names : kJobTypes) {
        if (command == QLatin1String(names.workerCommand))
            return names.type;
    }
    return std::nullopt;
}

QString jobTypeName(JobType type)
{
    const JobTypeNames *names = namesOf(type);
    return names ? QString::fromLatin1(names->name) : QString();
}

std::optional<JobType> jobTypeFromName(const QString &name)
{
    for (const JobTypeNames &names : kJobTypes) {
        if (name == QLatin1String(names.name))
            return names.type;
    }
    return std::nullopt;
}

} // namespace qfc::contract
