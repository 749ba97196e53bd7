#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>
#include <QVariantMap>

// Reads the data files a qfc-worker run changed, independently of QGIS and of the worker:
// GeoPackages through Qt's QSQLITE driver (read-only), GeoJSON by parsing it. Geometries are
// rendered as text in QGIS's WKT style ("Point (1 0)", "PointZ (666 0 0)",
// "Polygon ((2 2, 5 2, 5 5, 2 5, 2 2))"), coordinates in their shortest form ("nan" for NaN).
namespace DataReader {

// The rows of `table` in `gpkgPath`, ordered by `orderBy`, column name → value; the geometry
// column `geometryColumn` (if not empty) is replaced by its text ("" for NULL). On failure returns
// {} and sets `error`.
QList<QVariantMap> gpkgRows(const QString &gpkgPath, const QString &table, QString *error,
                            const QString &geometryColumn = QStringLiteral("geom"),
                            const QString &orderBy = QStringLiteral("fid"));

// The text of a GeoPackage geometry blob (header + WKB), "" for an empty geometry,
// "<invalid: ...>" when it cannot be read.
QString gpkgGeometryText(const QByteArray &blob);

// The text of a WKB geometry (ISO or extended WKB), "<invalid: ...>" when it cannot be read.
QString wkbText(const QByteArray &wkb);

// The features of a GeoJSON FeatureCollection file, in file order.
QList<QJsonObject> geoJsonFeatures(const QString &path, QString *error);

// The text of a GeoJSON geometry object ("" for null).
QString geoJsonGeometryText(const QJsonValue &geometry);

// The SQLite files below `directory` that must not survive a worker run: *-wal, *-shm, *-journal.
QStringList sqliteSidecars(const QString &directory);

// The "file format write version" byte of an SQLite database header (offset 18): 1 = rollback
// journal, 2 = WAL; -1 when unreadable.
int sqliteWriteVersion(const QString &path);

} // namespace DataReader
