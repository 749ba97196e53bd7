#include "workflowrunner.h"

#include "contract/feedbackbuilder.h"
#include "contract/logformat.h"
#include "contract/workflow.h"
#include "workererror.h"
#include "workerlog.h"

#include <exception>
#include <optional>

namespace qfc::worker {

namespace {

struct Failure
{
    QString message;
    QString errorType;
    QString errorClass;
};

// Runs `function`, turning whatever it throws into a Failure.
template<typename Function>
std::optional<Failure> guarded(Function &&function)
{
    try {
        function();
        return std::nullopt;
    } catch (const WorkerError &error) {
        return Failure{error.message(), error.errorType(), error.errorClass()};
    } catch (const std::exception &error) {
        return Failure{QString::fromLocal8Bit(error.what()), QString(contract::ErrorTypes::Unknown),
                       QStringLiteral("std::exception")};
    } catch (...) {
        return Failure{QStringLiteral("Unknown error."), QString(contract::ErrorTypes::Unknown),
                       QStringLiteral("UnknownException")};
    }
}

void checkSteps(const contract::WorkflowDefinition &workflow, const QList<Step> &steps)
{
    QStringList declared;
    for (const contract::StepDefinition &step : workflow.steps)
        declared.append(step.id);
    QStringList implemented;
    for (const Step &step : steps)
        implemented.append(step.id);
    if (declared != implemented)
        throw WorkerError(QStringLiteral("Internal error: the steps of workflow \"%1\" are [%2], "
                                         "expected [%3].")
                              .arg(workflow.id, implemented.join(QStringLiteral(", ")),
                                   declared.join(QStringLiteral(", "))));
}

} // namespace

contract::Feedback WorkflowRunner::run(Job &job, const JobContext &context)
{
    contract::FeedbackBuilder builder(contract::workflowDefinition(job.type()));
    const contract::WorkflowDefinition &workflow = builder.workflow();

    QList<Step> steps;
    if (const auto failure = guarded([&] {
            steps = job.steps(context);
            checkSteps(workflow, steps);
        })) {
        logError(QStringLiteral("Workflow \"%1\" failed before its first step: %2")
                     .arg(workflow.id, failure->message));
        builder.setError(failure->message, failure->errorType, failure->errorClass,
                         QStringLiteral("workflow \"%1\", before the first step").arg(workflow.id));
        return builder.feedback();
    }

    for (qsizetype i = 0; i < steps.size(); ++i) {
        const Step &step = steps.at(i);
        const contract::StepDefinition &definition = workflow.steps.at(i);
        const QString markerId = contract::newStepMarkerId();
        WorkerLog::instance().writeRaw(contract::stepStartMarker(markerId, definition.name));
        builder.startStep(step.id);

        QJsonObject returns;
        const auto failure = guarded([&] { returns = step.run(); });
        if (!failure)
            builder.completeStep(step.id, returns);
        WorkerLog::instance().writeRaw(contract::stepEndMarker(markerId, builder.stage(step.id)));

        if (failure) {
            logError(
                QStringLiteral("Step \"%1\" failed: %2").arg(definition.name, failure->message));
            builder.setError(
                failure->message, failure->errorType, failure->errorClass,
                QStringLiteral("step \"%1\" of workflow \"%2\"").arg(step.id, workflow.id));
            break;
        }
    }
    return builder.feedback();
}

} // namespace qfc::worker
