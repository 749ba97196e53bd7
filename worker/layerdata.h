#pragma once

#include <QJsonObject>
#include <QMap>
#include <QString>
#include <QStringList>

class QgsMapLayer;
class QgsProject;

namespace qfc::worker {

class PathConfinement;

// The layer entries of spec/worker.md §3.4 (`layers_by_id`), shared by process_projectfile
// (project_details) and package (qgis_layers_data, qfield_layer_data).
namespace LayerData {

struct Context
{
    // layer id → data source of the layers QGIS could not load (QgisApp::badLayerSources())
    QMap<QString, QString> badLayerSources;
    // maps paths that were kept out of the work directory back to their originals (may be null)
    const PathConfinement *confinement = nullptr;
};

// layer id → layer entry, for every map layer of `project`.
QJsonObject layersById(const QgsProject &project, const Context &context);

// The layer ids in the iteration order of the project's layer registry (sorted by id).
QStringList orderedLayerIds(const QgsProject &project);

// One layer entry.
QJsonObject layerEntry(const QgsProject &project, const QgsMapLayer &layer, const Context &context);

// The primary-key attribute name of spec/worker.md §4.4, "" when there is none usable.
QString primaryKeyName(const QgsMapLayer &layer);

// The modern QGIS name of a layer type (3.22's QgsMapLayerType values 0..6 mapped to Vector,
// Raster, Plugin, Mesh, VectorTile, Annotation, PointCloud).
QString layerTypeName(int type);

// The table of layers upstream logs after computing the details (name, id tail, type, valid,
// status, error summary, provider summary), followed by the fields of each valid vector layer.
QString layersTable(const QJsonObject &layersById, const QStringList &orderedIds);

} // namespace LayerData

} // namespace qfc::worker
