#include "feedback.h"

#include "jsonwriter.h"
#include "workflow.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>

#include <cmath>

namespace qfc::contract {

namespace {

constexpr QLatin1String KeyFeedbackVersion("feedback_version");
constexpr QLatin1String KeyWorkflowId("workflow_id");
constexpr QLatin1String KeyWorkflowName("workflow_name");
constexpr QLatin1String KeyWorkflowVersion("workflow_version");
constexpr QLatin1String KeySteps("steps");
constexpr QLatin1String KeyOutputs("outputs");
constexpr QLatin1String KeyError("error");
constexpr QLatin1String KeyErrorType("error_type");
constexpr QLatin1String KeyErrorClass("error_class");
constexpr QLatin1String KeyErrorStack("error_stack");
constexpr QLatin1String KeyErrorOrigin("error_origin");
constexpr QLatin1String KeyContainerExitCode("container_exit_code");
constexpr QLatin1String KeyId("id");
constexpr QLatin1String KeyName("name");
constexpr QLatin1String KeyStage("stage");
constexpr QLatin1String KeyReturns("returns");

bool fail(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return false;
}

bool readString(const QJsonObject &object, QLatin1String key, QString *target, QString *error)
{
    const QJsonValue value = object.value(key);
    if (value.isUndefined())
        return true;
    if (!value.isString())
        return fail(error, QStringLiteral("\"%1\" is not a string").arg(key));
    *target = value.toString();
    return true;
}

bool readOptionalString(const QJsonObject &object, QLatin1String key,
                        std::optional<QString> *target, QString *error)
{
    const QJsonValue value = object.value(key);
    if (value.isUndefined())
        return true;
    if (!value.isString())
        return fail(error, QStringLiteral("\"%1\" is not a string").arg(key));
    *target = value.toString();
    return true;
}

bool readInteger(const QJsonValue &value, int *target)
{
    if (!value.isDouble())
        return false;
    const double number = value.toDouble();
    if (number != std::floor(number) || std::fabs(number) > 2147483647.0)
        return false;
    *target = int(number);
    return true;
}

std::optional<StepFeedback> readStep(const QJsonValue &value, QString *error)
{
    if (!value.isObject()) {
        fail(error, QStringLiteral("a step is not an object"));
        return std::nullopt;
    }
    QJsonObject object = value.toObject();
    StepFeedback step;
    if (!readString(object, KeyId, &step.id, error)
        || !readString(object, KeyName, &step.name, error))
        return std::nullopt;
    const QJsonValue stage = object.value(KeyStage);
    if (!stage.isUndefined()) {
        int number = -1;
        if (!readInteger(stage, &number) || number < 0 || number > 2) {
            fail(error, QStringLiteral("step \"%1\" has an invalid stage").arg(step.id));
            return std::nullopt;
        }
        step.stage = StepStage(number);
    }
    const QJsonValue returns = object.value(KeyReturns);
    if (!returns.isUndefined()) {
        if (!returns.isObject()) {
            fail(error, QStringLiteral("step \"%1\" has non-object returns").arg(step.id));
            return std::nullopt;
        }
        step.returns = returns.toObject();
    }
    for (QLatin1String key : {KeyId, KeyName, KeyStage, KeyReturns})
        object.remove(key);
    step.extra = object;
    return step;
}

} // namespace

QJsonObject Feedback::toJson() const
{
    QJsonObject object = extra;
    if (!feedbackVersion.isEmpty())
        object.insert(KeyFeedbackVersion, feedbackVersion);
    if (!workflowId.isEmpty())
        object.insert(KeyWorkflowId, workflowId);
    if (!workflowName.isEmpty())
        object.insert(KeyWorkflowName, workflowName);
    if (!workflowVersion.isEmpty())
        object.insert(KeyWorkflowVersion, workflowVersion);
    if (!workflowId.isEmpty() || !steps.isEmpty()) {
        QJsonArray stepArray;
        for (const StepFeedback &step : steps) {
            QJsonObject stepObject = step.extra;
            stepObject.insert(KeyId, step.id);
            stepObject.insert(KeyName, step.name);
            stepObject.insert(KeyStage, int(step.stage));
            stepObject.insert(KeyReturns, step.returns);
            stepArray.append(stepObject);
        }
        object.insert(KeySteps, stepArray);
    }
    if (!workflowId.isEmpty() || !outputs.isEmpty())
        object.insert(KeyOutputs, outputs);
    if (error.has_value())
        object.insert(KeyError, *error);
    if (errorType.has_value())
        object.insert(KeyErrorType, *errorType);
    if (errorClass.has_value())
        object.insert(KeyErrorClass, *errorClass);
    if (!errorStack.isUndefined())
        object.insert(KeyErrorStack, errorStack);
    if (errorOrigin.has_value())
        object.insert(KeyErrorOrigin, *errorOrigin);
    if (containerExitCode.has_value())
        object.insert(KeyContainerExitCode, *containerExitCode);
    return object;
}

QByteArray Feedback::toBytes() const
{
    return serializeJson(toJson());
}

std::optional<Feedback> Feedback::fromJson(const QJsonObject &json, QString *error)
{
    QJsonObject object = json;
    Feedback feedback;
    feedback.feedbackVersion.clear();
    if (!readString(object, KeyFeedbackVersion, &feedback.feedbackVersion, error)
        || !readString(object, KeyWorkflowId, &feedback.workflowId, error)
        || !readString(object, KeyWorkflowName, &feedback.workflowName, error)
        || !readString(object, KeyWorkflowVersion, &feedback.workflowVersion, error))
        return std::nullopt;

    const QJsonValue steps = object.value(KeySteps);
    if (!steps.isUndefined()) {
        if (!steps.isArray()) {
            fail(error, QStringLiteral("\"steps\" is not an array"));
            return std::nullopt;
        }
        const QJsonArray stepArray = steps.toArray();
        for (const QJsonValue &value : stepArray) {
            std::optional<StepFeedback> step = readStep(value, error);
            if (!step)
                return std::nullopt;
            feedback.steps.append(*step);
        }
    }
    const QJsonValue outputs = object.value(KeyOutputs);
    if (!outputs.isUndefined()) {
        if (!outputs.isObject()) {
            fail(error, QStringLiteral("\"outputs\" is not an object"));
            return std::nullopt;
        }
        feedback.outputs = outputs.toObject();
    }

    if (!readOptionalString(object, KeyError, &feedback.error, error)
        || !readOptionalString(object, KeyErrorType, &feedback.errorType, error)
        || !readOptionalString(object, KeyErrorClass, &feedback.errorClass, error)
        || !readOptionalString(object, KeyErrorOrigin, &feedback.errorOrigin, error))
        return std::nullopt;
    feedback.errorStack = object.value(KeyErrorStack);
    const QJsonValue exitCode = object.value(KeyContainerExitCode);
    if (!exitCode.isUndefined()) {
        int code = 0;
        if (!readInteger(exitCode, &code)) {
            fail(error, QStringLiteral("\"container_exit_code\" is not an integer"));
            return std::nullopt;
        }
        feedback.containerExitCode = code;
    }

    for (QLatin1String key : {KeyFeedbackVersion, KeyWorkflowId, KeyWorkflowName,
                              KeyWorkflowVersion, KeySteps, KeyOutputs, KeyError, KeyErrorType,
                              KeyErrorClass, KeyErrorStack, KeyErrorOrigin, KeyContainerExitCode})
        object.remove(key);
    for (auto it = object.constBegin(); it != object.constEnd(); ++it)
        feedback.extra.insert(it.key(), it.value());
    return feedback;
}

std::optional<Feedback> Feedback::fromBytes(const QByteArray &json, QString *error)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        fail(error,
             QStringLiteral("invalid JSON: %1 at offset %2")
                 .arg(parseError.errorString())
                 .arg(parseError.offset));
        return std::nullopt;
    }
    if (!document.isObject()) {
        fail(error, QStringLiteral("the feedback is not a JSON object"));
        return std::nullopt;
    }
    return fromJson(document.object(), error);
}

const StepFeedback *Feedback::step(const QString &stepId) const
{
    for (const StepFeedback &candidate : steps) {
        if (candidate.id == stepId)
            return &candidate;
    }
    return nullptr;
}

QString Feedback::qgisVersion() const
{
    const StepFeedback *start = step(StepIds::StartQgisApp);
    return start ? start->returns.value(ReturnNames::QgisVersion).toString() : QString();
}

QJsonValue Feedback::output(const QString &stepId, const QString &name) const
{
    const QJsonValue stepOutputs = outputs.value(stepId);
    if (!stepOutputs.isObject())
        return QJsonValue(QJsonValue::Undefined);
    return stepOutputs.toObject().value(name);
}

QJsonObject Feedback::projectDetails() const
{
    return output(StepIds::ProjectDetails, ReturnNames::ProjectDetails).toObject();
}

QJsonObject Feedback::qgisLayersData() const
{
    return output(StepIds::QgisLayersData, ReturnNames::LayersById).toObject();
}

QJsonObject Feedback::qfieldLayerData() const
{
    return output(StepIds::QfieldLayerData, ReturnNames::LayersById).toObject();
}

} // namespace qfc::contract
