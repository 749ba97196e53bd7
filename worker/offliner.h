#pragma once

#include "contract/workerarguments.h"

#include <QList>
#include <QString>

#include <memory>

class QgsMapLayer;
class QgsProject;
class QgsRectangle;
class QgsVectorLayer;

namespace qfc::worker {

// Turns the "offline editing" layers of a project into tables of one GeoPackage and repoints
// the layers to it (spec/worker.md §4.5, §4.6). Throws WorkerError.
class Offliner
{
public:
    virtual ~Offliner() = default;

    // `layers`: the layers whose action is "offline" (others of `project` are left alone);
    // `bbox`: in the project CRS, or a null rectangle for all features.
    virtual void convert(QgsProject &project, const QString &gpkgPath,
                         const QList<QgsMapLayer *> &layers, const QgsRectangle &bbox) = 0;

    static std::unique_ptr<Offliner> create(contract::Offliner type);
};

// The default offliner "pythonmini" (§4.5): one table per data source, named by the SHA-256 of
// the provider URI, written with GDAL. Features of file layers GDAL reads itself (GeoPackage,
// GeoJSON, FlatGeobuf) are copied OGR to OGR; every other source is read through its QGIS
// provider.
class PythonMiniOffliner final : public Offliner
{
public:
    void convert(QgsProject &project, const QString &gpkgPath, const QList<QgsMapLayer *> &layers,
                 const QgsRectangle &bbox) override;

    // The table of a layer: SHA-256 hex of its provider's data-source URI (without subset).
    static QString tableName(const QgsVectorLayer &layer);
};

// The deprecated offliner "qgiscore" (§4.6): QGIS's own QgsOfflineEditing with a GeoPackage
// container, one table per layer.
class QgisCoreOffliner final : public Offliner
{
public:
    void convert(QgsProject &project, const QString &gpkgPath, const QList<QgsMapLayer *> &layers,
                 const QgsRectangle &bbox) override;
};

} // namespace qfc::worker
