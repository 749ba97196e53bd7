#include "offliner.h"

#include "gpkgwriter.h"
#include "workererror.h"
#include "workerlog.h"

#include <QCryptographicHash>
#include <QDate>
#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QTime>
#include <qgscoordinatetransform.h>
#include <qgsdatasourceuri.h>
#include <qgsexception.h>
#include <qgsexpressioncontext.h>
#include <qgsfeatureiterator.h>
#include <qgsfeaturerequest.h>
#include <qgsjsonutils.h>
#include <qgsofflineediting.h>
#include <qgsproject.h>
#include <qgsproviderregistry.h>
#include <qgsrectangle.h>
#include <qgsvectordataprovider.h>
#include <qgsvectorlayer.h>
#include <qgswkbtypes.h>

#include <cmath>

namespace qfc::worker {

namespace {

// spec/worker.md §4.5, §4.6 (libqfieldsync's names)
const QString IsOfflineEditable = QStringLiteral("isOfflineEditable");
const QString RemoteSource = QStringLiteral("remoteSource");
const QString RemoteProvider = QStringLiteral("remoteProvider");
const QString RemoteLayerId = QStringLiteral("remoteLayerId");
const QString LayerNameSuffix = QStringLiteral("layerNameSuffix");
const QString OfflineScope = QStringLiteral("OfflineEditingPlugin");
const QString OfflineDbPathKey = QStringLiteral("/OfflineDbPath");
constexpr int MaxFidFields = 1000;
constexpr qint64 QgsOfflineEditingNullFid = -4294967296LL;

struct LayerInfo
{
    QgsVectorLayer *layer = nullptr;
    QString subset;
};

struct Group
{
    QString table;
    QList<LayerInfo> layers;
};

bool hasGeometry(const QgsVectorLayer &layer)
{
    const QgsWkbTypes::GeometryType type = layer.geometryType();
    return type != QgsWkbTypes::NullGeometry && type != QgsWkbTypes::UnknownGeometry;
}

OGRwkbGeometryType ogrGeometryType(QgsWkbTypes::Type type)
{
    if (type == QgsWkbTypes::NoGeometry)
        return wkbNone;
    const auto flat = OGRwkbGeometryType(int(QgsWkbTypes::flatType(type)));
    return OGR_GT_SetModifier(flat, QgsWkbTypes::hasZ(type), QgsWkbTypes::hasM(type));
}

// §4.5's type mapping.
GpkgWriter::Field ogrField(const QgsField &field)
{
    GpkgWriter::Field result;
    result.name = field.name();
    result.width = field.length();
    switch (field.type()) {
    case QVariant::Int:
        result.type = OFTInteger;
        break;
    case QVariant::LongLong:
        result.type = OFTInteger64;
        break;
    case QVariant::Double:
        result.type = OFTReal;
        break;
    case QVariant::Time:
        result.type = OFTTime;
        break;
    case QVariant::Date:
        result.type = OFTDate;
        break;
    case QVariant::DateTime:
        result.type = OFTDateTime;
        break;
    case QVariant::Bool:
        result.type = OFTInteger;
        result.subType = OFSTBoolean;
        break;
    case QVariant::StringList:
    case QVariant::List:
        result.type = OFTString;
        result.subType = OFSTJSON;
        break;
    default:
        result.type = OFTString;
        break;
    }
    return result;
}

void setDateTime(OGRFeatureH feature, int index, const QDate &date, const QTime &time, int tz)
{
    const float seconds = float(time.second()) + float(time.msec()) / 1000.0f;
    OGR_F_SetFieldDateTimeEx(feature, index, date.isValid() ? date.year() : 0,
                             date.isValid() ? date.month() : 0, date.isValid() ? date.day() : 0,
                             time.isValid() ? time.hour() : 0, time.isValid() ? time.minute() : 0,
                             time.isValid() ? seconds : 0.0f, tz);
}

// A QGIS attribute value into an OGR field of the type ogrField() chose.
void setValue(OGRFeatureH feature, int index, const GpkgWriter::Field &field, const QVariant &value)
{
    if (value.isNull() || !value.isValid()) {
        OGR_F_SetFieldNull(feature, index);
        return;
    }
    switch (field.type) {
    case OFTInteger:
        if (field.subType == OFSTBoolean)
            OGR_F_SetFieldInteger(feature, index, value.toBool() ? 1 : 0);
        else
            OGR_F_SetFieldInteger(feature, index, value.toInt());
        return;
    case OFTInteger64:
        OGR_F_SetFieldInteger64(feature, index, value.toLongLong());
        return;
    case OFTReal:
        OGR_F_SetFieldDouble(feature, index, value.toDouble());
        return;
    case OFTDate:
        setDateTime(feature, index, value.toDate(), QTime(), 0);
        return;
    case OFTTime:
        setDateTime(feature, index, QDate(), value.toTime(), 0);
        return;
    case OFTDateTime: {
        const QDateTime dateTime = value.toDateTime();
        int tz = 0; // unknown
        if (dateTime.timeSpec() == Qt::UTC)
            tz = 100;
        else if (dateTime.timeSpec() == Qt::OffsetFromUTC)
            tz = 100 + dateTime.offsetFromUtc() / 900;
        setDateTime(feature, index, dateTime.date(), dateTime.time(), tz);
        return;
    }
    default:
        break;
    }
    QString text;
    switch (value.type()) {
    case QVariant::StringList:
    case QVariant::List:
    case QVariant::Map:
        text = QgsJsonUtils::encodeValue(value);
        break;
    case QVariant::ByteArray:
        text = QString::fromUtf8(value.toByteArray());
        break;
    default:
        text = value.toString();
        break;
    }
    OGR_F_SetFieldString(feature, index, text.toUtf8().constData());
}

QString sha256Hex(const QString &text)
{
    return QString::fromLatin1(
        QCryptographicHash::hash(text.toUtf8(), QCryptographicHash::Sha256).toHex());
}

// QFC_PG_EFFECTIVE_USER (spec/worker.md §1.2): PostgreSQL layers connect with that role.
void applySessionRole(QgsVectorLayer &layer, const QgsProject &project)
{
    const QString role = qEnvironmentVariable("QFC_PG_EFFECTIVE_USER");
    if (role.isEmpty() || layer.providerType() != QLatin1String("postgres"))
        return;
    QgsDataSourceUri uri(layer.source());
    if (uri.param(QStringLiteral("session_role")) == role)
        return;
    uri.removeParam(QStringLiteral("session_role"));
    uri.setParam(QStringLiteral("session_role"), role);
    QgsDataProvider::ProviderOptions options;
    options.transformContext = project.transformContext();
    layer.setDataSource(uri.uri(false), layer.name(), layer.providerType(), options);
    logInfo(
        QStringLiteral("Layer \"%1\" connects with session_role \"%2\".").arg(layer.name(), role));
}

// The OGR source GDAL can read directly with the same result as QGIS's OGR provider, or null.
struct OgrSource
{
    GDALDatasetH dataset = nullptr;
    OGRLayerH layer = nullptr;
    QVector<GpkgWriter::SourceField> fieldMap;

    ~OgrSource()
    {
        if (dataset)
            GDALClose(dataset);
    }
};

std::unique_ptr<OgrSource> openOgrSource(const QgsVectorLayer &layer)
{
    const QgsVectorDataProvider *provider = layer.dataProvider();
    if (!provider || provider->name() != QLatin1String("ogr"))
        return nullptr;
    const QVariantMap parts = QgsProviderRegistry::instance()->decodeUri(QStringLiteral("ogr"),
                                                                         provider->dataSourceUri());
    static const QStringList known{QStringLiteral("path"), QStringLiteral("layerName"),
                                   QStringLiteral("layerId"), QStringLiteral("openOptions")};
    for (auto it = parts.constBegin(); it != parts.constEnd(); ++it) {
        if (!known.contains(it.key()) && !it.value().toString().isEmpty())
            return nullptr; // subset, geometry type filter, /vsi... prefixes: QGIS reads them
    }
    const QString path = parts.value(QStringLiteral("path")).toString();
    if (path.isEmpty() || !QFileInfo(path).isFile())
        return nullptr;

    QList<QByteArray> optionStorage;
    std::vector<char *> openOptions;
    for (const QString &option : parts.value(QStringLiteral("openOptions")).toStringList())
        optionStorage.append(option.toUtf8());
    for (QByteArray &option : optionStorage)
        openOptions.push_back(option.data());
    openOptions.push_back(nullptr);

    auto source = std::make_unique<OgrSource>();
    source->dataset =
        GDALOpenEx(QFile::encodeName(path).constData(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr,
                   openOptions.data(), nullptr);
    if (!source->dataset)
        return nullptr;
    static const QStringList drivers{QStringLiteral("GPKG"), QStringLiteral("GeoJSON"),
                                     QStringLiteral("GeoJSONSeq"), QStringLiteral("FlatGeobuf")};
    const QString driver =
        QString::fromUtf8(GDALGetDriverShortName(GDALGetDatasetDriver(source->dataset)));
    if (!drivers.contains(driver))
        return nullptr;

    const QString layerName = parts.value(QStringLiteral("layerName")).toString();
    bool idOk = false;
    const int layerId = parts.value(QStringLiteral("layerId")).toInt(&idOk);
    if (!layerName.isEmpty())
        source->layer = GDALDatasetGetLayerByName(source->dataset, layerName.toUtf8().constData());
    else
        source->layer = GDALDatasetGetLayer(source->dataset, idOk ? layerId : 0);
    if (!source->layer)
        return nullptr;
    OGRFeatureDefnH definition = OGR_L_GetLayerDefn(source->layer);
    if (hasGeometry(layer) && OGR_FD_GetGeomFieldCount(definition) != 1)
        return nullptr;

    const QString fidColumn = QString::fromUtf8(OGR_L_GetFIDColumn(source->layer));
    const QgsFields fields = provider->fields();
    for (int i = 0; i < fields.size(); ++i) {
        const QString name = fields.at(i).name();
        const int index = OGR_FD_GetFieldIndex(definition, name.toUtf8().constData());
        if (i == 0 && index < 0 && !fidColumn.isEmpty() && name == fidColumn) {
            source->fieldMap.append({GpkgWriter::SourceField::Fid, -1});
            continue;
        }
        if (index < 0)
            return nullptr;
        switch (OGR_Fld_GetType(OGR_FD_GetFieldDefn(definition, index))) {
        case OFTInteger:
        case OFTInteger64:
        case OFTReal:
        case OFTString:
        case OFTDate:
        case OFTTime:
        case OFTDateTime:
            source->fieldMap.append({GpkgWriter::SourceField::Field, index});
            break;
        case OFTBinary:
            source->fieldMap.append({GpkgWriter::SourceField::BytesAsText, index});
            break;
        default:
            return nullptr; // lists: QGIS encodes them as JSON
        }
    }
    return source;
}

GpkgWriter::TableDefinition tableDefinition(const QString &name, const QgsVectorLayer &layer)
{
    GpkgWriter::TableDefinition definition;
    definition.name = name;
    definition.description = layer.dataComment();
    const QgsFields fields = layer.dataProvider()->fields();
    QString fid = QStringLiteral("fid");
    for (int counter = 1; fields.lookupField(fid) >= 0; ++counter) {
        if (counter == MaxFidFields)
            throw WorkerError(QStringLiteral("Cannot determine usable FID field name for GPKG %1")
                                  .arg(layer.name()));
        fid = QStringLiteral("fid_%1").arg(counter);
    }
    definition.fidColumn = fid;
    definition.geometryType = layer.isSpatial() ? ogrGeometryType(layer.wkbType()) : wkbNone;
    definition.srsAuthId = layer.crs().authid();
    definition.srsWkt = layer.crs().toWkt(QgsCoordinateReferenceSystem::WKT_PREFERRED_GDAL);
    for (const QgsField &field : fields)
        definition.fields.append(ogrField(field));
    return definition;
}

void repointLayer(QgsVectorLayer &layer, const QString &source, const QgsProject &project)
{
    layer.setCustomProperty(IsOfflineEditable, true);
    layer.setCustomProperty(RemoteSource, layer.source());
    layer.setCustomProperty(RemoteProvider, layer.providerType());
    layer.setCustomProperty(RemoteLayerId, layer.id());
    layer.setCustomProperty(LayerNameSuffix, QString());

    // a user must not be forced to enter e.g. an autogenerated key offline
    QStringList defaultedNames;
    const QgsFields sourceFields = layer.fields();
    for (int i = 0; i < sourceFields.size(); ++i) {
        if (sourceFields.fieldOrigin(i) != QgsFields::OriginProvider)
            continue;
        if (!layer.dataProvider()->defaultValueClause(sourceFields.fieldOriginIndex(i)).isEmpty())
            defaultedNames.append(sourceFields.at(i).name());
    }

    QgsDataProvider::ProviderOptions options;
    options.transformContext = project.transformContext();
    layer.setDataSource(source, layer.name(), QStringLiteral("ogr"), options);

    for (const QgsField &field : sourceFields) {
        const int index = layer.fields().indexOf(field.name());
        if (index < 0)
            continue;
        if (field.constraints().constraints() & QgsFieldConstraints::ConstraintUnique)
            layer.setFieldConstraint(index, QgsFieldConstraints::ConstraintUnique);
        if (defaultedNames.contains(field.name()))
            layer.removeFieldConstraint(index, QgsFieldConstraints::ConstraintNotNull);
    }
}

} // namespace

std::unique_ptr<Offliner> Offliner::create(contract::Offliner type)
{
    if (type == contract::Offliner::QgisCore)
        return std::make_unique<QgisCoreOffliner>();
    return std::make_unique<PythonMiniOffliner>();
}

QString PythonMiniOffliner::tableName(const QgsVectorLayer &layer)
{
    return sha256Hex(layer.dataProvider()->dataSourceUri());
}

void PythonMiniOffliner::convert(QgsProject &project, const QString &gpkgPath,
                                 const QList<QgsMapLayer *> &layers, const QgsRectangle &bbox)
{
    QElapsedTimer timer;
    timer.start();
    GpkgWriter writer(gpkgPath);

    // the data sources, in the order of the project's layer registry
    QList<Group> groups;
    const QMap<QString, QgsMapLayer *> mapLayers = project.mapLayers();
    for (QgsMapLayer *mapLayer : mapLayers) {
        auto *layer = qobject_cast<QgsVectorLayer *>(mapLayer);
        if (!layer) {
            logInfo(
                QStringLiteral("Skipping layer %1 :: not a vector layer").arg(mapLayer->name()));
            continue;
        }
        if (!layer->isValid()) {
            logInfo(QStringLiteral("Skipping layer %1 :: invalid (%2)")
                        .arg(layer->name(),
                             layer->dataProvider() ? layer->dataProvider()->error().message()
                                                   : QString()));
            continue;
        }
        if (!layers.contains(mapLayer)) {
            logInfo(QStringLiteral("Skipping layer %1 :: not configured as offline layer")
                        .arg(layer->name()));
            continue;
        }
        applySessionRole(*layer, project);
        LayerInfo info{layer, layer->subsetString()};
        if (!info.subset.isEmpty())
            layer->setSubsetString(QString());
        const QString table = tableName(*layer);
        auto group = std::find_if(groups.begin(), groups.end(),
                                  [&table](const Group &g) { return g.table == table; });
        if (group == groups.end())
            groups.append({table, {info}});
        else
            group->layers.append(info);
    }

    for (const Group &group : std::as_const(groups))
        writer.createTable(tableDefinition(group.table, *group.layers.first().layer));

    for (int g = 0; g < groups.size(); ++g) {
        const Group &group = groups.at(g);
        QgsVectorLayer &layer = *group.layers.first().layer;
        QElapsedTimer layerTimer;
        layerTimer.start();

        QStringList subsets;
        bool everyLayerFiltered = true;
        for (const LayerInfo &info : group.layers) {
            if (info.subset.isEmpty())
                everyLayerFiltered = false;
            else
                subsets.append(QLatin1Char('(') + info.subset + QLatin1Char(')'));
        }
        const QString filter =
            everyLayerFiltered ? subsets.join(QStringLiteral(" OR ")) : QString();

        QgsRectangle filterRect;
        if (!bbox.isNull() && bbox.isFinite() && hasGeometry(layer)) {
            try {
                const QgsCoordinateTransform transform(project.crs(), layer.crs(), &project);
                filterRect = transform.transformBoundingBox(bbox);
            } catch (const QgsCsException &exception) {
                throw WorkerError(QStringLiteral("Failed to transform the area of interest to the "
                                                 "CRS of layer \"%1\": %2")
                                      .arg(layer.name(), exception.what()));
            }
        }

        GpkgWriter::CopyResult result;
        QString method;
        std::unique_ptr<OgrSource> source = filter.isEmpty() ? openOgrSource(layer) : nullptr;
        if (source) {
            method = QStringLiteral("GDAL");
            if (!filterRect.isNull())
                OGR_L_SetSpatialFilterRect(source->layer, filterRect.xMinimum(),
                                           filterRect.yMinimum(), filterRect.xMaximum(),
                                           filterRect.yMaximum());
            result = writer.copyFromOgr(g, source->layer, source->fieldMap, layer.name());
        } else {
            method = QStringLiteral("QGIS provider");
            QgsVectorDataProvider *provider = layer.dataProvider();
            const QgsFields fields = provider->fields();
            QList<GpkgWriter::Field> targetFields;
            for (const QgsField &field : fields)
                targetFields.append(ogrField(field));
            QgsFeatureRequest request;
            if (!filterRect.isNull())
                request.setFilterRect(filterRect);
            if (!filter.isEmpty()) {
                request.setFilterExpression(filter);
                QgsExpressionContext context;
                context.setFields(fields);
                request.setExpressionContext(context);
            }
            QgsFeatureIterator iterator = provider->getFeatures(request);
            QgsFeature feature;
            const bool spatial = layer.isSpatial();
            while (iterator.nextFeature(feature)) {
                OGRFeatureH output = writer.newFeature(g);
                const QgsAttributes attributes = feature.attributes();
                for (int i = 0; i < targetFields.size() && i < attributes.size(); ++i)
                    setValue(output, i, targetFields.at(i), attributes.at(i));
                if (spatial && feature.hasGeometry()) {
                    const QByteArray wkb = feature.geometry().asWkb();
                    OGRGeometryH geometry = nullptr;
                    if (OGR_G_CreateFromWkb(wkb.constData(), nullptr, &geometry, int(wkb.size()))
                            == OGRERR_NONE
                        && geometry)
                        OGR_F_SetGeometryDirectly(output, geometry);
                }
                if (writer.writeFeature(g, output, layer.name()))
                    ++result.written;
                else
                    ++result.skipped;
            }
        }
        logInfo(QStringLiteral("Layer \"%1\": %2 features copied to table %3 (%4, %5 ms)%6")
                    .arg(layer.name())
                    .arg(result.written)
                    .arg(group.table, method)
                    .arg(layerTimer.elapsed())
                    .arg(result.skipped ? QStringLiteral(", %1 skipped").arg(result.skipped)
                                        : QString()));
    }
    writer.finish();

    for (const Group &group : std::as_const(groups)) {
        const QString source = gpkgPath + QStringLiteral("|layername=") + group.table;
        for (const LayerInfo &info : group.layers) {
            repointLayer(*info.layer, source, project);
            if (!info.subset.isEmpty())
                info.layer->setSubsetString(info.subset);
            if (!info.layer->isValid())
                throw WorkerError(QStringLiteral("We were not able to create the layer %1 ...")
                                      .arg(info.layer->name()));
        }
    }

    QString title = project.title();
    if (title.isEmpty())
        title = QFileInfo(project.fileName()).baseName();
    project.setTitle(title);
    project.writeEntry(OfflineScope, OfflineDbPathKey, project.writePath(gpkgPath));
    logInfo(QStringLiteral("Offline layers written to %1 in %2 ms.")
                .arg(QFileInfo(gpkgPath).fileName())
                .arg(timer.elapsed()));
}

void QgisCoreOffliner::convert(QgsProject &project, const QString &gpkgPath,
                               const QList<QgsMapLayer *> &layers, const QgsRectangle &bbox)
{
    QStringList layerIds;
    bool onlySelected = false;
    const bool useBbox = !bbox.isNull() && bbox.isFinite();
    for (QgsMapLayer *mapLayer : layers) {
        layerIds.append(mapLayer->id());
        auto *layer = qobject_cast<QgsVectorLayer *>(mapLayer);
        if (!useBbox || !layer)
            continue;
        onlySelected = true;
        if (!hasGeometry(*layer)) {
            layer->removeSelection();
            continue;
        }
        try {
            const QgsCoordinateTransform transform(project.crs(), layer->crs(), &project);
            QgsRectangle layerBbox = transform.transformBoundingBox(bbox);
            layer->selectByRect(layerBbox);
        } catch (const QgsCsException &exception) {
            throw WorkerError(QStringLiteral("Failed to transform the area of interest to the CRS "
                                             "of layer \"%1\": %2")
                                  .arg(layer->name(), exception.what()));
        }
        // an empty selection would make QgsOfflineEditing copy every feature
        if (layer->selectedFeatureCount() == 0)
            layer->selectByIds(QgsFeatureIds{QgsOfflineEditingNullFid});
    }
    QgsOfflineEditing offlineEditing;
    if (!offlineEditing.convertToOfflineProject(QFileInfo(gpkgPath).absolutePath(), gpkgPath,
                                                layerIds, onlySelected, QgsOfflineEditing::GPKG,
                                                QString()))
        throw WorkerError(QStringLiteral("QGIS Offline editing error: failed to convert layers to "
                                         "offline layers"));
}

} // namespace qfc::worker
