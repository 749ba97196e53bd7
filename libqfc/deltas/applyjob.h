#pragma once

#include "jobs/jobservice.h"

namespace qfc::deltas {

// The hooks of delta_apply jobs (spec/api.md §15.3, §19.7; worker.md §5.2, §5.9, §7.7):
// - prepare: the job's deltas that are still pending become started (the others leave the job),
//   <workdir>/deltafile.json gets them in order with the clientPks map, and the version of every
//   data file they may change is recorded;
// - succeeded: each delta gets the worker's result (status_applied → applied, status_conflict →
//   conflict, status_apply_failed → not_applied, else error), feedback and resulting primary
//   key; applied creates extend the clientPks map; the data files behind layers with an applied
//   delta are stored back as new versions — unless a newer version was uploaded while the job
//   ran, in which case the upload stays and those deltas end `error` saying why; the project's
//   data_last_updated_at moves when a delta ended applied or error. One transaction.
// - failed (crash, timeout, cancellation, orphan recovery, a failed hook): the job's deltas that
//   have no result yet end `error` with null feedback.
jobs::Hooks deltaApplyHooks(jobs::JobService &service);

} // namespace qfc::deltas
