#include "package.h"

#include "contract/feedback.h"
#include "contract/workflow.h"
#include "jobregistry.h"
#include "layerdata.h"
#include "localfiles.h"
#include "packageconverter.h"
#include "pathconfinement.h"
#include "qgisapp.h"
#include "workererror.h"
#include "workerlog.h"

#include <QDir>
#include <QFileInfo>
#include <qgscoordinatetransform.h>
#include <qgsexception.h>
#include <qgsmapsettings.h>
#include <qgsproject.h>
#include <qgsrectangle.h>

namespace qfc::worker {

QFC_WORKER_REGISTER_JOB(PackageJob, contract::JobType::Package)

namespace {

// §4.1: the area of interest of the package, as (WKT, CRS).
QPair<QString, QgsCoordinateReferenceSystem> areaOfInterest(const QgsProject &project,
                                                            const QDomDocument &mapCanvas)
{
    logInfo(QStringLiteral("Getting project area of interest…"));
    const QString wkt =
        project.readEntry(QStringLiteral("qfieldsync"), QStringLiteral("/areaOfInterest"));
    const QString crs =
        project.readEntry(QStringLiteral("qfieldsync"), QStringLiteral("/areaOfInterestCrs"));
    if (!wkt.isEmpty() && !crs.isEmpty())
        return {wkt, QgsCoordinateReferenceSystem(crs)};

    QgsRectangle extent;
    const QMap<QString, QgsMapLayer *> layers = project.mapLayers();
    for (const QgsMapLayer *layer : layers) {
        const QgsRectangle layerExtent = layer->extent();
        if (layerExtent.isNull() || !layerExtent.isFinite())
            continue;
        try {
            const QgsCoordinateTransform transform(layer->crs(), project.crs(), &project);
            extent.combineExtentWith(transform.transformBoundingBox(layerExtent));
        } catch (const QgsCsException &exception) {
            logError(QStringLiteral("Failed to transform the bbox for layer %1 from %2 to %3 CRS: "
                                    "%4")
                         .arg(layer->name(), layer->crs().authid(), project.crs().authid(),
                              exception.what()));
        }
    }
    if (extent.isNull() || !extent.isFinite()) {
        logInfo(QStringLiteral("Failed to obtain the project extent from project layers."));
        if (!mapCanvas.isNull()) {
            QgsMapSettings settings;
            QDomNode node = mapCanvas.documentElement();
            settings.readXml(node);
            extent = settings.extent();
        }
    }
    if (extent.isNull() || !extent.isFinite())
        throw WorkerError(QStringLiteral("Failed to obtain the project extent."));
    // a box whose corners are on one line is no polygon
    extent = extent.buffered(1);
    return {extent.asWktPolygon(), project.crs()};
}

} // namespace

contract::JobType PackageJob::type() const
{
    return contract::JobType::Package;
}

QList<Step> PackageJob::steps(const JobContext &context)
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
        {Ids::QgisLayersData,
         [this, &context] {
             m_originalLayers = readLayersData(context.projectFilePath, &m_mapCanvas);
             return QJsonObject{{contract::ReturnNames::LayersById, m_originalLayers}};
         }},
        {Ids::PackageProject,
         [this, &context] {
             return packageProject(context);
         }},
        {Ids::QfieldLayerData,
         [this, &context] {
             // the packaged project resolves its relative paths against the export directory
             const QString exportDir = QFileInfo(m_packagedProject).absolutePath();
             if (PathConfinement *confinement = QgisApp::confinement())
                 confinement->setBaseDirectory(exportDir);
             QDir::setCurrent(exportDir);
             Q_UNUSED(context)
             return QJsonObject{
                 {contract::ReturnNames::LayersById, readLayersData(m_packagedProject, nullptr)}};
         }},
        {Ids::StopQgisApp,
         [] {
             return QgisApp::stop();
         }},
        {Ids::UploadPackagedProject,
         [&context] {
             const QString exportDir = context.workDir.exportDir();
             logInfo(QStringLiteral("The package files are collected by the runner."));
             LocalFiles::logFilesTable(context.arguments.projectId, exportDir,
                                       LocalFiles::listFiles(exportDir));
             return QJsonObject();
         }},
    };
}

void PackageJob::finish()
{
    QgisApp::shutdown();
}

QJsonObject PackageJob::readLayersData(const QString &path, QDomDocument *mapCanvas)
{
    logInfo(QStringLiteral("Loading the QGIS file \"%1\"…").arg(path));
    if (!QFileInfo::exists(path))
        throw WorkerError(QStringLiteral("File not found: %1").arg(path),
                          contract::ErrorTypes::FileNotFound, QStringLiteral("FileNotFoundError"));
    QgsProject *project = QgsProject::instance();
    QgisApp::clearBadLayerSources();
    QMetaObject::Connection connection;
    if (mapCanvas) {
        // a headless QGIS does not write theMapCanvas: keep the original one (§4.2.1)
        *mapCanvas = QDomDocument();
        connection = QObject::connect(
            project, &QgsProject::readProject, project, [mapCanvas](const QDomDocument &document) {
                const QDomNodeList canvases =
                    document.elementsByTagName(QStringLiteral("mapcanvas"));
                for (int i = 0; i < canvases.size(); ++i) {
                    const QDomElement canvas = canvases.at(i).toElement();
                    if (canvas.attribute(QStringLiteral("name")) == QLatin1String("theMapCanvas")
                        && mapCanvas->isNull()) {
                        mapCanvas->appendChild(mapCanvas->importNode(canvas, true));
                    }
                }
            });
    }
    const bool read = project->read(path);
    if (mapCanvas)
        QObject::disconnect(connection);
    if (!read) {
        logError(
            QStringLiteral("Failed to load the QGIS file \"%1\"! %2").arg(path, project->error()));
        project->setFileName(QString());
        throw WorkerError(QStringLiteral("Unable to open project with QGIS file: %1").arg(path));
    }
    logInfo(QStringLiteral("Project loaded."));

    logInfo(QStringLiteral("Extracting QGIS project layer data…"));
    LayerData::Context layerContext;
    layerContext.badLayerSources = QgisApp::badLayerSources();
    layerContext.confinement = QgisApp::confinement();
    const QJsonObject layers = LayerData::layersById(*project, layerContext);
    logInfo(QStringLiteral("QGIS project layer data\n%1")
                .arg(LayerData::layersTable(layers, LayerData::orderedLayerIds(*project))));
    return layers;
}

QJsonObject PackageJob::packageProject(const JobContext &context)
{
    logInfo(QStringLiteral("Preparing QGIS project for packaging…"));
    QgsProject *project = QgsProject::instance();
    const QString exportDir = context.workDir.exportDir();
    if (!QDir().mkpath(exportDir))
        throw WorkerError(QStringLiteral("Cannot create \"%1\".").arg(exportDir));

    const auto [wkt, crs] = areaOfInterest(*project, m_mapCanvas);
    logInfo(QStringLiteral("Project area of interest is `%1` in `%2` CRS.").arg(wkt, crs.authid()));

    PackageConverter::Options options;
    options.originalProjectPath = context.projectFilePath;
    options.exportProjectPath = exportDir + QLatin1Char('/')
        + QFileInfo(context.projectFilePath).completeBaseName() + QStringLiteral("_qfield.qgz");
    options.areaOfInterestWkt = wkt;
    options.areaOfInterestCrs = crs;
    options.attachmentDirs =
        project->readListEntry(QStringLiteral("QFieldSync"), QStringLiteral("attachmentDirs"),
                               {QStringLiteral("DCIM")})
        + project->readListEntry(QStringLiteral("QFieldSync"), QStringLiteral("dataDirs"), {});
    options.offliner = context.arguments.effectiveOffliner();
    options.mapCanvas = m_mapCanvas;
    options.originalLayers = m_originalLayers;

    logInfo(QStringLiteral("Packaging…"));
    PackageConverter(*project, options).convert();
    logInfo(QStringLiteral("Packaging finished!"));
    m_packagedProject = options.exportProjectPath;
    return {{contract::ReturnNames::TheQgisFileNameInQfield, m_packagedProject}};
}

} // namespace qfc::worker
