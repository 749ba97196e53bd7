#pragma once

#include "feedback.h"
#include "workflow.h"

#include <QJsonObject>
#include <QString>

namespace qfc::contract {

// Builds the Feedback of one workflow run the way upstream's run_workflow() does (spec/worker.md
// §1.4): every declared step appears in declaration order with stage 0 until started; a started
// step is stage 1 until completed (stage 2); a completed step keeps its declared return values
// and contributes outputs[<step id>] with exactly its declared outputs ({} when none). On
// failure error, error_type, error_class and error_stack are set; later steps stay at stage 0.
class FeedbackBuilder
{
public:
    explicit FeedbackBuilder(WorkflowDefinition workflow);

    const WorkflowDefinition &workflow() const { return m_workflow; }

    // Stage 1. Returns false for an undeclared step id.
    bool startStep(const QString &stepId);
    // Stage 2. Keys of `returns` that are not declared return names are dropped; declared ones
    // may be left out (e.g. objects that are not JSON). Returns false for an undeclared step id.
    bool completeStep(const QString &stepId, const QJsonObject &returns = {});

    // Records the failure of the run (at most once: later calls are ignored).
    void setError(const QString &message, const QString &errorType, const QString &errorClass,
                  const QString &errorStack);
    bool hasError() const { return m_feedback.hasError(); }

    StepStage stage(const QString &stepId) const;
    const Feedback &feedback() const { return m_feedback; }

private:
    WorkflowDefinition m_workflow;
    Feedback m_feedback;
};

} // namespace qfc::contract
