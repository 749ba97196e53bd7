// package on the real qfc-worker (spec/worker.md §4, test cases §6.2), laid out as the runner
// lays out a package job (<workdir>/files/..., empty <workdir>/export/). What QField would get is
// checked three ways: the feedback (qgis_layers_data / qfield_layer_data), the packaged project
// re-opened by QGIS itself (qfc-qgisprobe, Qt 5 + QGIS, none of the worker's code) and data.gpkg
// read back with Qt's QSQLITE driver (tables, schema, feature counts, geometries, R-trees).
//
// PK-02, PK-07 and PP-08's packaging half run against the PostGIS of the `postgis` CTest fixture
// (tests/scripts/postgis.sh, tests/data/postgis/): copies of core/delta/project2.qgs pointed at
// its databases, and its pg_service.conf (see tst_processprojectfile.cpp). Under CTest a fixture
// that did not start fails them; run by hand without QFC_TEST_PGSERVICEFILE and
// QFC_TEST_POSTGIS_ENV they are skipped.

#include "workerjob.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTest>
#include <QtEndian>

namespace {

const QStringList PackageStepIds{"start_qgis_app",         "download_project_directory",
                                 "qgis_layers_data",       "package_project",
                                 "qfield_layer_data",      "stop_qgis_app",
                                 "upload_packaged_project"};
const QString DocType =
    QStringLiteral("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>");
const QRegularExpression Sha256Hex(QStringLiteral("\\A[0-9a-f]{64}\\z"));

WorkerResult runPackage(WorkerJob &job, const QString &projectFile, const QStringList &extra = {})
{
    QDir(job.workdir()).mkpath(QStringLiteral("export"));
    return job.run(QStringList{QStringLiteral("package"), QStringLiteral("--project-id"),
                               WorkerJob::ProjectId, QStringLiteral("--project-file"), projectFile,
                               QStringLiteral("--workdir"), job.workdir()}
                   + extra);
}

QJsonObject outputLayers(const WorkerResult &result, const char *step)
{
    return result.feedback.value("outputs")
        .toObject()
        .value(QLatin1String(step))
        .toObject()
        .value("layers_by_id")
        .toObject();
}

QStringList exportFiles(const WorkerJob &job)
{
    const QString root = job.workdir() + QStringLiteral("/export");
    QStringList names;
    QDirIterator it(root, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext())
        names << QDir(root).relativeFilePath(it.next());
    names.sort();
    return names;
}

// The packaged project as QGIS sees it (qfc-qgisprobe).
QJsonObject probe(const WorkerJob &job, const QString &projectPath)
{
    QProcess process;
    QProcessEnvironment environment = const_cast<WorkerJob &>(job).environment();
    environment.insert(QStringLiteral("QGIS_CUSTOM_CONFIG_PATH"),
                       job.scratchDir() + QStringLiteral("/probe-config"));
    process.setProcessEnvironment(environment);
    process.start(qEnvironmentVariable("QFC_TEST_QGISPROBE"), {projectPath});
    if (!process.waitForFinished(120000))
        return {};
    return QJsonDocument::fromJson(process.readAllStandardOutput()).object();
}

class Database
{
public:
    explicit Database(const QString &path) : m_name(QStringLiteral("db%1").arg(++s_counter))
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_name);
        db.setDatabaseName(path);
        db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY"));
        db.open();
    }
    ~Database() { QSqlDatabase::removeDatabase(m_name); }

    QSqlDatabase db() const { return QSqlDatabase::database(m_name); }

    QList<QVariantList> rows(const QString &sql) const
    {
        QList<QVariantList> result;
        QSqlQuery query(db());
        if (!query.exec(sql)) {
            qWarning("%s: %s", qPrintable(sql), qPrintable(query.lastError().text()));
            return result;
        }
        while (query.next()) {
            QVariantList row;
            for (int i = 0; i < query.record().count(); ++i)
                row << query.value(i);
            result << row;
        }
        return result;
    }
    QVariant value(const QString &sql) const
    {
        const QList<QVariantList> all = rows(sql);
        return all.isEmpty() ? QVariant() : all.first().value(0);
    }

private:
    static inline int s_counter = 0;
    QString m_name;
};

// The ISO WKB inside a GeoPackage geometry blob.
QByteArray gpkgWkb(const QByteArray &blob)
{
    if (blob.size() < 8 || blob.at(0) != 'G' || blob.at(1) != 'P')
        return {};
    static const int envelopeSizes[] = {0, 32, 48, 48, 64, 0, 0, 0};
    const int envelope = envelopeSizes[(quint8(blob.at(3)) >> 1) & 7];
    return blob.mid(8 + envelope);
}

quint32 wkbType(const QByteArray &wkb)
{
    if (wkb.size() < 5)
        return 0;
    const auto *data = reinterpret_cast<const uchar *>(wkb.constData() + 1);
    return wkb.at(0) == 1 ? qFromLittleEndian<quint32>(data) : qFromBigEndian<quint32>(data);
}

QString sha256(const QString &text)
{
    return QString::fromLatin1(
        QCryptographicHash::hash(text.toUtf8(), QCryptographicHash::Sha256).toHex());
}

// (name, declared type) of a table's columns, in order.
QList<QPair<QString, QString>> columns(const Database &db, const QString &table)
{
    QList<QPair<QString, QString>> result;
    for (const QVariantList &row : db.rows(QStringLiteral("PRAGMA table_info(\"%1\")").arg(table)))
        result.append({row.at(1).toString(), row.at(2).toString()});
    return result;
}

bool copyDeltaProject(WorkerJob &job)
{
    for (const char *name :
         {"project.qgs", "testdata.gpkg", "points.geojson", "polygons.geojson", "nonspatial.csv"}) {
        if (!job.addUpstreamFile(QStringLiteral("core/delta/") + QLatin1String(name),
                                 QLatin1String(name)))
            return false;
    }
    return true;
}

} // namespace

class tst_Package final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();

    void pk01FileLayers();
    void pk01OfflineLayersReopenedByQgis();
    void pk01DataGpkg();
    void pk02PostgisProject();
    void pk03BrokenProject();
    void pk04BrokenDatasource();
    void pk05AttachmentsNotPackaged();
    void pk06OneTablePerSource();
    void pk07PostgisMultipointAsPoint();
    void pk08PolygonIntoMultiPolygon();
    void pk09LocalizedLayers();
    void pk10SimpleProject();
    void pk11OfflineLayerProperties();
    void pp08PackagingWithEffectiveUser();
    void qgiscoreOffliner();

private:
    const WorkerResult &deltaRun();
    const QJsonObject &deltaProbe();

    std::unique_ptr<WorkerJob> m_deltaJob;
    std::unique_ptr<WorkerResult> m_deltaResult;
    QJsonObject m_deltaProbe;
};

void tst_Package::initTestCase()
{
    QVERIFY2(QFileInfo(WorkerJob::workerPath()).isExecutable(), "QFC_TEST_WORKER_BINARY");
    QVERIFY2(QFileInfo(qEnvironmentVariable("QFC_TEST_QGISPROBE")).isExecutable(),
             "QFC_TEST_QGISPROBE");
    QVERIFY(
        QFileInfo::exists(WorkerJob::upstreamDir() + QStringLiteral("/core/delta/project.qgs")));
}

const WorkerResult &tst_Package::deltaRun()
{
    if (!m_deltaResult) {
        m_deltaJob = std::make_unique<WorkerJob>();
        copyDeltaProject(*m_deltaJob);
        m_deltaResult =
            std::make_unique<WorkerResult>(runPackage(*m_deltaJob, QStringLiteral("project.qgs")));
    }
    return *m_deltaResult;
}

const QJsonObject &tst_Package::deltaProbe()
{
    if (m_deltaProbe.isEmpty()) {
        deltaRun();
        m_deltaProbe = probe(*m_deltaJob,
                             m_deltaJob->workdir() + QStringLiteral("/export/project_qfield.qgz"));
    }
    return m_deltaProbe;
}

void tst_Package::pk01FileLayers()
{
    const WorkerResult &result = deltaRun();
    QCOMPARE(result.exitCode, 0);
    QVERIFY2(!result.feedback.contains("error"),
             qPrintable(result.feedback.value("error").toString()));
    QCOMPARE(result.feedback.value("workflow_id").toString(), QStringLiteral("package_project"));
    QStringList ids;
    for (const QJsonValue &step : result.feedback.value("steps").toArray())
        ids << step.toObject().value("id").toString();
    QCOMPARE(ids, PackageStepIds);
    QCOMPARE(result.stages(), (QList<int>{2, 2, 2, 2, 2, 2, 2}));
    QCOMPARE(exportFiles(*m_deltaJob), (QStringList{"data.gpkg", "project_qfield.qgz"}));
    QCOMPARE(result.stepReturns("package_project").value("the_qgis_file_name_in_qfield").toString(),
             m_deltaJob->workdir() + QStringLiteral("/export/project_qfield.qgz"));

    const QString qgs = deltaProbe().value("qgs").toString();
    QVERIFY2(qgs.startsWith(DocType), qPrintable(qgs.left(100)));
    QVERIFY(qgs.contains(QLatin1String("name=\"theMapCanvas\"")));
    const QJsonObject original = outputLayers(result, "qgis_layers_data");
    QCOMPARE(original.size(), 8);
    for (const QJsonValue &layer : original)
        QVERIFY2(layer.toObject().value("is_valid").toBool(),
                 qPrintable(layer.toObject().value("name").toString()));
    // relative data sources only (§4.2)
    QRegularExpressionMatchIterator it =
        QRegularExpression(QStringLiteral("<datasource>([^<]*)</datasource>")).globalMatch(qgs);
    while (it.hasNext()) {
        const QString source = it.next().captured(1);
        QVERIFY2(source.isEmpty() || source.startsWith(QLatin1String("./")), qPrintable(source));
    }
}

void tst_Package::pk01OfflineLayersReopenedByQgis()
{
    // every offline layer of the packaged project is valid in QGIS, with the feature count and
    // the fields of its source (§4.5: the new FID column first, then the source's fields)
    deltaRun();
    const QJsonObject packaged = deltaProbe();
    QVERIFY(packaged.value("read").toBool());
    const QJsonObject layers = packaged.value("layers").toObject();
    QCOMPARE(layers.size(), 8);
    const QString files = m_deltaJob->filesDir();
    Database source(files + QStringLiteral("/testdata.gpkg"));
    struct Expected
    {
        const char *id;
        qint64 features;
        QStringList fields;
        const char *wkbType;
    };
    auto gpkgFields = [&source](const QString &table) {
        QStringList names{QStringLiteral("fid_1")};
        for (const auto &[name, type] : columns(source, table)) {
            if (name != QLatin1String("geom"))
                names << name;
        }
        return names;
    };
    auto count = [&source](const char *table) {
        return source.value(QStringLiteral("SELECT count(*) FROM %1").arg(QLatin1String(table)))
            .toLongLong();
    };
    const QList<Expected> expected{
        {"points_xy_897d5ed7_b810_4624_abe3_9f7c0a93d6a1", count("points_xy"),
         gpkgFields(QStringLiteral("points_xy")), "Point"},
        {"points_xyz_ff574332_1ff5_47e6_8d6a_15f68e0c7cd1", count("points_xyz"),
         gpkgFields(QStringLiteral("points_xyz")), "PointZ"},
        {"polygons_f18b6046_8e46_4206_a698_641c58e5ac73", count("polygons"),
         gpkgFields(QStringLiteral("polygons")), "Polygon"},
        {"special_data_types_c89719e4_25b5_4df7_b28d_ea5d086bd292", count("special_data_types"),
         gpkgFields(QStringLiteral("special_data_types")), "NoGeometry"},
        // spec/worker.md §6: 3 GeoJSON points with a "fid" property (so the FID is fid_1), and
        // the CSV table fid,col1 with one row
        {"points_c2784cf9_c9c3_45f6_9ce5_98a6047e4d6c", 3, {}, "Point"},
        {"nonspatial_5b9be5d0_6faa_4c14_825d_7889615c842c",
         1,
         {"fid_1", "fid", "col1"},
         "NoGeometry"},
    };
    QCOMPARE(count("points_xy"), 3);
    for (const Expected &e : expected) {
        const QJsonObject layer = layers.value(QLatin1String(e.id)).toObject();
        QVERIFY2(!layer.isEmpty(), e.id);
        QVERIFY2(layer.value("valid").toBool(), e.id);
        QCOMPARE(layer.value("provider").toString(), QStringLiteral("ogr"));
        QVERIFY2(layer.value("source").toString().startsWith(
                     m_deltaJob->workdir() + QStringLiteral("/export/data.gpkg|")),
                 qPrintable(layer.value("source").toString()));
        QCOMPARE(qint64(layer.value("feature_count").toDouble()), e.features);
        QCOMPARE(layer.value("wkb_type").toString(), QLatin1String(e.wkbType));
        QStringList names;
        for (const QJsonValue &field : layer.value("fields").toArray())
            names << field.toObject().value("name").toString();
        if (!e.fields.isEmpty())
            QCOMPARE(names, e.fields);
        else
            QCOMPARE(names.value(0), QStringLiteral("fid_1"));
        QCOMPARE(layer.value("primary_key").toArray(), QJsonArray{"fid_1"});
    }
}

void tst_Package::pk01DataGpkg()
{
    // §4.5 on the bytes: tables named by the SHA-256 of the layer's provider URI, source schema
    // plus the FID column, geometries unchanged, spatial indexes that SQLite accepts
    deltaRun();
    const QString files = m_deltaJob->filesDir();
    const QString dataPath = m_deltaJob->workdir() + QStringLiteral("/export/data.gpkg");
    Database data(dataPath);
    Database source(files + QStringLiteral("/testdata.gpkg"));
    QVERIFY(data.db().isOpen());
    QCOMPARE(data.value("PRAGMA journal_mode").toString(), QStringLiteral("delete"));
    QVERIFY(!QFileInfo::exists(dataPath + QStringLiteral("-wal")));

    const QStringList tables = [&data] {
        QStringList names;
        for (const QVariantList &row : data.rows("SELECT table_name FROM gpkg_contents"))
            names << row.at(0).toString();
        names.sort();
        return names;
    }();
    // 8 layers, 8 sources (the two "polygons" layers read different files)
    QCOMPARE(tables.size(), 8);
    for (const QString &table : tables)
        QVERIFY2(Sha256Hex.match(table).hasMatch(), qPrintable(table));

    for (const char *name : {"points_xy", "points_xyz", "points_xyzm", "polygons"}) {
        const QString table =
            sha256(files + QStringLiteral("/testdata.gpkg|layername=") + QLatin1String(name));
        QVERIFY2(tables.contains(table), name);
        // schema: fid_1 INTEGER primary key, the geometry column (GDAL puts it second), then the
        // source's columns with their types
        const QList<QPair<QString, QString>> sourceColumns = columns(source, QLatin1String(name));
        QList<QPair<QString, QString>> expected{
            {QStringLiteral("fid_1"), QStringLiteral("INTEGER")}};
        QStringList names;
        for (const auto &column : sourceColumns) {
            if (column.first == QLatin1String("geom"))
                expected.insert(1, column);
            else
                expected.append(column);
            names << QLatin1Char('"') + column.first + QLatin1Char('"');
        }
        QCOMPARE(columns(data, table), expected);
        QCOMPARE(data.value(QStringLiteral("SELECT geometry_type_name || ' ' || z || m FROM "
                                           "gpkg_geometry_columns WHERE table_name = '%1'")
                                .arg(table))
                     .toString(),
                 source
                     .value(QStringLiteral("SELECT geometry_type_name || ' ' || z || m FROM "
                                           "gpkg_geometry_columns WHERE table_name = '%1'")
                                .arg(QLatin1String(name)))
                     .toString());
        // every feature, in source order, same attributes, same geometry
        const QString list = names.join(QLatin1Char(','));
        const QList<QVariantList> copied = data.rows(
            QStringLiteral("SELECT fid_1, %1 FROM \"%2\" ORDER BY fid_1").arg(list, table));
        const QList<QVariantList> original = source.rows(
            QStringLiteral("SELECT %1 FROM %2 ORDER BY fid").arg(list, QLatin1String(name)));
        QCOMPARE(copied.size(), original.size());
        for (int i = 0; i < copied.size(); ++i) {
            QCOMPARE(copied.at(i).at(0).toLongLong(), i + 1);
            for (int c = 0; c < sourceColumns.size(); ++c) {
                if (sourceColumns.at(c).first == QLatin1String("geom"))
                    QCOMPARE(gpkgWkb(copied.at(i).at(c + 1).toByteArray()),
                             gpkgWkb(original.at(i).at(c).toByteArray()));
                else
                    QCOMPARE(copied.at(i).at(c + 1), original.at(i).at(c));
            }
        }
        // the R-tree: consistent for SQLite, one entry per feature, boxes around the geometries
        const QString rtree = QStringLiteral("rtree_%1_geom").arg(table);
        QCOMPARE(data.value(QStringLiteral("SELECT rtreecheck('%1')").arg(rtree)).toString(),
                 QStringLiteral("ok"));
        QCOMPARE(data.value(QStringLiteral("SELECT count(*) FROM \"%1\"").arg(rtree)).toLongLong(),
                 qint64(original.size()));
        QCOMPARE(data.value(QStringLiteral("SELECT count(*) FROM sqlite_master WHERE type = "
                                           "'trigger' AND name LIKE '%1%'")
                                .arg(rtree))
                     .toInt(),
                 6);
    }
    // the special types (§6: date, datetime with ms, binary "foo" → String "foo")
    const QString special =
        sha256(files + QStringLiteral("/testdata.gpkg|layername=special_data_types"));
    const QList<QVariantList> rows = data.rows(
        QStringLiteral("SELECT fid, col_date, col_datetime, col_binary FROM \"%1\"").arg(special));
    QCOMPARE(rows.size(), 1);
    QCOMPARE(rows.at(0).at(0).toInt(), 1);
    QCOMPARE(rows.at(0).at(1).toString(), QStringLiteral("2023-02-22"));
    QVERIFY2(rows.at(0).at(2).toString().startsWith(QLatin1String("2023-02-22T01:23:45.678")),
             qPrintable(rows.at(0).at(2).toString()));
    QCOMPARE(rows.at(0).at(3).toString(), QStringLiteral("foo"));
    QCOMPARE(columns(data, special).last(), (QPair<QString, QString>{"col_binary", "TEXT"}));
}

void tst_Package::pk02PostgisProject()
{
    // core/delta/project2.qgs: one layer on public.point (srid 2056, Point) through a plain-text
    // connection, pointed at the fixture's database qfc_package (1 feature)
    const PostgisFixture postgis;
    QFC_REQUIRE_POSTGIS(postgis);
    WorkerJob job;
    QVERIFY(job.addUpstreamFile(QStringLiteral("core/delta/project2.qgs"),
                                QStringLiteral("project.qgs")));
    QVERIFY(job.addUpstreamFile(QStringLiteral("core/delta/points.geojson"),
                                QStringLiteral("points.geojson")));
    QVERIFY(rewritePostgisConnection(job.filesDir() + QStringLiteral("/project.qgs"),
                                     postgis.connectionInfo(postgis.value("DB_PACKAGE")))
            > 0);
    const WorkerResult result = runPackage(job, QStringLiteral("project.qgs"));
    QVERIFY2(!result.feedback.contains("error"),
             qPrintable(result.feedback.value("error").toString()));
    QCOMPARE(result.exitCode, 0);
    QCOMPARE(exportFiles(job), (QStringList{"data.gpkg", "project_qfield.qgz"}));
    // the PostGIS layer was reached, and offlined with its one feature
    const QString id = QStringLiteral("point_6b900fa7_af52_4082_bbff_6077f4a91d02");
    const QJsonObject source = outputLayers(result, "qgis_layers_data").value(id).toObject();
    QVERIFY2(source.value("is_valid").toBool(),
             qPrintable(QJsonDocument(source).toJson(QJsonDocument::Compact)));
    QCOMPARE(source.value("provider_name").toString(), QStringLiteral("postgres"));
    QVERIFY(
        outputLayers(result, "qfield_layer_data").value(id).toObject().value("is_valid").toBool());
    Database data(job.workdir() + QStringLiteral("/export/data.gpkg"));
    const QList<QVariantList> tables = data.rows("SELECT table_name FROM gpkg_geometry_columns");
    QCOMPARE(tables.size(), 1);
    const QList<QVariantList> rows =
        data.rows(QStringLiteral("SELECT id, geom FROM \"%1\"").arg(tables.at(0).at(0).toString()));
    QCOMPARE(rows.size(), 1);
    QCOMPARE(rows.at(0).at(0).toInt(), 1);
    QCOMPARE(wkbType(gpkgWkb(rows.at(0).at(1).toByteArray())), quint32(1));
}

void tst_Package::pk03BrokenProject()
{
    WorkerJob job;
    QVERIFY(
        job.addUpstreamFile(QStringLiteral("core/delta/broken.qgs"), QStringLiteral("broken.qgs")));
    const WorkerResult result = runPackage(job, QStringLiteral("broken.qgs"));
    QCOMPARE(result.exitCode, 0); // the failure is in the feedback
    QVERIFY(result.feedback.contains("error"));
    QCOMPARE(result.stages(), (QList<int>{2, 2, 1, 0, 0, 0, 0}));
    QVERIFY(!result.feedback.value("outputs").toObject().contains("qgis_layers_data"));
    QCOMPARE(exportFiles(job), QStringList());
}

void tst_Package::pk04BrokenDatasource()
{
    WorkerJob job;
    QVERIFY(job.addUpstreamFile(QStringLiteral("core/delta/project_broken_datasource.qgs"),
                                QStringLiteral("project_broken_datasource.qgs")));
    QVERIFY(job.addUpstreamFile(QStringLiteral("core/delta/points.geojson"),
                                QStringLiteral("points.geojson")));
    const WorkerResult result = runPackage(job, QStringLiteral("project_broken_datasource.qgs"));
    QCOMPARE(result.exitCode, 0);
    QVERIFY2(!result.feedback.contains("error"),
             qPrintable(result.feedback.value("error").toString()));
    QCOMPARE(exportFiles(job), (QStringList{"data.gpkg", "project_broken_datasource_qfield.qgz"}));
    const QString broken = QStringLiteral("surfacestructure_35131bca_337c_483b_b09e_1cf77b1dfb16");
    const QJsonObject original = outputLayers(result, "qgis_layers_data");
    QVERIFY(original.size() > 1);
    for (auto it = original.constBegin(); it != original.constEnd(); ++it)
        QCOMPARE(it.value().toObject().value("is_valid").toBool(), it.key() != broken);
    const QJsonObject packaged = outputLayers(result, "qfield_layer_data");
    QVERIFY(!packaged.contains(broken));
    QCOMPARE(packaged.size(), original.size() - 1);
    const QJsonObject reopened =
        probe(job, job.workdir() + QStringLiteral("/export/project_broken_datasource_qfield.qgz"));
    QVERIFY(!reopened.value("layers").toObject().contains(broken));
    QVERIFY(!reopened.value("qgs").toString().contains(broken));
}

void tst_Package::pk05AttachmentsNotPackaged()
{
    // the runner leaves DCIM/ out of files/ (§1.2): the worker's package has no attachments
    WorkerJob job;
    QVERIFY(job.addUpstreamFile(QStringLiteral("core/simple_bumblebees.qgs"),
                                QStringLiteral("simple_bumblebees.qgs")));
    QVERIFY(job.addUpstreamFile(QStringLiteral("core/bumblebees.gpkg"),
                                QStringLiteral("bumblebees.gpkg")));
    const WorkerResult result = runPackage(job, QStringLiteral("simple_bumblebees.qgs"));
    QCOMPARE(result.exitCode, 0);
    QVERIFY2(!result.feedback.contains("error"),
             qPrintable(result.feedback.value("error").toString()));
    QCOMPARE(exportFiles(job), (QStringList{"data.gpkg", "simple_bumblebees_qfield.qgz"}));
}

void tst_Package::pk06OneTablePerSource()
{
    WorkerJob job;
    QVERIFY(job.addUpstreamFile(QStringLiteral("core/simple_bumblebees.qgs"),
                                QStringLiteral("simple_bumblebees.qgs")));
    QVERIFY(job.addUpstreamFile(QStringLiteral("core/bumblebees.gpkg"),
                                QStringLiteral("bumblebees.gpkg")));
    const WorkerResult result = runPackage(job, QStringLiteral("simple_bumblebees.qgs"));
    QVERIFY2(!result.feedback.contains("error"),
             qPrintable(result.feedback.value("error").toString()));
    Database data(job.workdir() + QStringLiteral("/export/data.gpkg"));
    const QList<QVariantList> tables = data.rows(
        "SELECT table_name, geometry_type_name FROM gpkg_geometry_columns ORDER BY table_name");
    QCOMPARE(tables.size(), 2);
    QMap<QString, qint64> counts;
    for (const QVariantList &row : tables) {
        const QString table = row.at(0).toString();
        QVERIFY2(Sha256Hex.match(table).hasMatch(), qPrintable(table));
        counts.insert(
            row.at(1).toString(),
            data.value(QStringLiteral("SELECT count(*) FROM \"%1\"").arg(table)).toLongLong());
    }
    QCOMPARE(counts.value(QStringLiteral("POINT")), 35);
    QCOMPARE(counts.value(QStringLiteral("POLYGON")), 14);
    QVERIFY(tables.contains(
        QVariantList{sha256(job.filesDir() + QStringLiteral("/bumblebees.gpkg|layername=apiary")),
                     QStringLiteral("POINT")}));
    // the OSM XYZ layer stays, untouched (no_action, direct access)
    const QJsonObject reopened =
        probe(job, job.workdir() + QStringLiteral("/export/simple_bumblebees_qfield.qgz"));
    bool xyz = false;
    for (const QJsonValue &value : reopened.value("layers").toObject()) {
        const QJsonObject layer = value.toObject();
        if (layer.value("source").toString().contains(QLatin1String("tile.openstreetmap.org"))) {
            xyz = true;
            QCOMPARE(layer.value("provider").toString(), QStringLiteral("wms"));
        } else {
            QVERIFY(layer.value("valid").toBool());
            QVERIFY(layer.value("source").toString().contains(QLatin1String("/export/data.gpkg|")));
        }
    }
    QVERIFY(xyz);
}

void tst_Package::pk07PostgisMultipointAsPoint()
{
    // project2.qgs pointed at qfc_package_multipoint: public.point is geometry(MultiPoint, 2056)
    // with 12 single-point features while the layer is declared type=Point
    const PostgisFixture postgis;
    QFC_REQUIRE_POSTGIS(postgis);
    WorkerJob job;
    QVERIFY(job.addUpstreamFile(QStringLiteral("core/delta/project2.qgs"),
                                QStringLiteral("project2.qgs")));
    QVERIFY(rewritePostgisConnection(job.filesDir() + QStringLiteral("/project2.qgs"),
                                     postgis.connectionInfo(postgis.value("DB_PACKAGE_MULTIPOINT")))
            > 0);
    const WorkerResult result =
        runPackage(job, QStringLiteral("project2.qgs"),
                   {QStringLiteral("--offliner"), QStringLiteral("pythonmini")});
    QVERIFY2(!result.feedback.contains("error"),
             qPrintable(result.feedback.value("error").toString()));
    QCOMPARE(result.exitCode, 0);
    Database data(job.workdir() + QStringLiteral("/export/data.gpkg"));
    const QList<QVariantList> tables =
        data.rows("SELECT table_name, geometry_type_name FROM gpkg_geometry_columns");
    QCOMPARE(tables.size(), 1);
    QCOMPARE(tables.at(0).at(1).toString(), QStringLiteral("POINT"));
    const QList<QVariantList> geometries =
        data.rows(QStringLiteral("SELECT geom FROM \"%1\"").arg(tables.at(0).at(0).toString()));
    QCOMPARE(geometries.size(), 12);
    for (const QVariantList &row : geometries)
        QCOMPARE(wkbType(gpkgWkb(row.at(0).toByteArray())), quint32(1));
}

void tst_Package::pk08PolygonIntoMultiPolygon()
{
    WorkerJob job;
    QVERIFY(job.addUpstreamFile(QStringLiteral("core/multipolygons.qgs"),
                                QStringLiteral("multipolygons.qgs")));
    QVERIFY(job.addUpstreamFile(QStringLiteral("core/multipolygons.gpkg"),
                                QStringLiteral("multipolygons.gpkg")));
    const QString gpkg = job.filesDir() + QStringLiteral("/multipolygons.gpkg");
    QFile::setPermissions(gpkg, QFile::ReadOwner | QFile::WriteOwner);
    // append POLYGON((104 12, 104 11, 105 11, 105 12, 104 12)) in EPSG:4326 (a single Polygon
    // in the MULTIPOLYGON table), as GeoPackage blob: header with envelope, little-endian WKB
    QByteArray polygon;
    auto u32 = [&polygon](quint32 v) {
        polygon.append(reinterpret_cast<const char *>(&v), 4); // x86: little endian
    };
    auto f64 = [&polygon](double v) {
        polygon.append(reinterpret_cast<const char *>(&v), 8);
    };
    polygon.append(char(1));
    u32(3);
    u32(1);
    u32(5);
    for (const auto &[x, y] :
         {std::pair{104.0, 12.0}, {104.0, 11.0}, {105.0, 11.0}, {105.0, 12.0}, {104.0, 12.0}}) {
        f64(x);
        f64(y);
    }
    QByteArray blob("GP", 2);
    blob.append(char(0)).append(char(0x03)); // version 0; little endian, xy envelope
    const qint32 srs = 4326;
    blob.append(reinterpret_cast<const char *>(&srs), 4);
    for (double v : {104.0, 105.0, 11.0, 12.0})
        blob.append(reinterpret_cast<const char *>(&v), 8);
    blob.append(polygon);
    {
        QSqlDatabase db =
            QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("pk08"));
        db.setDatabaseName(gpkg);
        QVERIFY(db.open());
        QSqlQuery query(db);
        QVERIFY(query.prepare("INSERT INTO multipolygons (geom) VALUES (?)"));
        query.addBindValue(blob);
        QVERIFY2(query.exec(), qPrintable(query.lastError().text()));
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("pk08"));

    const WorkerResult result = runPackage(job, QStringLiteral("multipolygons.qgs"));
    QCOMPARE(result.exitCode, 0);
    QVERIFY2(!result.feedback.contains("error"),
             qPrintable(result.feedback.value("error").toString()));
    Database data(job.workdir() + QStringLiteral("/export/data.gpkg"));
    const QList<QVariantList> tables =
        data.rows("SELECT table_name, geometry_type_name FROM gpkg_geometry_columns");
    QCOMPARE(tables.size(), 1);
    QCOMPARE(tables.at(0).at(1).toString(), QStringLiteral("MULTIPOLYGON"));
    const QList<QVariantList> rows =
        data.rows(QStringLiteral("SELECT geom FROM \"%1\"").arg(tables.at(0).at(0).toString()));
    QCOMPARE(rows.size(), 1);
    // MultiPolygon(1 part) around exactly the appended polygon
    QByteArray multi;
    multi.append(char(1));
    const quint32 header[] = {6, 1};
    multi.append(reinterpret_cast<const char *>(header), 8);
    multi.append(polygon);
    QCOMPARE(gpkgWkb(rows.at(0).at(0).toByteArray()), multi);
    const QJsonObject reopened =
        probe(job, job.workdir() + QStringLiteral("/export/multipolygons_qfield.qgz"));
    bool found = false;
    for (const QJsonValue &value : reopened.value("layers").toObject()) {
        const QJsonObject layer = value.toObject();
        if (!layer.value("source").toString().contains(QLatin1String("data.gpkg|")))
            continue;
        found = true;
        QVERIFY(layer.value("valid").toBool());
        QCOMPARE(layer.value("feature_count").toInt(), 1);
        QCOMPARE(layer.value("wkb_type").toString(), QStringLiteral("MultiPolygon"));
    }
    QVERIFY(found);
}

void tst_Package::pk09LocalizedLayers()
{
    WorkerJob job;
    QVERIFY(job.addUpstreamFile(QStringLiteral("core/simple_bumblebees_wrong_localized.qgs"),
                                QStringLiteral("project.qgs")));
    QVERIFY(job.addUpstreamFile(QStringLiteral("core/bumblebees.gpkg"),
                                QStringLiteral("bumblebees.gpkg")));
    const WorkerResult result = runPackage(job, QStringLiteral("project.qgs"));
    QCOMPARE(result.exitCode, 0);
    QVERIFY2(!result.feedback.contains("error"),
             qPrintable(result.feedback.value("error").toString()));
    const QJsonObject original = outputLayers(result, "qgis_layers_data");
    const QJsonObject packaged = outputLayers(result, "qfield_layer_data");
    for (const char *id :
         {"valid_localized_point_layer_id", "invalid_localized_polygon_layer_id"}) {
        for (const QJsonObject &layers : {original, packaged}) {
            const QJsonObject layer = layers.value(QLatin1String(id)).toObject();
            QVERIFY2(!layer.isEmpty(), id);
            QCOMPARE(layer.value("is_valid").toBool(true), false);
            QCOMPARE(layer.value("is_localized").toBool(false), true);
            QCOMPARE(layer.value("error_code").toString(),
                     QStringLiteral("localized_dataprovider"));
        }
        QCOMPARE(packaged.value(QLatin1String(id)).toObject().value("datasource"),
                 original.value(QLatin1String(id)).toObject().value("datasource"));
    }
    const QJsonObject missing = original.value("invalid_point_layer_id").toObject();
    QCOMPARE(missing.value("is_valid").toBool(true), false);
    QCOMPARE(missing.value("is_localized").toBool(true), false);
    QCOMPARE(missing.value("error_code").toString(), QStringLiteral("invalid_dataprovider"));
    QVERIFY(!packaged.contains("invalid_point_layer_id"));
}

void tst_Package::pk10SimpleProject()
{
    WorkerJob job;
    QVERIFY(job.addUpstreamDirectory(QStringLiteral("docker-qgis/simple_project"), QString()));
    const WorkerResult result = runPackage(job, QStringLiteral("project.qgs"));
    QCOMPARE(result.exitCode, 0);
    QVERIFY2(!result.feedback.contains("error"),
             qPrintable(result.feedback.value("error").toString()));
    QCOMPARE(
        exportFiles(job),
        (QStringList{"data.gpkg", "france_parts_shape.cpg", "france_parts_shape.dbf",
                     "france_parts_shape.prj", "france_parts_shape.qpj", "france_parts_shape.shp",
                     "france_parts_shape.shx", "project_qfield.qgz"}));
    const QJsonObject original = outputLayers(result, "qgis_layers_data");
    int spatialite = 0;
    for (auto it = original.constBegin(); it != original.constEnd(); ++it) {
        if (it.value().toObject().value("provider_name").toString()
            == QLatin1String("spatialite")) {
            ++spatialite;
            QCOMPARE(it.value().toObject().value("is_valid").toBool(true), false);
        }
    }
    QCOMPARE(spatialite, 2);
    const QJsonObject reopened =
        probe(job, job.workdir() + QStringLiteral("/export/project_qfield.qgz"));
    const QJsonObject layers = reopened.value("layers").toObject();
    QCOMPARE(layers.size(), 2); // both spatialite layers removed
    bool curved = false, shape = false;
    for (const QJsonValue &value : layers) {
        const QJsonObject layer = value.toObject();
        const QJsonObject properties = layer.value("custom_properties").toObject();
        QVERIFY(layer.value("valid").toBool());
        if (layer.value("source").toString().contains(QLatin1String("data.gpkg|"))) {
            curved = true;
            QCOMPARE(layer.value("feature_count").toInt(), 4);
            QCOMPARE(properties.value("QFieldSync/sourceDataPrimaryKeys").toString(),
                     QStringLiteral("fid"));
        } else {
            shape = true;
            QCOMPARE(layer.value("source").toString(),
                     job.workdir() + QStringLiteral("/export/france_parts_shape.shp"));
            QCOMPARE(layer.value("read_only").toBool(), true);
            QCOMPARE(properties.value("QFieldSync/unsupported_source_pk").toString(),
                     QStringLiteral("1"));
        }
    }
    QVERIFY(curved && shape);
}

void tst_Package::pk11OfflineLayerProperties()
{
    deltaRun();
    const QJsonObject packaged = deltaProbe();
    QCOMPARE(packaged.value("offline_db_path").toString(), QStringLiteral("./data.gpkg"));
    const QString qgs = packaged.value("qgs").toString();
    const QJsonObject layers = packaged.value("layers").toObject();
    QVERIFY(!layers.isEmpty());
    for (auto it = layers.constBegin(); it != layers.constEnd(); ++it) {
        const QJsonObject properties = it.value().toObject().value("custom_properties").toObject();
        QCOMPARE(properties.value("remoteLayerId").toString(), it.key());
        QCOMPARE(properties.value("QFieldSync/remoteLayerId").toString(), it.key());
        QCOMPARE(properties.value("isOfflineEditable").toVariant().toBool(), true);
        QCOMPARE(properties.value("remoteProvider").toString(), QStringLiteral("ogr"));
        const QString remoteSource = properties.value("remoteSource").toString();
        QVERIFY2(remoteSource.startsWith(m_deltaJob->filesDir() + QLatin1Char('/')),
                 qPrintable(remoteSource));
        const QString table = it.value()
                                  .toObject()
                                  .value("source")
                                  .toString()
                                  .section(QStringLiteral("layername="), 1)
                                  .section(QLatin1Char('|'), 0, 0);
        QVERIFY2(Sha256Hex.match(table).hasMatch(), qPrintable(table));
        QVERIFY(qgs.contains(QStringLiteral("<datasource>./data.gpkg|layername=%1").arg(table)));
    }
    QCOMPARE(layers.value("points_xy_897d5ed7_b810_4624_abe3_9f7c0a93d6a1")
                 .toObject()
                 .value("custom_properties")
                 .toObject()
                 .value("remoteSource")
                 .toString(),
             m_deltaJob->filesDir() + QStringLiteral("/testdata.gpkg|layername=points_xy"));
}

void tst_Package::pp08PackagingWithEffectiveUser()
{
    // §6.3 PP-08, packaging half: with the QFC_PG_EFFECTIVE_USER secret the view stays valid and
    // its 3 features are packaged
    const PostgisFixture postgis;
    QFC_REQUIRE_POSTGIS(postgis);
    WorkerJob job;
    QVERIFY(job.usePgServiceFile(postgis.serviceFile()));
    job.environment().insert(QStringLiteral("QFC_PG_EFFECTIVE_USER"),
                             postgis.value("EFFECTIVE_USER"));
    QVERIFY(job.addUpstreamFile(QStringLiteral("core/override_pg_effective_user.qgs"),
                                QStringLiteral("override_pg_effective_user.qgs")));
    const WorkerResult result = runPackage(job, QStringLiteral("override_pg_effective_user.qgs"));
    QVERIFY2(!result.feedback.contains("error"),
             qPrintable(result.feedback.value("error").toString()));
    QCOMPARE(result.exitCode, 0);
    const QString id = QStringLiteral("point_view_e17fcc5d_9e31_40a3_83f7_914c6ddc6d8d");
    const QJsonObject layer = outputLayers(result, "qfield_layer_data").value(id).toObject();
    QVERIFY2(layer.value("is_valid").toBool(),
             qPrintable(QJsonDocument(layer).toJson(QJsonDocument::Compact)));
    QVERIFY(
        outputLayers(result, "qgis_layers_data").value(id).toObject().value("is_valid").toBool());
    QVERIFY2(result.log().contains(QStringLiteral("connects with session_role \"%1\"")
                                       .arg(postgis.value("EFFECTIVE_USER"))),
             qPrintable(result.log()));
    Database data(job.workdir() + QStringLiteral("/export/data.gpkg"));
    const QList<QVariantList> tables = data.rows("SELECT table_name FROM gpkg_geometry_columns");
    QCOMPARE(tables.size(), 1);
    QCOMPARE(
        data.value(QStringLiteral("SELECT count(*) FROM \"%1\"").arg(tables.at(0).at(0).toString()))
            .toInt(),
        3);
}

void tst_Package::qgiscoreOffliner()
{
    // §4.6: QGIS's own offline editing, one table per layer with its bookkeeping tables
    WorkerJob job;
    QVERIFY(copyDeltaProject(job));
    const WorkerResult result =
        runPackage(job, QStringLiteral("project.qgs"),
                   {QStringLiteral("--offliner"), QStringLiteral("qgiscore")});
    QCOMPARE(result.exitCode, 0);
    QVERIFY2(!result.feedback.contains("error"),
             qPrintable(result.feedback.value("error").toString()));
    QCOMPARE(exportFiles(job), (QStringList{"data.gpkg", "project_qfield.qgz"}));
    Database data(job.workdir() + QStringLiteral("/export/data.gpkg"));
    QCOMPARE(data.value("SELECT count(*) FROM sqlite_master WHERE name = 'log_fids'").toInt(), 1);
    const QJsonObject packaged = outputLayers(result, "qfield_layer_data");
    QCOMPARE(packaged.size(), 8);
    for (const QJsonValue &layer : packaged)
        QVERIFY(layer.toObject().value("is_valid").toBool());
}

QTEST_GUILESS_MAIN(tst_Package)
#include "tst_package.moc"
