#include "processprojectfile.h"

#include "contract/feedback.h"
#include "contract/workflow.h"
#include "jobregistry.h"
#include "layerdata.h"
#include "localfiles.h"
#include "projectfile.h"
#include "qgisapp.h"
#include "workererror.h"
#include "workerlog.h"

#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QPainter>
#include <QTimer>
#include <qgscoordinatereferencesystem.h>
#include <qgscoordinatetransform.h>
#include <qgsexception.h>
#include <qgsgeometry.h>
#include <qgsmaprenderercustompainterjob.h>
#include <qgsproject.h>
#include <qgsrectangle.h>

#include <cmath>

namespace qfc::worker {

QFC_WORKER_REGISTER_JOB(ProcessProjectfileJob, contract::JobType::ProcessProjectfile)

namespace {

constexpr int ThumbnailTimeoutSeconds = 10;

// qfieldsync's area of interest, reprojected like the extent; "" when unset or unusable.
QString areaOfInterestWkt(const QgsProject &project)
{
    const QString wkt =
        project.readEntry(QStringLiteral("qfieldsync"), QStringLiteral("/areaOfInterest"));
    const QString crsText =
        project.readEntry(QStringLiteral("qfieldsync"), QStringLiteral("/areaOfInterestCrs"));
    if (wkt.isEmpty() || crsText.isEmpty())
        return {};
    const QgsCoordinateReferenceSystem crs(crsText);
    if (!crs.isValid()) {
        logWarning(QStringLiteral("Invalid CRS for area of interest: %1.").arg(crsText));
        return {};
    }
    const QgsRectangle box = QgsGeometry::fromWkt(wkt).boundingBox();
    if (box.isNull() || box.isEmpty()) {
        logWarning(QStringLiteral("Failed to parse area of interest WKT: %1.").arg(wkt));
        return {};
    }
    QString error;
    const QString result = ProcessProjectfileJob::extentTo4326Wkt(box, crs, &error);
    if (result.isEmpty())
        logWarning(QStringLiteral("Failed to reproject the area of interest from %1 to EPSG:4326. "
                                  "Error: %2.")
                       .arg(crsText, error));
    return result;
}

} // namespace

contract::JobType ProcessProjectfileJob::type() const
{
    return contract::JobType::ProcessProjectfile;
}

QList<Step> ProcessProjectfileJob::steps(const JobContext &context)
{
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
        {Ids::ProjectValidityCheck,
         [&context] {
             ProjectFile::checkValidity(context.projectFilePath);
             return QJsonObject();
         }},
        {Ids::OpeningCheck,
         [this, &context] {
             // the QgsProject itself is not JSON: the step returns nothing (spec/worker.md §1.4)
             m_project = ProjectFile::openReadOnly(context.projectFilePath, true);
             return QJsonObject();
         }},
        {Ids::ProjectDetails,
         [this] {
             return QJsonObject{
                 {contract::ReturnNames::ProjectDetails, extractProjectDetails(*m_project)}};
         }},
        {Ids::GenerateThumbnailImage,
         [this, &context] {
             m_thumbnail =
                 generateThumbnail(context.projectFilePath, context.workDir.thumbnailFile());
             return QJsonObject{
                 {contract::ReturnNames::ThumbnailFilename,
                  m_thumbnail.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(m_thumbnail)}};
         }},
        {Ids::UploadThumbnail,
         [this, &context] {
             if (m_thumbnail.isEmpty()) {
                 logWarning(QStringLiteral("No thumbnail was generated, skipping the upload."));
             } else {
                 logInfo(QStringLiteral("The thumbnail is collected by the runner."));
                 LocalFiles::logFilesTable(context.arguments.projectId, context.workDir.root(),
                                           {QStringLiteral("thumbnail.png")});
             }
             return QJsonObject();
         }},
        {Ids::StopQgisApp,
         [this] {
             m_project = nullptr;
             return QgisApp::stop();
         }},
    };
}

void ProcessProjectfileJob::finish()
{
    m_project = nullptr;
    QgisApp::shutdown();
}

QString ProcessProjectfileJob::extentTo4326Wkt(const QgsRectangle &extent,
                                               const QgsCoordinateReferenceSystem &crs,
                                               QString *error)
{
    auto fail = [error](const QString &message) {
        if (error)
            *error = message;
        return QString();
    };
    if (extent.isNull())
        return fail(QStringLiteral("the extent is null"));
    if (!crs.isValid())
        return fail(QStringLiteral("the CRS is invalid"));
    const QgsCoordinateReferenceSystem wgs84(QStringLiteral("EPSG:4326"));
    QgsRectangle result;
    try {
        const QgsCoordinateTransform transform(crs, wgs84,
                                               QgsProject::instance()->transformContext());
        result = transform.transformBoundingBox(extent);
    } catch (const QgsCsException &exception) {
        return fail(exception.what());
    }
    if (result.isNull() || !std::isfinite(result.xMinimum()) || !std::isfinite(result.xMaximum())
        || !std::isfinite(result.yMinimum()) || !std::isfinite(result.yMaximum()))
        return fail(QStringLiteral("the transformed extent is not finite"));
    // EPSG:4326's area of use, compared exactly (as QgsRectangle::contains() does)
    QgsRectangle bounds = wgs84.bounds();
    if (bounds.isNull())
        bounds = QgsRectangle(-180, -90, 180, 90);
    if (result.xMinimum() < bounds.xMinimum() || result.xMaximum() > bounds.xMaximum()
        || result.yMinimum() < bounds.yMinimum() || result.yMaximum() > bounds.yMaximum())
        return fail(QStringLiteral("the transformed extent %1 is outside of EPSG:4326 bounds")
                        .arg(result.toString()));
    return result.asWktPolygon();
}

QJsonObject ProcessProjectfileJob::extractProjectDetails(QgsProject &project)
{
    logInfo(QStringLiteral("Extract project details…"));
    logInfo(QStringLiteral("Reading QGIS project file…"));

    QgsRectangle extent;
    QString backgroundColor;
    {
        const std::unique_ptr<ProjectFile::TemporaryProject> temporary =
            ProjectFile::openTemporarily(project.fileName());
        extent = temporary->mapSettings.extent();
        if (extent.isEmpty())
            extent = temporary->mapSettings.fullExtent();
        backgroundColor = temporary->backgroundColor.name();
    } // the temporary QgsProject goes before anything else is read

    const QgsCoordinateReferenceSystem crs = project.crs();
    QString extentError;
    const QString extentWkt = extentTo4326Wkt(extent, crs, &extentError);
    if (extentWkt.isEmpty())
        logWarning(QStringLiteral("Failed to reproject the project extent from %1 to EPSG:4326. "
                                  "Error: %2.")
                       .arg(crs.authid(), extentError));

    logInfo(QStringLiteral("Extracting layer and datasource details…"));
    LayerData::Context layerContext;
    layerContext.badLayerSources = QgisApp::badLayerSources();
    layerContext.confinement = QgisApp::confinement();
    const QJsonObject layers = LayerData::layersById(project, layerContext);
    const QStringList orderedIds = LayerData::orderedLayerIds(project);

    const QJsonObject details{
        {QStringLiteral("project_name"), project.title()},
        {QStringLiteral("crs"), crs.authid()},
        {QStringLiteral("extent"), extentWkt},
        {QStringLiteral("area_of_interest"), areaOfInterestWkt(project)},
        {QStringLiteral("background_color"), backgroundColor},
        {QStringLiteral("layers_by_id"), layers},
        {QStringLiteral("ordered_layer_ids"), QJsonArray::fromStringList(orderedIds)},
        {QStringLiteral("attachment_dirs"),
         QJsonArray::fromStringList(project.readListEntry(QStringLiteral("QFieldSync"),
                                                          QStringLiteral("attachmentDirs"),
                                                          {QStringLiteral("DCIM")}))},
        {QStringLiteral("data_dirs"),
         QJsonArray::fromStringList(
             project.readListEntry(QStringLiteral("QFieldSync"), QStringLiteral("dataDirs"), {}))},
        {QStringLiteral("qgis_version"), ProjectFile::qgisVersion(project.fileName())},
    };
    logInfo(QStringLiteral("QGIS project layer checks\n%1")
                .arg(LayerData::layersTable(layers, orderedIds)));
    return details;
}

QString ProcessProjectfileJob::generateThumbnail(const QString &projectPath,
                                                 const QString &thumbnailPath)
{
    logInfo(QStringLiteral("Generate project thumbnail image…"));
    QFile::remove(thumbnailPath);

    const std::unique_ptr<ProjectFile::TemporaryProject> temporary =
        ProjectFile::openTemporarily(projectPath);
    QgsMapSettings &settings = temporary->mapSettings;
    if (settings.extent().isEmpty()) {
        logWarning(QStringLiteral("Project has empty extent, using the full extent for the "
                                  "thumbnail."));
        settings.setExtent(settings.fullExtent());
    }
    // with an empty extent QGIS hangs forever: no thumbnail then
    if (settings.extent().isEmpty()) {
        logWarning(QStringLiteral("Project has empty extent, no thumbnail can be generated."));
        return {};
    }

    QImage image(settings.outputSize(), QImage::Format_ARGB32);
    image.fill(settings.backgroundColor());
    QPainter painter(&image);
    QgsMapRendererCustomPainterJob job(settings, &painter);
    QTimer timer;
    timer.setSingleShot(true);
    timer.setInterval(ThumbnailTimeoutSeconds * 1000);
    QObject::connect(&timer, &QTimer::timeout, &timer, [&job] {
        logWarning(QStringLiteral("Thumbnail generation timeout %1 seconds reached, cancelling the "
                                  "job...")
                       .arg(ThumbnailTimeoutSeconds));
        job.cancel();
    });

    job.start();
    timer.start();
    bool generated = false;
    if (job.isActive()) {
        job.waitForFinishedWithEventLoop();
        generated = true;
    } else {
        logInfo(QStringLiteral("Job is not active, skipping wait for finished with event loop."));
    }
    timer.stop();
    painter.end();

    if (!generated) {
        logWarning(QStringLiteral("Project thumbnail image could not be generated."));
        return {};
    }
    if (!image.save(thumbnailPath, "PNG"))
        throw WorkerError(QStringLiteral("Failed to generate project thumbnail:\nFailed to save "
                                         "thumbnail to %1.")
                              .arg(thumbnailPath),
                          contract::ErrorTypes::Unknown,
                          QStringLiteral("FailedThumbnailGenerationError"));
    logInfo(QStringLiteral("Project thumbnail image generated!"));
    return thumbnailPath;
}

} // namespace qfc::worker
