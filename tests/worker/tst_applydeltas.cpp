// apply_deltas on the real qfc-worker (spec/worker.md §5, test cases §6.1 and §6.4): the upstream
// F-delta fixture (core/delta/{project.qgs, testdata.gpkg, points.geojson, polygons.geojson,
// nonspatial.csv}) is laid out as the runner lays out a job, the upstream deltafiles are handed
// over as the runner writes them (their `project` replaced by the job's project, `clientPks`
// added), and the test asserts what the server would read (feedback.json, the
// `delta_feedback` entries) and what it would store back (the data files, read with Qt's QSQLITE
// driver and by parsing GeoJSON/CSV, never through QGIS). Expected values come from the spec and
// the test data.
//
// DA-15's GeoPackage half also runs alone in da15GeoPackageHalf.
//
// Server-side halves not tested here: DA-07's re-upload (no new delta, no job), DA-10's listing by
// deltafile id, DA-23's `unpermitted` patch, DA-24's 400, DA-25 (plan without jobs) and DA-26's
// "external DB not allowed" part.
//
// DA-26 runs against the PostGIS of the `postgis` CTest fixture (tests/scripts/postgis.sh,
// tests/data/postgis/delta.sql): its pg_service.conf (QFC_TEST_PGSERVICEFILE) has the service
//   [qfc_test_delta]  a database with table public.point(id integer primary key, name text)
//                     holding (1, hello-1), (2, hello-2), writable by the service's user
// The worker gets a copy as <workdir>/pg_service.conf named by PGSERVICEFILE (as the runner
// passes the pgservice secrets), the project's plain-text connection is rewritten to
// service='qfc_test_delta'; the test reads the table back with Qt's QPSQL driver and deletes the
// created row again. Under CTest a fixture that did not start fails it; run by hand without
// QFC_TEST_PGSERVICEFILE and QFC_TEST_POSTGIS_ENV it is skipped.

#include "datareader.h"
#include "workerjob.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>
#include <QUuid>

#include <functional>

namespace {

// spec/worker.md §1.5
const QStringList ApplyStepIds{"start_qgis_app", "download_project_directory", "apply_deltas",
                               "stop_qgis_app", "upload_project_directory"};
const QStringList ApplyStepNames{"Start QGIS Application", "Download Project Directory",
                                 "Apply Deltas", "Stop QGIS Application", "Upload Project"};
// spec/worker.md §5.9
const QStringList EntryKeys{"conflicts",   "delta_file_id", "delta_id",        "delta_index",
                            "e_type",      "feature_pk",    "layer_id",        "method",
                            "modified_pk", "msg",           "provider_errors", "status"};
const QString Applied = QStringLiteral("status_applied");
const QString Conflict = QStringLiteral("status_conflict");
const QString ApplyFailed = QStringLiteral("status_apply_failed");
const QString UnknownError = QStringLiteral("status_unknown_error");
const QString AppliedMessage = QStringLiteral("Successfully applied delta!");

// spec/worker.md §6 (layer ids of F-delta)
const QString PointsXy = QStringLiteral("points_xy_897d5ed7_b810_4624_abe3_9f7c0a93d6a1");
const QString PointsXyz = QStringLiteral("points_xyz_ff574332_1ff5_47e6_8d6a_15f68e0c7cd1");
const QString PointsXyzm = QStringLiteral("points_xyzm_1cb6363a_5a99_4090_aeaf_d88deec2a3d8");
const QString PolygonsGpkg = QStringLiteral("polygons_f18b6046_8e46_4206_a698_641c58e5ac73");
const QString PolygonsGeoJson = QStringLiteral("polygons_5096fc7b_b106_4740_90b4_9de822382d71");
const QString PointsGeoJson = QStringLiteral("points_c2784cf9_c9c3_45f6_9ce5_98a6047e4d6c");
const QString Nonspatial = QStringLiteral("nonspatial_5b9be5d0_6faa_4c14_825d_7889615c842c");
const QString Client1 = QStringLiteral("cd517e24-a520-4021-8850-e5af70e3a612");
const QString Client2 = QStringLiteral("7cdbf420-6872-40c6-ad79-1423c6e5bd2a");

const QStringList FDeltaFiles{"project.qgs", "testdata.gpkg", "points.geojson", "polygons.geojson",
                              "nonspatial.csv"};

// The F-delta data as spec/worker.md §6 describes it: "fid | int | dbl | str | geom".
const QStringList InitialPointsXy{"1 | 1 | 0.1 | str1 | Point (1 0)",
                                  "2 | 2 | 0.2 | str2 | Point (5 0)",
                                  "3 | 3 | 0.3 | str3 | Point (9 0)"};
const QStringList InitialPointsXyz{"1 | 1 | 0.1 | str1 | PointZ (1 0 0)",
                                   "2 | 2 | 0.2 | str2 | PointZ (5 0 0)",
                                   "3 | 3 | 0.3 | str3 | PointZ (9 0 0)"};
const QStringList InitialPointsXyzm{"1 | 1 | 0.1 | str1 | PointZM (1 0 0 0)",
                                    "2 | 2 | 0.2 | str2 | PointZM (5 0 0 0)",
                                    "3 | 3 | 0.3 | str3 | PointZM (9 0 0 0)"};
const QStringList InitialPolygons{"1 | 8 | 0.8 | str8 | Polygon ((2 2, 5 2, 5 5, 2 5, 2 2))",
                                  "2 | 9 | 0.9 | str9 | Polygon ((6 2, 9 2, 9 5, 6 5, 6 2))"};
const QStringList PointColumns{"fid", "int", "dbl", "str", "geom"};
const QByteArray InitialCsv("fid,col1\n\"1\",foo\n");

#define CALL(function)                  \
    do {                                \
        function;                       \
        if (QTest::currentTestFailed()) \
            return;                     \
    } while (false)

QByteArray readBytes(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

bool writeBytes(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate)
        && file.write(bytes) == bytes.size();
}

// The runner's copies are ordinary files (the upstream test data is read-only on disk).
bool makeWritable(const QString &directory)
{
    QDirIterator it(directory, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        if (!QFile::setPermissions(it.next(),
                                   QFileDevice::ReadOwner | QFileDevice::WriteOwner
                                       | QFileDevice::ReadGroup | QFileDevice::ReadOther))
            return false;
    }
    return true;
}

bool setUpFiles(WorkerJob &job, const QString &sourceDir, const QStringList &names)
{
    for (const QString &name : names) {
        if (!job.addUpstreamFile(sourceDir + QLatin1Char('/') + name, name))
            return false;
    }
    return makeWritable(job.filesDir());
}

bool setUpFDelta(WorkerJob &job)
{
    return setUpFiles(job, QStringLiteral("core/delta"), FDeltaFiles);
}

QString newUuid()
{
    return QUuid::createUuid().toString(QUuid::WithoutBraces);
}

// An upstream deltafile as the upstream tests upload it: `project` replaced by the job's project.
// With `serverNulStripping` the literal \u0000 escapes are removed first, as the server does
// before parsing (spec/worker.md §5.2).
QJsonObject upstreamDeltafile(const QString &relativePath, bool serverNulStripping = false)
{
    QByteArray raw = readBytes(WorkerJob::upstreamDir() + QLatin1Char('/') + relativePath);
    if (serverNulStripping)
        raw.replace("\\u0000", "");
    QJsonObject object = QJsonDocument::fromJson(raw).object();
    if (object.isEmpty())
        return object;
    object.insert(QStringLiteral("project"), WorkerJob::ProjectId);
    return object;
}

QJsonObject withClientPks(QJsonObject deltafile, const QJsonObject &clientPks = {})
{
    deltafile.insert(QStringLiteral("clientPks"), clientPks);
    return deltafile;
}

QJsonArray deltasOf(const QJsonObject &deltafile)
{
    return deltafile.value(QLatin1String("deltas")).toArray();
}

// A deltafile as the runner writes it for a job made of stored deltas (spec/worker.md §5.2).
QJsonObject runnerDeltafile(const QJsonArray &deltas, const QJsonObject &clientPks = {})
{
    return QJsonObject{{"deltas", deltas},
                       {"files", QJsonArray()},
                       {"id", newUuid()},
                       {"project", WorkerJob::ProjectId},
                       {"version", QStringLiteral("1.0")},
                       {"clientPks", clientPks}};
}

QJsonObject deltaByUuid(const QString &relativePath, const QString &uuid)
{
    const QJsonArray deltas = deltasOf(upstreamDeltafile(relativePath));
    for (const QJsonValue &delta : deltas) {
        if (delta.toObject().value(QLatin1String("uuid")).toString() == uuid)
            return delta.toObject();
    }
    return {};
}

WorkerResult runApply(WorkerJob &job, const QJsonObject &deltafile, bool overwriteConflicts,
                      const QString &projectFile = QStringLiteral("project.qgs"),
                      const QStringList &extraArguments = {})
{
    if (!deltafile.isEmpty())
        writeBytes(job.workdir() + QStringLiteral("/deltafile.json"),
                   QJsonDocument(deltafile).toJson());
    QStringList arguments{QStringLiteral("apply_deltas"),
                          QStringLiteral("--project-id"),
                          WorkerJob::ProjectId,
                          QStringLiteral("--project-file"),
                          projectFile,
                          QStringLiteral("--workdir"),
                          job.workdir()};
    if (overwriteConflicts)
        arguments.append(QStringLiteral("--overwrite-conflicts"));
    arguments += extraArguments;
    return job.run(arguments);
}

QJsonArray deltaFeedback(const WorkerResult &result)
{
    return result.feedback.value(QLatin1String("outputs"))
        .toObject()
        .value(QLatin1String("apply_deltas"))
        .toObject()
        .value(QLatin1String("delta_feedback"))
        .toArray();
}

QStringList statusesOf(const QJsonArray &feedback)
{
    QStringList statuses;
    for (const QJsonValue &entry : feedback)
        statuses.append(entry.toObject().value(QLatin1String("status")).toString());
    return statuses;
}

QString valueText(const QVariant &value)
{
    if (value.isNull())
        return QStringLiteral("NULL");
    switch (value.typeId()) {
    case QMetaType::Double:
        return QString::number(value.toDouble(), 'g', QLocale::FloatingPointShortest);
    case QMetaType::QByteArray:
        return QStringLiteral("x'%1'").arg(QString::fromLatin1(value.toByteArray().toHex()));
    default:
        return value.toString();
    }
}

struct Table
{
    QList<QVariantMap> rows;
    QString error;

    // "v1 | v2 | ..." per row
    QStringList text(const QStringList &columns) const
    {
        QStringList lines;
        for (const QVariantMap &row : rows) {
            QStringList values;
            for (const QString &column : columns)
                values.append(valueText(row.value(column)));
            lines.append(values.join(QLatin1String(" | ")));
        }
        return lines;
    }

    QList<qlonglong> integers(const QString &column) const
    {
        QList<qlonglong> values;
        for (const QVariantMap &row : rows)
            values.append(row.value(column).toLongLong());
        return values;
    }

    QVariantMap row(qlonglong fid) const
    {
        for (const QVariantMap &row : rows) {
            if (row.value(QStringLiteral("fid")).toLongLong() == fid)
                return row;
        }
        return {};
    }
};

QStringList rowText(const QVariantMap &row, const QStringList &columns)
{
    return Table{{row}, QString()}.text(columns);
}

Table gpkgTable(const WorkerJob &job, const QString &table,
                const QString &file = QStringLiteral("testdata.gpkg"),
                const QString &geometryColumn = QStringLiteral("geom"))
{
    Table result;
    result.rows = DataReader::gpkgRows(job.filesDir() + QLatin1Char('/') + file, table,
                                       &result.error, geometryColumn);
    return result;
}

#define READ_TABLE(variable, ...)                  \
    const Table variable = gpkgTable(__VA_ARGS__); \
    QVERIFY2(variable.error.isEmpty(), qPrintable(variable.error))

// "fid | int | dbl | str | geom" of the GeoJSON points/polygons layers.
QStringList geoJsonText(const WorkerJob &job, const QString &name, QString *error)
{
    QStringList lines;
    const QList<QJsonObject> features =
        DataReader::geoJsonFeatures(job.filesDir() + QLatin1Char('/') + name, error);
    for (const QJsonObject &feature : features) {
        const QJsonObject properties = feature.value(QLatin1String("properties")).toObject();
        QStringList values;
        for (const char *key : {"fid", "int", "dbl", "str"}) {
            const QJsonValue value = properties.value(QLatin1String(key));
            values.append(value.isNull() || value.isUndefined() ? QStringLiteral("NULL")
                                                                : valueText(value.toVariant()));
        }
        values.append(DataReader::geoJsonGeometryText(feature.value(QLatin1String("geometry"))));
        lines.append(values.join(QLatin1String(" | ")));
    }
    return lines;
}

QString describe(const WorkerResult &result)
{
    return QStringLiteral("exit %1, feedback:\n%2\nlog:\n%3")
        .arg(result.exitCode)
        .arg(QString::fromUtf8(result.feedbackBytes), result.log());
}

// Every run: no SQLite sidecar survives, the GeoPackages are back in rollback-journal mode, the
// project file is never rewritten (spec/worker.md §2.1, §5.4 step 11).
void verifyFilesClosed(const WorkerJob &job, const QString &projectFile,
                       const QByteArray &originalProject)
{
    const QStringList sidecars = DataReader::sqliteSidecars(job.workdir());
    QVERIFY2(sidecars.isEmpty(), qPrintable(sidecars.join(QLatin1String(", "))));
    QDirIterator it(job.filesDir(), {QStringLiteral("*.gpkg")}, QDir::Files,
                    QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        QVERIFY2(DataReader::sqliteWriteVersion(path) == 1,
                 qPrintable(QStringLiteral("%1 is left in WAL mode").arg(path)));
    }
    if (!originalProject.isEmpty())
        QVERIFY2(readBytes(job.filesDir() + QLatin1Char('/') + projectFile) == originalProject,
                 "the project file was rewritten");
}

// The shape of one entry (spec/worker.md §5.9) against the delta it reports.
void verifyEntry(const QJsonObject &entry, int index, const QJsonObject &deltafile)
{
    QStringList keys = entry.keys();
    QCOMPARE(keys, EntryKeys);
    const QJsonObject delta = deltasOf(deltafile).at(index).toObject();
    QCOMPARE(entry.value("delta_index").type(), QJsonValue::Double);
    QCOMPARE(entry.value("delta_index").toInt(-1), index);
    QCOMPARE(entry.value("delta_id").toString(), delta.value("uuid").toString());
    QCOMPARE(entry.value("delta_file_id").toString(), deltafile.value("id").toString());
    QCOMPARE(entry.value("method").toString(), delta.value("method").toString());
    const QString sourceLayerId = delta.value("sourceLayerId").toString();
    QCOMPARE(entry.value("layer_id").toString(),
             sourceLayerId.isEmpty() ? delta.value("localLayerId").toString() : sourceLayerId);
    QVERIFY(entry.value("msg").isString());

    const QString status = entry.value("status").toString();
    const QJsonValue errorType = entry.value("e_type");
    const QJsonValue conflicts = entry.value("conflicts");
    const QJsonValue providerErrors = entry.value("provider_errors");
    const QJsonValue modifiedPk = entry.value("modified_pk");
    QVERIFY(providerErrors.isNull() || providerErrors.isArray());
    for (const QJsonValue &error : providerErrors.toArray())
        QVERIFY(error.isString());
    if (status == Applied) {
        QVERIFY(errorType.isNull());
        QCOMPARE(entry.value("msg").toString(), AppliedMessage);
        QVERIFY(conflicts.isNull());
        QVERIFY(providerErrors.isNull());
        QVERIFY2(modifiedPk.isDouble() || modifiedPk.isString(), "modified_pk of an applied delta");
        QCOMPARE(entry.value("feature_pk").toString(), delta.value("sourcePk").toString());
    } else if (status == Conflict) {
        QCOMPARE(errorType.toString(), QStringLiteral("CONFLICT"));
        QVERIFY(conflicts.isArray() && !conflicts.toArray().isEmpty());
        for (const QJsonValue &conflict : conflicts.toArray())
            QVERIFY(conflict.isString());
        QVERIFY(modifiedPk.isNull());
        QCOMPARE(entry.value("feature_pk").toString(), delta.value("sourcePk").toString());
    } else if (status == ApplyFailed) {
        QCOMPARE(errorType.toString(), QStringLiteral("ERROR"));
        QVERIFY(conflicts.isNull());
        QVERIFY(modifiedPk.isNull());
        QCOMPARE(entry.value("feature_pk").toString(), delta.value("sourcePk").toString());
    } else {
        QCOMPARE(status, UnknownError);
        QVERIFY(errorType.isNull());
        QVERIFY(entry.value("feature_pk").isNull());
        QVERIFY(modifiedPk.isNull());
    }
}

// A finished apply job: feedback without error, every step completed, one well-formed entry per
// delta, files closed.
void verifyFinished(const WorkerResult &result, const WorkerJob &job, const QJsonObject &deltafile,
                    const QString &projectFile = QStringLiteral("project.qgs"),
                    const QByteArray &originalProject = QByteArray())
{
    QVERIFY2(result.finished && result.exitCode == 0 && result.hasFeedback,
             qPrintable(describe(result)));
    QVERIFY2(!result.feedback.contains("error"), qPrintable(describe(result)));
    QCOMPARE(result.feedback.value("workflow_id").toString(), QStringLiteral("apply_changes"));
    QCOMPARE(result.feedback.value("workflow_name").toString(), QStringLiteral("Apply Changes"));
    QCOMPARE(result.feedback.value("workflow_version").toString(), QStringLiteral("3.0"));
    QStringList ids;
    QStringList names;
    const QJsonArray steps = result.feedback.value("steps").toArray();
    for (const QJsonValue &step : steps) {
        ids.append(step.toObject().value("id").toString());
        names.append(step.toObject().value("name").toString());
    }
    QCOMPARE(ids, ApplyStepIds);
    QCOMPARE(names, ApplyStepNames);
    QCOMPARE(result.stages(), (QList<int>{2, 2, 2, 2, 2}));
    const QJsonObject outputs = result.feedback.value("outputs").toObject();
    QCOMPARE(outputs.keys(),
             (QStringList{"apply_deltas", "download_project_directory", "start_qgis_app",
                          "stop_qgis_app", "upload_project_directory"}));
    QCOMPARE(outputs.value("apply_deltas").toObject().keys(), QStringList{"delta_feedback"});
    const QJsonArray feedback = deltaFeedback(result);
    QCOMPARE(feedback.size(), deltasOf(deltafile).size());
    for (int i = 0; i < feedback.size(); ++i)
        CALL(verifyEntry(feedback.at(i).toObject(), i, deltafile));
    CALL(verifyFilesClosed(job, projectFile, originalProject));
}

// A failed apply job: the workflow stopped at apply_deltas, no delta_feedback output.
void verifyFailedAtApply(const WorkerResult &result, const WorkerJob &job, const QString &errorType)
{
    QVERIFY2(result.finished && result.exitCode == 0 && result.hasFeedback,
             qPrintable(describe(result)));
    QVERIFY2(result.feedback.contains("error"), qPrintable(describe(result)));
    QCOMPARE(result.feedback.value("error_type").toString(), errorType);
    QCOMPARE(result.stages(), (QList<int>{2, 2, 1, 0, 0}));
    QVERIFY(!result.feedback.value("outputs").toObject().contains("apply_deltas"));
    QVERIFY(result.stepReturns(QStringLiteral("apply_deltas")).isEmpty());
    CALL(verifyFilesClosed(job, QString(), QByteArray()));
}

QJsonObject clientPk(const QString &clientId, const QString &layerId, const QString &localPk,
                     const QString &pk)
{
    return {{clientId + QStringLiteral("__") + layerId + QStringLiteral("__") + localPk, pk}};
}

// What the runner keeps of the deltas it ran (spec/worker.md §5.2, §5.9): the delta content and
// its last_modified_pk (the text of modified_pk), to build the clientPks of later jobs.
class RunnerMemory
{
public:
    void record(const QJsonObject &deltafile, const QJsonArray &feedback)
    {
        const QJsonArray deltas = deltasOf(deltafile);
        for (int i = 0; i < deltas.size() && i < feedback.size(); ++i) {
            const QJsonValue pk = feedback.at(i).toObject().value("modified_pk");
            if (pk.isNull() || pk.isUndefined())
                continue;
            const QString text = pk.isString() ? pk.toString() : QString::number(pk.toInteger());
            m_stored.append({deltas.at(i).toObject(), text});
        }
    }

    // clientPks for a job of `deltas`: every stored delta of one of their clients with a pk.
    QJsonObject clientPksFor(const QJsonArray &deltas) const
    {
        QSet<QString> clients;
        for (const QJsonValue &delta : deltas)
            clients.insert(delta.toObject().value("clientId").toString());
        QJsonObject map;
        for (const auto &[delta, pk] : m_stored) {
            const QString client = delta.value("clientId").toString();
            if (!clients.contains(client))
                continue;
            map.insert(client + QStringLiteral("__") + delta.value("localLayerId").toString()
                           + QStringLiteral("__") + delta.value("localPk").toString(),
                       pk);
        }
        return map;
    }

private:
    QList<std::pair<QJsonObject, QString>> m_stored;
};

} // namespace

class tst_ApplyDeltas final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();

    void fixtureAsSpecified();

    void da01PatchOneAttribute();
    void da02EmptySourceLayerId();
    void da03EmptyStringAfterNulStripping();
    void da04UnknownLayer();
    void da05ConflictOverwritten();
    void da06ConflictKept();
    void da07ReapplyWithNewContent();
    void da08TwoDeltasInOneJob();
    void da09SingleLayerMultiDelta();
    void da10SequentialJobs();
    void da11BackToBack();
    void da12TwoProjects();
    void da13MultiLayerMultiDelta();
    void da14MultiStageTwoClients();
    void da15SameLocalPkInTwoLayers();
    void da15GeoPackageHalf();
    void da16XyForXyzLayer();
    void da17XyzForXyzLayer_data();
    void da17XyzForXyzLayer();
    void da18ForXyzmLayer_data();
    void da18ForXyzmLayer();
    void da19NonSpatialCsv();
    void da20NonSpatialEmptyGeometry();
    void da21SpecialDataTypes();
    void da22ApplyOnUpdateDefaults();
    void da23CreateOfAReporter();
    void da24InvalidDeltafile_data();
    void da24InvalidDeltafile();
    void da26PostGis();

    void legacyProject2apply_data();
    void legacyProject2apply();

    void expectedFailures_data();
    void expectedFailures();
    void patchGeometryToNull();
    void unexpectedErrorAbortsJob_data();
    void unexpectedErrorAbortsJob();
    void deltaIsItsOwnTransaction();
    void createThenPatchInOneJob();
    void fileOrderIsApplicationOrder();
    void reapplyingCreateDuplicates();
    void missingClientPksTolerated();
    void deltafileOption();
    void missingProjectFile();
};

void tst_ApplyDeltas::initTestCase()
{
    QVERIFY2(QFileInfo(WorkerJob::workerPath()).isExecutable(),
             "QFC_TEST_WORKER_BINARY is not set");
    QVERIFY2(
        QFileInfo::exists(WorkerJob::upstreamDir() + QStringLiteral("/core/delta/testdata.gpkg")),
        "QFC_TEST_UPSTREAM_DATA is not set");
    QVERIFY2(QSqlDatabase::isDriverAvailable(QStringLiteral("QSQLITE")),
             "Qt's QSQLITE driver is needed to read GeoPackages");
}

// The readers of this test see F-delta as spec/worker.md §6 describes it.
void tst_ApplyDeltas::fixtureAsSpecified()
{
    WorkerJob job;
    QVERIFY(job.isValid());
    QVERIFY(setUpFDelta(job));
    READ_TABLE(xy, job, "points_xy");
    QCOMPARE(xy.text(PointColumns), InitialPointsXy);
    READ_TABLE(xyz, job, "points_xyz");
    QCOMPARE(xyz.text(PointColumns), InitialPointsXyz);
    READ_TABLE(xyzm, job, "points_xyzm");
    QCOMPARE(xyzm.text(PointColumns), InitialPointsXyzm);
    READ_TABLE(polygons, job, "polygons");
    QCOMPARE(polygons.text(PointColumns), InitialPolygons);
    READ_TABLE(special, job, "special_data_types", QStringLiteral("testdata.gpkg"), QString());
    QCOMPARE(special.text({"fid", "col_date", "col_datetime", "col_binary"}),
             QStringList{"1 | 2023-02-22 | 2023-02-22T01:23:45.678 | foo"});
    QString error;
    QCOMPARE(geoJsonText(job, "points.geojson", &error),
             (QStringList{"1 | 1 | 0.1 | str1 | Point (1 0)", "2 | 2 | 0.2 | str2 | Point (5 0)",
                          "3 | 3 | 0.3 | str3 | Point (9 0)"}));
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(readBytes(job.filesDir() + "/nonspatial.csv"), InitialCsv);
    QCOMPARE(DataReader::sqliteWriteVersion(job.filesDir() + "/testdata.gpkg"), 1);
}

void tst_ApplyDeltas::da01PatchOneAttribute()
{
    WorkerJob job;
    QVERIFY(setUpFDelta(job));
    const QJsonObject deltafile =
        withClientPks(upstreamDeltafile("core/delta/deltas/singlelayer_singledelta2.json"));
    const WorkerResult result = runApply(job, deltafile, true);
    CALL(verifyFinished(result, job, deltafile, "project.qgs",
                        readBytes(WorkerJob::upstreamDir() + "/core/delta/project.qgs")));
    const QJsonArray feedback = deltaFeedback(result);
    const QJsonObject entry = feedback.at(0).toObject();
    QCOMPARE(entry.value("status").toString(), Applied);
    QCOMPARE(entry.value("modified_pk"), QJsonValue(1));
    QCOMPARE(entry.value("feature_pk"), QJsonValue("1"));
    QCOMPARE(entry.value("layer_id").toString(), PointsXy);
    QCOMPARE(entry.value("delta_file_id").toString(),
             QStringLiteral("469e13a0-5a97-40cd-b39d-fa0368339caa"));
    QCOMPARE(entry.value("delta_id").toString(),
             QStringLiteral("c8c421cd-e39c-40a0-97d8-a319c245ba14"));
    READ_TABLE(xy, job, "points_xy");
    QStringList expected = InitialPointsXy;
    expected[0] = "1 | 666 | 0.1 | str1 | Point (1 0)";
    QCOMPARE(xy.text(PointColumns), expected);
    // the other layers are untouched
    READ_TABLE(xyz, job, "points_xyz");
    QCOMPARE(xyz.text(PointColumns), InitialPointsXyz);
    QCOMPARE(readBytes(job.filesDir() + "/nonspatial.csv"), InitialCsv);
    // the runner collects what the upload step lists
    QVERIFY(result.log().contains(QLatin1String("testdata.gpkg")));
}

void tst_ApplyDeltas::da02EmptySourceLayerId()
{
    WorkerJob job;
    QVERIFY(setUpFDelta(job));
    const QJsonObject deltafile = withClientPks(
        upstreamDeltafile("core/delta/deltas/singlelayer_singledelta_empty_source_layer_id.json"));
    QCOMPARE(deltasOf(deltafile).at(0).toObject().value("sourceLayerId").toString(), QString());
    const WorkerResult result = runApply(job, deltafile, true);
    CALL(verifyFinished(result, job, deltafile));
    const QJsonObject entry = deltaFeedback(result).at(0).toObject();
    QCOMPARE(entry.value("status").toString(), Applied);
    QCOMPARE(entry.value("layer_id").toString(), PointsXy);
    QVERIFY(result.log().contains(QLatin1String("delta's empty sourceLayerId from localLayerId")));
    READ_TABLE(xy, job, "points_xy");
    QCOMPARE(xy.integers("int"), (QList<qlonglong>{666, 2, 3}));
}

void tst_ApplyDeltas::da03EmptyStringAfterNulStripping()
{
    WorkerJob job;
    QVERIFY(setUpFDelta(job));
    const QJsonObject deltafile = withClientPks(
        upstreamDeltafile("core/delta/deltas/singlelayer_singledelta_null.json", true));
    QCOMPARE(deltasOf(deltafile)
                 .at(0)
                 .toObject()
                 .value("new")
                 .toObject()
                 .value("attributes")
                 .toObject()
                 .value("str"),
             QJsonValue(QString("")));
    const WorkerResult result = runApply(job, deltafile, true);
    CALL(verifyFinished(result, job, deltafile));
    QCOMPARE(statusesOf(deltaFeedback(result)), QStringList{Applied});
    READ_TABLE(xy, job, "points_xy");
    const QVariant value = xy.row(1).value("str");
    QVERIFY2(!value.isNull(), "an empty string must not become NULL");
    QCOMPARE(value.toString(), QString());
    QCOMPARE(xy.row(2).value("str").toString(), QStringLiteral("str2"));
}

void tst_ApplyDeltas::da04UnknownLayer()
{
    WorkerJob job;
    QVERIFY(setUpFDelta(job));
    const QJsonObject deltafile =
        withClientPks(upstreamDeltafile("core/delta/deltas/with_errors.json"));
    const WorkerResult result = runApply(job, deltafile, true);
    CALL(verifyFinished(result, job, deltafile));
    const QJsonObject entry = deltaFeedback(result).at(0).toObject();
    QCOMPARE(entry.value("status").toString(), ApplyFailed);
    QCOMPARE(entry.value("e_type").toString(), QStringLiteral("ERROR"));
    QCOMPARE(entry.value("msg").toString(), QStringLiteral("No layer with id \"pluto\""));
    QCOMPARE(entry.value("layer_id").toString(), QStringLiteral("pluto"));
    QCOMPARE(entry.value("feature_pk"), QJsonValue("1"));
    QVERIFY(entry.value("provider_errors").isNull());
    QCOMPARE(entry.value("delta_file_id").toString(),
             QStringLiteral("7c77388e-f902-43b9-8016-4e44c5394f66"));
    READ_TABLE(xy, job, "points_xy");
    QCOMPARE(xy.text(PointColumns), InitialPointsXy);
}

void tst_ApplyDeltas::da05ConflictOverwritten()
{
    WorkerJob job;
    QVERIFY(setUpFDelta(job));
    const QJsonObject deltafile =
        withClientPks(upstreamDeltafile("core/delta/deltas/singlelayer_singledelta_conflict.json"));
    const WorkerResult result = runApply(job, deltafile, true);
    CALL(verifyFinished(result, job, deltafile));
    QCOMPARE(statusesOf(deltaFeedback(result)), QStringList{Applied});
    QVERIFY(result.log().contains(QLatin1String("Ignoring since `overwrite_conflicts` flag")));
    READ_TABLE(xy, job, "points_xy");
    QCOMPARE(xy.integers("int"), (QList<qlonglong>{666, 2, 3}));
}

void tst_ApplyDeltas::da06ConflictKept()
{
    WorkerJob job;
    QVERIFY(setUpFDelta(job));
    const QJsonObject deltafile = withClientPks(
        upstreamDeltafile("core/delta/deltas/singlelayer_singledelta_conflict2.json"));
    const WorkerResult result = runApply(job, deltafile, false);
    CALL(verifyFinished(result, job, deltafile));
    const QJsonObject entry = deltaFeedback(result).at(0).toObject();
    QCOMPARE(entry.value("status").toString(), Conflict);
    QCOMPARE(entry.value("e_type").toString(), QStringLiteral("CONFLICT"));
    QCOMPARE(entry.value("msg").toString(),
             QStringLiteral("There are conflicts with the already existing feature!"));
    QCOMPARE(entry.value("conflicts").toArray(),
             QJsonArray{QStringLiteral("The attribute \"int\" that has a conflict:\n-1\n+134")});
    QVERIFY(entry.value("modified_pk").isNull());
    READ_TABLE(xy, job, "points_xy");
    QCOMPARE(xy.text(PointColumns), InitialPointsXy);
}

void tst_ApplyDeltas::da07ReapplyWithNewContent()
{
    WorkerJob job;
    QVERIFY(setUpFDelta(job));
    const QJsonObject first =
        withClientPks(upstreamDeltafile("core/delta/deltas/singlelayer_singledelta.json"));
    WorkerResult result = runApply(job, first, true);
    CALL(verifyFinished(result, job, first));
    QCOMPARE(statusesOf(deltaFeedback(result)), QStringList{Applied});
    READ_TABLE(afterFirst, job, "points_xy");
    QCOMPARE(afterFirst.integers("int"), (QList<qlonglong>{666, 2, 3}));

    // the re-upload of the same file creates no delta and no job (server side); the delta with a
    // new uuid conflicts (666 is not the old 1) and is overwritten
    const QJsonObject third = withClientPks(
        upstreamDeltafile("core/delta/deltas/singlelayer_singledelta_diff_content.json"));
    result = runApply(job, third, true);
    CALL(verifyFinished(result, job, third));
    QCOMPARE(statusesOf(deltaFeedback(result)), QStringList{Applied});
    QVERIFY(result.log().contains(
        QLatin1String("The attribute \"int\" that has a conflict:\n-666\n+1")));
    READ_TABLE(afterThird, job, "points_xy");
    QCOMPARE(afterThird.integers("int"), (QList<qlonglong>{667, 2, 3}));
}

void tst_ApplyDeltas::da08TwoDeltasInOneJob()
{
    WorkerJob job;
    QVERIFY(setUpFDelta(job));
    // one job of the deltas of two uploads, in creation order (3, 4)
    QJsonArray deltas =
        deltasOf(upstreamDeltafile("core/delta/deltas/singlelayer_singledelta3.json"));
    deltas.append(
        deltasOf(upstreamDeltafile("core/delta/deltas/singlelayer_singledelta4.json")).at(0));
    const QJsonObject deltafile = runnerDeltafile(deltas);
    const WorkerResult result = runApply(job, deltafile, true);
    CALL(verifyFinished(result, job, deltafile));
    QCOMPARE(statusesOf(deltaFeedback(result)), (QStringList{Applied, Applied}));
    QCOMPARE(deltaFeedback(result).at(1).toObject().value("delta_id").toString(),
             QStringLiteral("802ae2ef-f360-440e-a816-8990d6a06667"));
    READ_TABLE(xy, job, "points_xy");
    QCOMPARE(xy.integers("int"), (QList<qlonglong>{666, 2, 3}));
}

void tst_ApplyDeltas::da09SingleLayerMultiDelta()
{
    WorkerJob job;
    QVERIFY(setUpFDelta(job));
    const QJsonObject deltafile =
        withClientPks(upstreamDeltafile("core/delta/deltas/singlelayer_multidelta.json"));
    const WorkerResult result = runApply(job, deltafile, true);
    CALL(verifyFinished(result, job, deltafile, "project.qgs",
                        readBytes(WorkerJob::upstreamDir() + "/core/delta/project.qgs")));
    QCOMPARE(statusesOf(deltaFeedback(result)), (QStringList{Applied, Applied, Applied}));
    QList<QJsonValue> pks;
    for (const QJsonValue &entry : deltaFeedback(result))
        pks.append(entry.toObject().value("modified_pk"));
    QCOMPARE(pks, (QList<QJsonValue>{1, 2, 3}));
    READ_TABLE(xy, job, "points_xy");
    QCOMPARE(
        xy.text(PointColumns),
        (QStringList{"1 | 1 | 0.1 | str1 | Point (666 0)", "2 | 666 | 0.666 | str666 | Point (5 0)",
                     "3 | 666 | 0.666 | str666 | Point (666 0)"}));
}

void tst_ApplyDeltas::da10SequentialJobs()
{
    WorkerJob job;
    QVERIFY(setUpFDelta(job));
    const QJsonObject fifth =
        withClientPks(upstreamDeltafile("core/delta/deltas/singlelayer_singledelta5.json"));
    WorkerResult result = runApply(job, fifth, true);
    CALL(verifyFinished(result, job, fifth));
    QCOMPARE(statusesOf(deltaFeedback(result)), QStringList{Applied});
    // what the server lists by deltafile id comes from these entries
    QCOMPARE(deltaFeedback(result).at(0).toObject().value("delta_file_id").toString(),
             QStringLiteral("3aab7e58-ea27-4b7c-9bca-c772b6d94820"));
    QCOMPARE(deltaFeedback(result).at(0).toObject().value("delta_id").toString(),
             QStringLiteral("ad98634e-509f-4dff-9000-de79b09c5359"));
    const QJsonObject sixth =
        withClientPks(upstreamDeltafile("core/delta/deltas/singlelayer_singledelta6.json"));
    result = runApply(job, sixth, true);
    CALL(verifyFinished(result, job, sixth));
    QCOMPARE(statusesOf(deltaFeedback(result)), QStringList{Applied});
    QCOMPARE(deltaFeedback(result).at(0).toObject().value("delta_file_id").toString(),
             QStringLiteral("17f45c15-130a-412f-b031-dec792920458"));
    READ_TABLE(xy, job, "points_xy");
    QCOMPARE(xy.integers("int"), (QList<qlonglong>{666, 2, 3}));
}

void tst_ApplyDeltas::da11BackToBack()
{
    WorkerJob job;
    QVERIFY(setUpFDelta(job));
    const QJsonObject first =
        withClientPks(upstreamDeltafile("core/delta/deltas/singlelayer_singledelta.json"));
    const QJsonObject second =
        withClientPks(upstreamDeltafile("core/delta/deltas/singlelayer_singledelta2.json"));
    WorkerResult result = runApply(job, first, true);
    CALL(verifyFinished(result, job, first));
    QCOMPARE(statusesOf(deltaFeedback(result)), QStringList{Applied});
    result = runApply(job, second, true);
    CALL(verifyFinished(result, job, second));
    QCOMPARE(statusesOf(deltaFeedback(result)), QStringList{Applied});

    // the same two deltas in one job
    WorkerJob together;
    QVERIFY(setUpFDelta(together));
    QJsonArray deltas = deltasOf(first);
    deltas.append(deltasOf(second).at(0));
    const QJsonObject both = runnerDeltafile(deltas);
    result = runApply(together, both, true);
    CALL(verifyFinished(result, together, both));
    QCOMPARE(statusesOf(deltaFeedback(result)), (QStringList{Applied, Applied}));
    READ_TABLE(xy, together, "points_xy");
    QCOMPARE(xy.integers("int"), (QList<qlonglong>{666, 2, 3}));
}

void tst_ApplyDeltas::da12TwoProjects()
{
    WorkerJob project1;
    WorkerJob project2;
    QVERIFY(setUpFDelta(project1));
    QVERIFY(setUpFDelta(project2));
    const QJsonObject first =
        withClientPks(upstreamDeltafile("core/delta/deltas/singlelayer_singledelta.json"));
    WorkerResult result = runApply(project1, first, true);
    CALL(verifyFinished(result, project1, first));
    QCOMPARE(statusesOf(deltaFeedback(result)), QStringList{Applied});
    READ_TABLE(untouched, project2, "points_xy");
    QCOMPARE(untouched.text(PointColumns), InitialPointsXy);

    const QJsonObject second =
        withClientPks(upstreamDeltafile("core/delta/deltas/singlelayer_singledelta_project2.json"));
    result = runApply(project2, second, true);
    CALL(verifyFinished(result, project2, second));
    QCOMPARE(statusesOf(deltaFeedback(result)), QStringList{Applied});
    QCOMPARE(deltaFeedback(result).at(0).toObject().value("delta_id").toString(),
             QStringLiteral("f2af4942-e4ab-446e-bd97-5aab17e7ccc1"));
    READ_TABLE(xy1, project1, "points_xy");
    READ_TABLE(xy2, project2, "points_xy");
    QCOMPARE(xy1.integers("int"), (QList<qlonglong>{666, 2, 3}));
    QCOMPARE(xy2.integers("int"), (QList<qlonglong>{666, 2, 3}));
}

void tst_ApplyDeltas::da13MultiLayerMultiDelta()
{
    WorkerJob job;
    QVERIFY(setUpFDelta(job));
    const QJsonObject deltafile =
        withClientPks(upstreamDeltafile("core/delta/deltas/multilayer_multidelta.json"));
    const WorkerResult result = runApply(job, deltafile, true);
    CALL(verifyFinished(result, job, deltafile));
    QCOMPARE(statusesOf(deltaFeedback(result)), (QStringList{Applied, Applied}));
    QCOMPARE(deltaFeedback(result).at(1).toObject().value("layer_id").toString(), PolygonsGpkg);
    READ_TABLE(xy, job, "points_xy");
    QStringList expectedPoints = InitialPointsXy;
    expectedPoints[1] = "2 | 666 | 0.666 | str666 | Point (5 0)";
    QCOMPARE(xy.text(PointColumns), expectedPoints);
    READ_TABLE(polygons, job, "polygons");
    QCOMPARE(polygons.text(PointColumns),
             (QStringList{"1 | 777 | 0.777 | str777 | Polygon ((666 666, 5 2, 5 5, 2 5, 666 666))",
                          InitialPolygons.at(1)}));
}

void tst_ApplyDeltas::da14MultiStageTwoClients()
{
    WorkerJob job;
    QVERIFY(setUpFDelta(job));
    RunnerMemory runner;
    const QList<std::pair<QString, QList<qlonglong>>> stages{
        {"multistage_p1_c1_create", {1, 2, 3, 1000}},
        {"multistage_p2_c2_create", {1, 2, 3, 1000, 2000}},
        {"multistage_p3_c1_patch", {1, 2, 3, 1001, 2000}},
        {"multistage_p4_c2_patch", {1, 2, 3, 1001, 2002}},
        {"multistage_p5_c1_delete", {1, 2, 3, 2002}},
        {"multistage_p6_c2_delete", {1, 2, 3}},
    };
    for (const auto &[name, ints] : stages) {
        const QJsonObject uploaded =
            upstreamDeltafile(QStringLiteral("core/delta/deltas/%1.json").arg(name));
        const QJsonObject clientPks = runner.clientPksFor(deltasOf(uploaded));
        // the maps the runner builds (spec/worker.md §6.1 DA-14)
        if (name == QLatin1String("multistage_p3_c1_patch"))
            QCOMPARE(clientPks, clientPk(Client1, PointsXy, "1000", "1000"));
        if (name == QLatin1String("multistage_p4_c2_patch"))
            QCOMPARE(clientPks, clientPk(Client2, PointsXy, "2000", "2000"));
        const QJsonObject deltafile = withClientPks(uploaded, clientPks);
        const WorkerResult result = runApply(job, deltafile, true);
        CALL(verifyFinished(result, job, deltafile));
        QVERIFY2(statusesOf(deltaFeedback(result)) == QStringList{Applied},
                 qPrintable(name + QLatin1Char('\n') + describe(result)));
        // the patches and deletes carry sourcePk "0": they resolved through clientPks
        const QJsonObject delta = deltasOf(deltafile).at(0).toObject();
        if (delta.value("method").toString() != QLatin1String("create"))
            QCOMPARE(delta.value("sourcePk").toString(), QStringLiteral("0"));
        READ_TABLE(xy, job, "points_xy");
        QVERIFY2(xy.integers("int") == ints, qPrintable(name));
        runner.record(deltafile, deltaFeedback(result));
    }
}

void tst_ApplyDeltas::da15SameLocalPkInTwoLayers()
{
    WorkerJob job;
    QVERIFY(setUpFDelta(job));
    RunnerMemory runner;
    QString error;

    const QJsonObject create =
        withClientPks(upstreamDeltafile("core/delta/deltas/multilayer_multidelta_create.json"), {});
    WorkerResult result = runApply(job, create, true);
    CALL(verifyFinished(result, job, create));
    QCOMPARE(statusesOf(deltaFeedback(result)), (QStringList{Applied, Applied}));
    QCOMPARE(deltaFeedback(result).at(0).toObject().value("modified_pk"), QJsonValue(1000));
    QCOMPARE(deltaFeedback(result).at(1).toObject().value("modified_pk"), QJsonValue(2000));
    runner.record(create, deltaFeedback(result));
    READ_TABLE(afterCreate, job, "points_xy");
    QCOMPARE(afterCreate.text(PointColumns).last(), QStringLiteral("1000 | 1000 | NULL | NULL | "));
    QStringList points = geoJsonText(job, "points.geojson", &error);
    QCOMPARE(points.size(), 4);
    QCOMPARE(points.last(), QStringLiteral("2000 | 2000 | NULL | NULL | Point (666 0)"));
    // the created feature carries an "id" like the others: GDAL reads it with that FID
    const QList<QJsonObject> features =
        DataReader::geoJsonFeatures(job.filesDir() + QStringLiteral("/points.geojson"), &error);
    QCOMPARE(features.size(), 4);
    QCOMPARE(features.last().value("id"), QJsonValue(4));
    for (const QJsonObject &feature : features)
        QVERIFY(feature.value("id").isDouble());

    const QJsonObject modifyUploaded =
        upstreamDeltafile("core/delta/deltas/multilayer_multidelta_modify.json");
    QJsonObject expectedPks = clientPk(Client1, PointsXy, "1000", "1000");
    expectedPks.insert(clientPk(Client1, PointsGeoJson, "2000", "2000").constBegin().key(), "2000");
    QCOMPARE(runner.clientPksFor(deltasOf(modifyUploaded)), expectedPks);
    const QJsonObject modify =
        withClientPks(modifyUploaded, runner.clientPksFor(deltasOf(modifyUploaded)));
    result = runApply(job, modify, true);
    // GDAL 3.6 appends the created GeoJSON feature without "id": the worker gives it one after the
    // create, so that the patch by FID changes it in place
    QVERIFY2(!result.feedback.contains("error"), qPrintable(describe(result)));
    CALL(verifyFinished(result, job, modify));
    QCOMPARE(statusesOf(deltaFeedback(result)), (QStringList{Applied, Applied}));
    runner.record(modify, deltaFeedback(result));
    READ_TABLE(afterModify, job, "points_xy");
    QCOMPARE(afterModify.integers("int"), (QList<qlonglong>{1, 2, 3, 1001}));
    points = geoJsonText(job, "points.geojson", &error);
    QCOMPARE(points.last(), QStringLiteral("2000 | 2002 | NULL | NULL | Point (777 0)"));

    const QJsonObject deletionUploaded =
        upstreamDeltafile("core/delta/deltas/multilayer_multidelta_delete.json");
    const QJsonObject deletion =
        withClientPks(deletionUploaded, runner.clientPksFor(deltasOf(deletionUploaded)));
    result = runApply(job, deletion, true);
    CALL(verifyFinished(result, job, deletion));
    QCOMPARE(statusesOf(deltaFeedback(result)), (QStringList{Applied, Applied}));
    READ_TABLE(afterDelete, job, "points_xy");
    QCOMPARE(afterDelete.text(PointColumns), InitialPointsXy);
    QCOMPARE(geoJsonText(job, "points.geojson", &error),
             (QStringList{"1 | 1 | 0.1 | str1 | Point (1 0)", "2 | 2 | 0.2 | str2 | Point (5 0)",
                          "3 | 3 | 0.3 | str3 | Point (9 0)"}));
    QVERIFY2(error.isEmpty(), qPrintable(error));
}

// DA-15 without the GeoJSON layer (see da15SameLocalPkInTwoLayers): the points_xy
// deltas of the three jobs, with the runner's clientPks holding the keys of both layers.
void tst_ApplyDeltas::da15GeoPackageHalf()
{
    WorkerJob job;
    QVERIFY(setUpFDelta(job));
    RunnerMemory runner;
    const QJsonObject create =
        withClientPks(upstreamDeltafile("core/delta/deltas/multilayer_multidelta_create.json"), {});
    WorkerResult result = runApply(job, create, true);
    CALL(verifyFinished(result, job, create));
    QCOMPARE(statusesOf(deltaFeedback(result)), (QStringList{Applied, Applied}));
    runner.record(create, deltaFeedback(result));

    for (const char *name : {"multilayer_multidelta_modify", "multilayer_multidelta_delete"}) {
        const QJsonObject uploaded =
            upstreamDeltafile(QStringLiteral("core/delta/deltas/%1.json").arg(QLatin1String(name)));
        QJsonObject clientPks = runner.clientPksFor(deltasOf(uploaded));
        QCOMPARE(clientPks.size(), 2);
        QCOMPARE(clientPks.value(Client1 + "__" + PointsXy + "__1000").toString(),
                 QStringLiteral("1000"));
        QCOMPARE(clientPks.value(Client1 + "__" + PointsGeoJson + "__2000").toString(),
                 QStringLiteral("2000"));
        QJsonObject deltafile = withClientPks(uploaded, clientPks);
        deltafile.insert("deltas", QJsonArray{deltasOf(uploaded).at(0)}); // points_xy only
        result = runApply(job, deltafile, true);
        CALL(verifyFinished(result, job, deltafile));
        QCOMPARE(statusesOf(deltaFeedback(result)), QStringList{Applied});
        QCOMPARE(deltaFeedback(result).at(0).toObject().value("modified_pk"), QJsonValue(1000));
        runner.record(deltafile, deltaFeedback(result));
        READ_TABLE(xy, job, "points_xy");
        QCOMPARE(xy.integers("int"),
                 qstrcmp(name, "multilayer_multidelta_modify") == 0
                     ? (QList<qlonglong>{1, 2, 3, 1001})
                     : (QList<qlonglong>{1, 2, 3}));
    }
}

void tst_ApplyDeltas::da16XyForXyzLayer()
{
    WorkerJob job;
    QVERIFY(setUpFDelta(job));
    const QJsonObject deltafile = withClientPks(upstreamDeltafile(
        "core/delta/deltas/singlelayer_multidelta_delta_with_xy_for_xyz_layer.json"));
    const WorkerResult result = runApply(job, deltafile, true);
    CALL(verifyFinished(result, job, deltafile));
    QCOMPARE(statusesOf(deltaFeedback(result)), (QStringList{Applied, Applied}));
    READ_TABLE(xyz, job, "points_xyz");
    QCOMPARE(xyz.rows.size(), 4);
    QCOMPARE(xyz.text(PointColumns).first(), QStringLiteral("1 | 1 | 0.1 | str1 | Point (666 0)"));
    const QVariantMap created = xyz.rows.last();
    QCOMPARE(rowText(created, {"int", "dbl", "str", "geom"}),
             QStringList{"666 | 0.666 | str666 | Point (777 0)"});
    // modified_pk is the fid the GeoPackage gave the new feature
    QCOMPARE(deltaFeedback(result).at(1).toObject().value("modified_pk"),
             QJsonValue(created.value("fid").toLongLong()));
    QVERIFY(created.value("fid").toLongLong() > 3);
}

void tst_ApplyDeltas::da17XyzForXyzLayer_data()
{
    QTest::addColumn<QString>("file");
    QTest::newRow("xyz") << "singlelayer_multidelta_delta_with_xyz_for_xyz_layer.json";
    QTest::newRow("xyz nan→0") << "singlelayer_multidelta_delta_with_xyz_nan_for_xyz_layer.json";
}

void tst_ApplyDeltas::da17XyzForXyzLayer()
{
    QFETCH(QString, file);
    WorkerJob job;
    QVERIFY(setUpFDelta(job));
    const QJsonObject deltafile =
        withClientPks(upstreamDeltafile(QStringLiteral("core/delta/deltas/") + file));
    const WorkerResult result = runApply(job, deltafile, true);
    CALL(verifyFinished(result, job, deltafile));
    QCOMPARE(statusesOf(deltaFeedback(result)), (QStringList{Applied, Applied}));
    READ_TABLE(xyz, job, "points_xyz");
    QCOMPARE(xyz.rows.size(), 4);
    QCOMPARE(xyz.text(PointColumns).first(),
             QStringLiteral("1 | 1 | 0.1 | str1 | PointZ (666 0 0)"));
    QCOMPARE(rowText(xyz.rows.last(), {"int", "dbl", "str", "geom"}),
             QStringList{"666 | 0.666 | str666 | PointZ (777 0 0)"});
}

void tst_ApplyDeltas::da18ForXyzmLayer_data()
{
    // Upstream skips these (spec/worker.md §6.1 DA-18): "nan" becomes 0, and what QGIS 3.22's
    // QgsGeometry::fromWkt() makes of WKT with fewer ordinates than its tag (the missing ones
    // are NaN, "PointZM (666 0)" → PointZM (666 0 nan nan)) is frozen here. No dimension coercion.
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("patched");
    QTest::addColumn<QString>("created");
    QTest::newRow("xy") << "singlelayer_multidelta_delta_with_xy_for_xyzm_layer.json"
                        << "Point (666 0)"
                        << "Point (777 0)";
    QTest::newRow("xyz, 2 ordinates") << "singlelayer_multidelta_delta_with_xyz_for_xyzm_layer.json"
                                      << "PointZ (666 0 nan)"
                                      << "PointZ (777 0 nan)";
    QTest::newRow("xyz nan") << "singlelayer_multidelta_delta_with_xyz_nan_for_xyzm_layer.json"
                             << "PointZ (666 0 0)"
                             << "PointZ (777 0 0)";
    QTest::newRow("xyzm, 2 ordinates")
        << "singlelayer_multidelta_delta_with_xyzm_for_xyzm_layer.json"
        << "PointZM (666 0 nan nan)"
        << "PointZM (777 0 nan nan)";
    QTest::newRow("xyzm nan") << "singlelayer_multidelta_delta_with_xyzm_nan_for_xyzm_layer.json"
                              << "PointZM (666 0 0 0)"
                              << "PointZM (777 0 0 0)";
    QTest::newRow("xyzm nan nan")
        << "singlelayer_multidelta_delta_with_xyzm_nannan_for_xyzm_layer.json"
        << "PointZM (666 0 0 0)"
        << "PointZM (777 0 0 0)";
}

void tst_ApplyDeltas::da18ForXyzmLayer()
{
    QFETCH(QString, file);
    QFETCH(QString, patched);
    QFETCH(QString, created);
    WorkerJob job;
    QVERIFY(setUpFDelta(job));
    const QJsonObject deltafile =
        withClientPks(upstreamDeltafile(QStringLiteral("core/delta/deltas/") + file));
    const WorkerResult result = runApply(job, deltafile, true);
    CALL(verifyFinished(result, job, deltafile));
    QCOMPARE(statusesOf(deltaFeedback(result)), (QStringList{Applied, Applied}));
    READ_TABLE(xyzm, job, "points_xyzm");
    QCOMPARE(xyzm.rows.size(), 4);
    QCOMPARE(xyzm.text(PointColumns).first(), QStringLiteral("1 | 1 | 0.1 | str1 | ") + patched);
    QCOMPARE(rowText(xyzm.rows.last(), {"int", "dbl", "str", "geom"}),
             QStringList{QStringLiteral("666 | 0.666 | str666 | ") + created});
}

void tst_ApplyDeltas::da19NonSpatialCsv()
{
    WorkerJob job;
    QVERIFY(setUpFDelta(job));
    const QJsonObject deltafile =
        withClientPks(upstreamDeltafile("core/delta/deltas/nonspatial.json"));
    const WorkerResult result = runApply(job, deltafile, true);
    CALL(verifyFinished(result, job, deltafile));
    QCOMPARE(statusesOf(deltaFeedback(result)), (QStringList{Applied, Applied, Applied}));
    QCOMPARE(deltaFeedback(result).at(1).toObject().value("layer_id").toString(), Nonspatial);
    // the CSV has no provider key: its `fid` column is the primary key (the server keeps the
    // text of modified_pk)
    const QJsonValue createdPk = deltaFeedback(result).at(1).toObject().value("modified_pk");
    QCOMPARE(createdPk.isString() ? createdPk.toString() : QString::number(createdPk.toInteger()),
             QStringLiteral("2"));
    QCOMPARE(readBytes(job.filesDir() + "/nonspatial.csv"),
             QByteArray("fid,col1\n\"1\",qux\n\"2\",newfeature\n"));
}

void tst_ApplyDeltas::da20NonSpatialEmptyGeometry()
{
    WorkerJob job;
    QVERIFY(setUpFDelta(job));
    const QJsonObject deltafile =
        withClientPks(upstreamDeltafile("core/delta/deltas/nonspatial_geom_empty_str.json"));
    const WorkerResult result = runApply(job, deltafile, false);
    CALL(verifyFinished(result, job, deltafile));
    QCOMPARE(statusesOf(deltaFeedback(result)), QStringList{Applied});
    QVERIFY(result.log().contains(QLatin1String("Layer is not spatial, ignoring geometry")));
    QCOMPARE(readBytes(job.filesDir() + "/nonspatial.csv"),
             QByteArray("fid,col1\n\"1\",new_value\n"));
}

void tst_ApplyDeltas::da21SpecialDataTypes()
{
    WorkerJob job;
    QVERIFY(setUpFDelta(job));
    const QJsonObject deltafile =
        withClientPks(upstreamDeltafile("core/delta/deltas/special_data_types.json"));
    const WorkerResult result = runApply(job, deltafile, false);
    CALL(verifyFinished(result, job, deltafile));
    QCOMPARE(statusesOf(deltaFeedback(result)), (QStringList{Applied, Applied}));
    QCOMPARE(deltaFeedback(result).at(1).toObject().value("modified_pk"), QJsonValue(2));
    READ_TABLE(special, job, "special_data_types", QStringLiteral("testdata.gpkg"), QString());
    QCOMPARE(special.rows.size(), 2);
    const auto dateTimeOf = [](const QVariant &value) {
        return QDateTime::fromString(value.toString(), Qt::ISODateWithMs);
    };
    const QVariantMap first = special.row(1);
    QCOMPARE(first.value("col_date").toString(), QStringLiteral("2024-03-23"));
    QCOMPARE(dateTimeOf(first.value("col_datetime")).date(), QDate(2024, 3, 23));
    QCOMPARE(dateTimeOf(first.value("col_datetime")).time(), QTime(1, 23, 45));
    QCOMPARE(first.value("col_binary").toByteArray(), QByteArray("bar"));
    const QVariantMap second = special.row(2);
    QCOMPARE(second.value("col_date").toString(), QStringLiteral("2025-04-24"));
    QCOMPARE(dateTimeOf(second.value("col_datetime")).date(), QDate(2024, 3, 23));
    QCOMPARE(dateTimeOf(second.value("col_datetime")).time(), QTime(12, 34, 56));
    QCOMPARE(second.value("col_binary").toByteArray(), QByteArray("2025-04-24"));
}

void tst_ApplyDeltas::da22ApplyOnUpdateDefaults()
{
    WorkerJob job;
    QVERIFY(setUpFiles(job, QStringLiteral("core/delta"), {"project3.qgs", "testdata.gpkg"}));
    const QJsonObject deltafile = withClientPks(upstreamDeltafile(
        "core/delta/deltas/singlelayer_singledelta_add_feature_default_value.json"));
    const WorkerResult result = runApply(job, deltafile, true, QStringLiteral("project3.qgs"));
    CALL(verifyFinished(result, job, deltafile, "project3.qgs",
                        readBytes(WorkerJob::upstreamDir() + "/core/delta/project3.qgs")));
    QCOMPARE(statusesOf(deltaFeedback(result)), QStringList{Applied});
    READ_TABLE(polygons, job, "polygons");
    QCOMPARE(polygons.rows.size(), 3);
    QCOMPARE(polygons.text(PointColumns).mid(0, 2), InitialPolygons);
    QCOMPARE(rowText(polygons.rows.at(2), {"int", "dbl", "str", "geom"}),
             QStringList{"1 | 1 | correct! | Polygon ((1 1, 2 1, 2 2, 1 2, 1 1))"});
    QCOMPARE(deltaFeedback(result).at(0).toObject().value("modified_pk"),
             QJsonValue(polygons.rows.at(2).value("fid").toLongLong()));
}

void tst_ApplyDeltas::da23CreateOfAReporter()
{
    WorkerJob job;
    QVERIFY(setUpFDelta(job));
    // the server keeps the reporter's patch `unpermitted`: only the create reaches the worker
    const QJsonObject create =
        deltaByUuid("core/delta/deltas/singlelayer_multidelta_patch_create.json",
                    "8adac0df-e1d3-473e-b150-f8c4a91b4781");
    QVERIFY(!create.isEmpty());
    const QJsonObject deltafile = runnerDeltafile(QJsonArray{create});
    const WorkerResult result = runApply(job, deltafile, true);
    CALL(verifyFinished(result, job, deltafile));
    QCOMPARE(statusesOf(deltaFeedback(result)), QStringList{Applied});
    READ_TABLE(xy, job, "points_xy");
    QCOMPARE(xy.rows.size(), 4);
    QCOMPARE(xy.text(PointColumns).mid(0, 3), InitialPointsXy);
    QCOMPARE(rowText(xy.rows.last(), {"int", "dbl", "str", "geom"}),
             QStringList{"666 | 0.666 | str666 | Point (777 0)"});
}

void tst_ApplyDeltas::da24InvalidDeltafile_data()
{
    QTest::addColumn<QByteArray>("content"); // empty: no deltafile at all
    QTest::addColumn<QString>("errorType");
    QTest::addColumn<QString>("errorClass");
    QTest::addColumn<QString>("message");

    const QJsonObject valid =
        withClientPks(upstreamDeltafile("core/delta/deltas/singlelayer_singledelta.json"));
    const auto text = [](const QJsonObject &object) {
        return QJsonDocument(object).toJson();
    };
    const auto changedDelta = [&valid](const std::function<void(QJsonObject &)> &change) {
        QJsonObject file = valid;
        QJsonArray deltas = deltasOf(file);
        QJsonObject delta = deltas.at(0).toObject();
        change(delta);
        deltas[0] = delta;
        file.insert("deltas", deltas);
        return file;
    };

    QTest::newRow("DA-24 not_schema_valid.json")
        << text(withClientPks(upstreamDeltafile("core/delta/deltas/not_schema_valid.json")))
        << "UNKNOWN"
        << "ValidationError"
        << "Invalid deltafile: 'deltas' is a required property";
    QJsonObject file = valid;
    file.insert("version", "2.0");
    QTest::newRow("version 2.0") << text(file) << "UNKNOWN"
                                 << "ValidationError"
                                 << "Invalid deltafile: at version: '2.0' is not one of ['1.0']";
    file = valid;
    file.insert("project", "not-a-uuid");
    QTest::newRow("project not a uuid")
        << text(file) << "UNKNOWN"
        << "ValidationError"
        << "Invalid deltafile: at project: 'not-a-uuid' is not a 'uuid'";
    file = valid;
    file.remove("files");
    QTest::newRow("no files") << text(file) << "UNKNOWN"
                              << "ValidationError"
                              << "Invalid deltafile: 'files' is a required property";
    file = valid;
    file.insert("files", QJsonArray{"DCIM/a.jpg", "DCIM/a.jpg"});
    QTest::newRow("files not unique")
        << text(file) << "UNKNOWN"
        << "ValidationError"
        << "Invalid deltafile: at files: ['DCIM/a.jpg', 'DCIM/a.jpg'] has non-unique elements";
    QTest::newRow("delta without uuid")
        << text(changedDelta([](QJsonObject &delta) { delta.remove("uuid"); })) << "UNKNOWN"
        << "ValidationError"
        << "Invalid deltafile: at deltas[0]: 'uuid' is a required property";
    QTest::newRow("sourcePk a number")
        << text(changedDelta([](QJsonObject &delta) { delta.insert("sourcePk", 1); })) << "UNKNOWN"
        << "ValidationError"
        << "Invalid deltafile: at deltas[0].sourcePk: 1 is not of type 'string'";
    QTest::newRow("method update")
        << text(changedDelta([](QJsonObject &delta) { delta.insert("method", "update"); }))
        << "UNKNOWN"
        << "ValidationError"
        << "Invalid deltafile: at deltas[0].method: 'update' is not one of ['create', 'patch', "
           "'delete']";
    QTest::newRow("unknown key in new")
        << text(changedDelta([](QJsonObject &delta) {
               QJsonObject feature = delta.value("new").toObject();
               feature.insert("foo", 1);
               delta.insert("new", feature);
           }))
        << "UNKNOWN"
        << "ValidationError"
        << "Invalid deltafile: at deltas[0].new: Additional properties are not allowed ('foo' was "
           "unexpected)";
    QTest::newRow("geometry a number")
        << text(changedDelta([](QJsonObject &delta) {
               QJsonObject feature = delta.value("new").toObject();
               feature.insert("geometry", 5);
               delta.insert("new", feature);
           }))
        << "UNKNOWN"
        << "ValidationError"
        << "Invalid deltafile: at deltas[0].new.geometry: 5 is not of type 'string', 'null'";
    file = valid;
    file.insert("clientPks", QJsonObject{{"a__b__c", 5}});
    QTest::newRow("clientPks value a number")
        << text(file) << "UNKNOWN"
        << "ValidationError"
        << "Invalid deltafile: at clientPks.a__b__c: 5 is not of type 'string'";
    QTest::newRow("not JSON") << QByteArray("{\"deltas\": [") << "UNKNOWN"
                              << "JSONDecodeError"
                              << "The deltafile is not valid JSON";
    QTest::newRow("no deltafile") << QByteArray() << "FILE_NOT_FOUND"
                                  << "FileNotFoundError"
                                  << "Deltafile \"";
}

void tst_ApplyDeltas::da24InvalidDeltafile()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, errorType);
    QFETCH(QString, errorClass);
    QFETCH(QString, message);
    WorkerJob job;
    QVERIFY(setUpFDelta(job));
    if (!content.isEmpty())
        QVERIFY(writeBytes(job.workdir() + "/deltafile.json", content));
    const WorkerResult result = runApply(job, QJsonObject(), true);
    CALL(verifyFailedAtApply(result, job, errorType));
    QCOMPARE(result.feedback.value("error_class").toString(), errorClass);
    QVERIFY2(result.feedback.value("error").toString().startsWith(message),
             qPrintable(result.feedback.value("error").toString()));
    READ_TABLE(xy, job, "points_xy");
    QCOMPARE(xy.text(PointColumns), InitialPointsXy);
}

void tst_ApplyDeltas::da26PostGis()
{
    const PostgisFixture postgis;
    QFC_REQUIRE_POSTGIS(postgis);
    QVERIFY2(QSqlDatabase::isDriverAvailable(QStringLiteral("QPSQL")),
             "Qt's QPSQL driver (libqt6sql6-psql, scripts/install-deps.sh) reads the row back");
    const QString connection = QStringLiteral("da26");
    const auto execute = [&connection](const QString &sql, QString *value = nullptr) {
        QSqlQuery query(QSqlDatabase::database(connection));
        if (!query.exec(sql)) {
            qWarning("%s: %s", qPrintable(sql), qPrintable(query.lastError().text()));
            return false;
        }
        if (value)
            *value = query.next() ? query.value(0).toString() : QStringLiteral("<no row>");
        return true;
    };
    {
        // the test reaches the table as the worker does: through the service qfc_test_delta
        qputenv("PGSERVICEFILE", QFile::encodeName(postgis.serviceFile()));
        QSqlDatabase database = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), connection);
        database.setConnectOptions(QStringLiteral("service=qfc_test_delta"));
        QVERIFY2(database.open(), qPrintable(database.lastError().text()));
    }
    const auto closeConnection = qScopeGuard([&connection] {
        QSqlDatabase::database(connection, false).close();
        QSqlDatabase::removeDatabase(connection);
    });
    QVERIFY(execute(QStringLiteral("DELETE FROM public.point WHERE id = 1000")));
    QString rows;
    QVERIFY(execute(QStringLiteral("SELECT string_agg(id || ':' || name, ',' ORDER BY id) FROM "
                                   "public.point"),
                    &rows));
    QCOMPARE(rows, QStringLiteral("1:hello-1,2:hello-2"));

    WorkerJob job;
    QVERIFY(job.usePgServiceFile(postgis.serviceFile()));
    QVERIFY(setUpFiles(job, QStringLiteral("subscription"), {"project_plaintext.qgs"}));
    // the plain-text connection of the test project, pointed at the test service
    QCOMPARE(rewritePostgisConnection(job.filesDir() + "/project_plaintext.qgs",
                                      QStringLiteral("service='qfc_test_delta'")),
             2); // the layer's datasource and its layer-tree entry

    const QJsonObject deltafile =
        withClientPks(upstreamDeltafile("subscription/project_plaintext_delta_1.json"));
    const WorkerResult result = runApply(job, deltafile, true, "project_plaintext.qgs");
    CALL(verifyFinished(result, job, deltafile, "project_plaintext.qgs"));
    QCOMPARE(statusesOf(deltaFeedback(result)), QStringList{Applied});
    QCOMPARE(deltaFeedback(result).at(0).toObject().value("modified_pk"), QJsonValue(1000));
    QVERIFY(execute(QStringLiteral("SELECT string_agg(id || ':' || name, ',' ORDER BY id) FROM "
                                   "public.point"),
                    &rows));
    QCOMPARE(rows, QStringLiteral("1:hello-1,2:hello-2,1000:hello-1000"));
    QVERIFY(execute(QStringLiteral("DELETE FROM public.point WHERE id = 1000")));
}

void tst_ApplyDeltas::legacyProject2apply_data()
{
    // spec/worker.md §6.4: the legacy files lack clientId and clientPks; the runner adds
    // "clientPks": {}. Each file on a fresh copy (upstream restored the data with --inverse in
    // between, which is not supported). The legacy GeoPackage already has int 666 in feature 1.
    QTest::addColumn<QString>("file");
    QTest::addColumn<QStringList>("points");
    QTest::addColumn<QStringList>("polygons");
    const QStringList points{"1 | 666 | 0.1 | str1 | Point (1 0)",
                             "2 | 2 | 0.2 | str2 | Point (5 0)",
                             "3 | 3 | 0.3 | str3 | Point (9 0)"};
    QTest::newRow("singlelayer_singledelta")
        << "singlelayer_singledelta.json" << points << InitialPolygons;
    QTest::newRow("singlelayer_multidelta")
        << "singlelayer_multidelta.json"
        << QStringList{"1 | 666 | 0.1 | str1 | Point (666 0)",
                       "2 | 666 | 0.666 | str666 | Point (5 0)",
                       "3 | 666 | 0.666 | str666 | Point (666 0)"}
        << InitialPolygons;
    QTest::newRow("multilayer_multidelta")
        << "multilayer_multidelta.json"
        << QStringList{points.at(0), "2 | 666 | 0.666 | str666 | Point (5 0)", points.at(2)}
        << QStringList{"1 | 666 | 0.666 | str666 | Polygon ((666 666, 5 2, 5 5, 2 5, 666 666))",
                       InitialPolygons.at(1)};
}

void tst_ApplyDeltas::legacyProject2apply()
{
    QFETCH(QString, file);
    QFETCH(QStringList, points);
    QFETCH(QStringList, polygons);
    const QString directory = QStringLiteral("docker-qgis/project2apply");
    const QStringList files{"project.qgs", "testdata.gpkg", "points.geojson", "polygons.geojson"};

    WorkerJob job;
    QVERIFY(setUpFiles(job, directory, files));
    const QJsonObject deltafile =
        withClientPks(upstreamDeltafile(directory + QStringLiteral("/deltas/") + file));
    QVERIFY(!deltasOf(deltafile).at(0).toObject().contains("clientId"));
    const WorkerResult result = runApply(job, deltafile, true);
    CALL(verifyFinished(result, job, deltafile, "project.qgs",
                        readBytes(WorkerJob::upstreamDir() + QLatin1Char('/') + directory
                                  + QStringLiteral("/project.qgs"))));
    QStringList expected;
    for (int i = 0; i < deltasOf(deltafile).size(); ++i)
        expected.append(Applied);
    QCOMPARE(statusesOf(deltaFeedback(result)), expected);
    READ_TABLE(xy, job, "points");
    QCOMPARE(xy.text(PointColumns), points);
    READ_TABLE(polygonTable, job, "polygons");
    QCOMPARE(polygonTable.text(PointColumns), polygons);

    if (file == QLatin1String("singlelayer_singledelta.json")) {
        // without overwriting, the 666 already in the legacy data is a conflict with old 1
        WorkerJob strict;
        QVERIFY(setUpFiles(strict, directory, files));
        const WorkerResult conflict = runApply(strict, deltafile, false);
        CALL(verifyFinished(conflict, strict, deltafile));
        QCOMPARE(
            deltaFeedback(conflict).at(0).toObject().value("conflicts").toArray(),
            QJsonArray{QStringLiteral("The attribute \"int\" that has a conflict:\n-666\n+1")});
    }
}

void tst_ApplyDeltas::expectedFailures_data()
{
    QTest::addColumn<QJsonObject>("delta");
    QTest::addColumn<bool>("overwrite");
    QTest::addColumn<QString>("setUp"); // a change of the fixture before the run
    QTest::addColumn<QString>("status");
    QTest::addColumn<QString>("message");
    QTest::addColumn<bool>("hasProviderErrors");

    const QJsonObject patch =
        deltasOf(upstreamDeltafile("core/delta/deltas/singlelayer_singledelta.json"))
            .at(0)
            .toObject();
    const auto changed = [&patch](const std::function<void(QJsonObject &)> &change) {
        QJsonObject delta = patch;
        delta.insert("uuid", newUuid());
        change(delta);
        return delta;
    };
    const auto feature = [](const char *geometry, const QJsonObject &attributes) {
        QJsonObject object{{"attributes", attributes}};
        if (geometry)
            object.insert("geometry", QString::fromLatin1(geometry));
        return object;
    };

    QTest::newRow("unknown layer")
        << changed([](QJsonObject &delta) { delta.insert("sourceLayerId", "nope"); }) << true << ""
        << ApplyFailed << "No layer with id \"nope\"" << false;
    QTest::newRow("invalid layer (its file is missing)")
        << changed([](QJsonObject &delta) {
               delta.insert("sourceLayerId", PolygonsGeoJson);
               delta.insert("localLayerId", PolygonsGeoJson);
           })
        << true << "remove polygons.geojson" << ApplyFailed
        << QStringLiteral("Invalid layer \"%1\"").arg(PolygonsGeoJson) << false;
    QTest::newRow("feature not found") << changed([](QJsonObject &delta) {
        delta.insert("sourcePk", "999");
        delta.insert("localPk", "999");
    }) << true << "" << ApplyFailed << "Unable to find feature"
                                       << false;
    QTest::newRow("empty WKT") << changed([&feature](QJsonObject &delta) {
        delta.insert("new", feature("  ", {}));
        delta.insert("old", feature("POINT (1 0)", {}));
    }) << true << "" << ApplyFailed
                               << "Empty WKT string!" << false;
    QTest::newRow("unparsable WKT") << changed([&feature](QJsonObject &delta) {
        delta.insert("new", feature("POINT (a nan)", {}));
        delta.insert("old", feature("POINT (1 0)", {}));
    }) << true << "" << ApplyFailed << "Null geometry from wkt='POINT (a 0)'"
                                    << false;
    QTest::newRow("unknown attribute") << changed([&feature](QJsonObject &delta) {
        delta.insert("new", feature(nullptr, {{"int", 999}, {"zzz", 2}}));
        delta.insert("old", feature(nullptr, {{"int", 1}, {"zzz", 1}}));
    }) << true << "" << ApplyFailed << "Unable to change attribute \"zzz\""
                                       << true;
    QTest::newRow("delete in conflict") << changed([&feature](QJsonObject &delta) {
        delta.insert("method", "delete");
        delta.remove("new");
        delta.insert("old", feature("POINT (1 0)", {{"int", 5}, {"str", "str1"}}));
    }) << false << "" << Conflict << "There are conflicts with the already existing feature!"
                                        << false;
    QTest::newRow("no primary key, no fid")
        << changed([&feature](QJsonObject &delta) {
               delta.insert("sourceLayerId", PointsGeoJson);
               delta.insert("localLayerId", PointsGeoJson);
               delta.insert("new", feature(nullptr, {{"int", 666}}));
           })
        << true << "points.geojson without fid" << ApplyFailed
        << "Layer \"points\" neither has a primary key, nor an attribute `fid`! " << false;
}

void tst_ApplyDeltas::expectedFailures()
{
    QFETCH(QJsonObject, delta);
    QFETCH(bool, overwrite);
    QFETCH(QString, setUp);
    QFETCH(QString, status);
    QFETCH(QString, message);
    QFETCH(bool, hasProviderErrors);

    WorkerJob job;
    QVERIFY(setUpFDelta(job));
    if (setUp == QLatin1String("remove polygons.geojson"))
        QVERIFY(QFile::remove(job.filesDir() + "/polygons.geojson"));
    QByteArray geoJsonWithoutFid;
    if (setUp == QLatin1String("points.geojson without fid")) {
        QJsonObject collection =
            QJsonDocument::fromJson(readBytes(job.filesDir() + "/points.geojson")).object();
        QJsonArray features = collection.value("features").toArray();
        for (auto it = features.begin(); it != features.end(); ++it) {
            QJsonObject object = it->toObject();
            QJsonObject properties = object.value("properties").toObject();
            properties.remove("fid");
            object.insert("properties", properties);
            *it = object;
        }
        collection.insert("features", features);
        geoJsonWithoutFid = QJsonDocument(collection).toJson();
        QVERIFY(writeBytes(job.filesDir() + "/points.geojson", geoJsonWithoutFid));
    }

    // the failing delta between two that apply: each delta is its own transaction
    const QJsonObject before =
        deltasOf(upstreamDeltafile("core/delta/deltas/singlelayer_multidelta.json"))
            .at(1)
            .toObject(); // fid 2 → 666
    QJsonObject after = before;
    after.insert("uuid", newUuid());
    after.insert("new", QJsonObject{{"attributes", QJsonObject{{"str", "after"}}}});
    after.insert("old", QJsonObject{{"attributes", QJsonObject{{"str", "str666"}}}});
    const QJsonObject deltafile = runnerDeltafile({before, delta, after});
    const WorkerResult result = runApply(job, deltafile, overwrite);
    CALL(verifyFinished(result, job, deltafile));
    QCOMPARE(statusesOf(deltaFeedback(result)), (QStringList{Applied, status, Applied}));
    const QJsonObject entry = deltaFeedback(result).at(1).toObject();
    QCOMPARE(entry.value("msg").toString(), message);
    QCOMPARE(entry.value("provider_errors").isArray(), hasProviderErrors);

    READ_TABLE(xy, job, "points_xy");
    QCOMPARE(xy.text(PointColumns),
             (QStringList{InitialPointsXy.at(0), "2 | 666 | 0.666 | after | Point (5 0)",
                          InitialPointsXy.at(2)}));
    if (!geoJsonWithoutFid.isEmpty())
        QCOMPARE(readBytes(job.filesDir() + "/points.geojson"), geoJsonWithoutFid);
}

void tst_ApplyDeltas::patchGeometryToNull()
{
    WorkerJob job;
    QVERIFY(setUpFDelta(job));
    const QJsonObject patch =
        deltasOf(upstreamDeltafile("core/delta/deltas/singlelayer_singledelta.json"))
            .at(0)
            .toObject();
    // new.geometry null with an old geometry: the geometry is removed (spec/worker.md §5.6)
    QJsonObject removeGeometry = patch;
    removeGeometry.insert("uuid", newUuid());
    removeGeometry.insert("sourcePk", "3");
    removeGeometry.insert("new", QJsonObject{{"geometry", QJsonValue::Null}});
    removeGeometry.insert("old", QJsonObject{{"geometry", "POINT (9 0)"}});
    // new.geometry null without an old geometry: ignored
    QJsonObject ignored = patch;
    ignored.insert("uuid", newUuid());
    ignored.insert("sourcePk", "2");
    ignored.insert(
        "new",
        QJsonObject{{"geometry", QJsonValue::Null}, {"attributes", QJsonObject{{"int", 22}}}});
    ignored.insert("old", QJsonObject{{"attributes", QJsonObject{{"int", 2}}}});
    const QJsonObject deltafile = runnerDeltafile({removeGeometry, ignored});
    const WorkerResult result = runApply(job, deltafile, false);
    CALL(verifyFinished(result, job, deltafile));
    QCOMPARE(statusesOf(deltaFeedback(result)), (QStringList{Applied, Applied}));
    READ_TABLE(xy, job, "points_xy");
    QCOMPARE(xy.text(PointColumns),
             (QStringList{InitialPointsXy.at(0), "2 | 22 | 0.2 | str2 | Point (5 0)",
                          "3 | 3 | 0.3 | str3 | "}));
}

void tst_ApplyDeltas::unexpectedErrorAbortsJob_data()
{
    QTest::addColumn<QJsonObject>("delta");
    QTest::addColumn<bool>("duplicateGeoJsonFid");
    QTest::addColumn<QString>("message");

    const QJsonObject patch =
        deltasOf(upstreamDeltafile("core/delta/deltas/singlelayer_singledelta.json"))
            .at(0)
            .toObject();
    QJsonObject missingOld = patch;
    missingOld.insert("uuid", newUuid());
    missingOld.insert("sourcePk", "2");
    missingOld.insert("new", QJsonObject{{"attributes", QJsonObject{{"int", 22}, {"str", "x"}}}});
    missingOld.insert("old", QJsonObject{{"attributes", QJsonObject{{"int", 2}}}});
    QTest::newRow("patched attribute missing in old")
        << missingOld << false << "The attribute \"str\" has a new value but no old value";

    QJsonObject duplicate = patch;
    duplicate.insert("uuid", newUuid());
    duplicate.insert("sourceLayerId", PointsGeoJson);
    duplicate.insert("localLayerId", PointsGeoJson);
    duplicate.insert("sourcePk", "2");
    QTest::newRow("two features with the primary key")
        << duplicate << true << "More than one feature match the feature select query";
}

void tst_ApplyDeltas::unexpectedErrorAbortsJob()
{
    QFETCH(QJsonObject, delta);
    QFETCH(bool, duplicateGeoJsonFid);
    QFETCH(QString, message);

    WorkerJob job;
    QVERIFY(setUpFDelta(job));
    if (duplicateGeoJsonFid) {
        QByteArray geoJson = readBytes(job.filesDir() + "/points.geojson");
        QVERIFY(geoJson.contains("\"fid\": 3 }"));
        geoJson.replace("\"fid\": 3 }", "\"fid\": 2 }");
        QVERIFY(writeBytes(job.filesDir() + "/points.geojson", geoJson));
    }
    const QJsonObject first =
        deltasOf(upstreamDeltafile("core/delta/deltas/singlelayer_singledelta.json"))
            .at(0)
            .toObject(); // fid 1 → 666
    QJsonObject last = first;
    last.insert("uuid", newUuid());
    last.insert("sourcePk", "3");
    last.insert("new", QJsonObject{{"attributes", QJsonObject{{"int", 333}}}});
    last.insert("old", QJsonObject{{"attributes", QJsonObject{{"int", 3}}}});
    const QJsonObject deltafile = runnerDeltafile({first, delta, last});
    const WorkerResult result = runApply(job, deltafile, true);
    CALL(verifyFailedAtApply(result, job, QStringLiteral("UNKNOWN")));
    QVERIFY2(result.feedback.value("error").toString().startsWith(message),
             qPrintable(result.feedback.value("error").toString()));
    // the delta log in the output shows the unknown error of the second delta
    QVERIFY(result.log().contains(QLatin1String("status_unknown_error")));
    QVERIFY(result.log().contains(QLatin1String("An unknown error has been encountered")));
    // the job failed as a whole: the runner stores nothing back; in the work directory the first
    // delta is committed, the second rolled back and the third never ran
    READ_TABLE(xy, job, "points_xy");
    QCOMPARE(xy.integers("int"), (QList<qlonglong>{666, 2, 3}));
    QCOMPARE(xy.text(PointColumns).mid(1), InitialPointsXy.mid(1));
}

void tst_ApplyDeltas::deltaIsItsOwnTransaction()
{
    // A patch of geometry and attribute is committed by two provider calls; a trigger refuses
    // the combination, so that the second call fails after the first one succeeded. The delta
    // must leave nothing behind, the others apply.
    WorkerJob job;
    QVERIFY(setUpFDelta(job));
    {
        const QString connection = newUuid();
        {
            QSqlDatabase database =
                QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connection);
            database.setDatabaseName(job.filesDir() + "/testdata.gpkg");
            QVERIFY(database.open());
            QSqlQuery query(database);
            QVERIFY2(query.exec(QStringLiteral(
                         "CREATE TRIGGER qfc_test_guard BEFORE UPDATE ON points_xy WHEN "
                         "NEW.int = 13 AND ST_MinX(NEW.geom) > 50 BEGIN SELECT RAISE(ABORT, "
                         "'forbidden combination'); END")),
                     qPrintable(query.lastError().text()));
            database.close();
        }
        QSqlDatabase::removeDatabase(connection);
    }
    const QJsonObject template_ =
        deltasOf(upstreamDeltafile("core/delta/deltas/singlelayer_singledelta.json"))
            .at(0)
            .toObject();
    const auto patchOf = [&template_](const char *pk, const QJsonObject &newFeature,
                                      const QJsonObject &oldFeature) {
        QJsonObject delta = template_;
        delta.insert("uuid", newUuid());
        delta.insert("sourcePk", QString::fromLatin1(pk));
        delta.insert("localPk", QString::fromLatin1(pk));
        delta.insert("new", newFeature);
        delta.insert("old", oldFeature);
        return delta;
    };
    const QJsonObject deltafile = runnerDeltafile({
        patchOf("2", {{"attributes", QJsonObject{{"int", 22}}}},
                {{"attributes", QJsonObject{{"int", 2}}}}),
        patchOf("1", {{"geometry", "POINT (100 100)"}, {"attributes", QJsonObject{{"int", 13}}}},
                {{"geometry", "POINT (1 0)"}, {"attributes", QJsonObject{{"int", 1}}}}),
        patchOf("1", {{"attributes", QJsonObject{{"int", 999}, {"zzz", 2}}}},
                {{"attributes", QJsonObject{{"int", 1}, {"zzz", 1}}}}),
        patchOf("3", {{"attributes", QJsonObject{{"int", 33}}}},
                {{"attributes", QJsonObject{{"int", 3}}}}),
    });
    const WorkerResult result = runApply(job, deltafile, false);
    CALL(verifyFinished(result, job, deltafile));
    QCOMPARE(statusesOf(deltaFeedback(result)),
             (QStringList{Applied, ApplyFailed, ApplyFailed, Applied}));
    const QJsonObject failedCommit = deltaFeedback(result).at(1).toObject();
    QCOMPARE(failedCommit.value("msg").toString(), QStringLiteral("Failed to commit changes"));
    QVERIFY2(QJsonDocument(failedCommit.value("provider_errors").toArray())
                 .toJson()
                 .contains("forbidden combination"),
             qPrintable(QString::fromUtf8(QJsonDocument(failedCommit).toJson())));
    QCOMPARE(deltaFeedback(result).at(2).toObject().value("msg").toString(),
             QStringLiteral("Unable to change attribute \"zzz\""));
    READ_TABLE(xy, job, "points_xy");
    QCOMPARE(xy.text(PointColumns),
             (QStringList{InitialPointsXy.at(0), "2 | 22 | 0.2 | str2 | Point (5 0)",
                          "3 | 33 | 0.3 | str3 | Point (9 0)"}));
}

void tst_ApplyDeltas::createThenPatchInOneJob()
{
    // spec/worker.md §5.10 (QFC): a create updates the client primary keys of the running job, so
    // that a later patch/delete of the same new feature in the same job resolves. The GeoPackage
    // gives the new feature fid 4 while the client knew it as 2: a patch resolving to the local
    // pk would hit feature 2.
    WorkerJob job;
    QVERIFY(setUpFDelta(job));
    const QJsonObject create =
        deltaByUuid("core/delta/deltas/singlelayer_multidelta_delta_with_xy_for_xyz_layer.json",
                    "8adac0df-e1d3-473e-b150-f8c4a91b4781");
    QCOMPARE(create.value("localPk").toString(), QStringLiteral("2"));
    QJsonObject patch{{"uuid", newUuid()},
                      {"clientId", Client1},
                      {"localPk", "2"},
                      {"sourcePk", ""},
                      {"localLayerId", PointsXyz},
                      {"sourceLayerId", PointsXyz},
                      {"method", "patch"},
                      {"new", QJsonObject{{"attributes", QJsonObject{{"str", "patched"}}}}},
                      {"old", QJsonObject{{"attributes", QJsonObject{{"str", "str666"}}}}}};
    QJsonObject deletion{{"uuid", newUuid()},
                         {"clientId", Client1},
                         {"localPk", "2"},
                         {"sourcePk", ""},
                         {"localLayerId", PointsXyz},
                         {"sourceLayerId", PointsXyz},
                         {"method", "delete"},
                         {"old", QJsonObject{{"attributes", QJsonObject{{"str", "patched"}}}}}};
    const QJsonObject deltafile = runnerDeltafile({create, patch});
    WorkerResult result = runApply(job, deltafile, false);
    CALL(verifyFinished(result, job, deltafile));
    QCOMPARE(statusesOf(deltaFeedback(result)), (QStringList{Applied, Applied}));
    READ_TABLE(xyz, job, "points_xyz");
    QCOMPARE(xyz.rows.size(), 4);
    const qlonglong newFid = xyz.rows.last().value("fid").toLongLong();
    QVERIFY(newFid != 2);
    QCOMPARE(deltaFeedback(result).at(0).toObject().value("modified_pk"), QJsonValue(newFid));
    QCOMPARE(deltaFeedback(result).at(1).toObject().value("modified_pk"), QJsonValue(newFid));
    QCOMPARE(xyz.row(2).value("str").toString(), QStringLiteral("str2"));
    QCOMPARE(xyz.rows.last().value("str").toString(), QStringLiteral("patched"));

    // a later job knows it only through the runner's map
    const QJsonObject withoutMap = runnerDeltafile({deletion});
    result = runApply(job, withoutMap, false);
    CALL(verifyFinished(result, job, withoutMap));
    QCOMPARE(deltaFeedback(result).at(0).toObject().value("msg").toString(),
             QStringLiteral("Unable to find feature"));
    const QJsonObject withMap =
        runnerDeltafile({deletion}, clientPk(Client1, PointsXyz, "2", QString::number(newFid)));
    result = runApply(job, withMap, false);
    CALL(verifyFinished(result, job, withMap));
    QCOMPARE(statusesOf(deltaFeedback(result)), QStringList{Applied});
    READ_TABLE(afterDelete, job, "points_xyz");
    QCOMPARE(afterDelete.text(PointColumns), InitialPointsXyz);
}

void tst_ApplyDeltas::fileOrderIsApplicationOrder()
{
    // spec/worker.md §5.10: strictly sequential in file order. Two patches of feature 1:
    // A (1 → 666) and B (666 → 777); without overwriting only A-then-B applies both.
    const QJsonObject a =
        deltasOf(upstreamDeltafile("core/delta/deltas/singlelayer_singledelta.json"))
            .at(0)
            .toObject();
    QJsonObject b = a;
    b.insert("uuid", newUuid());
    b.insert("new", QJsonObject{{"attributes", QJsonObject{{"int", 777}}}});
    b.insert("old", QJsonObject{{"attributes", QJsonObject{{"int", 666}}}});

    WorkerJob inOrder;
    QVERIFY(setUpFDelta(inOrder));
    const QJsonObject ab = runnerDeltafile({a, b});
    WorkerResult result = runApply(inOrder, ab, false);
    CALL(verifyFinished(result, inOrder, ab));
    QCOMPARE(statusesOf(deltaFeedback(result)), (QStringList{Applied, Applied}));
    READ_TABLE(afterAb, inOrder, "points_xy");
    QCOMPARE(afterAb.integers("int"), (QList<qlonglong>{777, 2, 3}));

    WorkerJob reversed;
    QVERIFY(setUpFDelta(reversed));
    const QJsonObject ba = runnerDeltafile({b, a});
    result = runApply(reversed, ba, false);
    CALL(verifyFinished(result, reversed, ba));
    QCOMPARE(statusesOf(deltaFeedback(result)), (QStringList{Conflict, Applied}));
    READ_TABLE(afterBa, reversed, "points_xy");
    QCOMPARE(afterBa.integers("int"), (QList<qlonglong>{666, 2, 3}));

    // re-applying a patch (a manager's "re-apply") conflicts with the current state: kept without
    // overwriting, applied with it
    result = runApply(inOrder, runnerDeltafile({a}), false);
    QCOMPARE(statusesOf(deltaFeedback(result)), QStringList{Conflict});
    result = runApply(inOrder, runnerDeltafile({a}), true);
    QCOMPARE(statusesOf(deltaFeedback(result)), QStringList{Applied});
    READ_TABLE(afterReapply, inOrder, "points_xy");
    QCOMPARE(afterReapply.integers("int"), (QList<qlonglong>{666, 2, 3}));
}

void tst_ApplyDeltas::reapplyingCreateDuplicates()
{
    // spec/worker.md §5.5, §5.10: creates are not idempotent; a given primary key that exists
    // already gets a fresh one
    WorkerJob job;
    QVERIFY(setUpFDelta(job));
    const QJsonObject create =
        withClientPks(upstreamDeltafile("core/delta/deltas/multistage_p1_c1_create.json"));
    WorkerResult result = runApply(job, create, true);
    CALL(verifyFinished(result, job, create));
    QCOMPARE(deltaFeedback(result).at(0).toObject().value("modified_pk"), QJsonValue(1000));
    result = runApply(job, create, true);
    CALL(verifyFinished(result, job, create));
    QCOMPARE(statusesOf(deltaFeedback(result)), QStringList{Applied});
    const QJsonValue secondPk = deltaFeedback(result).at(0).toObject().value("modified_pk");
    QVERIFY(secondPk.isDouble());
    QVERIFY(secondPk.toInteger() != 1000);
    READ_TABLE(xy, job, "points_xy");
    QCOMPARE(xy.integers("int"), (QList<qlonglong>{1, 2, 3, 1000, 1000}));
    QCOMPARE(xy.integers("fid"), (QList<qlonglong>{1, 2, 3, 1000, secondPk.toInteger()}));
}

void tst_ApplyDeltas::missingClientPksTolerated()
{
    // spec/worker.md §5.3: the runner always writes clientPks; missing is treated as {}
    WorkerJob job;
    QVERIFY(setUpFDelta(job));
    const QJsonObject deltafile =
        upstreamDeltafile("core/delta/deltas/singlelayer_singledelta.json");
    QVERIFY(!deltafile.contains("clientPks"));
    const WorkerResult result = runApply(job, deltafile, true);
    CALL(verifyFinished(result, job, deltafile));
    QCOMPARE(statusesOf(deltaFeedback(result)), QStringList{Applied});
    QVERIFY(result.log().contains(QLatin1String("no \"clientPks\"")));
    READ_TABLE(xy, job, "points_xy");
    QCOMPARE(xy.integers("int"), (QList<qlonglong>{666, 2, 3}));
}

void tst_ApplyDeltas::deltafileOption()
{
    // --deltafile replaces <workdir>/deltafile.json
    WorkerJob job;
    QVERIFY(setUpFDelta(job));
    const QJsonObject deltafile =
        withClientPks(upstreamDeltafile("core/delta/deltas/singlelayer_singledelta2.json"));
    const QString inside = job.workdir() + "/in/elsewhere.json";
    QVERIFY(QDir().mkpath(job.workdir() + "/in"));
    QVERIFY(writeBytes(inside, QJsonDocument(deltafile).toJson()));
    QVERIFY(!QFile::exists(job.workdir() + "/deltafile.json"));
    const WorkerResult result =
        runApply(job, QJsonObject(), true, "project.qgs", {QStringLiteral("--deltafile"), inside});
    CALL(verifyFinished(result, job, deltafile));
    QCOMPARE(statusesOf(deltaFeedback(result)), QStringList{Applied});

    // Confined (worker.md §7.8), the worker cannot read a deltafile outside its work directory.
    if (qEnvironmentVariableIsEmpty("QFC_TEST_CONFINE")
        || qEnvironmentVariableIntValue("QFC_TEST_UNCONFINED") > 0)
        return;
    WorkerJob other;
    QVERIFY(setUpFDelta(other));
    const QString outside = other.scratchDir() + "/elsewhere.json";
    QVERIFY(writeBytes(outside, QJsonDocument(deltafile).toJson()));
    const WorkerResult refused = runApply(other, QJsonObject(), true, "project.qgs",
                                          {QStringLiteral("--deltafile"), outside});
    QVERIFY2(refused.feedback.value("error_type").toString() == QLatin1String("FILE_NOT_FOUND"),
             qPrintable(describe(refused)));
}

void tst_ApplyDeltas::missingProjectFile()
{
    WorkerJob job;
    QVERIFY(setUpFDelta(job));
    const QJsonObject deltafile =
        withClientPks(upstreamDeltafile("core/delta/deltas/singlelayer_singledelta.json"));
    const WorkerResult result = runApply(job, deltafile, true, "missing.qgs");
    CALL(verifyFailedAtApply(result, job, QStringLiteral("FILE_NOT_FOUND")));
    QVERIFY(
        result.feedback.value("error").toString().startsWith(QLatin1String("File not found: ")));
}

QTEST_GUILESS_MAIN(tst_ApplyDeltas)
#include "tst_applydeltas.moc"
