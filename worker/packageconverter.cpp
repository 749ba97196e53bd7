#include "packageconverter.h"

#include "layerdata.h"
#include "offliner.h"
#include "pathconfinement.h"
#include "qgisapp.h"
#include "workererror.h"
#include "workerlog.h"

#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QRegularExpression>
#include <qgsattributeeditorcontainer.h>
#include <qgsattributeeditorelement.h>
#include <qgsattributeeditorfield.h>
#include <qgscategorizedsymbolrenderer.h>
#include <qgscoordinatetransform.h>
#include <qgsdatasourceuri.h>
#include <qgseditformconfig.h>
#include <qgseditorwidgetsetup.h>
#include <qgsexception.h>
#include <qgsfileutils.h>
#include <qgsgeometry.h>
#include <qgslayertree.h>
#include <qgsmapsettings.h>
#include <qgsmarkersymbollayer.h>
#include <qgsproject.h>
#include <qgsprovidermetadata.h>
#include <qgsproviderregistry.h>
#include <qgsreadwritecontext.h>
#include <qgsrulebasedrenderer.h>
#include <qgssinglesymbolrenderer.h>
#include <qgssymbol.h>
#include <qgsvaluerelationfieldformatter.h>
#include <qgsvectordataprovider.h>
#include <qgsvectorlayer.h>

namespace qfc::worker {

namespace {

// libqfieldsync's sync actions (spec/worker.md §4.2)
const QString Offline = QStringLiteral("offline");
const QString NoAction = QStringLiteral("no_action");
const QString Copy = QStringLiteral("copy");
const QString KeepExistent = QStringLiteral("keep_existent");
const QString Remove = QStringLiteral("remove");

struct OriginalLayer
{
    QString id;
    QString name;
    QString source;
    QgsFields fields;
};

QString providerName(const QgsMapLayer &layer)
{
    return layer.dataProvider() ? layer.dataProvider()->name() : QString();
}

QVariantMap decodedSource(const QgsMapLayer &layer)
{
    if (!layer.dataProvider())
        return {};
    QgsProviderMetadata *metadata =
        QgsProviderRegistry::instance()->providerMetadata(layer.dataProvider()->name());
    return metadata ? metadata->decodeUri(layer.source()) : QVariantMap();
}

// The file behind a layer (§4.3: file-based when it is an existing file).
QString layerFile(const QgsMapLayer &layer)
{
    if (layer.type() == QgsMapLayerType::VectorTileLayer) {
        QgsDataSourceUri uri;
        uri.setEncodedUri(layer.source());
        return uri.param(QStringLiteral("url"));
    }
    return decodedSource(layer).value(QStringLiteral("path")).toString();
}

// Points `layer` to another data source of the same provider, keeping its id, style and
// settings (libqfieldsync rewrites the layer XML and reloads it; QGIS 3.22 does not switch the
// provider of a loaded layer that way, setDataSource() does).
void changeDataSource(QgsMapLayer &layer, const QString &source, const QgsProject &project)
{
    auto *vectorLayer = qobject_cast<QgsVectorLayer *>(&layer);
    const bool readOnly = layer.readOnly();
    QgsDataProvider::ProviderOptions options;
    options.transformContext = project.transformContext();
    layer.setDataSource(source, layer.name(), layer.providerType(), options);
    // QGIS writes the XML a layer was read from when it has it, the old source included
    layer.setOriginalXmlProperties(QString());
    if (vectorLayer && readOnly)
        vectorLayer->setReadOnly(true);
}

// §4.3: copies the layer's file and its sidecars into the export root and repoints the layer.
void copyLayer(QgsMapLayer &layer, const QString &exportDir, bool keepExistent,
               const QgsProject &project)
{
    const QString path = layerFile(layer);
    if (path.isEmpty() || !QFileInfo(path).isFile())
        return; // PostGIS, WMS, XYZ ...: accessed directly from the device
    QSet<QString> files = QgsFileUtils::sidecarFilesForPath(path);
    files.insert(path);
    for (const QString &file : std::as_const(files)) {
        const QString target = exportDir + QLatin1Char('/') + QFileInfo(file).fileName();
        if (keepExistent && QFileInfo(target).isFile())
            continue;
        QFile::remove(target);
        if (!QFile::copy(file, target))
            throw WorkerError(QStringLiteral("Failed to copy \"%1\" to \"%2\".").arg(file, target));
    }

    const QString newPath = exportDir + QLatin1Char('/') + QFileInfo(path).fileName();
    QString source;
    const QString provider = providerName(layer);
    if (layer.type() == QgsMapLayerType::VectorTileLayer) {
        QgsDataSourceUri uri;
        uri.setEncodedUri(layer.source());
        uri.removeParam(QStringLiteral("url"));
        uri.setParam(QStringLiteral("url"), newPath);
        source = QString::fromUtf8(uri.encodedUri());
    } else if (QgsProviderMetadata *metadata =
                   QgsProviderRegistry::instance()->providerMetadata(provider)) {
        QVariantMap parts = metadata->decodeUri(layer.source());
        parts.insert(QStringLiteral("path"), newPath);
        source = metadata->encodeUri(parts);
    }
    if (source.isEmpty()) {
        if (provider == QLatin1String("spatialite")) {
            QgsDataSourceUri uri(layer.source());
            uri.setDatabase(newPath);
            source = uri.uri();
        } else {
            source = newPath;
            const qsizetype bar = layer.source().indexOf(QLatin1Char('|'));
            if (bar >= 0)
                source += layer.source().mid(bar);
        }
    }
    changeDataSource(layer, source, project);
    logInfo(
        QStringLiteral("Layer \"%1\": copied \"%2\", source \"%3\".")
            .arg(layer.name(), QFileInfo(path).fileName(), layer.source())
        + (layer.isValid() ? QString() : QStringLiteral(" INVALID: ") + layer.error().message()));
}

void removeEmptyGroups(QgsLayerTreeGroup *group)
{
    const QList<QgsLayerTreeNode *> children = group->children();
    for (QgsLayerTreeNode *child : children) {
        if (!QgsLayerTree::isGroup(child))
            continue;
        QgsLayerTreeGroup *childGroup = QgsLayerTree::toGroup(child);
        removeEmptyGroups(childGroup);
        if (childGroup->children().isEmpty())
            group->removeChildNode(childGroup);
    }
}

void copyRecursively(const QString &source, const QString &target)
{
    if (!QFileInfo(source).isDir())
        return;
    QDir().mkpath(target);
    QDirIterator it(source, QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot,
                    QDirIterator::Subdirectories);
    const QDir root(source);
    while (it.hasNext()) {
        const QString file = it.next();
        const QString destination = target + QLatin1Char('/') + root.relativeFilePath(file);
        if (it.fileInfo().isDir()) {
            QDir().mkpath(destination);
            continue;
        }
        QFile::remove(destination);
        if (!QFile::copy(file, destination))
            throw WorkerError(
                QStringLiteral("Failed to copy \"%1\" to \"%2\".").arg(file, destination));
    }
}

// The names of the fields shown in the attribute form (libqfieldsync's visible_fields_names()).
void visibleFieldNames(const QList<QgsAttributeEditorElement *> &items, const QgsFields &fields,
                       QStringList &names)
{
    for (const QgsAttributeEditorElement *item : items) {
        if (item->type() == QgsAttributeEditorElement::AeTypeContainer) {
            visibleFieldNames(static_cast<const QgsAttributeEditorContainer *>(item)->children(),
                              fields, names);
        } else if (item->type() == QgsAttributeEditorElement::AeTypeField) {
            const int index = static_cast<const QgsAttributeEditorField *>(item)->idx();
            if (index >= 0 && index < fields.size())
                names.append(fields.at(index).name());
        }
    }
}

// §4.2 step 8: SVG and raster marker paths become relative (when the file was packaged at the
// same relative path) or embedded.
bool relativeOrEmbedded(QgsSymbol *symbol, const QString &homePath, const QString &exportDir)
{
    if (!symbol)
        return false;
    bool changed = false;
    const QgsSymbolLayerList symbolLayers = symbol->symbolLayers();
    for (QgsSymbolLayer *symbolLayer : symbolLayers) {
        auto *svg = dynamic_cast<QgsSvgMarkerSymbolLayer *>(symbolLayer);
        auto *raster = dynamic_cast<QgsRasterMarkerSymbolLayer *>(symbolLayer);
        if (!svg && !raster)
            continue;
        const QString path = svg ? svg->path() : raster->path();
        if (path.startsWith(QLatin1String("base64:")) || !QFileInfo(path).isFile())
            continue;
        QString newPath;
        const QString absolute = QFileInfo(path).absoluteFilePath();
        const QString relative = QDir(homePath).relativeFilePath(absolute);
        if (!QDir::isAbsolutePath(relative) && !relative.startsWith(QLatin1String("../"))
            && QFileInfo::exists(exportDir + QLatin1Char('/') + relative)) {
            newPath = relative;
        } else {
            QFile file(path);
            if (!file.open(QIODevice::ReadOnly))
                continue;
            newPath = QStringLiteral("base64:") + QString::fromLatin1(file.readAll().toBase64());
        }
        if (svg)
            svg->setPath(newPath);
        else
            raster->setPath(newPath);
        changed = true;
    }
    return changed;
}

void relativeOrEmbeddedSymbols(QgsVectorLayer &layer, const QString &homePath,
                               const QString &exportDir)
{
    if (!layer.isValid() || layer.geometryType() != QgsWkbTypes::PointGeometry || !layer.renderer())
        return;
    QgsFeatureRenderer *renderer = layer.renderer();
    if (auto *single = dynamic_cast<QgsSingleSymbolRenderer *>(renderer)) {
        relativeOrEmbedded(single->symbol(), homePath, exportDir);
    } else if (auto *ruleBased = dynamic_cast<QgsRuleBasedRenderer *>(renderer)) {
        const QgsRuleBasedRenderer::RuleList rules = ruleBased->rootRule()->children();
        for (QgsRuleBasedRenderer::Rule *rule : rules) {
            const QgsSymbolList symbols = rule->symbols();
            for (QgsSymbol *symbol : symbols)
                relativeOrEmbedded(symbol, homePath, exportDir);
        }
    } else if (auto *categorized = dynamic_cast<QgsCategorizedSymbolRenderer *>(renderer)) {
        for (int i = 0; i < categorized->categories().size(); ++i) {
            std::unique_ptr<QgsSymbol> symbol(categorized->categories().at(i).symbol()->clone());
            if (relativeOrEmbedded(symbol.get(), homePath, exportDir))
                categorized->updateCategorySymbol(i, symbol.release());
        }
    }
    layer.triggerRepaint();
}

QStringList projectFilesInDirectory(const QString &directory)
{
    QStringList names = QDir(directory).entryList(
        {QStringLiteral("*.qgs"), QStringLiteral("*.qgz")}, QDir::Files | QDir::Hidden);
    std::sort(names.begin(), names.end());
    return names;
}

} // namespace

PackageConverter::PackageConverter(QgsProject &project, Options options)
    : m_project(project), m_options(std::move(options))
{ }

void PackageConverter::convert()
{
    QElapsedTimer timer;
    timer.start();
    const QFileInfo original(m_options.originalProjectPath);
    const QString homePath = original.absolutePath();
    const QFileInfo exported(m_options.exportProjectPath);
    const QString exportDir = exported.absolutePath();
    QDir().mkpath(exportDir);

    // §4.2.2: additional project files
    struct AdditionalFile
    {
        QString source;
        QString target; // relative to the export dir
    };
    QList<AdditionalFile> additionalFiles;
    const QString imagePath =
        m_project.readEntry(QStringLiteral("Image"), QStringLiteral("/ImagePath"));
    if (!imagePath.isEmpty()) {
        const QString absolute = QDir::cleanPath(QDir(homePath).absoluteFilePath(imagePath));
        const QString relative = QDir(homePath).relativeFilePath(absolute);
        if (QFileInfo(absolute).isFile() && !relative.startsWith(QLatin1String("../")))
            additionalFiles.append({absolute, relative});
    }
    const QString stem = original.completeBaseName();
    const QString exportStem = exported.completeBaseName();
    const QString plugin = homePath + QLatin1Char('/') + stem + QStringLiteral(".qml");
    if (QFileInfo(plugin).isFile())
        additionalFiles.append({plugin, exportStem + QStringLiteral(".qml")});
    const QRegularExpression translation(
        QStringLiteral("\\A%1_([A-Za-z]{2})\\.qm\\z").arg(QRegularExpression::escape(stem)));
    for (const QString &name : QDir(homePath).entryList(QDir::Files)) {
        const QRegularExpressionMatch match = translation.match(name);
        if (match.hasMatch())
            additionalFiles.append(
                {homePath + QLatin1Char('/') + name,
                 exportStem + QLatin1Char('_') + match.captured(1) + QStringLiteral(".qm")});
    }

    // §4.2.3: every layer, in registry order
    QHash<QString, OriginalLayer> originalLayers;
    QList<QgsMapLayer *> offlineLayers;
    const QMap<QString, QgsMapLayer *> mapLayers = m_project.mapLayers();
    for (QgsMapLayer *layer : mapLayers) {
        const QJsonObject entry = m_options.originalLayers.value(layer->id()).toObject();
        const bool localized = entry.value(QStringLiteral("is_localized")).toBool();
        const bool unsupported = layer->source().endsWith(QLatin1String("ecw"));
        QStringList reasons;
        if (unsupported)
            reasons.append(QStringLiteral("UNSUPPORTED_DATASOURCE"));
        if (localized)
            reasons.append(QStringLiteral("LOCALIZED_PATH"));
        else if (!layer->isValid() && providerName(*layer) == QLatin1String("wms"))
            reasons.append(QStringLiteral("INVALID_REMOTE_RASTER_LAYER"));
        else if (!layer->isValid())
            reasons.append(QStringLiteral("INVALID"));
        if (!reasons.isEmpty()) {
            for (const QString &reason : std::as_const(reasons)) {
                if (reason == QLatin1String("INVALID")
                    || reason == QLatin1String("UNSUPPORTED_DATASOURCE")) {
                    logWarning(QStringLiteral("Layer \"%1\" cannot be packaged and will be removed "
                                              "because \"%2\".")
                                   .arg(layer->name(), reason));
                    m_project.removeMapLayer(layer);
                    break;
                }
                logWarning(QStringLiteral("Layer \"%1\" cannot be packaged due to \"%2\", "
                                          "skipping…")
                               .arg(layer->name(), reason));
            }
            continue;
        }

        auto *vectorLayer = qobject_cast<QgsVectorLayer *>(layer);
        const QVariant configured =
            layer->customProperty(QStringLiteral("QFieldSync/cloud_action"));
        QString action = configured.toString();
        if (!configured.isValid()) {
            const bool isVirtual = providerName(*layer) == QLatin1String("virtual");
            action = vectorLayer && !isVirtual ? Offline : NoAction;
        }

        if (vectorLayer && layer->isValid()) {
            const QString primaryKey = LayerData::primaryKeyName(*layer);
            if (!primaryKey.isEmpty()) {
                logInfo(QStringLiteral("Layer \"%1\" will use attribute \"%2\" as a primary key.")
                            .arg(layer->name(), primaryKey));
                layer->setCustomProperty(QStringLiteral("QFieldSync/sourceDataPrimaryKeys"),
                                         primaryKey);
            } else {
                logInfo(QStringLiteral("Layer \"%1\" neither has a primary key, nor an attribute "
                                       "`fid`: it is packaged read-only.")
                            .arg(layer->name()));
                action = NoAction;
                vectorLayer->setReadOnly(true);
                layer->setCustomProperty(QStringLiteral("QFieldSync/unsupported_source_pk"),
                                         QStringLiteral("1"));
            }
        }
        originalLayers.insert(layer->id(),
                              {layer->id(), layer->name(), layer->source(),
                               vectorLayer ? vectorLayer->fields() : QgsFields()});
        layer->setCustomProperty(QStringLiteral("QFieldSync/remoteLayerId"), layer->id());

        if (action == Offline)
            offlineLayers.append(layer);
        else if (action == Copy || action == NoAction)
            copyLayer(*layer, exportDir, false, m_project);
        else if (action == KeepExistent)
            copyLayer(*layer, exportDir, true, m_project);
        else if (action == Remove)
            m_project.removeMapLayer(layer);
    }

    // §4.2.4, §4.2.5
    removeEmptyGroups(m_project.layerTreeRoot());
    m_project.writeEntry(QStringLiteral("qfieldsync"), QStringLiteral("/originalProjectPath"),
                         m_options.originalProjectPath);
    m_project.writeEntry(QStringLiteral("qfieldsync"), QStringLiteral("/createBaseMap"), false);

    // §4.2.6: the project now lives in the export directory (relative paths resolve there)
    for (const AdditionalFile &file : std::as_const(additionalFiles)) {
        const QString target = exportDir + QLatin1Char('/') + file.target;
        QDir().mkpath(QFileInfo(target).absolutePath());
        QFile::remove(target);
        if (!QFile::copy(file.source, target))
            throw WorkerError(
                QStringLiteral("Failed to copy \"%1\" to \"%2\".").arg(file.source, target));
    }
    m_project.setFileName(m_options.exportProjectPath);
    // QGIS reads relative paths back through the path preprocessors while it writes them: the
    // confinement must resolve them against the export directory from now on
    if (PathConfinement *confinement = QgisApp::confinement())
        confinement->setBaseDirectory(exportDir);
    QDir::setCurrent(exportDir);
    m_project.setFilePathStorage(Qgis::FilePathType::Relative);
    for (const QString &directory : std::as_const(m_options.attachmentDirs)) {
        if (directory.isEmpty() || QDir::isAbsolutePath(directory)
            || directory.split(QLatin1Char('/')).contains(QStringLiteral("..")))
            continue;
        copyRecursively(homePath + QLatin1Char('/') + directory,
                        exportDir + QLatin1Char('/') + directory);
    }

    // §4.2.7
    if (!offlineLayers.isEmpty()) {
        QgsRectangle bbox;
        if (m_project.readBoolEntry(QStringLiteral("qfieldsync"),
                                    QStringLiteral("/offlineCopyOnlyAoi"), false)) {
            const QgsGeometry area = QgsGeometry::fromWkt(m_options.areaOfInterestWkt);
            if (area.isNull() || !m_options.areaOfInterestCrs.isValid())
                throw WorkerError(QString(), QStringLiteral("UNKNOWN"),
                                  QStringLiteral("AssertionError"));
            try {
                const QgsCoordinateTransform transform(m_options.areaOfInterestCrs, m_project.crs(),
                                                       &m_project);
                bbox = transform.transformBoundingBox(area.boundingBox());
            } catch (const QgsCsException &exception) {
                throw WorkerError(QStringLiteral("Failed to transform the area of interest: %1")
                                      .arg(exception.what()));
            }
        }
        const QString gpkgPath = exportDir + QStringLiteral("/data.gpkg");
        logInfo(QStringLiteral("Offliner set to \"%1\"")
                    .arg(contract::offlinerName(m_options.offliner)));
        std::unique_ptr<Offliner> offliner = Offliner::create(m_options.offliner);
        offliner->convert(m_project, gpkgPath, offlineLayers, bbox);

        m_project.setEvaluateDefaultValues(false);
        m_project.setAutoTransaction(false);
        const QMap<QString, QgsMapLayer *> layers = m_project.mapLayers();
        for (QgsMapLayer *mapLayer : layers) {
            auto *layer = qobject_cast<QgsVectorLayer *>(mapLayer);
            if (!layer)
                continue;
            const QString remoteId =
                layer->customProperty(QStringLiteral("QFieldSync/remoteLayerId")).toString();
            if (remoteId.isEmpty() || !originalLayers.contains(remoteId)) {
                logWarning(QStringLiteral("Failed to find layer with name \"%1\". QFieldSync will "
                                          "not package that layer.")
                               .arg(layer->name()));
                continue;
            }
            const OriginalLayer &originalLayer = originalLayers.value(remoteId);
            QStringList names;
            visibleFieldNames(layer->editFormConfig().tabs(), layer->fields(), names);
            for (const QString &name : std::as_const(names)) {
                const int originalIndex = originalLayer.fields.indexOf(name);
                if (originalIndex < 0) {
                    layer->setEditorWidgetSetup(layer->fields().indexFromName(name),
                                                QgsEditorWidgetSetup(QStringLiteral("Hidden"), {}));
                    continue;
                }
                const QgsField originalField = originalLayer.fields.at(originalIndex);
                const QgsEditorWidgetSetup setup = originalField.editorWidgetSetup();
                if (setup.type() != QLatin1String("ValueRelation"))
                    continue;
                QVariantMap config = setup.config();
                QString referencedId = config.value(QStringLiteral("Layer")).toString();
                if (!originalLayers.contains(referencedId)) {
                    if (const QgsVectorLayer *resolved =
                            QgsValueRelationFieldFormatter::resolveLayer(config, &m_project))
                        referencedId =
                            resolved->customProperty(QStringLiteral("remoteLayerId")).toString();
                }
                QString packagedId;
                if (originalLayers.contains(referencedId)) {
                    const OriginalLayer &referenced = originalLayers.value(referencedId);
                    for (const QgsMapLayer *candidate : layers) {
                        if (candidate->customProperty(QStringLiteral("remoteSource")).toString()
                                == referenced.source
                            || candidate->name() == referenced.name) {
                            packagedId = candidate->id();
                            break;
                        }
                    }
                }
                if (packagedId.isEmpty()) {
                    logWarning(QStringLiteral("Field \"%1\" in layer \"%2\" has no configured "
                                              "layer in the value relation widget.")
                                   .arg(name, layer->name()));
                    continue;
                }
                config.insert(QStringLiteral("Layer"), packagedId);
                layer->setEditorWidgetSetup(layer->fields().indexOf(name),
                                            QgsEditorWidgetSetup(setup.type(), config));
            }
        }
    }

    // §4.2.8
    const QMap<QString, QgsMapLayer *> finalLayers = m_project.mapLayers();
    for (QgsMapLayer *mapLayer : finalLayers) {
        if (auto *layer = qobject_cast<QgsVectorLayer *>(mapLayer))
            relativeOrEmbeddedSymbols(*layer, homePath, exportDir);
    }

    // §4.2.9: the packaged project, with theMapCanvas
    const QDomElement mapCanvas = m_options.mapCanvas.documentElement();
    const QMetaObject::Connection connection = QObject::connect(
        &m_project, &QgsProject::writeProject, &m_project, [&mapCanvas](QDomDocument &document) {
            if (mapCanvas.isNull())
                return;
            const QDomNodeList canvases = document.elementsByTagName(QStringLiteral("mapcanvas"));
            for (int i = 0; i < canvases.size(); ++i) {
                if (canvases.at(i).toElement().attribute(QStringLiteral("name"))
                    == QLatin1String("theMapCanvas"))
                    return;
            }
            document.documentElement().appendChild(document.importNode(mapCanvas, true));
        });
    const bool written = m_project.write(m_options.exportProjectPath);
    QObject::disconnect(connection);
    if (!written)
        throw WorkerError(QStringLiteral("Failed to write the packaged project \"%1\": %2")
                              .arg(m_options.exportProjectPath, m_project.error()));

    // §4.1: exactly one project file, the exported one, not empty
    if (projectFilesInDirectory(exportDir) != QStringList{exported.fileName()})
        throw WorkerError(QString(), QStringLiteral("UNKNOWN"), QStringLiteral("AssertionError"));
    if (QFileInfo(m_options.exportProjectPath).size() == 0)
        throw WorkerError(QStringLiteral("The packaged QGIS project file is empty."));
    logInfo(QStringLiteral("Project packaged in %1 ms.").arg(timer.elapsed()));
}

} // namespace qfc::worker
