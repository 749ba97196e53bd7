#pragma once

#include <QList>
#include <QString>
#include <QStringList>
#include <QVector>

#include <gdal.h>
#include <memory>
#include <ogr_api.h>

namespace qfc::worker {

// Writes the single data.gpkg of a package (spec/worker.md §4.5) with GDAL's GPKG driver, built
// for speed while keeping what GDAL would write: the file is new, so it is written without a
// rollback journal and without fsync; features go in large transactions; the R-tree spatial
// index of each table is created (with GDAL's own triggers and gpkg_extensions row) while the
// table is empty, its triggers are set aside during the copy, and the index is bulk-loaded at
// the end (Sort-Tile-Recursive packing written straight into SQLite's R-tree tables) instead of
// one R*-tree insertion per feature. Not thread-safe; one instance per output file.
class GpkgWriter
{
public:
    struct Field
    {
        QString name;
        OGRFieldType type = OFTString;
        OGRFieldSubType subType = OFSTNone;
        int width = 0;
    };

    struct TableDefinition
    {
        QString name; // also the identifier
        QString description;
        QString fidColumn; // "fid", "fid_1", ...
        OGRwkbGeometryType geometryType = wkbNone; // wkbNone: no geometry column
        QString srsAuthId; // tried first ("EPSG:2056")
        QString srsWkt; // used when the authid is empty or not understood
        QList<Field> fields;
    };

    // How one destination attribute is filled from an OGR source feature.
    struct SourceField
    {
        enum Kind {
            Field, // the source field `index`, converted by OGR
            Fid, // the source feature's FID (QGIS shows the GeoPackage FID as a field)
            BytesAsText, // the binary source field `index` as UTF-8 text (QGIS's QByteArray →
                         // QString)
        };
        Kind kind = Field;
        int index = -1;
    };

    struct CopyResult
    {
        qint64 written = 0;
        qint64 skipped = 0; // geometry could not be converted to the table type
    };

    // Creates `path` (which must not exist). Throws WorkerError.
    explicit GpkgWriter(const QString &path);
    ~GpkgWriter();
    GpkgWriter(const GpkgWriter &) = delete;
    GpkgWriter &operator=(const GpkgWriter &) = delete;

    // Creates a table; returns its handle for the calls below. Throws WorkerError.
    int createTable(const TableDefinition &definition);

    // A new feature of `table`, to fill with OGR_F_SetField*() (attribute i = definition field
    // i) and OGR_F_SetGeometryDirectly(), then to pass to writeFeature().
    OGRFeatureH newFeature(int table) const;

    // Writes `feature` (taking ownership) with a new FID. A geometry whose type differs from the
    // table's is converted (OGR_G_ForceTo, as QGIS's OGR provider does, Z/M added or dropped);
    // when that fails the feature is skipped with a warning. Returns false when skipped. Throws
    // WorkerError when GDAL fails to write.
    bool writeFeature(int table, OGRFeatureH feature, const QString &layerName);

    // Copies every feature `source` returns (filters set by the caller) into `table`, attribute
    // i from fieldMap[i]. Throws WorkerError.
    CopyResult copyFromOgr(int table, OGRLayerH source, const QVector<SourceField> &fieldMap,
                           const QString &layerName);

    // Bulk-loads the spatial indexes, restores their triggers and closes the file. Throws
    // WorkerError. Without finish() the destructor closes the file as it is (for failures).
    void finish();

    const QString &path() const { return m_path; }

private:
    struct IndexEntry
    {
        qint64 id;
        double minX, maxX, minY, maxY;
    };
    struct Table
    {
        QString name;
        OGRLayerH layer = nullptr;
        OGRFeatureDefnH definition = nullptr;
        OGRwkbGeometryType geometryType = wkbNone;
        QString geometryColumn;
        bool indexPending = false; // the R-tree is still to be created
        QStringList indexTriggers; // CREATE TRIGGER statements set aside during the copy
        std::vector<IndexEntry> index;
    };

    void execute(const QString &sql);
    void prepareIndexes();
    void beginTransaction();
    void commitTransaction();
    void maybeCommit();
    void bulkLoadIndex(Table &table);

    QString m_path;
    GDALDatasetH m_dataset = nullptr;
    std::vector<std::unique_ptr<Table>> m_tables;
    bool m_inTransaction = false;
    qint64 m_featuresInTransaction = 0;
};

} // namespace qfc::worker
