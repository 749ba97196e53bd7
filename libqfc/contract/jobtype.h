#pragma once

#include <QList>
#include <QString>

#include <optional>

// The job contract shared by qfc-server (Qt 6) and qfc-worker (Qt 5 + QGIS), spec/worker.md §2.
// Built twice from the same sources (qfc_contract_qt6, qfc_contract_qt5): keep it Qt-version
// neutral and free of QGIS.
namespace qfc::contract {

// The three job types the worker runs (spec/worker.md §1.1).
enum class JobType {
    ProcessProjectfile,
    Package,
    DeltaApply,
};

// Every job type, in the order above.
QList<JobType> allJobTypes();

// The worker command of argv (spec/worker.md §2.1): "process_projectfile" | "package" |
// "apply_deltas".
QString workerCommand(JobType type);
std::optional<JobType> jobTypeFromWorkerCommand(const QString &command);

// The value stored in Job.type and shown by the API (spec/worker.md §1.1):
// "process_projectfile" | "package" | "delta_apply".
QString jobTypeName(JobType type);
std::optional<JobType> jobTypeFromName(const QString &name);

} // namespace qfc::contract
