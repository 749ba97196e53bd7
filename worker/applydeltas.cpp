#include "applydeltas.h"

#include "contract/feedback.h"
#include "contract/workflow.h"
#include "deltaapplier.h"
#include "deltafile.h"
#include "jobregistry.h"
#include "localfiles.h"
#include "qgisapp.h"
#include "workererror.h"
#include "workerlog.h"

#include <QFile>
#include <QFileInfo>
#include <qgsproject.h>

#include <gdal.h>
#include <ogr_api.h>
#include <optional>
#include <utility>

namespace qfc::worker {

QFC_WORKER_REGISTER_JOB(ApplyDeltasJob, contract::JobType::DeltaApply)

namespace {

// Files the runner does not collect (spec/worker.md §2.1).
bool isSidecarFile(const QString &name)
{
    return name.endsWith(QLatin1String("-wal")) || name.endsWith(QLatin1String("-shm"))
        || name.endsWith(QLatin1String(".qgs~")) || name.endsWith(QLatin1String(".qgd~"));
}

// QGIS opens a GeoPackage it edits in WAL mode and means to switch it back to a rollback journal
// when it closes its last connection; with QGIS 3.22 a GeoPackage in which a spatial table was
// edited keeps WAL in its header (the -wal/-shm files are checkpointed away). The file the runner
// stores back is switched back here, once QGIS has closed it (spec/worker.md §2.1).
void restoreRollbackJournal(const QString &path)
{
    const QByteArray encoded = QFile::encodeName(path);
    const char *const drivers[] = {"GPKG", nullptr};
    GDALDatasetH dataset =
        GDALOpenEx(encoded.constData(), GDAL_OF_VECTOR | GDAL_OF_UPDATE, drivers, nullptr, nullptr);
    if (!dataset) {
        logWarning(QStringLiteral("Unable to open \"%1\" to restore its journal mode.").arg(path));
        return;
    }
    QString mode;
    if (OGRLayerH result =
            GDALDatasetExecuteSQL(dataset, "PRAGMA journal_mode = delete", nullptr, nullptr)) {
        if (OGRFeatureH feature = OGR_L_GetNextFeature(result)) {
            mode = QString::fromUtf8(OGR_F_GetFieldAsString(feature, 0));
            OGR_F_Destroy(feature);
        }
        GDALDatasetReleaseResultSet(dataset, result);
    }
    GDALClose(dataset);
    if (mode.compare(QLatin1String("delete"), Qt::CaseInsensitive) != 0)
        logWarning(QStringLiteral("Unable to restore the rollback journal of \"%1\" (journal mode "
                                  "\"%2\").")
                       .arg(path, mode));
}

} // namespace

contract::JobType ApplyDeltasJob::type() const
{
    return contract::JobType::DeltaApply;
}

QList<Step> ApplyDeltasJob::steps(const JobContext &context)
{
    // start_qgis_app changes the current directory: resolve a relative --deltafile now
    m_deltafilePath = QFileInfo(context.arguments.effectiveDeltafile()).absoluteFilePath();
    namespace Ids = contract::StepIds;
    return {
        {Ids::StartQgisApp,
         [&context] {
             return QgisApp::start(context);
         }},
        {Ids::DownloadProjectDirectory,
         [&context] {
             return LocalFiles::downloadProjectDirectory(context);
         }},
        {Ids::ApplyDeltas,
         [this, &context] {
             return QJsonObject{
                 {contract::ReturnNames::DeltaFeedback, applyDeltas(context, m_deltafilePath)}};
         }},
        {Ids::StopQgisApp,
         [] {
             return QgisApp::stop();
         }},
        {Ids::UploadProjectDirectory,
         [&context] {
             QStringList names;
             const QStringList files = LocalFiles::listFiles(context.workDir.filesDir());
             for (const QString &name : files) {
                 if (!isSidecarFile(name))
                     names.append(name);
             }
             logInfo(QStringLiteral("The project files are collected by the runner."));
             LocalFiles::logFilesTable(context.arguments.projectId, context.workDir.filesDir(),
                                       names);
             return QJsonObject();
         }},
    };
}

void ApplyDeltasJob::finish()
{
    QgisApp::shutdown();
}

QJsonArray ApplyDeltasJob::applyDeltas(const JobContext &context, const QString &deltafilePath)
{
    logInfo(QStringLiteral("Loading delta file \"%1\"...").arg(deltafilePath));
    DeltaFile deltaFile = DeltaFile::load(deltafilePath);
    if (!deltaFile.hasClientPks)
        logWarning(QStringLiteral("The deltafile has no \"clientPks\": no feature created in an "
                                  "earlier job can be resolved by its client primary key."));
    if (deltaFile.projectId != context.arguments.projectId)
        logWarning(QStringLiteral("The deltafile is for project %1, the job for project %2.")
                       .arg(deltaFile.projectId, context.arguments.projectId));

    const QString projectPath = context.projectFilePath;
    logInfo(QStringLiteral("Loading project file \"%1\"...").arg(projectPath));
    if (!QFileInfo(projectPath).isFile())
        throw WorkerError(QStringLiteral("File not found: %1").arg(projectPath),
                          contract::ErrorTypes::FileNotFound, QStringLiteral("FileNotFoundError"));
    QgsProject *project = QgsProject::instance();
    // opened for editing (not read-only); layers that fail to load are tolerated (§5.3)
    if (!project->read(projectPath)) {
        const QString error = project->error();
        project->clear();
        throw WorkerError(
            QStringLiteral("Unable to open project with QGIS file: %1%2")
                .arg(projectPath, error.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(error)),
            contract::ErrorTypes::Unknown, QStringLiteral("Exception"));
    }

    DeltaApplier::Options options;
    options.overwriteConflicts = context.arguments.overwriteConflicts;
    options.pgEffectiveUser = qEnvironmentVariable("QFC_PG_EFFECTIVE_USER");
    QJsonArray feedback;
    QStringList geoPackages;
    std::optional<WorkerError> failure;
    {
        DeltaApplier applier(*project, std::move(deltaFile), options);
        try {
            feedback = applier.applyAll();
        } catch (const WorkerError &error) {
            failure = error; // the job fails; the files are still closed properly
        }
        geoPackages = applier.editedGeoPackages();
    }
    // closes the providers: nothing of the project stays open (the file itself is not written)
    project->clear();
    for (const QString &path : std::as_const(geoPackages))
        restoreRollbackJournal(path);
    if (failure)
        throw *failure;
    return feedback;
}

} // namespace qfc::worker
