#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QLatin1String>
#include <QList>
#include <QString>

#include <optional>

namespace qfc::contract {

inline constexpr QLatin1String FeedbackVersion("2.0");

// feedback.error_type values (spec/worker.md §1.3, §1.4).
namespace ErrorTypes {
inline constexpr QLatin1String ApiTokenExpired("API_TOKEN_EXPIRED");
inline constexpr QLatin1String ApiPaymentRequired("API_PAYMENT_REQUIRED");
inline constexpr QLatin1String ApiForbidden("API_FORBIDDEN");
inline constexpr QLatin1String ApiNotFound("API_NOT_FOUND");
inline constexpr QLatin1String ApiInternalServerError("API_INTERNAL_SERVER_ERROR");
inline constexpr QLatin1String ApiOther("API_OTHER");
inline constexpr QLatin1String FileNotFound("FILE_NOT_FOUND");
inline constexpr QLatin1String InvalidProjectFile("INVALID_PROJECT_FILE");
inline constexpr QLatin1String UnableToContinue("UNABLE_TO_CONTINUE");
inline constexpr QLatin1String Unknown("UNKNOWN");
inline constexpr QLatin1String Timeout("TIMEOUT"); // runner side
inline constexpr QLatin1String DockerEngineSigkill("DOCKER_ENGINE_SIGKILL"); // runner side
} // namespace ErrorTypes

// feedback.error_origin values, added by the runner (spec/worker.md §1.3).
namespace ErrorOrigins {
inline constexpr QLatin1String Container("container");
inline constexpr QLatin1String WorkerWrapper("worker_wrapper");
} // namespace ErrorOrigins

// A step's stage in feedback.steps[].stage.
enum class StepStage {
    NotStarted = 0,
    Failed = 1, // started but raised
    Completed = 2,
};

struct StepFeedback
{
    QString id;
    QString name;
    StepStage stage = StepStage::NotStarted;
    QJsonObject returns; // all named return values when Completed, else {}
    QJsonObject extra; // any other keys found when parsing, written back as they are
};

// The feedback.json document (spec/worker.md §1.4). The worker writes it with toBytes(); the
// runner adds error_origin/container_exit_code; the server reads it with fromBytes()/fromJson()
// and the accessors below.
struct Feedback
{
    QString feedbackVersion = FeedbackVersion;
    QString workflowId;
    QString workflowName;
    QString workflowVersion;
    QList<StepFeedback> steps; // one per declared step, in declaration order
    QJsonObject outputs; // step id → the step's declared outputs, for every Completed step

    // Failure fields (spec/worker.md §1.4), each written when set. The worker sets all four on
    // failure and none on success.
    std::optional<QString> error;
    std::optional<QString> errorType;
    std::optional<QString> errorClass;
    QJsonValue errorStack = QJsonValue(QJsonValue::Undefined); // a string (upstream: a list)

    // Added by the runner (spec/worker.md §1.3): written when set.
    std::optional<QString> errorOrigin;
    std::optional<int> containerExitCode;

    QJsonObject extra; // any other top-level keys found when parsing, written back as they are

    bool hasError() const { return error.has_value(); }

    // The JSON object. feedback_version and workflow_* are written when not empty, steps and
    // outputs when there is a workflow id or they are not empty (so a runner-made feedback
    // without a workflow round-trips unchanged).
    QJsonObject toJson() const;
    // toJson() serialized with sorted keys and 2-space indentation (see serializeJson()).
    QByteArray toBytes() const;

    // Reads a feedback object. Missing keys are fine (e.g. the runner's timeout feedback has no
    // steps); a known key with the wrong type makes it fail with `error` set.
    static std::optional<Feedback> fromJson(const QJsonObject &object, QString *error = nullptr);
    static std::optional<Feedback> fromBytes(const QByteArray &json, QString *error = nullptr);

    // The step with that id, or nullptr.
    const StepFeedback *step(const QString &stepId) const;
    // steps[id=start_qgis_app].returns.qgis_version, or an empty string.
    QString qgisVersion() const;
    // outputs[stepId][name], or undefined.
    QJsonValue output(const QString &stepId, const QString &name) const;
    // outputs.project_details.project_details (process_projectfile), or {}.
    QJsonObject projectDetails() const;
    // outputs.qgis_layers_data.layers_by_id (package), or {}.
    QJsonObject qgisLayersData() const;
    // outputs.qfield_layer_data.layers_by_id (package), or {}.
    QJsonObject qfieldLayerData() const;
};

} // namespace qfc::contract
