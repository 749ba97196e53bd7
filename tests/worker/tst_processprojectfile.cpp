// process_projectfile on the real qfc-worker (spec/worker.md §3, test cases §6.3), asserting what
// the runner, the server and QField see: exit code, feedback.json (bytes and content), the log on
// stderr (line format, step markers, redaction) and thumbnail.png.
//
// PP-07 and PP-08 need a live PostGIS: CTest starts one (the `postgis` fixture,
// tests/scripts/postgis.sh, SQL in tests/data/postgis/) and QFC_TEST_PGSERVICEFILE names its
// pg_service.conf with
//   [geodb1], [geodb2]  two databases, each with table public.point(id integer primary key,
//                       geometry geometry(Point, 2056))                   (PP-07)
//   [qfctestci]         a database with view public.point_view(id integer, geometry
//                       geometry(Point, 4326)) readable by the service's user            (PP-08)
// The worker gets a copy as <workdir>/pg_service.conf named by PGSERVICEFILE, as the runner
// passes the project's pgservice secrets. Under CTest a fixture that did not start fails the two
// cases; run by hand without QFC_TEST_PGSERVICEFILE and QFC_TEST_POSTGIS_ENV they are skipped.

#include "workerjob.h"

#include <QDir>
#include <QDomDocument>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>
#include <QTest>

#include <algorithm>

namespace {

// spec/worker.md §1.5
const QStringList ProcessStepIds{
    "start_qgis_app",  "download_project_directory", "project_validity_check", "opening_check",
    "project_details", "generate_thumbnail_image",   "upload_thumbnail",       "stop_qgis_app"};
const QStringList ProcessStepNames{"Start QGIS Application", "Download Project Directory",
                                   "Project Validity Check", "Opening Check",
                                   "Project Details",        "Generate Thumbnail Image",
                                   "Upload Thumbnail Image", "Stop QGIS Application"};

// spec/worker.md §3.3, §3.4
const QStringList ProjectDetailsKeys{
    "area_of_interest", "attachment_dirs", "background_color",  "crs",          "data_dirs",
    "extent",           "layers_by_id",    "ordered_layer_ids", "project_name", "qgis_version"};
const QStringList LayerKeys{"crs",
                            "datasource",
                            "error_code",
                            "error_message",
                            "error_summary",
                            "filename",
                            "geom_type",
                            "geom_type_name",
                            "id",
                            "is_localized",
                            "is_valid",
                            "name",
                            "provider_error_message",
                            "provider_error_summary",
                            "provider_name",
                            "qfc_source_data_pk_name",
                            "qfs_action",
                            "qfs_cloud_action",
                            "qfs_is_geometry_locked",
                            "qfs_photo_naming",
                            "qfs_unsupported_source_pk",
                            "type",
                            "type_name",
                            "wkb_type",
                            "wkb_type_name"};

const QRegularExpression MarkerStart(QStringLiteral(
    "\\A::<<<::([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}) (.+)\\z"));
const QRegularExpression MarkerEnd(QStringLiteral(
    "\\A::>>>::([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}) ([0-9]+)\\z"));
// "HH:MM:SS.mmm <logger padded to 9> <LEVEL padded to 8> <message>"
const QRegularExpression LogLine(QStringLiteral(
    "\\A([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\\.[0-9]{3} (\\S+) *? ?(DEBUG|INFO|WARNING|ERROR|"
    "CRITICAL) +(.*)\\z"));

// Whether a virtual layer's datasource has embedded layers: a "layer" key in its query string
// (upstream server: "layer" in parse_qs(urlparse(datasource).query)).
bool hasEmbeddedLayers(const QString &datasource)
{
    const qsizetype question = datasource.indexOf(QLatin1Char('?'));
    if (question < 0)
        return false;
    const QStringList items = datasource.mid(question + 1).split(QLatin1Char('&'));
    for (const QString &item : items) {
        const qsizetype equals = item.indexOf(QLatin1Char('='));
        if (equals > 0 && item.left(equals) == QLatin1String("layer") && equals + 1 < item.size())
            return true;
    }
    return false;
}

// The server's rule (spec/worker.md §3.4, "filename"): a project has online vector data when a
// vector layer other than memory or a virtual layer without embedded layers has no filename.
bool hasOnlineVectorData(const QJsonObject &layersById)
{
    for (const QJsonValue &value : layersById) {
        const QJsonObject layer = value.toObject();
        if (layer.value("type").toInt(-1) != 0)
            continue;
        const QString provider = layer.value("provider_name").toString();
        if (provider == QLatin1String("memory"))
            continue;
        if (provider == QLatin1String("virtual")
            && !hasEmbeddedLayers(layer.value("datasource").toString()))
            continue;
        if (layer.value("filename").toString().isEmpty())
            return true;
    }
    return false;
}

// Checks the layout of Python's json.dump(obj, indent=2, sort_keys=True) (what upstream writes
// and what spec/worker.md §1.4 asks for): ASCII only, 2 more spaces per nesting level, ": "
// after keys, keys of every object in ascending order, no final newline. Returns "" or a problem.
QString checkPythonJsonLayout(const QByteArray &bytes)
{
    for (const char c : bytes) {
        if (static_cast<unsigned char>(c) > 0x7e || c == '\t' || c == '\r')
            return QStringLiteral("non-ASCII or tab/CR byte %1")
                .arg(int(static_cast<unsigned char>(c)));
    }
    if (bytes.endsWith('\n') || bytes.endsWith(' '))
        return QStringLiteral("trailing newline or space");
    struct Level
    {
        char type;
        int childIndent;
        QString lastKey;
        bool hasKey;
    };
    QList<Level> stack;
    const QList<QByteArray> lines = bytes.split('\n');
    static const QRegularExpression keyValue(
        QStringLiteral("\\A\"((?:[^\"\\\\]|\\\\.)*)\": (.+)\\z"));
    for (int n = 0; n < lines.size(); ++n) {
        const QString line = QString::fromLatin1(lines.at(n));
        int indent = 0;
        while (indent < line.size() && line.at(indent) == QLatin1Char(' '))
            ++indent;
        const QString text = line.mid(indent);
        const QString where = QStringLiteral(" at line %1: %2").arg(n + 1).arg(line);
        if (text.isEmpty())
            return QStringLiteral("empty line") + where;
        if (n == 0) {
            if (line != QLatin1String("{"))
                return QStringLiteral("does not start with {") + where;
            stack.append({'{', 2, QString(), false});
            continue;
        }
        if (stack.isEmpty())
            return QStringLiteral("content after the end") + where;
        if (text.startsWith(QLatin1Char('}')) || text.startsWith(QLatin1Char(']'))) {
            const Level level = stack.takeLast();
            if ((level.type == '{') != text.startsWith(QLatin1Char('}')))
                return QStringLiteral("mismatched bracket") + where;
            if (indent != level.childIndent - 2)
                return QStringLiteral("closing bracket misindented") + where;
            continue;
        }
        Level &level = stack.last();
        if (indent != level.childIndent)
            return QStringLiteral("indentation %1 instead of %2").arg(indent).arg(level.childIndent)
                + where;
        QString value = text;
        if (level.type == '{') {
            const QRegularExpressionMatch match = keyValue.match(text);
            if (!match.hasMatch())
                return QStringLiteral("not a \"key\": value line") + where;
            const QString key = match.captured(1);
            if (level.hasKey && !(level.lastKey < key))
                return QStringLiteral("key \"%1\" after \"%2\"").arg(key, level.lastKey) + where;
            level.lastKey = key;
            level.hasKey = true;
            value = match.captured(2);
        }
        if (value.endsWith(QLatin1Char('{')) || value.endsWith(QLatin1Char('[')))
            stack.append({char(value.back().toLatin1()), indent + 2, QString(), false});
    }
    if (!stack.isEmpty())
        return QStringLiteral("unterminated document");
    return {};
}

struct ParsedLog
{
    QString problem;
    QStringList startedSteps; // step names of the start markers, in order
    QList<int> endStages; // stages of the end markers, in order
    int logLines = 0;
    QSet<QString> loggers;
};

// Every stderr line is a step marker, a log line, or a continuation line of a multi-line log
// message; markers come in start/end pairs with the same fresh UUID.
ParsedLog parseLog(const QStringList &lines)
{
    ParsedLog parsed;
    QString openMarker;
    QSet<QString> seen;
    bool inLogMessage = false; // the previous line belongs to a log message
    for (const QString &line : lines) {
        if (const QRegularExpressionMatch start = MarkerStart.match(line); start.hasMatch()) {
            if (!openMarker.isEmpty())
                parsed.problem = QStringLiteral("nested step marker: ") + line;
            openMarker = start.captured(1);
            if (seen.contains(openMarker))
                parsed.problem = QStringLiteral("marker id reused: ") + line;
            seen.insert(openMarker);
            parsed.startedSteps.append(start.captured(2));
            inLogMessage = false;
        } else if (const QRegularExpressionMatch end = MarkerEnd.match(line); end.hasMatch()) {
            if (end.captured(1) != openMarker)
                parsed.problem = QStringLiteral("end marker without its start: ") + line;
            openMarker.clear();
            parsed.endStages.append(end.captured(2).toInt());
            inLogMessage = false;
        } else if (const QRegularExpressionMatch log = LogLine.match(line); log.hasMatch()) {
            // the logger name is padded to 9 and the level name to 8 characters
            const QString logger = log.captured(2);
            const qsizetype levelColumn = 13 + std::max<qsizetype>(9, logger.size()) + 1;
            const qsizetype messageColumn = levelColumn + 9;
            if (line.mid(levelColumn, log.captured(3).size()) != log.captured(3)
                || line.size() < messageColumn - 1
                || (line.size() >= messageColumn && line.at(messageColumn - 1) != QLatin1Char(' ')))
                parsed.problem = QStringLiteral("misaligned log line: ") + line;
            parsed.loggers.insert(logger);
            ++parsed.logLines;
            inLogMessage = true;
        } else if (!inLogMessage) {
            parsed.problem =
                QStringLiteral("a line that is neither a marker nor log output: ") + line;
        }
    }
    if (!openMarker.isEmpty())
        parsed.problem = QStringLiteral("unterminated step marker");
    return parsed;
}

QString layerIdByProvider(const QJsonObject &layersById, const QString &provider)
{
    for (auto it = layersById.constBegin(); it != layersById.constEnd(); ++it) {
        if (it.value().toObject().value("provider_name").toString() == provider)
            return it.key();
    }
    return {};
}

bool copyDeltaProject(WorkerJob &job, const QString &targetDir,
                      const QString &projectName = QStringLiteral("project.qgs"))
{
    const QString prefix = targetDir.isEmpty() ? QString() : targetDir + QLatin1Char('/');
    for (const char *name :
         {"testdata.gpkg", "points.geojson", "polygons.geojson", "nonspatial.csv"}) {
        if (!job.addUpstreamFile(QStringLiteral("core/delta/") + QLatin1String(name),
                                 prefix + QLatin1String(name)))
            return false;
    }
    return job.addUpstreamFile(QStringLiteral("core/delta/project.qgs"), prefix + projectName);
}

QString jsonText(const QJsonObject &object)
{
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

} // namespace

class tst_ProcessProjectfile final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();

    void pp01SelfContained();
    void pp02LocalizedLayers();
    void pp03InvalidExtent();
    void pp04FileLayersOnly();
    void pp05PostgisLayerIsOnline();
    void pp06VirtualLayers_data();
    void pp06VirtualLayers();
    void pp07PgServiceLayers();
    void pp08PgEffectiveUserView();
    void pp09BrokenXml();
    void pp10PathsVerbatim_data();
    void pp10PathsVerbatim();

    void validityErrors_data();
    void validityErrors();
    void qgzProject();
    void projectSettings_data();
    void projectSettings();
    void feedbackFile();
    void logFormatAndStepMarkers();
    void failureStepMarkers();
    void passwordRedaction();
    void secretRedaction();
    void thumbnail();
    void featureCountDisabled();
    void layersOutsideWorkdir();
    void gdalMessagesInTheLog();
    void withoutRunnerEnvironment();

    void cleanupTestCase();

private:
    // The shared run of core/delta/project.qgs (PP-04), reused by the format tests.
    const WorkerResult &deltaRun();
    WorkerResult runProject(WorkerJob &job, const QString &projectFile, const QString &label);

    std::unique_ptr<WorkerJob> m_deltaJob;
    std::unique_ptr<WorkerResult> m_deltaResult;
    QList<QPair<QString, qint64>> m_timings;
};

void tst_ProcessProjectfile::initTestCase()
{
    QVERIFY2(QFileInfo(WorkerJob::workerPath()).isExecutable(),
             qPrintable("QFC_TEST_WORKER_BINARY is not an executable: " + WorkerJob::workerPath()));
    QVERIFY2(
        QFileInfo::exists(WorkerJob::upstreamDir() + QStringLiteral("/core/delta/project.qgs")),
        qPrintable("QFC_TEST_UPSTREAM_DATA has no core/delta/project.qgs: "
                   + WorkerJob::upstreamDir()));
    QVERIFY2(QFileInfo::exists(WorkerJob::fixturesDir() + QStringLiteral("/self_contained.qgz")),
             qPrintable("QFC_TEST_WORKER_FIXTURES has no self_contained.qgz: "
                        + WorkerJob::fixturesDir()));
    QVERIFY(!WorkerJob::expectedQgisVersion().isEmpty());
}

WorkerResult tst_ProcessProjectfile::runProject(WorkerJob &job, const QString &projectFile,
                                                const QString &label)
{
    WorkerResult result = job.runProcessProjectfile(projectFile);
    m_timings.append({label, result.elapsedMs});
    return result;
}

const WorkerResult &tst_ProcessProjectfile::deltaRun()
{
    if (!m_deltaResult) {
        m_deltaJob = std::make_unique<WorkerJob>();
        copyDeltaProject(*m_deltaJob, QString());
        m_deltaResult = std::make_unique<WorkerResult>(
            runProject(*m_deltaJob, QStringLiteral("project.qgs"), QStringLiteral("PP-04 delta")));
    }
    return *m_deltaResult;
}

void tst_ProcessProjectfile::pp01SelfContained()
{
    WorkerJob job;
    QVERIFY(job.addUpstreamFile(QStringLiteral("core/self_contained.qgs"),
                                QStringLiteral("self_contained.qgs")));
    const WorkerResult result = runProject(job, QStringLiteral("self_contained.qgs"),
                                           QStringLiteral("PP-01 self_contained"));
    QCOMPARE(result.exitCode, 0);
    QVERIFY2(!result.feedback.contains("error"),
             qPrintable(result.feedback.value("error").toString()));
    QCOMPARE(result.stages(), (QList<int>{2, 2, 2, 2, 2, 2, 2, 2}));

    const QJsonObject details = result.projectDetails();
    QCOMPARE(details.value("qgis_version").toString(), QStringLiteral("3.44.7"));
    QCOMPARE(result.stepReturns("start_qgis_app").value("qgis_version").toString(),
             WorkerJob::expectedQgisVersion());
    const QJsonObject memory =
        result.layer(QStringLiteral("points_ebcb5304_b8c3_4873_9663_ada8b6fad631"));
    QCOMPARE(memory.value("provider_name").toString(), QStringLiteral("memory"));
    QCOMPARE(memory.value("is_valid").toBool(), true);
    QCOMPARE(memory.value("error_code").toString(), QStringLiteral("no_error"));
    QCOMPARE(memory.value("filename").toString(), QString());
    QVERIFY(!hasOnlineVectorData(details.value("layers_by_id").toObject()));
    QVERIFY(QFileInfo::exists(job.workdir() + QStringLiteral("/thumbnail.png")));
}

void tst_ProcessProjectfile::pp02LocalizedLayers()
{
    WorkerJob job;
    QVERIFY(job.addUpstreamFile(QStringLiteral("core/simple_bumblebees_wrong_localized.qgs"),
                                QStringLiteral("simple_bumblebees_wrong_localized.qgs")));
    QVERIFY(job.addUpstreamFile(QStringLiteral("core/bumblebees.gpkg"),
                                QStringLiteral("bumblebees.gpkg")));
    const WorkerResult result =
        runProject(job, QStringLiteral("simple_bumblebees_wrong_localized.qgs"),
                   QStringLiteral("PP-02 wrong localized"));
    QCOMPARE(result.exitCode, 0);
    QVERIFY(!result.feedback.contains("error"));
    QCOMPARE(result.stages(), (QList<int>{2, 2, 2, 2, 2, 2, 2, 2}));

    for (const char *id :
         {"valid_localized_point_layer_id", "invalid_localized_polygon_layer_id"}) {
        const QJsonObject layer = result.layer(QLatin1String(id));
        QVERIFY2(!layer.isEmpty(), id);
        QCOMPARE(layer.value("is_valid").toBool(true), false);
        QCOMPARE(layer.value("is_localized").toBool(false), true);
        QCOMPARE(layer.value("error_code").toString(), QStringLiteral("localized_dataprovider"));
    }
    const QJsonObject missing = result.layer(QStringLiteral("invalid_point_layer_id"));
    QCOMPARE(missing.value("is_valid").toBool(true), false);
    QCOMPARE(missing.value("is_localized").toBool(true), false);
    QCOMPARE(missing.value("error_code").toString(), QStringLiteral("invalid_dataprovider"));
    const QString expectedMessage =
        QStringLiteral("File \"%1/bumblebees_doesnotexist.gpkg\" missing.").arg(job.filesDir());
    if (missing.value("provider_error_summary").toString().isEmpty()) {
        QCOMPARE(missing.value("error_summary").toString(), expectedMessage);
        QVERIFY2(result.log().contains(expectedMessage),
                 "the job log shows the documented message");
    }
}

void tst_ProcessProjectfile::pp03InvalidExtent()
{
    WorkerJob job;
    QVERIFY(job.addUpstreamFile(QStringLiteral("core/project_with_invalid_extent.qgs"),
                                QStringLiteral("project_with_invalid_extent.qgs")));
    const WorkerResult result = runProject(job, QStringLiteral("project_with_invalid_extent.qgs"),
                                           QStringLiteral("PP-03 invalid extent"));
    QVERIFY(result.finished);
    QCOMPARE(result.exitCode, 0);
    QVERIFY2(!result.feedback.contains("error"),
             qPrintable(result.feedback.value("error").toString()));
    QCOMPARE(result.stages(), (QList<int>{2, 2, 2, 2, 2, 2, 2, 2}));
    // never hangs past the 10 s render timer (three project reads and QGIS start included)
    QVERIFY2(result.elapsedMs < 60000, qPrintable(QString::number(result.elapsedMs)));
    QVERIFY(!QFileInfo::exists(job.workdir() + QStringLiteral("/thumbnail.png")));
    const QJsonObject thumbnailReturns =
        result.stepReturns(QStringLiteral("generate_thumbnail_image"));
    QVERIFY(thumbnailReturns.contains("thumbnail_filename"));
    QVERIFY(thumbnailReturns.value("thumbnail_filename").isNull());

    int p1Layers = 0;
    const QJsonObject layers = result.projectDetails().value("layers_by_id").toObject();
    for (const QJsonValue &value : layers) {
        const QJsonObject layer = value.toObject();
        if (!layer.value("filename").toString().endsWith(QLatin1String("/p1.gpkg")))
            continue;
        ++p1Layers;
        QCOMPARE(layer.value("is_valid").toBool(true), false);
        QCOMPARE(layer.value("error_code").toString(), QStringLiteral("invalid_dataprovider"));
    }
    QCOMPARE(p1Layers, 6);

    // QFieldSync layer settings are read from the project although the layers are invalid
    QStringList actions, cloudActions;
    for (const QJsonValue &value : layers) {
        actions << value.toObject().value("qfs_action").toString(QStringLiteral("<null>"));
        cloudActions
            << value.toObject().value("qfs_cloud_action").toString(QStringLiteral("<null>"));
    }
    QCOMPARE(actions.count(QStringLiteral("copy")), 5);
    QCOMPARE(actions.count(QStringLiteral("offline")), 1);
    QCOMPARE(cloudActions.count(QStringLiteral("no_action")), 5);
    QCOMPARE(cloudActions.count(QStringLiteral("offline")), 1);
}

void tst_ProcessProjectfile::pp04FileLayersOnly()
{
    const WorkerResult &result = deltaRun();
    QCOMPARE(result.exitCode, 0);
    QVERIFY2(!result.feedback.contains("error"),
             qPrintable(result.feedback.value("error").toString()));
    QCOMPARE(result.stages(), (QList<int>{2, 2, 2, 2, 2, 2, 2, 2}));

    const QJsonObject details = result.projectDetails();
    QStringList keys = details.keys();
    keys.sort();
    QCOMPARE(keys, ProjectDetailsKeys);
    QCOMPARE(details.value("qgis_version").toString(), QStringLiteral("3.30.0"));
    QCOMPARE(details.value("attachment_dirs").toArray(), (QJsonArray{"DCIM"}));
    QCOMPARE(details.value("data_dirs").toArray(), QJsonArray());
    QVERIFY(QRegularExpression(QStringLiteral("\\A#[0-9a-f]{6}\\z"))
                .match(details.value("background_color").toString())
                .hasMatch());
    QVERIFY(details.value("extent").toString().startsWith(QLatin1String("POLYGON((")));

    const QJsonObject layers = details.value("layers_by_id").toObject();
    QCOMPARE(layers.size(), 8);
    QStringList sortedIds = layers.keys();
    std::sort(sortedIds.begin(), sortedIds.end());
    QStringList ordered;
    for (const QJsonValue &id : details.value("ordered_layer_ids").toArray())
        ordered << id.toString();
    QCOMPARE(ordered, sortedIds);

    for (auto it = layers.constBegin(); it != layers.constEnd(); ++it) {
        const QJsonObject layer = it.value().toObject();
        for (const QString &key : LayerKeys)
            QVERIFY2(layer.contains(key), qPrintable(it.key() + QStringLiteral(": ") + key));
        QCOMPARE(layer.value("id").toString(), it.key());
        QVERIFY2(layer.value("is_valid").toBool(), qPrintable(it.key()));
        QCOMPARE(layer.value("error_code").toString(), QStringLiteral("no_error"));
        QVERIFY(layer.value("provider_error_summary").isNull());
        QCOMPARE(layer.value("type").toInt(), 0);
        QCOMPARE(layer.value("type_name").toString(), QStringLiteral("Vector"));
        QVERIFY2(layer.value("filename")
                     .toString()
                     .startsWith(m_deltaJob->filesDir() + QLatin1Char('/')),
                 qPrintable(layer.value("filename").toString()));
    }
    QVERIFY(!hasOnlineVectorData(layers));

    // spec/worker.md §6: points_xy / points_xyz / points_xyzm of testdata.gpkg, a CSV table
    const QJsonObject xy =
        layers.value("points_xy_897d5ed7_b810_4624_abe3_9f7c0a93d6a1").toObject();
    QCOMPARE(xy.value("wkb_type").toInt(), 1);
    QCOMPARE(xy.value("wkb_type_name").toString(), QStringLiteral("Point"));
    QCOMPARE(xy.value("geom_type").toInt(), 0);
    QCOMPARE(xy.value("geom_type_name").toString(), QStringLiteral("Point"));
    QCOMPARE(xy.value("qfc_source_data_pk_name").toString(), QStringLiteral("fid"));
    QCOMPARE(xy.value("provider_name").toString(), QStringLiteral("ogr"));
    QCOMPARE(xy.value("filename").toString(),
             m_deltaJob->filesDir() + QStringLiteral("/testdata.gpkg"));
    QCOMPARE(layers.value("points_xyz_ff574332_1ff5_47e6_8d6a_15f68e0c7cd1")
                 .toObject()
                 .value("wkb_type_name")
                 .toString(),
             QStringLiteral("PointZ"));
    const QJsonObject table =
        layers.value("nonspatial_5b9be5d0_6faa_4c14_825d_7889615c842c").toObject();
    QCOMPARE(table.value("wkb_type_name").toString(), QStringLiteral("NoGeometry"));
    QCOMPARE(table.value("geom_type").toInt(), 4);
    QCOMPARE(table.value("geom_type_name").toString(), QStringLiteral("Null"));
}

void tst_ProcessProjectfile::pp05PostgisLayerIsOnline()
{
    WorkerJob job;
    QVERIFY(job.addUpstreamFile(QStringLiteral("core/delta/project2.qgs"),
                                QStringLiteral("project2.qgs")));
    const WorkerResult result = runProject(job, QStringLiteral("project2.qgs"),
                                           QStringLiteral("PP-05 PostGIS, no database"));
    QCOMPARE(result.exitCode, 0);
    QVERIFY(!result.feedback.contains("error"));
    const QJsonObject layer =
        result.layer(QStringLiteral("point_6b900fa7_af52_4082_bbff_6077f4a91d02"));
    QCOMPARE(layer.value("provider_name").toString(), QStringLiteral("postgres"));
    QCOMPARE(layer.value("filename").toString(), QString());
    QCOMPARE(layer.value("is_valid").toBool(true), false);
    QCOMPARE(layer.value("error_code").toString(), QStringLiteral("invalid_dataprovider"));
    QVERIFY(layer.value("datasource").toString().contains(QLatin1String("host=test_postgis_db")));
    QVERIFY(hasOnlineVectorData(result.projectDetails().value("layers_by_id").toObject()));
}

void tst_ProcessProjectfile::pp06VirtualLayers_data()
{
    QTest::addColumn<QString>("project");
    QTest::addColumn<bool>("embedded");
    QTest::newRow("virtual-without-embedded-layers→offline") << "project_with_virtual.qgs" << false;
    QTest::newRow("virtual-with-embedded-layers→online")
        << "project_with_virtual_with_embedded.qgs" << true;
}

void tst_ProcessProjectfile::pp06VirtualLayers()
{
    QFETCH(QString, project);
    QFETCH(bool, embedded);
    WorkerJob job;
    QVERIFY(copyDeltaProject(job, QString()));
    QVERIFY(job.addUpstreamFile(QStringLiteral("core/delta/") + project, project));
    const WorkerResult result = runProject(job, project, QStringLiteral("PP-06 ") + project);
    QCOMPARE(result.exitCode, 0);
    QVERIFY(!result.feedback.contains("error"));
    const QJsonObject layers = result.projectDetails().value("layers_by_id").toObject();
    const QString virtualId = layerIdByProvider(layers, QStringLiteral("virtual"));
    QVERIFY2(!virtualId.isEmpty(), "a layer with provider_name \"virtual\"");
    const QJsonObject layer = layers.value(virtualId).toObject();
    QCOMPARE(layer.value("filename").toString(), QString());
    QCOMPARE(layer.value("type").toInt(-1), 0);
    QCOMPARE(hasEmbeddedLayers(layer.value("datasource").toString()), embedded);
    QCOMPARE(layer.value("datasource").toString().contains(QLatin1String("ogr:")), embedded);
    QCOMPARE(hasOnlineVectorData(layers), embedded);
}

void tst_ProcessProjectfile::pp07PgServiceLayers()
{
    const PostgisFixture postgis;
    QFC_REQUIRE_POSTGIS(postgis);
    WorkerJob job;
    QVERIFY(job.usePgServiceFile(postgis.serviceFile()));
    QVERIFY(job.addUpstreamFile(QStringLiteral("core/delta/project_pgservice.qgs"),
                                QStringLiteral("project_pgservice.qgs")));
    const WorkerResult result =
        runProject(job, QStringLiteral("project_pgservice.qgs"), QStringLiteral("PP-07 pgservice"));
    QCOMPARE(result.exitCode, 0);
    QVERIFY(!result.feedback.contains("error"));
    // point_…d02 reads public.point through geodb1, point_…d03 through geodb2
    for (const char *id : {"point_6b900fa7_af52_4082_bbff_6077f4a91d02",
                           "point_6b900fa7_af52_4082_bbff_6077f4a91d03"}) {
        const QJsonObject layer = result.layer(QLatin1String(id));
        QVERIFY2(layer.value("is_valid").toBool(),
                 qPrintable(QLatin1String(id) + QLatin1Char(' ') + jsonText(layer)));
        QCOMPARE(layer.value("error_code").toString(), QStringLiteral("no_error"));
        QCOMPARE(layer.value("provider_name").toString(), QStringLiteral("postgres"));
        QCOMPARE(layer.value("wkb_type_name").toString(), QStringLiteral("Point"));
    }
    QVERIFY(result.layer(QStringLiteral("point_6b900fa7_af52_4082_bbff_6077f4a91d02"))
                .value("datasource")
                .toString()
                .contains(QLatin1String("service='geodb1'")));
    QVERIFY(result.layer(QStringLiteral("point_6b900fa7_af52_4082_bbff_6077f4a91d03"))
                .value("datasource")
                .toString()
                .contains(QLatin1String("service='geodb2'")));
}

void tst_ProcessProjectfile::pp08PgEffectiveUserView()
{
    const PostgisFixture postgis;
    QFC_REQUIRE_POSTGIS(postgis);
    WorkerJob job;
    QVERIFY(job.usePgServiceFile(postgis.serviceFile()));
    QVERIFY(job.addUpstreamFile(QStringLiteral("core/override_pg_effective_user.qgs"),
                                QStringLiteral("override_pg_effective_user.qgs")));
    const WorkerResult result = runProject(job, QStringLiteral("override_pg_effective_user.qgs"),
                                           QStringLiteral("PP-08 pg effective user"));
    QCOMPARE(result.exitCode, 0);
    QVERIFY(!result.feedback.contains("error"));
    const QJsonObject layer =
        result.layer(QStringLiteral("point_view_e17fcc5d_9e31_40a3_83f7_914c6ddc6d8d"));
    QCOMPARE(layer.value("provider_name").toString(), QStringLiteral("postgres"));
    QVERIFY(layer.value("datasource").toString().contains(QLatin1String("service='qfctestci'")));
    QVERIFY2(layer.value("is_valid").toBool(), qPrintable(jsonText(layer)));
    QCOMPARE(layer.value("error_code").toString(), QStringLiteral("no_error"));
}

void tst_ProcessProjectfile::pp09BrokenXml()
{
    WorkerJob job;
    QVERIFY(
        job.addUpstreamFile(QStringLiteral("core/delta/broken.qgs"), QStringLiteral("broken.qgs")));
    const WorkerResult result =
        runProject(job, QStringLiteral("broken.qgs"), QStringLiteral("PP-09 broken XML"));
    QCOMPARE(result.exitCode, 0); // the failure is in the feedback
    QVERIFY(result.hasFeedback);
    QCOMPARE(result.feedback.value("error_type").toString(),
             QStringLiteral("INVALID_PROJECT_FILE"));
    const QString error = result.feedback.value("error").toString();
    QVERIFY2(error.startsWith(QStringLiteral("Project file is an invalid XML document:\n")),
             qPrintable(error));
    // upstream's rendering of expat's "not well-formed (invalid token): line 20, column 28"
    // (computed with Python's xml.etree and upstream's get_qgis_xml_error_context)
    QCOMPARE(error,
             QStringLiteral("Project file is an invalid XML document:\nUnable to parse "
                            "character: 32. Replaced by '?' on line 20 that starts with: "
                            "<!-- <layer-tree-group> -?"));
    QVERIFY(result.feedback.value("error_class").isString());
    QVERIFY(result.feedback.value("error_stack").isString());
    QCOMPARE(result.stages(), (QList<int>{2, 2, 1, 0, 0, 0, 0, 0}));
    QStringList outputs = result.feedback.value("outputs").toObject().keys();
    outputs.sort();
    QCOMPARE(outputs, (QStringList{"download_project_directory", "start_qgis_app"}));
    QVERIFY(!QFileInfo::exists(job.workdir() + QStringLiteral("/thumbnail.png")));
}

void tst_ProcessProjectfile::pp10PathsVerbatim_data()
{
    QTest::addColumn<QString>("directory");
    QTest::addColumn<QString>("projectName");
    QTest::newRow("spaces") << "aaa bbb"
                            << "project qgis 1.2.qgs";
    QTest::newRow("non-ascii") << QStringLiteral("prøjekt ü") << QStringLiteral("projekt ä 1.qgs");
}

void tst_ProcessProjectfile::pp10PathsVerbatim()
{
    QFETCH(QString, directory);
    QFETCH(QString, projectName);
    WorkerJob job;
    job.environment().remove(QStringLiteral("LANG")); // the worker reads paths as UTF-8 anyway
    QVERIFY(copyDeltaProject(job, directory, projectName));
    const QString projectFile = directory + QLatin1Char('/') + projectName;
    const WorkerResult result =
        runProject(job, projectFile, QStringLiteral("PP-10 ") + projectFile);
    QCOMPARE(result.exitCode, 0);
    QVERIFY2(!result.feedback.contains("error"),
             qPrintable(result.feedback.value("error").toString()));
    QCOMPARE(result.stages(), (QList<int>{2, 2, 2, 2, 2, 2, 2, 2}));
    const QString absolute = job.filesDir() + QLatin1Char('/') + projectFile;
    QVERIFY2(result.log().contains(QLatin1Char('"') + absolute + QLatin1Char('"')),
             "the log names the project file verbatim");
    const QJsonObject layers = result.projectDetails().value("layers_by_id").toObject();
    QCOMPARE(layers.size(), 8);
    for (const QJsonValue &value : layers) {
        const QJsonObject layer = value.toObject();
        QVERIFY(layer.value("is_valid").toBool());
        QVERIFY2(layer.value("filename")
                     .toString()
                     .startsWith(job.filesDir() + QLatin1Char('/') + directory + QLatin1Char('/')),
                 qPrintable(layer.value("filename").toString()));
    }
    QVERIFY(QFileInfo::exists(job.workdir() + QStringLiteral("/thumbnail.png")));

    // and a missing one is reported with its path verbatim
    const WorkerResult missing = runProject(job, directory + QStringLiteral("/missing file.qgs"),
                                            QStringLiteral("PP-10 missing"));
    QCOMPARE(missing.feedback.value("error").toString(),
             QStringLiteral("Project file \"%1/%2/missing file.qgs\" does not exist")
                 .arg(job.filesDir(), directory));
}

void tst_ProcessProjectfile::validityErrors_data()
{
    QTest::addColumn<QString>("copyAs"); // self_contained.qgs under that name, "" = nothing
    QTest::addColumn<QByteArray>("content"); // or a file with this content
    QTest::addColumn<QString>("projectFile");
    QTest::addColumn<QString>("error"); // %1 = the files directory
    QTest::addColumn<QString>("errorType");
    QTest::addColumn<int>("failedStep");

    // spec/worker.md §3.1
    QTest::newRow("missing-file→does-not-exist") << "" << QByteArray() << "nothing.qgs"
                                                 << "Project file \"%1/nothing.qgs\" does not exist"
                                                 << "UNKNOWN" << 2;
    QTest::newRow("txt→unknown-extension")
        << "project.txt" << QByteArray() << "project.txt"
        << "Project file \"%1/project.txt\" has unknown file extension \".txt\""
        << "UNKNOWN" << 2;
    QTest::newRow("upper-case-QGS→unknown-extension")
        << "project.QGS" << QByteArray() << "project.QGS"
        << "Project file \"%1/project.QGS\" has unknown file extension \".QGS\""
        << "UNKNOWN" << 2;
    QTest::newRow("no-extension→unknown-extension")
        << "project" << QByteArray() << "project"
        << "Project file \"%1/project\" has unknown file extension \"\""
        << "UNKNOWN" << 2;
    // a .qgz is not checked as XML; one that is no zip fails where upstream's opening check fails
    QTest::newRow("not-a-zip.qgz→opening-check-fails")
        << "broken.qgz" << QByteArray("this is not a zip archive\n") << "broken.qgz"
        << "Failed to unzip %1/broken.qgz file!"
        << "UNKNOWN" << 3;
    // well-formed XML that QGIS opens as an empty project: no <qgis version> (spec/worker.md §3.3)
    QTest::newRow("not-a-qgis-document→project-details-fails")
        << "page.qgs" << QByteArray("<html><body/></html>\n") << "page.qgs"
        << "Expected root tag \"qgis\", got \"html\""
        << "UNKNOWN" << 4;
}

void tst_ProcessProjectfile::validityErrors()
{
    QFETCH(QString, copyAs);
    QFETCH(QByteArray, content);
    QFETCH(QString, projectFile);
    QFETCH(QString, error);
    QFETCH(QString, errorType);
    QFETCH(int, failedStep);
    WorkerJob job;
    if (!content.isEmpty())
        QVERIFY(job.writeFile(copyAs, content));
    else if (!copyAs.isEmpty())
        QVERIFY(job.addUpstreamFile(QStringLiteral("core/self_contained.qgs"), copyAs));
    const WorkerResult result =
        runProject(job, projectFile, QStringLiteral("validity ") + projectFile);
    QCOMPARE(result.exitCode, 0);
    const QString expected =
        error.contains(QLatin1String("%1")) ? error.arg(job.filesDir()) : error;
    QCOMPARE(result.feedback.value("error").toString(), expected);
    QCOMPARE(result.feedback.value("error_type").toString(), errorType);
    QList<int> stages(8, 0);
    for (int i = 0; i < failedStep; ++i)
        stages[i] = 2;
    stages[failedStep] = 1;
    QCOMPARE(result.stages(), stages);
}

void tst_ProcessProjectfile::qgzProject()
{
    WorkerJob job;
    QVERIFY(job.addFixture(QStringLiteral("self_contained.qgz"),
                           QStringLiteral("zipped/self_contained.qgz")));
    const WorkerResult result = runProject(job, QStringLiteral("zipped/self_contained.qgz"),
                                           QStringLiteral("qgz self_contained"));
    QCOMPARE(result.exitCode, 0);
    QVERIFY2(!result.feedback.contains("error"),
             qPrintable(result.feedback.value("error").toString()));
    QCOMPARE(result.stages(), (QList<int>{2, 2, 2, 2, 2, 2, 2, 2}));
    QCOMPARE(result.projectDetails().value("qgis_version").toString(), QStringLiteral("3.44.7"));
    QCOMPARE(result.layer(QStringLiteral("points_ebcb5304_b8c3_4873_9663_ada8b6fad631"))
                 .value("is_valid")
                 .toBool(),
             true);
}

void tst_ProcessProjectfile::projectSettings_data()
{
    QTest::addColumn<QString>("aoiCrs");
    QTest::addColumn<bool>("aoiExpected");
    QTest::newRow("area-of-interest-in-EPSG:4326") << "EPSG:4326" << true;
    QTest::newRow("area-of-interest-with-invalid-crs→empty") << "EPSG:999999" << false;
}

void tst_ProcessProjectfile::projectSettings()
{
    // spec/worker.md §3.3: title, canvas colour (scope Gui), attachment/data directories (scope
    // QFieldSync, no slash), area of interest (scope qfieldsync, keys with a slash)
    QFETCH(QString, aoiCrs);
    QFETCH(bool, aoiExpected);
    QFile source(WorkerJob::upstreamDir() + QStringLiteral("/core/self_contained.qgs"));
    QVERIFY(source.open(QIODevice::ReadOnly));
    QByteArray xml = source.readAll();
    const QList<QPair<QByteArray, QByteArray>> replacements{
        {"<title></title>\n  <transaction", "<title>Bees &amp; Flowers</title>\n  <transaction"},
        {"<CanvasColorBluePart type=\"int\">255</CanvasColorBluePart>",
         "<CanvasColorBluePart type=\"int\">48</CanvasColorBluePart>"},
        {"<CanvasColorGreenPart type=\"int\">255</CanvasColorGreenPart>",
         "<CanvasColorGreenPart type=\"int\">32</CanvasColorGreenPart>"},
        {"<CanvasColorRedPart type=\"int\">255</CanvasColorRedPart>",
         "<CanvasColorRedPart type=\"int\">16</CanvasColorRedPart>"},
        {"  </properties>",
         "    <QFieldSync>\n"
         "      <attachmentDirs type=\"QStringList\"><value>DCIM</value><value>photos and "
         "videos</value></attachmentDirs>\n"
         "      <dataDirs type=\"QStringList\"><value>data</value></dataDirs>\n"
         "    </QFieldSync>\n"
         "    <qfieldsync>\n"
         "      <areaOfInterest type=\"QString\">POLYGON((7 46, 8 46, 8 47.5, 7 47.5, 7 "
         "46))</areaOfInterest>\n"
         "      <areaOfInterestCrs type=\"QString\">"
             + aoiCrs.toUtf8()
             + "</areaOfInterestCrs>\n"
               "    </qfieldsync>\n"
               "  </properties>"},
    };
    for (const auto &replacement : replacements) {
        QVERIFY2(xml.count(replacement.first) == 1, replacement.first.constData());
        xml.replace(replacement.first, replacement.second);
    }
    WorkerJob job;
    QVERIFY(job.writeFile(QStringLiteral("settings.qgs"), xml));
    const WorkerResult result = runProject(job, QStringLiteral("settings.qgs"),
                                           QStringLiteral("project settings ") + aoiCrs);
    QCOMPARE(result.exitCode, 0);
    QVERIFY2(!result.feedback.contains("error"),
             qPrintable(result.feedback.value("error").toString()));
    const QJsonObject details = result.projectDetails();
    QCOMPARE(details.value("project_name").toString(), QStringLiteral("Bees & Flowers"));
    QCOMPARE(details.value("background_color").toString(), QStringLiteral("#102030"));
    QCOMPARE(details.value("attachment_dirs").toArray(), (QJsonArray{"DCIM", "photos and videos"}));
    QCOMPARE(details.value("data_dirs").toArray(), (QJsonArray{"data"}));
    QCOMPARE(details.value("crs").toString(), QStringLiteral("EPSG:4326"));

    const QString aoi = details.value("area_of_interest").toString();
    if (!aoiExpected) {
        QCOMPARE(aoi, QString());
        return;
    }
    // the bounding box of the area, as a WKT polygon (in EPSG:4326 already, so unchanged)
    QVERIFY2(aoi.startsWith(QLatin1String("POLYGON((")), qPrintable(aoi));
    static const QRegularExpression number(
        QStringLiteral("-?[0-9]+(?:\\.[0-9]+)?(?:e[-+]?[0-9]+)?"));
    QList<double> xs, ys;
    auto it = number.globalMatch(aoi);
    for (int i = 0; it.hasNext(); ++i)
        (i % 2 == 0 ? xs : ys).append(it.next().captured().toDouble());
    QCOMPARE(xs.size(), 5);
    QCOMPARE(*std::min_element(xs.begin(), xs.end()), 7.0);
    QCOMPARE(*std::max_element(xs.begin(), xs.end()), 8.0);
    QCOMPARE(*std::min_element(ys.begin(), ys.end()), 46.0);
    QCOMPARE(*std::max_element(ys.begin(), ys.end()), 47.5);
}

void tst_ProcessProjectfile::feedbackFile()
{
    const WorkerResult &result = deltaRun();
    QVERIFY(result.hasFeedback);
    QVERIFY(QJsonDocument::fromJson(result.feedbackBytes).isObject());
    const QString layoutProblem = checkPythonJsonLayout(result.feedbackBytes);
    QVERIFY2(layoutProblem.isEmpty(), qPrintable(layoutProblem));
    // non-ASCII is escaped as Python's json does (the QGIS release name has some)
    if (WorkerJob::expectedQgisVersion().contains(QStringLiteral("Białowieża")))
        QVERIFY(result.feedbackBytes.contains("Bia\\u0142owie\\u017ca"));

    const QJsonObject feedback = result.feedback;
    QStringList topKeys = feedback.keys();
    topKeys.sort();
    QCOMPARE(topKeys,
             (QStringList{"feedback_version", "outputs", "steps", "workflow_id", "workflow_name",
                          "workflow_version"}));
    QCOMPARE(feedback.value("feedback_version").toString(), QStringLiteral("2.0"));
    QCOMPARE(feedback.value("workflow_id").toString(), QStringLiteral("process_projectfile"));
    QCOMPARE(feedback.value("workflow_name").toString(), QStringLiteral("Process Projectfile"));
    QCOMPARE(feedback.value("workflow_version").toString(), QStringLiteral("2.0"));

    const QJsonArray steps = feedback.value("steps").toArray();
    QCOMPARE(steps.size(), ProcessStepIds.size());
    for (int i = 0; i < steps.size(); ++i) {
        const QJsonObject step = steps.at(i).toObject();
        QStringList stepKeys = step.keys();
        stepKeys.sort();
        QCOMPARE(stepKeys, (QStringList{"id", "name", "returns", "stage"}));
        QCOMPARE(step.value("id").toString(), ProcessStepIds.at(i));
        QCOMPARE(step.value("name").toString(), ProcessStepNames.at(i));
        QCOMPARE(step.value("stage").toInt(), 2);
    }
    QCOMPARE(result.stepReturns("start_qgis_app").keys(), QStringList{"qgis_version"});
    QCOMPARE(result.stepReturns("download_project_directory"),
             (QJsonObject{{"tmp_project_dir", m_deltaJob->workdir()}}));
    QCOMPARE(result.stepReturns("project_details").keys(), QStringList{"project_details"});
    QCOMPARE(result.stepReturns("generate_thumbnail_image"),
             (QJsonObject{{"thumbnail_filename",
                           QString(m_deltaJob->workdir() + QStringLiteral("/thumbnail.png"))}}));

    // outputs: one entry per completed step, holding only declared outputs
    const QJsonObject outputs = feedback.value("outputs").toObject();
    QStringList outputKeys = outputs.keys();
    QStringList expectedKeys = ProcessStepIds;
    outputKeys.sort();
    expectedKeys.sort();
    QCOMPARE(outputKeys, expectedKeys);
    for (const QString &id : ProcessStepIds) {
        if (id == QLatin1String("project_details"))
            QCOMPARE(outputs.value(id).toObject().keys(), QStringList{"project_details"});
        else
            QCOMPARE(outputs.value(id).toObject(), QJsonObject());
    }
    QCOMPARE(outputs.value("project_details").toObject().value("project_details").toObject(),
             result.stepReturns("project_details").value("project_details").toObject());
}

void tst_ProcessProjectfile::logFormatAndStepMarkers()
{
    const WorkerResult &result = deltaRun();
    QCOMPARE(result.standardOutput, QByteArray()); // the log is on stderr only
    const ParsedLog log = parseLog(result.logLines());
    QVERIFY2(log.problem.isEmpty(), qPrintable(log.problem));
    QCOMPARE(log.startedSteps, ProcessStepNames);
    QCOMPARE(log.endStages, result.stages());
    QVERIFY(log.logLines > 20);
    QVERIFY2(log.loggers.contains(QStringLiteral("QGSSTDERR")), "Qt messages are logged");
    QVERIFY(LogLine.match(result.logLines().value(0)).hasMatch());
    // the step markers are lines of their own, never inside a log line
    for (const QString &line : result.logLines()) {
        if (line.contains(QLatin1String("::<<<::")) || line.contains(QLatin1String("::>>>::")))
            QVERIFY2(MarkerStart.match(line).hasMatch() || MarkerEnd.match(line).hasMatch(),
                     qPrintable(line));
    }
}

void tst_ProcessProjectfile::failureStepMarkers()
{
    WorkerJob job;
    QVERIFY(
        job.addUpstreamFile(QStringLiteral("core/delta/broken.qgs"), QStringLiteral("broken.qgs")));
    const WorkerResult result =
        runProject(job, QStringLiteral("broken.qgs"), QStringLiteral("markers on failure"));
    const ParsedLog log = parseLog(result.logLines());
    QVERIFY2(log.problem.isEmpty(), qPrintable(log.problem));
    QCOMPARE(log.startedSteps, ProcessStepNames.mid(0, 3));
    QCOMPARE(log.endStages, (QList<int>{2, 2, 1}));
}

void tst_ProcessProjectfile::passwordRedaction()
{
    // core/delta/project2.qgs has a PostGIS layer with password='test_postgis_db_password'; QGIS
    // logs the data sources of the layers it cannot load
    WorkerJob job;
    QVERIFY(job.addUpstreamFile(QStringLiteral("core/delta/project2.qgs"),
                                QStringLiteral("project2.qgs")));
    const WorkerResult result =
        runProject(job, QStringLiteral("project2.qgs"), QStringLiteral("password redaction"));
    QCOMPARE(result.exitCode, 0);
    QVERIFY(!result.log().contains(QStringLiteral("test_postgis_db_password")));
    QVERIFY2(
        result.log().contains(QStringLiteral("user='test_postgis_db_user' *** sslmode=disable")),
        "the data source is logged with password='…' replaced by ***");
}

void tst_ProcessProjectfile::secretRedaction()
{
    // a secret whose value shows up in QGIS's messages about the missing GeoPackage
    WorkerJob job;
    job.environment().insert(QStringLiteral("QFIELDCLOUD_EXTRA_ENVVARS"),
                             QStringLiteral("[\"QFC_TEST_SECRET\"]"));
    job.environment().insert(QStringLiteral("QFC_TEST_SECRET"),
                             QStringLiteral("bumblebees_doesnotexist"));
    QVERIFY(job.addUpstreamFile(QStringLiteral("core/simple_bumblebees_wrong_localized.qgs"),
                                QStringLiteral("p.qgs")));
    QVERIFY(job.addUpstreamFile(QStringLiteral("core/bumblebees.gpkg"),
                                QStringLiteral("bumblebees.gpkg")));
    const WorkerResult result =
        runProject(job, QStringLiteral("p.qgs"), QStringLiteral("secret redaction"));
    QCOMPARE(result.exitCode, 0);
    QVERIFY(result.log().contains(
        QStringLiteral("Available user defined environment variables: [\"QFC_TEST_SECRET\"]")));
    QVERIFY(!result.log().contains(QStringLiteral("bumblebees_doesnotexist")));
    QVERIFY(result.log().contains(QStringLiteral("***.gpkg")));
    // the feedback is not a log: the value is still there
    QVERIFY(result.feedbackBytes.contains("bumblebees_doesnotexist.gpkg"));
}

void tst_ProcessProjectfile::thumbnail()
{
    const WorkerResult &result = deltaRun();
    const QString path = m_deltaJob->workdir() + QStringLiteral("/thumbnail.png");
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray bytes = file.readAll();
    QVERIFY(bytes.startsWith(QByteArray("\x89PNG\r\n\x1a\n", 8)));
    const QImage image = QImage::fromData(bytes, "PNG");
    QVERIFY(!image.isNull());
    QCOMPARE(image.size(), QSize(100, 100));
    QSet<QRgb> colors;
    for (int y = 0; y < image.height(); ++y) {
        for (int x = 0; x < image.width(); ++x)
            colors.insert(image.pixel(x, y));
    }
    QVERIFY2(colors.size() > 1, "features are drawn on the background");
    QCOMPARE(result.stepReturns("upload_thumbnail"), QJsonObject());
    // QGIS used the runner's profile (the --help test relies on this directory staying empty)
    QVERIFY(
        QFileInfo(m_deltaJob->workdir() + QStringLiteral("/qgis-config/profiles/default")).isDir());
}

// The values of every showFeatureCount setting of the legend (spec/worker.md §3.2): legendlayer
// attributes and layer-tree-layer custom properties, in the 3.x (<Option>) and the older
// (<property>) form.
static QStringList featureCountSettings(const QString &projectPath)
{
    QFile file(projectPath);
    QDomDocument document;
    if (!file.open(QIODevice::ReadOnly) || !document.setContent(&file))
        return {QStringLiteral("unreadable")};
    QStringList values;
    const QDomNodeList legendLayers = document.elementsByTagName(QStringLiteral("legendlayer"));
    for (int i = 0; i < legendLayers.size(); ++i) {
        const QDomElement element = legendLayers.at(i).toElement();
        if (element.hasAttribute(QStringLiteral("showFeatureCount")))
            values << element.attribute(QStringLiteral("showFeatureCount"));
    }
    for (const char *tag : {"Option", "property"}) {
        const QDomNodeList nodes = document.elementsByTagName(QLatin1String(tag));
        for (int i = 0; i < nodes.size(); ++i) {
            const QDomElement element = nodes.at(i).toElement();
            const QString name = element.attribute(
                qstrcmp(tag, "Option") == 0 ? QStringLiteral("name") : QStringLiteral("key"));
            if (name == QLatin1String("showFeatureCount"))
                values << element.attribute(QStringLiteral("value"));
        }
    }
    return values;
}

void tst_ProcessProjectfile::featureCountDisabled()
{
    // the uploads have feature counts switched on
    QVERIFY(
        featureCountSettings(WorkerJob::upstreamDir() + QStringLiteral("/core/delta/project.qgs"))
            .contains(QStringLiteral("1")));
    QVERIFY(featureCountSettings(WorkerJob::upstreamDir()
                                 + QStringLiteral("/core/simple_bumblebees.qgs"))
                .contains(QStringLiteral("1")));

    const WorkerResult &delta = deltaRun();
    QVERIFY(!delta.feedback.contains("error"));
    QStringList values =
        featureCountSettings(m_deltaJob->filesDir() + QStringLiteral("/project.qgs"));
    QVERIFY(!values.isEmpty());
    QCOMPARE(values.filter(QRegularExpression(QStringLiteral("\\A0\\z"))), values);

    WorkerJob job;
    QVERIFY(job.addUpstreamFile(QStringLiteral("core/simple_bumblebees.qgs"),
                                QStringLiteral("bees.qgs")));
    QVERIFY(job.addUpstreamFile(QStringLiteral("core/bumblebees.gpkg"),
                                QStringLiteral("bumblebees.gpkg")));
    const WorkerResult result =
        runProject(job, QStringLiteral("bees.qgs"), QStringLiteral("feature count, old format"));
    QCOMPARE(result.exitCode, 0);
    QVERIFY2(!result.feedback.contains("error"),
             qPrintable(result.feedback.value("error").toString()));
    values = featureCountSettings(job.filesDir() + QStringLiteral("/bees.qgs"));
    QVERIFY(!values.isEmpty());
    QCOMPARE(values.filter(QRegularExpression(QStringLiteral("\\A0\\z"))), values);
    // the layers still load from the rewritten file
    QCOMPARE(result.layer(QStringLiteral("apiary_27954fba_aad8_4336_8b19_23afed462c51"))
                 .value("is_valid")
                 .toBool(),
             true);
}

void tst_ProcessProjectfile::layersOutsideWorkdir()
{
    // spec/worker.md §7.8: a layer pointing outside the work directory is reported like a
    // missing file, although the file exists
    WorkerJob job;
    QVERIFY(copyDeltaProject(job, QString()));
    const QString outside = job.scratchDir() + QStringLiteral("/outside");
    QVERIFY(QDir().mkpath(outside));
    QVERIFY(QFile::copy(WorkerJob::upstreamDir() + QStringLiteral("/core/delta/testdata.gpkg"),
                        outside + QStringLiteral("/testdata.gpkg")));
    QVERIFY(QFile::copy(WorkerJob::upstreamDir() + QStringLiteral("/core/delta/points.geojson"),
                        outside + QStringLiteral("/points.geojson")));
    QVERIFY(QFile::link(outside + QStringLiteral("/testdata.gpkg"),
                        job.filesDir() + QStringLiteral("/link.gpkg")));

    QFile project(job.filesDir() + QStringLiteral("/project.qgs"));
    QVERIFY(project.open(QIODevice::ReadOnly));
    QByteArray xml = project.readAll();
    project.close();
    const QList<QPair<QByteArray, QByteArray>> replacements{
        // absolute path
        {"<datasource>./testdata.gpkg|layername=points_xy</datasource>",
         "<datasource>" + outside.toUtf8() + "/testdata.gpkg|layername=points_xy</datasource>"},
        // relative path climbing out of files/
        {"<datasource>./points.geojson</datasource>",
         "<datasource>../../outside/points.geojson</datasource>"},
        // a symbolic link inside files/ to a file outside
        {"<datasource>./testdata.gpkg|layername=polygons</datasource>",
         "<datasource>./link.gpkg|layername=polygons</datasource>"},
    };
    for (const auto &replacement : replacements) {
        QVERIFY2(xml.contains(replacement.first), replacement.first.constData());
        xml.replace(replacement.first, replacement.second);
    }
    QVERIFY(job.writeFile(QStringLiteral("project.qgs"), xml));

    const WorkerResult result =
        runProject(job, QStringLiteral("project.qgs"), QStringLiteral("layers outside workdir"));
    QCOMPARE(result.exitCode, 0);
    QVERIFY2(!result.feedback.contains("error"),
             qPrintable(result.feedback.value("error").toString()));
    const QList<QPair<QString, QString>> expected{
        {"points_xy_897d5ed7_b810_4624_abe3_9f7c0a93d6a1",
         outside + QStringLiteral("/testdata.gpkg")},
        {"points_c2784cf9_c9c3_45f6_9ce5_98a6047e4d6c",
         outside + QStringLiteral("/points.geojson")},
        {"polygons_f18b6046_8e46_4206_a698_641c58e5ac73",
         job.filesDir() + QStringLiteral("/link.gpkg")},
    };
    for (const auto &[id, path] : expected) {
        const QJsonObject layer = result.layer(id);
        QVERIFY2(!layer.isEmpty(), qPrintable(id));
        QCOMPARE(layer.value("is_valid").toBool(true), false);
        QCOMPARE(layer.value("error_code").toString(), QStringLiteral("invalid_dataprovider"));
        QCOMPARE(layer.value("error_summary").toString(),
                 QStringLiteral("File \"%1\" missing.").arg(path));
        QCOMPARE(layer.value("filename").toString(), path);
    }
    // the others still load, and the outside files are there (so "missing" is the confinement)
    QCOMPARE(result.layer(QStringLiteral("points_xyz_ff574332_1ff5_47e6_8d6a_15f68e0c7cd1"))
                 .value("is_valid")
                 .toBool(),
             true);
    QVERIFY(QFileInfo::exists(outside + QStringLiteral("/testdata.gpkg")));
    QVERIFY(QFileInfo::exists(outside + QStringLiteral("/points.geojson")));
}

void tst_ProcessProjectfile::gdalMessagesInTheLog()
{
    // GDAL reports errors itself (on stderr by default): they must come as log lines too
    WorkerJob job;
    QVERIFY(job.addFixture(QStringLiteral("not_georeferenced.tif"), QStringLiteral("raster.tif")));
    QVERIFY(job.writeFile(
        QStringLiteral("raster.qgs"),
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        "<qgis version=\"3.22.16-Bialowieza\" projectname=\"raster\">\n"
        "  <projectlayers>\n"
        "    <maplayer type=\"raster\"><id>raster_1</id><datasource>./raster.tif</datasource>"
        "<layername>raster</layername><provider>gdal</provider></maplayer>\n"
        "  </projectlayers>\n"
        "</qgis>\n"));
    const WorkerResult result =
        runProject(job, QStringLiteral("raster.qgs"), QStringLiteral("GDAL messages"));
    QCOMPARE(result.exitCode, 0);
    QVERIFY2(!result.feedback.contains("error"),
             qPrintable(result.feedback.value("error").toString()));
    const QRegularExpression gdalLine(QStringLiteral(
        "\\A\\d\\d:\\d\\d:\\d\\d\\.\\d{3} GDAL      ERROR    Unable to compute a transformation "));
    bool logged = false;
    for (const QString &line : result.logLines()) {
        QVERIFY2(!line.startsWith(QLatin1String("ERROR ")), qPrintable(line));
        logged = logged || gdalLine.match(line).hasMatch();
    }
    QVERIFY2(logged, qPrintable(result.log()));
    const ParsedLog log = parseLog(result.logLines());
    QVERIFY2(log.problem.isEmpty(), qPrintable(log.problem));
}

void tst_ProcessProjectfile::withoutRunnerEnvironment()
{
    // No QT_QPA_PLATFORM (QGIS aborts without a display unless the worker sets "offscreen"), no
    // HOME/TMPDIR/XDG_RUNTIME_DIR/QGIS_CUSTOM_CONFIG_PATH, no LANG: the worker still runs and
    // keeps what QGIS writes inside the work directory.
    WorkerJob job;
    QVERIFY(
        job.addUpstreamFile(QStringLiteral("core/self_contained.qgs"), QStringLiteral("p.qgs")));
    QProcessEnvironment bare;
    bare.insert(QStringLiteral("PATH"), job.environment().value(QStringLiteral("PATH")));
    job.environment() = bare;
    const WorkerResult result =
        runProject(job, QStringLiteral("p.qgs"), QStringLiteral("bare environment"));
    QCOMPARE(result.exitCode, 0);
    QVERIFY2(!result.feedback.contains("error"),
             qPrintable(result.feedback.value("error").toString()));
    QVERIFY(QFileInfo(job.workdir() + QStringLiteral("/.qfc-worker/qgis-config/profiles/default"))
                .isDir());
    const QStringList outside =
        QDir(job.scratchDir()).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot);
    QCOMPARE(outside, QStringList{"work"});
}

void tst_ProcessProjectfile::cleanupTestCase()
{
    qint64 total = 0;
    for (const auto &timing : std::as_const(m_timings)) {
        qInfo("%-55s %6lld ms", qPrintable(timing.first), timing.second);
        total += timing.second;
    }
    qInfo("%d worker runs, %lld ms", int(m_timings.size()), total);
}

QTEST_GUILESS_MAIN(tst_ProcessProjectfile)
#include "tst_processprojectfile.moc"
