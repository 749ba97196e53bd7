#include "workflow.h"

namespace qfc::contract {

namespace {

StepDefinition step(QLatin1String id, const char *name, QStringList returns = {},
                    QStringList outputs = {})
{
    return StepDefinition{id, QString::fromLatin1(name), std::move(returns), std::move(outputs)};
}

StepDefinition startQgisApp()
{
    return step(StepIds::StartQgisApp, "Start QGIS Application", {ReturnNames::QgisVersion});
}

StepDefinition downloadProjectDirectory()
{
    return step(StepIds::DownloadProjectDirectory, "Download Project Directory",
                {ReturnNames::TmpProjectDir});
}

StepDefinition stopQgisApp()
{
    return step(StepIds::StopQgisApp, "Stop QGIS Application");
}

} // namespace

const StepDefinition *WorkflowDefinition::step(const QString &stepId) const
{
    const int index = indexOfStep(stepId);
    return index >= 0 ? &steps.at(index) : nullptr;
}

int WorkflowDefinition::indexOfStep(const QString &stepId) const
{
    for (int i = 0; i < int(steps.size()); ++i) {
        if (steps.at(i).id == stepId)
            return i;
    }
    return -1;
}

WorkflowDefinition workflowDefinition(JobType type)
{
    switch (type) {
    case JobType::ProcessProjectfile:
        return WorkflowDefinition{
            WorkflowIds::ProcessProjectfile,
            QStringLiteral("Process Projectfile"),
            QStringLiteral("2.0"),
            {
                startQgisApp(),
                downloadProjectDirectory(),
                step(StepIds::ProjectValidityCheck, "Project Validity Check"),
                step(StepIds::OpeningCheck, "Opening Check", {ReturnNames::Project}),
                step(StepIds::ProjectDetails, "Project Details", {ReturnNames::ProjectDetails},
                     {ReturnNames::ProjectDetails}),
                step(StepIds::GenerateThumbnailImage, "Generate Thumbnail Image",
                     {ReturnNames::ThumbnailFilename}),
                step(StepIds::UploadThumbnail, "Upload Thumbnail Image"),
                stopQgisApp(),
            },
        };
    case JobType::Package:
        return WorkflowDefinition{
            WorkflowIds::PackageProject,
            QStringLiteral("Package Project"),
            QStringLiteral("2.0"),
            {
                startQgisApp(),
                downloadProjectDirectory(),
                step(StepIds::QgisLayersData, "QGIS Layers Data", {ReturnNames::LayersById},
                     {ReturnNames::LayersById}),
                step(StepIds::PackageProject, "Package Project",
                     {ReturnNames::TheQgisFileNameInQfield}),
                step(StepIds::QfieldLayerData, "Packaged Layers Data", {ReturnNames::LayersById},
                     {ReturnNames::LayersById}),
                stopQgisApp(),
                step(StepIds::UploadPackagedProject, "Upload Packaged Project"),
            },
        };
    case JobType::DeltaApply:
        return WorkflowDefinition{
            WorkflowIds::ApplyChanges,
            QStringLiteral("Apply Changes"),
            QStringLiteral("3.0"),
            {
                startQgisApp(),
                downloadProjectDirectory(),
                step(StepIds::ApplyDeltas, "Apply Deltas", {ReturnNames::DeltaFeedback},
                     {ReturnNames::DeltaFeedback}),
                stopQgisApp(),
                step(StepIds::UploadProjectDirectory, "Upload Project"),
            },
        };
    }
    return {};
}

} // namespace qfc::contract
