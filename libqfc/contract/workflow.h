#pragma once

#include "jobtype.h"

#include <QLatin1String>
#include <QList>
#include <QString>
#include <QStringList>

namespace qfc::contract {

// Workflow ids (spec/worker.md §1.5). Byte-exact: stored in feedback.workflow_id.
namespace WorkflowIds {
inline constexpr QLatin1String ProcessProjectfile("process_projectfile");
inline constexpr QLatin1String PackageProject("package_project");
inline constexpr QLatin1String ApplyChanges("apply_changes");
} // namespace WorkflowIds

// Step ids (spec/worker.md §1.5). Byte-exact: clients and the server look steps up by id.
namespace StepIds {
inline constexpr QLatin1String StartQgisApp("start_qgis_app");
inline constexpr QLatin1String DownloadProjectDirectory("download_project_directory");
inline constexpr QLatin1String ProjectValidityCheck("project_validity_check");
inline constexpr QLatin1String OpeningCheck("opening_check");
inline constexpr QLatin1String ProjectDetails("project_details");
inline constexpr QLatin1String GenerateThumbnailImage("generate_thumbnail_image");
inline constexpr QLatin1String UploadThumbnail("upload_thumbnail");
inline constexpr QLatin1String StopQgisApp("stop_qgis_app");
inline constexpr QLatin1String QgisLayersData("qgis_layers_data");
inline constexpr QLatin1String PackageProject("package_project");
inline constexpr QLatin1String QfieldLayerData("qfield_layer_data");
inline constexpr QLatin1String UploadPackagedProject("upload_packaged_project");
inline constexpr QLatin1String ApplyDeltas("apply_deltas");
inline constexpr QLatin1String UploadProjectDirectory("upload_project_directory");
} // namespace StepIds

// Names of step return values (spec/worker.md §1.5) that consumers read.
namespace ReturnNames {
inline constexpr QLatin1String QgisVersion("qgis_version");
inline constexpr QLatin1String TmpProjectDir("tmp_project_dir");
inline constexpr QLatin1String Project("project");
inline constexpr QLatin1String ProjectDetails("project_details");
inline constexpr QLatin1String ThumbnailFilename("thumbnail_filename");
inline constexpr QLatin1String LayersById("layers_by_id");
inline constexpr QLatin1String TheQgisFileNameInQfield("the_qgis_file_name_in_qfield");
inline constexpr QLatin1String DeltaFeedback("delta_feedback");
} // namespace ReturnNames

// One declared step: what it returns, and which of those returns are public outputs.
struct StepDefinition
{
    QString id;
    QString name;
    QStringList returnNames; // every named return value
    QStringList outputNames; // the subset copied to feedback.outputs[<id>]
};

// One declared workflow (spec/worker.md §1.5): its steps in execution order.
struct WorkflowDefinition
{
    QString id;
    QString name;
    QString version;
    QList<StepDefinition> steps;

    // The step with that id, or nullptr.
    const StepDefinition *step(const QString &stepId) const;
    // Its position in `steps`, or -1.
    int indexOfStep(const QString &stepId) const;
};

// The workflow a job type runs: process_projectfile → "process_projectfile" 2.0, package →
// "package_project" 2.0, delta_apply → "apply_changes" 3.0.
WorkflowDefinition workflowDefinition(JobType type);

} // namespace qfc::contract
