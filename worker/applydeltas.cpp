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
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>
#include <qgsproject.h>

#include <algorithm>
#include <cmath>
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

// The offsets of the objects in the "features" array of a GeoJSON FeatureCollection (valid JSON).
QList<int> featureOffsets(const QByteArray &text)
{
    QList<int> offsets;
    int depth = 0;
    int featuresDepth = -1; // the depth inside the "features" array while in it
    bool inString = false;
    int stringStart = -1;
    QByteArray lastString; // the last string of the root object (a key before ':')
    for (int i = 0; i < text.size(); ++i) {
        const char c = text.at(i);
        if (inString) {
            if (c == '\\')
                ++i;
            else if (c == '"') {
                inString = false;
                if (depth == 1)
                    lastString = text.mid(stringStart, i - stringStart);
            }
            continue;
        }
        switch (c) {
        case '"':
            inString = true;
            stringStart = i + 1;
            break;
        case ',':
            lastString.clear();
            break;
        case '[':
            if (depth == 1 && lastString == "features")
                featuresDepth = depth + 1;
            ++depth;
            break;
        case '{':
            if (depth == featuresDepth)
                offsets.append(i);
            ++depth;
            break;
        case ']':
        case '}':
            --depth;
            if (depth + 1 == featuresDepth && c == ']')
                featuresDepth = -1;
            break;
        default:
            break;
        }
    }
    return offsets;
}

// GDAL (3.6) appends a feature created in a GeoJSON file without "id", even when the other
// features have one; the next time GDAL reads the file it gives that feature one FID when
// reading and another when writing, so a later patch or delete misses it. Once QGIS has closed
// the file, each feature without "id" gets the next free integer id, if the others have integer
// ids (GDAL then reads every FID from "id"). The rest of the text stays as it is.
void giveGeoJsonFeaturesIds(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        logWarning(QStringLiteral("Unable to read \"%1\" to check its feature ids.").arg(path));
        return;
    }
    QByteArray text = file.readAll();
    file.close();
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(text, &parseError);
    if (!document.isObject()) {
        logWarning(QStringLiteral("Unable to check the feature ids of \"%1\": %2")
                       .arg(path, parseError.errorString()));
        return;
    }
    const QJsonArray features = document.object().value(QLatin1String("features")).toArray();
    QList<int> missing;
    qint64 maxId = -1;
    bool hasIds = false;
    for (int i = 0; i < features.size(); ++i) {
        const QJsonValue id = features.at(i).toObject().value(QLatin1String("id"));
        if (id.isUndefined()) {
            missing.append(i);
            continue;
        }
        // other ids are no FIDs for GDAL: nothing to make consistent
        if (!id.isDouble() || std::floor(id.toDouble()) != id.toDouble())
            return;
        hasIds = true;
        maxId = std::max(maxId, static_cast<qint64>(id.toDouble()));
    }
    if (!hasIds || missing.isEmpty())
        return;
    const QList<int> offsets = featureOffsets(text);
    if (offsets.size() != features.size()) {
        logWarning(
            QStringLiteral("Unable to locate the features of \"%1\" to give them ids.").arg(path));
        return;
    }
    // from the last one, so that the offsets before stay valid
    for (int k = missing.size() - 1; k >= 0; --k) {
        const qint64 id = maxId + 1 + k;
        const int offset = offsets.at(missing.at(k));
        static const QByteArray gdalStart = QByteArrayLiteral("{ \"type\": \"Feature\", ");
        if (text.mid(offset, gdalStart.size()) == gdalStart)
            text.insert(offset + gdalStart.size(), "\"id\": " + QByteArray::number(id) + ", ");
        else
            text.insert(offset + 1, " \"id\": " + QByteArray::number(id) + ",");
    }
    QSaveFile output(path);
    if (!output.open(QIODevice::WriteOnly) || output.write(text) != text.size()
        || !output.commit()) {
        logWarning(QStringLiteral("Unable to write the feature ids of \"%1\": %2")
                       .arg(path, output.errorString()));
        return;
    }
    logInfo(QStringLiteral("Gave %1 feature(s) of \"%2\" an id.").arg(missing.size()).arg(path));
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
    QStringList geoJsonFiles;
    std::optional<WorkerError> failure;
    {
        DeltaApplier applier(*project, std::move(deltaFile), options);
        try {
            feedback = applier.applyAll();
        } catch (const WorkerError &error) {
            failure = error; // the job fails; the files are still closed properly
        }
        geoPackages = applier.editedGeoPackages();
        geoJsonFiles = applier.geoJsonFilesWithCreates();
    }
    // closes the providers: nothing of the project stays open (the file itself is not written)
    project->clear();
    for (const QString &path : std::as_const(geoPackages))
        restoreRollbackJournal(path);
    for (const QString &path : std::as_const(geoJsonFiles))
        giveGeoJsonFeaturesIds(path);
    if (failure)
        throw *failure;
    return feedback;
}

} // namespace qfc::worker
