#include "gpkgwriter.h"

#include "workererror.h"
#include "workerlog.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cpl_conv.h>
#include <cpl_string.h>
#include <cstring>
#include <deque>
#include <mutex>
#include <ogr_srs_api.h>
#include <sqlite3.h>
#include <thread>

namespace qfc::worker {

namespace {

// Features per transaction while copying (ogr2ogr uses 100 000 for GeoPackages).
constexpr qint64 FeaturesPerTransaction = 200000;
// SQLite page cache of the new file while it is written (KiB, negative = size).
constexpr int CacheKiB = 64 * 1024;

QByteArray quoted(const QString &identifier)
{
    QString text = identifier;
    text.replace(QLatin1Char('"'), QStringLiteral("\"\""));
    return (QLatin1Char('"') + text + QLatin1Char('"')).toUtf8();
}

QString sqlLiteral(const QString &text)
{
    QString escaped = text;
    escaped.replace(QLatin1Char('\''), QStringLiteral("''"));
    return QLatin1Char('\'') + escaped + QLatin1Char('\'');
}

QString lastGdalError()
{
    const char *message = CPLGetLastErrorMsg();
    return message && *message ? QString::fromUtf8(message) : QStringLiteral("unknown GDAL error");
}

// SQLite's R-tree stores 32-bit floats, rounding lower bounds down and upper bounds up exactly
// as its rtreeValueDown()/rtreeValueUp() do, so that a box never shrinks.
constexpr double RoundTowards = 1.0 - 1.0 / 8388608.0;
constexpr double RoundAway = 1.0 + 1.0 / 8388608.0;

float valueDown(double d)
{
    float f = float(d);
    if (double(f) > d)
        f = float(d * (d < 0 ? RoundAway : RoundTowards));
    return f;
}

float valueUp(double d)
{
    float f = float(d);
    if (double(f) < d)
        f = float(d * (d < 0 ? RoundTowards : RoundAway));
    return f;
}

void putInt16(unsigned char *out, int value)
{
    out[0] = (value >> 8) & 0xff;
    out[1] = value & 0xff;
}

void putInt64(unsigned char *out, qint64 value)
{
    const quint64 bits = quint64(value);
    for (int i = 0; i < 8; ++i)
        out[i] = (bits >> (56 - 8 * i)) & 0xff;
}

void putFloat(unsigned char *out, float value)
{
    quint32 bits = 0;
    std::memcpy(&bits, &value, sizeof bits);
    for (int i = 0; i < 4; ++i)
        out[i] = (bits >> (24 - 8 * i)) & 0xff;
}

struct Cell
{
    qint64 id; // feature id in leaves, index of the child node one level down otherwise
    float minX, maxX, minY, maxY;
};

// Sort-Tile-Recursive packing of one level: cells → nodes of at most `capacity` cells.
std::vector<std::vector<Cell>> packLevel(std::vector<Cell> cells, int capacity)
{
    const size_t count = cells.size();
    const size_t nodeCount = (count + capacity - 1) / capacity;
    const auto slices = size_t(std::ceil(std::sqrt(double(nodeCount))));
    const size_t sliceSize = slices * size_t(capacity);
    std::sort(cells.begin(), cells.end(), [](const Cell &a, const Cell &b) {
        return double(a.minX) + a.maxX < double(b.minX) + b.maxX;
    });
    std::vector<std::vector<Cell>> nodes;
    nodes.reserve(nodeCount);
    for (size_t start = 0; start < count; start += sliceSize) {
        const size_t end = std::min(count, start + sliceSize);
        std::sort(cells.begin() + qsizetype(start), cells.begin() + qsizetype(end),
                  [](const Cell &a, const Cell &b) {
                      return double(a.minY) + a.maxY < double(b.minY) + b.maxY;
                  });
        for (size_t first = start; first < end; first += size_t(capacity)) {
            const size_t last = std::min(end, first + size_t(capacity));
            nodes.emplace_back(cells.begin() + qsizetype(first), cells.begin() + qsizetype(last));
        }
    }
    return nodes;
}

class Statement
{
public:
    Statement(sqlite3 *db, const QByteArray &sql)
    {
        if (sqlite3_prepare_v2(db, sql.constData(), int(sql.size()), &m_statement, nullptr)
            != SQLITE_OK)
            throw WorkerError(
                QStringLiteral("SQLite error: %1 (%2)")
                    .arg(QString::fromUtf8(sqlite3_errmsg(db)), QString::fromUtf8(sql)));
    }
    ~Statement() { sqlite3_finalize(m_statement); }
    Statement(const Statement &) = delete;
    Statement &operator=(const Statement &) = delete;

    sqlite3_stmt *get() const { return m_statement; }

    void run(sqlite3 *db)
    {
        const int rc = sqlite3_step(m_statement);
        sqlite3_reset(m_statement);
        if (rc != SQLITE_DONE && rc != SQLITE_ROW)
            throw WorkerError(
                QStringLiteral("SQLite error: %1").arg(QString::fromUtf8(sqlite3_errmsg(db))));
    }

private:
    sqlite3_stmt *m_statement = nullptr;
};

void exec(sqlite3 *db, const QByteArray &sql)
{
    char *error = nullptr;
    if (sqlite3_exec(db, sql.constData(), nullptr, nullptr, &error) != SQLITE_OK) {
        const QString message = QString::fromUtf8(error ? error : "unknown error");
        sqlite3_free(error);
        throw WorkerError(
            QStringLiteral("SQLite error: %1 (%2)").arg(message, QString::fromUtf8(sql)));
    }
}

} // namespace

GpkgWriter::GpkgWriter(const QString &path) : m_path(path)
{
    if (QFileInfo::exists(path))
        QFile::remove(path);
    GDALDriverH driver = GDALGetDriverByName("GPKG");
    if (!driver)
        throw WorkerError(QStringLiteral("GDAL has no GPKG driver."));
    m_dataset =
        GDALCreate(driver, QFile::encodeName(path).constData(), 0, 0, 0, GDT_Unknown, nullptr);
    if (!m_dataset)
        throw WorkerError(QStringLiteral("Failed to create \"%1\": %2").arg(path, lastGdalError()));
    // a new file that is thrown away when the job fails: no rollback journal, no fsync
    execute(QStringLiteral("PRAGMA journal_mode = OFF"));
    execute(QStringLiteral("PRAGMA synchronous = OFF"));
    execute(QStringLiteral("PRAGMA cache_size = -%1").arg(CacheKiB));
}

GpkgWriter::~GpkgWriter()
{
    if (m_dataset) {
        if (m_inTransaction)
            GDALDatasetRollbackTransaction(m_dataset);
        GDALClose(m_dataset);
    }
}

void GpkgWriter::execute(const QString &sql)
{
    CPLErrorReset();
    OGRLayerH result = GDALDatasetExecuteSQL(m_dataset, sql.toUtf8().constData(), nullptr, nullptr);
    if (result)
        GDALDatasetReleaseResultSet(m_dataset, result);
    if (CPLGetLastErrorType() >= CE_Failure)
        throw WorkerError(
            QStringLiteral("GDAL failed to run \"%1\": %2").arg(sql, lastGdalError()));
}

int GpkgWriter::createTable(const TableDefinition &definition)
{
    auto table = std::make_unique<Table>();
    table->name = definition.name;
    const bool spatial = definition.geometryType != wkbNone;

    char **options = nullptr;
    options = CSLSetNameValue(options, "OVERWRITE", "YES");
    options = CSLSetNameValue(options, "IDENTIFIER", definition.name.toUtf8().constData());
    options = CSLSetNameValue(options, "DESCRIPTION", definition.description.toUtf8().constData());
    options = CSLSetNameValue(options, "FID", definition.fidColumn.toUtf8().constData());
    if (spatial) {
        options = CSLSetNameValue(options, "GEOMETRY_COLUMN", "geom");
        // created below while the table is empty, bulk-loaded by finish()
        options = CSLSetNameValue(options, "SPATIAL_INDEX", "NO");
    }

    OGRSpatialReferenceH srs = nullptr;
    if (spatial) {
        auto trySrs = [](const QString &text) -> OGRSpatialReferenceH {
            if (text.isEmpty())
                return nullptr;
            OGRSpatialReferenceH candidate = OSRNewSpatialReference(nullptr);
            OSRSetAxisMappingStrategy(candidate, OAMS_TRADITIONAL_GIS_ORDER);
            if (OSRSetFromUserInput(candidate, text.toUtf8().constData()) == OGRERR_NONE
                && OSRValidate(candidate) == OGRERR_NONE)
                return candidate;
            OSRDestroySpatialReference(candidate);
            return nullptr;
        };
        srs = trySrs(definition.srsAuthId);
        if (!srs)
            srs = trySrs(definition.srsWkt);
    }

    CPLErrorReset();
    table->layer = GDALDatasetCreateLayer(m_dataset, definition.name.toUtf8().constData(), srs,
                                          spatial ? definition.geometryType : wkbNone, options);
    CSLDestroy(options);
    if (srs)
        OSRDestroySpatialReference(srs);
    if (!table->layer)
        throw WorkerError(QStringLiteral("Failed to create the table \"%1\" in \"%2\": %3")
                              .arg(definition.name, m_path, lastGdalError()));

    for (const Field &field : definition.fields) {
        OGRFieldDefnH fieldDefinition = OGR_Fld_Create(field.name.toUtf8().constData(), field.type);
        if (field.subType != OFSTNone)
            OGR_Fld_SetSubType(fieldDefinition, field.subType);
        OGR_Fld_SetWidth(fieldDefinition, field.width);
        const OGRErr error = OGR_L_CreateField(table->layer, fieldDefinition, TRUE);
        OGR_Fld_Destroy(fieldDefinition);
        if (error != OGRERR_NONE)
            throw WorkerError(QStringLiteral("Creating field %1.%2 failed: %3")
                                  .arg(definition.name, field.name, lastGdalError()));
    }
    OGR_L_SyncToDisk(table->layer);
    table->definition = OGR_L_GetLayerDefn(table->layer);
    if (OGR_FD_GetFieldCount(table->definition) != definition.fields.size())
        throw WorkerError(QStringLiteral("The table \"%1\" does not have the expected fields.")
                              .arg(definition.name));

    if (spatial) {
        table->geometryType = OGR_L_GetGeomType(table->layer);
        table->geometryColumn = QString::fromUtf8(OGR_L_GetGeometryColumn(table->layer));
        table->indexPending = true;
    }

    m_tables.push_back(std::move(table));
    return int(m_tables.size()) - 1;
}

OGRFeatureH GpkgWriter::newFeature(int table) const
{
    return OGR_F_Create(m_tables.at(size_t(table))->definition);
}

void GpkgWriter::prepareIndexes()
{
    std::vector<Table *> pending;
    for (const auto &table : m_tables) {
        if (table->indexPending)
            pending.push_back(table.get());
    }
    if (pending.empty())
        return;
    // GDAL creates the R-tree, its triggers and the gpkg_extensions row while the tables are
    // empty; the triggers would insert into the R-tree once per feature, so they wait until
    // finish() loaded the index. Done through a second connection: a GDAL layer that knows of
    // its spatial index writes features markedly slower (GDAL 3.6).
    GDALDatasetH dataset = GDALOpenEx(QFile::encodeName(m_path).constData(),
                                      GDAL_OF_VECTOR | GDAL_OF_UPDATE, nullptr, nullptr, nullptr);
    if (!dataset)
        throw WorkerError(
            QStringLiteral("Failed to reopen \"%1\": %2").arg(m_path, lastGdalError()));
    auto run = [dataset](const QString &sql, QStringList *rows) {
        CPLErrorReset();
        OGRLayerH result =
            GDALDatasetExecuteSQL(dataset, sql.toUtf8().constData(), nullptr, nullptr);
        if (result) {
            while (OGRFeatureH row = OGR_L_GetNextFeature(result)) {
                if (rows) {
                    rows->append(QString::fromUtf8(OGR_F_GetFieldAsString(row, 0)));
                    rows->append(QString::fromUtf8(OGR_F_GetFieldAsString(row, 1)));
                }
                OGR_F_Destroy(row);
            }
            GDALDatasetReleaseResultSet(dataset, result);
        }
        return CPLGetLastErrorType() < CE_Failure;
    };
    QString failure;
    for (Table *table : pending) {
        table->indexPending = false;
        if (!run(QStringLiteral("SELECT CreateSpatialIndex(%1, %2)")
                     .arg(sqlLiteral(table->name), sqlLiteral(table->geometryColumn)),
                 nullptr)) {
            failure = lastGdalError();
            break;
        }
        const QString prefix =
            QStringLiteral("rtree_%1_%2_").arg(table->name, table->geometryColumn);
        QStringList rows; // name, sql, name, sql ...
        run(QStringLiteral("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND "
                           "tbl_name = %1 AND substr(name, 1, %2) = %3")
                .arg(sqlLiteral(table->name))
                .arg(prefix.size())
                .arg(sqlLiteral(prefix)),
            &rows);
        if (rows.isEmpty()) {
            failure = QStringLiteral("GDAL created no spatial index triggers for \"%1\".")
                          .arg(table->name);
            break;
        }
        for (qsizetype i = 0; i + 1 < rows.size(); i += 2) {
            table->indexTriggers.append(rows.at(i + 1));
            if (!run(QStringLiteral("DROP TRIGGER %1").arg(QString::fromUtf8(quoted(rows.at(i)))),
                     nullptr))
                failure = lastGdalError();
        }
        if (!failure.isEmpty())
            break;
    }
    GDALClose(dataset);
    if (!failure.isEmpty())
        throw WorkerError(QStringLiteral("Failed to create the spatial indexes of \"%1\": %2")
                              .arg(m_path, failure));
}

void GpkgWriter::beginTransaction()
{
    if (m_inTransaction)
        return;
    prepareIndexes();
    if (GDALDatasetStartTransaction(m_dataset, FALSE) != OGRERR_NONE)
        throw WorkerError(QStringLiteral("Failed to start a transaction on \"%1\": %2")
                              .arg(m_path, lastGdalError()));
    m_inTransaction = true;
    m_featuresInTransaction = 0;
}

void GpkgWriter::commitTransaction()
{
    if (!m_inTransaction)
        return;
    m_inTransaction = false;
    if (GDALDatasetCommitTransaction(m_dataset) != OGRERR_NONE)
        throw WorkerError(
            QStringLiteral("Failed to write \"%1\": %2").arg(m_path, lastGdalError()));
}

void GpkgWriter::maybeCommit()
{
    if (++m_featuresInTransaction >= FeaturesPerTransaction) {
        commitTransaction();
        beginTransaction();
    }
}

bool GpkgWriter::writeFeature(int tableIndex, OGRFeatureH feature, const QString &layerName)
{
    Table &table = *m_tables.at(size_t(tableIndex));
    beginTransaction();
    OGR_F_SetFID(feature, OGRNullFID);

    if (table.geometryType != wkbNone) {
        OGRGeometryH geometry = OGR_F_GetGeometryRef(feature);
        const OGRwkbGeometryType target = table.geometryType;
        if (geometry && wkbFlatten(target) != wkbUnknown
            && OGR_G_GetGeometryType(geometry) != target) {
            OGRGeometryH converted = OGR_G_ForceTo(OGR_F_StealGeometry(feature), target, nullptr);
            if (converted && wkbFlatten(OGR_G_GetGeometryType(converted)) == wkbFlatten(target)) {
                OGR_G_Set3D(converted, OGR_GT_HasZ(target));
                OGR_G_SetMeasured(converted, OGR_GT_HasM(target));
                OGR_F_SetGeometryDirectly(feature, converted);
            } else {
                if (converted)
                    OGR_G_DestroyGeometry(converted);
                logWarning(QStringLiteral("Layer \"%1\": a feature's geometry cannot be converted "
                                          "to %2, the feature is skipped.")
                               .arg(layerName, QString::fromUtf8(OGRGeometryTypeToName(target))));
                OGR_F_Destroy(feature);
                return false;
            }
        }
    }

    if (OGR_L_CreateFeature(table.layer, feature) != OGRERR_NONE) {
        const QString error = lastGdalError();
        OGR_F_Destroy(feature);
        throw WorkerError(
            QStringLiteral("Failed to write a feature of layer \"%1\": %2").arg(layerName, error));
    }
    if (table.geometryType != wkbNone) {
        OGRGeometryH geometry = OGR_F_GetGeometryRef(feature);
        if (geometry && !OGR_G_IsEmpty(geometry)) {
            OGREnvelope envelope;
            OGR_G_GetEnvelope(geometry, &envelope);
            table.index.push_back({OGR_F_GetFID(feature), envelope.MinX, envelope.MaxX,
                                   envelope.MinY, envelope.MaxY});
        }
    }
    OGR_F_Destroy(feature);
    maybeCommit();
    return true;
}

GpkgWriter::CopyResult GpkgWriter::copyFromOgr(int tableIndex, OGRLayerH source,
                                               const QVector<SourceField> &fieldMap,
                                               const QString &layerName)
{
    const Table &table = *m_tables.at(size_t(tableIndex));
    if (fieldMap.size() != OGR_FD_GetFieldCount(table.definition))
        throw WorkerError(QStringLiteral("Internal error: field map of \"%1\" has %2 entries.")
                              .arg(layerName)
                              .arg(fieldMap.size()));
    const int sourceFields = OGR_FD_GetFieldCount(OGR_L_GetLayerDefn(source));
    std::vector<int> map(size_t(std::max(sourceFields, 1)), -1);
    QVector<int> fidTargets;
    QVector<QPair<int, int>> textTargets; // (target, source)
    for (int i = 0; i < fieldMap.size(); ++i) {
        const SourceField &field = fieldMap.at(i);
        switch (field.kind) {
        case SourceField::Field:
            map[size_t(field.index)] = i;
            break;
        case SourceField::Fid:
            fidTargets.append(i);
            break;
        case SourceField::BytesAsText:
            textTargets.append({i, field.index});
            break;
        }
    }

    // GDAL reads and converts on a second thread while this one writes: the two halves of the
    // copy take about the same time. Each dataset is used by one thread only.
    constexpr size_t BatchSize = 2000;
    constexpr size_t MaxBatches = 8;
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<std::vector<OGRFeatureH>> batches;
    bool readerDone = false;
    bool abort = false;
    QString readerError;
    OGRFeatureDefnH targetDefinition = table.definition;
    const bool spatial = table.geometryType != wkbNone;

    auto read = [&] {
        std::vector<OGRFeatureH> batch;
        batch.reserve(BatchSize);
        auto push = [&] {
            std::unique_lock<std::mutex> lock(mutex);
            changed.wait(lock, [&] { return abort || batches.size() < MaxBatches; });
            if (abort)
                return false;
            batches.push_back(std::move(batch));
            batch = {};
            batch.reserve(BatchSize);
            changed.notify_all();
            return true;
        };
        OGR_L_ResetReading(source);
        while (OGRFeatureH input = OGR_L_GetNextFeature(source)) {
            OGRFeatureH output = OGR_F_Create(targetDefinition);
            OGRGeometryH geometry = OGR_F_StealGeometry(input);
            if (OGR_F_SetFromWithMap(output, input, TRUE, map.data()) != OGRERR_NONE) {
                readerError = lastGdalError();
                OGR_G_DestroyGeometry(geometry);
                OGR_F_Destroy(input);
                OGR_F_Destroy(output);
                break;
            }
            if (geometry && spatial)
                OGR_F_SetGeometryDirectly(output, geometry);
            else if (geometry)
                OGR_G_DestroyGeometry(geometry);
            for (const int target : std::as_const(fidTargets))
                OGR_F_SetFieldInteger64(output, target, OGR_F_GetFID(input));
            for (const auto &[target, index] : std::as_const(textTargets)) {
                if (!OGR_F_IsFieldSetAndNotNull(input, index)) {
                    OGR_F_SetFieldNull(output, target);
                    continue;
                }
                int size = 0;
                const GByte *bytes = OGR_F_GetFieldAsBinary(input, index, &size);
                // QGIS turns the bytes into a QString (UTF-8) and writes it as a C string
                QByteArray text =
                    QString::fromUtf8(reinterpret_cast<const char *>(bytes), size).toUtf8();
                const qsizetype nul = text.indexOf('\0');
                if (nul >= 0)
                    text.truncate(nul);
                OGR_F_SetFieldString(output, target, text.constData());
            }
            OGR_F_Destroy(input);
            batch.push_back(output);
            if (batch.size() >= BatchSize && !push())
                break;
        }
        if (!batch.empty())
            push();
        for (OGRFeatureH feature : batch)
            OGR_F_Destroy(feature);
        std::lock_guard<std::mutex> lock(mutex);
        readerDone = true;
        changed.notify_all();
    };

    CopyResult result;
    std::thread reader(read);
    auto stopReader = [&] {
        {
            std::lock_guard<std::mutex> lock(mutex);
            abort = true;
            changed.notify_all();
        }
        reader.join();
        for (const auto &batch : batches) {
            for (OGRFeatureH feature : batch)
                OGR_F_Destroy(feature);
        }
        batches.clear();
    };
    try {
        for (;;) {
            std::vector<OGRFeatureH> batch;
            {
                std::unique_lock<std::mutex> lock(mutex);
                changed.wait(lock, [&] { return readerDone || !batches.empty(); });
                if (batches.empty())
                    break;
                batch = std::move(batches.front());
                batches.pop_front();
                changed.notify_all();
            }
            for (size_t i = 0; i < batch.size(); ++i) {
                try {
                    if (writeFeature(tableIndex, batch[i], layerName))
                        ++result.written;
                    else
                        ++result.skipped;
                } catch (...) {
                    for (size_t j = i + 1; j < batch.size(); ++j)
                        OGR_F_Destroy(batch[j]);
                    throw;
                }
            }
        }
    } catch (...) {
        stopReader();
        throw;
    }
    reader.join();
    if (!readerError.isEmpty())
        throw WorkerError(QStringLiteral("Failed to copy a feature of layer \"%1\": %2")
                              .arg(layerName, readerError));
    return result;
}

void GpkgWriter::finish()
{
    QElapsedTimer timer;
    timer.start();
    commitTransaction();
    prepareIndexes(); // tables that got no feature
    for (const auto &table : m_tables)
        table->layer = nullptr;
    GDALClose(m_dataset);
    m_dataset = nullptr;

    bool needsIndex = false;
    for (const auto &table : m_tables)
        needsIndex = needsIndex || table->geometryType != wkbNone;
    if (!needsIndex)
        return;

    // GDAL's connection is closed: the index is loaded through a plain one, so that no R-tree
    // module state of GDAL's connection can go stale
    sqlite3 *db = nullptr;
    if (sqlite3_open_v2(QFile::encodeName(m_path).constData(), &db, SQLITE_OPEN_READWRITE, nullptr)
        != SQLITE_OK) {
        const QString error = QString::fromUtf8(db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        throw WorkerError(QStringLiteral("Failed to reopen \"%1\": %2").arg(m_path, error));
    }
    try {
        exec(db, "PRAGMA journal_mode = OFF");
        exec(db, "PRAGMA synchronous = OFF");
        exec(db, QByteArray("PRAGMA cache_size = -") + QByteArray::number(CacheKiB));
        exec(db, "BEGIN");
        for (const auto &table : m_tables) {
            if (table->geometryType == wkbNone)
                continue;
            const QString rtree =
                QStringLiteral("rtree_%1_%2").arg(table->name, table->geometryColumn);
            // SQLite derives the node size from the root node the R-tree was created with
            int nodeSize = 0;
            {
                Statement size(db,
                               "SELECT length(data) FROM " + quoted(rtree + QStringLiteral("_node"))
                                   + " WHERE nodeno = 1");
                if (sqlite3_step(size.get()) == SQLITE_ROW)
                    nodeSize = sqlite3_column_int(size.get(), 0);
            }
            constexpr int BytesPerCell = 8 + 4 * 4;
            const int capacity = (nodeSize - 4) / BytesPerCell;
            if (capacity < 2)
                throw WorkerError(QStringLiteral("Unexpected R-tree node size %1 in \"%2\".")
                                      .arg(nodeSize)
                                      .arg(rtree));
            if (!table->index.empty()) {
                std::vector<Cell> cells;
                cells.reserve(table->index.size());
                for (const IndexEntry &entry : table->index)
                    cells.push_back({entry.id, valueDown(entry.minX), valueUp(entry.maxX),
                                     valueDown(entry.minY), valueUp(entry.maxY)});
                std::vector<IndexEntry>().swap(table->index);

                // levels[0] = leaves ... levels.back() = the root (one node)
                std::vector<std::vector<std::vector<Cell>>> levels;
                levels.push_back(packLevel(std::move(cells), capacity));
                while (levels.back().size() > 1) {
                    const auto &below = levels.back();
                    std::vector<Cell> parents;
                    parents.reserve(below.size());
                    for (size_t i = 0; i < below.size(); ++i) {
                        Cell box{qint64(i), below[i][0].minX, below[i][0].maxX, below[i][0].minY,
                                 below[i][0].maxY};
                        for (const Cell &cell : below[i]) {
                            box.minX = std::min(box.minX, cell.minX);
                            box.maxX = std::max(box.maxX, cell.maxX);
                            box.minY = std::min(box.minY, cell.minY);
                            box.maxY = std::max(box.maxY, cell.maxY);
                        }
                        parents.push_back(box);
                    }
                    levels.push_back(packLevel(std::move(parents), capacity));
                }

                // node numbers: the root is 1, then level by level downwards
                std::vector<std::vector<qint64>> numbers(levels.size());
                qint64 next = 1;
                for (size_t level = levels.size(); level-- > 0;) {
                    numbers[level].resize(levels[level].size());
                    for (qint64 &number : numbers[level])
                        number = next++;
                }

                exec(db, "DELETE FROM " + quoted(rtree + QStringLiteral("_node")));
                Statement insertNode(db,
                                     "INSERT INTO " + quoted(rtree + QStringLiteral("_node"))
                                         + " (nodeno, data) VALUES (?, ?)");
                Statement insertRowid(db,
                                      "INSERT INTO " + quoted(rtree + QStringLiteral("_rowid"))
                                          + " (rowid, nodeno) VALUES (?, ?)");
                Statement insertParent(db,
                                       "INSERT INTO " + quoted(rtree + QStringLiteral("_parent"))
                                           + " (nodeno, parentnode) VALUES (?, ?)");
                std::vector<unsigned char> blob(static_cast<size_t>(nodeSize));
                const int depth = int(levels.size()) - 1;
                for (size_t level = 0; level < levels.size(); ++level) {
                    for (size_t n = 0; n < levels[level].size(); ++n) {
                        const std::vector<Cell> &node = levels[level][n];
                        const qint64 nodeNumber = numbers[level][n];
                        std::fill(blob.begin(), blob.end(), 0);
                        if (nodeNumber == 1)
                            putInt16(blob.data(), depth);
                        putInt16(blob.data() + 2, int(node.size()));
                        for (size_t c = 0; c < node.size(); ++c) {
                            const Cell &cell = node[c];
                            unsigned char *out = blob.data() + 4 + c * BytesPerCell;
                            const qint64 id =
                                level == 0 ? cell.id : numbers[level - 1][size_t(cell.id)];
                            putInt64(out, id);
                            putFloat(out + 8, cell.minX);
                            putFloat(out + 12, cell.maxX);
                            putFloat(out + 16, cell.minY);
                            putFloat(out + 20, cell.maxY);
                            if (level == 0) {
                                sqlite3_bind_int64(insertRowid.get(), 1, id);
                                sqlite3_bind_int64(insertRowid.get(), 2, nodeNumber);
                                insertRowid.run(db);
                            } else {
                                sqlite3_bind_int64(insertParent.get(), 1, id);
                                sqlite3_bind_int64(insertParent.get(), 2, nodeNumber);
                                insertParent.run(db);
                            }
                        }
                        sqlite3_bind_int64(insertNode.get(), 1, nodeNumber);
                        sqlite3_bind_blob(insertNode.get(), 2, blob.data(), nodeSize,
                                          SQLITE_TRANSIENT);
                        insertNode.run(db);
                    }
                }
            }
            for (const QString &trigger : std::as_const(table->indexTriggers))
                exec(db, trigger.toUtf8());
        }
        exec(db, "COMMIT");
    } catch (...) {
        sqlite3_close(db);
        throw;
    }
    if (sqlite3_close(db) != SQLITE_OK)
        throw WorkerError(QStringLiteral("Failed to close \"%1\".").arg(m_path));
    logInfo(QStringLiteral("Spatial indexes of %1 loaded in %2 ms.")
                .arg(QFileInfo(m_path).fileName())
                .arg(timer.elapsed()));
}

} // namespace qfc::worker
