#pragma once

#include "contract/feedback.h"
#include "job.h"

namespace qfc::worker {

// Runs a job's workflow like upstream's run_workflow() (spec/worker.md §1.3, §1.4): for each
// declared step in order it prints "::<<<::<uuid> <step name>" to stderr, runs the step, prints
// "::>>>::<uuid> <stage>", and records the stage and return values; the first failing step
// stops the workflow and its exception becomes the feedback's error. Never throws.
class WorkflowRunner
{
public:
    static contract::Feedback run(Job &job, const JobContext &context);
};

} // namespace qfc::worker
