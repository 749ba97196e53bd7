#pragma once

#include "job.h"

#include <QJsonArray>
#include <QString>

namespace qfc::worker {

// apply_deltas (spec/worker.md §5, workflow "apply_changes" 3.0): applies the deltas of
// <workdir>/deltafile.json (or --deltafile) to the data files of the project in <workdir>/files/,
// in place, and reports one `delta_feedback` entry per delta (§5.9), which the server reads to
// set each delta's status, feedback and modified primary key. The project file itself is never
// rewritten; providers are closed before the process exits so that GeoPackage -wal/-shm files
// are checkpointed away (§2.1).
class ApplyDeltasJob final : public Job
{
public:
    contract::JobType type() const override;
    QList<Step> steps(const JobContext &context) override;
    void finish() override;

    // The apply_deltas step: loads the deltafile, opens the project, applies, closes the project.
    // Returns `delta_feedback`. Throws WorkerError for an unusable deltafile or project and after
    // an unexpected error while applying (the job then fails as a whole).
    static QJsonArray applyDeltas(const JobContext &context, const QString &deltafilePath);

private:
    QString m_deltafilePath;
};

} // namespace qfc::worker
