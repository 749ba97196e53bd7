#include "feedbackbuilder.h"

#include <utility>

namespace qfc::contract {

FeedbackBuilder::FeedbackBuilder(WorkflowDefinition workflow) : m_workflow(std::move(workflow))
{
    m_feedback.feedbackVersion = FeedbackVersion;
    m_feedback.workflowId = m_workflow.id;
    m_feedback.workflowName = m_workflow.name;
    m_feedback.workflowVersion = m_workflow.version;
    for (const StepDefinition &step : std::as_const(m_workflow.steps))
        m_feedback.steps.append(StepFeedback{step.id, step.name, StepStage::NotStarted, {}, {}});
}

bool FeedbackBuilder::startStep(const QString &stepId)
{
    const int index = m_workflow.indexOfStep(stepId);
    if (index < 0)
        return false;
    StepFeedback &step = m_feedback.steps[index];
    step.stage = StepStage::Failed;
    step.returns = {};
    return true;
}

bool FeedbackBuilder::completeStep(const QString &stepId, const QJsonObject &returns)
{
    const int index = m_workflow.indexOfStep(stepId);
    if (index < 0)
        return false;
    const StepDefinition &definition = m_workflow.steps.at(index);
    StepFeedback &step = m_feedback.steps[index];
    step.stage = StepStage::Completed;
    step.returns = {};
    for (const QString &name : definition.returnNames) {
        if (returns.contains(name))
            step.returns.insert(name, returns.value(name));
    }
    QJsonObject outputs;
    for (const QString &name : definition.outputNames) {
        if (step.returns.contains(name))
            outputs.insert(name, step.returns.value(name));
    }
    m_feedback.outputs.insert(stepId, outputs);
    return true;
}

void FeedbackBuilder::setError(const QString &message, const QString &errorType,
                               const QString &errorClass, const QString &errorStack)
{
    if (m_feedback.hasError())
        return;
    m_feedback.error = message;
    m_feedback.errorType = errorType;
    m_feedback.errorClass = errorClass;
    m_feedback.errorStack = errorStack;
}

StepStage FeedbackBuilder::stage(const QString &stepId) const
{
    const int index = m_workflow.indexOfStep(stepId);
    return index < 0 ? StepStage::NotStarted : m_feedback.steps.at(index).stage;
}

} // namespace qfc::contract
