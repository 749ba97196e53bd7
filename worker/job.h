#pragma once

#include "contract/jobtype.h"
#include "contract/workdir.h"
#include "contract/workerarguments.h"

#include <QJsonObject>
#include <QList>
#include <QString>

#include <functional>

namespace qfc::worker {

// What every step of a job may use.
struct JobContext
{
    contract::WorkerArguments arguments; // with `workdir` made absolute and canonical
    contract::WorkDir workDir{QString()};
    QString projectFilePath; // <workdir>/files/<--project-file>
};

// The implementation of one declared step (contract::workflowDefinition()). `run` returns the
// step's named return values and throws WorkerError (or any std::exception) to fail the workflow.
struct Step
{
    QString id;
    std::function<QJsonObject()> run;
};

// One job type: process_projectfile, package or apply_deltas. A job lives in its own file and
// registers itself with QFC_WORKER_REGISTER_JOB (jobregistry.h). The workflow runner calls
// steps() once, then runs the steps in the order of the job type's workflow definition, then
// calls finish() whatever happened.
class Job
{
public:
    virtual ~Job() = default;

    virtual contract::JobType type() const = 0;

    // Whether the process needs a QgsApplication (false only for placeholders).
    virtual bool needsQgis() const { return true; }

    // One Step per declared step, in declaration order. May throw WorkerError to fail the
    // workflow before any step starts.
    virtual QList<Step> steps(const JobContext &context) = 0;

    // Releases what the steps left behind (e.g. stops QGIS when a step failed before
    // stop_qgis_app). Called after feedback.json was written. Must not throw.
    virtual void finish() { }
};

} // namespace qfc::worker
