#include "layerdata.h"

#include "pathconfinement.h"
#include "texttable.h"
#include "workerlog.h"

#include <QDir>
#include <QFileInfo>
#include <QHash>
#include <QHostAddress>
#include <QHostInfo>
#include <QJsonArray>
#include <QNetworkInterface>
#include <QProcess>
#include <QStandardPaths>
#include <qgsdataprovider.h>
#include <qgsdatasourceuri.h>
#include <qgseditorwidgetsetup.h>
#include <qgsfieldconstraints.h>
#include <qgsmaplayer.h>
#include <qgsproject.h>
#include <qgsprovidermetadata.h>
#include <qgsproviderregistry.h>
#include <qgsvectorlayer.h>
#include <qgswkbtypes.h>

namespace qfc::worker::LayerData {

namespace {

constexpr QLatin1String Localized("localized:");

QJsonValue stringOrNull(const QString &text, bool isNull)
{
    return isNull ? QJsonValue(QJsonValue::Null) : QJsonValue(text);
}

QString geometryTypeName(QgsWkbTypes::GeometryType type)
{
    switch (type) {
    case QgsWkbTypes::PointGeometry:
        return QStringLiteral("Point");
    case QgsWkbTypes::LineGeometry:
        return QStringLiteral("Line");
    case QgsWkbTypes::PolygonGeometry:
        return QStringLiteral("Polygon");
    case QgsWkbTypes::UnknownGeometry:
        return QStringLiteral("Unknown");
    case QgsWkbTypes::NullGeometry:
        return QStringLiteral("Null");
    }
    return QStringLiteral("Unknown");
}

QString constraintStrengthName(QgsFieldConstraints::ConstraintStrength strength)
{
    switch (strength) {
    case QgsFieldConstraints::ConstraintStrengthNotSet:
        return QStringLiteral("not_set");
    case QgsFieldConstraints::ConstraintStrengthHard:
        return QStringLiteral("hard");
    case QgsFieldConstraints::ConstraintStrengthSoft:
        return QStringLiteral("soft");
    }
    return QStringLiteral("not_set");
}

QJsonArray fieldsOf(const QgsVectorLayer &layer)
{
    QJsonArray fields;
    const QgsFields layerFields = layer.fields();
    for (const QgsField &field : layerFields) {
        const QgsFieldConstraints constraints = field.constraints();
        const QgsEditorWidgetSetup widget = field.editorWidgetSetup();
        fields.append(QJsonObject{
            {QStringLiteral("name"), field.name()},
            {QStringLiteral("alias"), field.alias()},
            {QStringLiteral("comment"), field.comment()},
            {QStringLiteral("type"), field.typeName()},
            {QStringLiteral("length"), field.length()},
            {QStringLiteral("precision"), field.precision()},
            {QStringLiteral("is_not_null"),
             bool(constraints.constraints() & QgsFieldConstraints::ConstraintNotNull)},
            {QStringLiteral("constraint_strength"),
             constraintStrengthName(
                 constraints.constraintStrength(QgsFieldConstraints::ConstraintNotNull))},
            {QStringLiteral("constraint_expression"), constraints.constraintExpression()},
            {QStringLiteral("constraint_expression_description"),
             constraints.constraintDescription()},
            {QStringLiteral("constraint_expression_strength"),
             constraintStrengthName(
                 constraints.constraintStrength(QgsFieldConstraints::ConstraintExpression))},
            {QStringLiteral("is_unique"),
             bool(constraints.constraints() & QgsFieldConstraints::ConstraintUnique)},
            {QStringLiteral("is_unique_strength"),
             constraintStrengthName(
                 constraints.constraintStrength(QgsFieldConstraints::ConstraintUnique))},
            {QStringLiteral("default_value"), field.defaultValueDefinition().expression()},
            {QStringLiteral("set_default_value_on_update"),
             field.defaultValueDefinition().applyOnUpdate()},
            {QStringLiteral("widget_type"), widget.type()},
            {QStringLiteral("widget_config"), QJsonObject::fromVariantMap(widget.config())},
        });
    }
    return fields;
}

// upstream's is_localhost(): "localhost", "0.0.0.0", or a name resolving to a local address.
bool isLocalhost(const QString &host)
{
    static QHash<QString, bool> cache;
    const auto cached = cache.constFind(host);
    if (cached != cache.constEnd())
        return cached.value();

    bool local = false;
    if (host.compare(QLatin1String("localhost"), Qt::CaseInsensitive) == 0
        || host == QLatin1String("0.0.0.0")) {
        local = true;
    } else {
        QList<QHostAddress> addresses;
        const QHostAddress literal(host);
        if (!literal.isNull())
            addresses.append(literal);
        else
            addresses = QHostInfo::fromName(host).addresses();
        const QList<QHostAddress> localAddresses = QNetworkInterface::allAddresses();
        for (const QHostAddress &address : std::as_const(addresses)) {
            if (address.isLoopback() || address == QHostAddress(QHostAddress::AnyIPv4)
                || address == QHostAddress(QHostAddress::AnyIPv6)
                || localAddresses.contains(address))
                local = true;
        }
    }
    cache.insert(host, local);
    return local;
}

// upstream's has_ping(): one ping answered within 5 s ("ping -c 1 -w 5 <host>").
bool hasPing(const QString &host)
{
    static QHash<QString, bool> cache;
    const auto cached = cache.constFind(host);
    if (cached != cache.constEnd())
        return cached.value();

    bool answered = false;
    const QString ping = QStandardPaths::findExecutable(QStringLiteral("ping"));
    if (!ping.isEmpty() && !host.startsWith(QLatin1Char('-'))) {
        QProcess process;
        process.start(ping,
                      {QStringLiteral("-c"), QStringLiteral("1"), QStringLiteral("-w"),
                       QStringLiteral("5"), host});
        if (process.waitForFinished(7000)) {
            const QByteArray out = process.readAllStandardOutput();
            const QByteArray err = process.readAllStandardError();
            answered = process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0
                && err.isEmpty() && !out.contains("100% packet loss");
        } else {
            process.kill();
            process.waitForFinished(1000);
        }
    }
    cache.insert(host, answered);
    return answered;
}

QVariantMap decodedUri(const QgsMapLayer &layer)
{
    const QgsDataProvider *provider = layer.dataProvider();
    if (!provider)
        return {};
    QgsProviderMetadata *metadata =
        QgsProviderRegistry::instance()->providerMetadata(provider->name());
    return metadata ? metadata->decodeUri(layer.source()) : QVariantMap();
}

} // namespace

QString layerTypeName(int type)
{
    static const QStringList names{
        QStringLiteral("Vector"),     QStringLiteral("Raster"),     QStringLiteral("Plugin"),
        QStringLiteral("Mesh"),       QStringLiteral("VectorTile"), QStringLiteral("Annotation"),
        QStringLiteral("PointCloud"), QStringLiteral("Group"),      QStringLiteral("TiledScene"),
    };
    return names.value(type);
}

QString primaryKeyName(const QgsMapLayer &layer)
{
    const auto *vectorLayer = qobject_cast<const QgsVectorLayer *>(&layer);
    if (!vectorLayer)
        return {};
    const QgsAttributeList keys = vectorLayer->primaryKeyAttributes();
    const QgsFields fields = vectorLayer->fields();
    QString name;
    if (keys.size() == 1) {
        if (keys.first() >= 0 && keys.first() < fields.size())
            name = fields.at(keys.first()).name();
    } else if (keys.size() > 1) {
        logInfo(QStringLiteral("Layer \"%1\": composite (multi-column) primary keys are not "
                               "supported!")
                    .arg(layer.name()));
        return {};
    } else {
        // lookupField() ignores case but also matches aliases: require the real name
        const int index = fields.lookupField(QStringLiteral("fid"));
        if (index >= 0 && fields.at(index).name().toLower() == QLatin1String("fid"))
            name = fields.at(index).name();
    }
    if (name.isEmpty() || name.contains(QLatin1Char(',')))
        return {};
    return name;
}

QJsonObject layerEntry(const QgsProject &project, const QgsMapLayer &layer, const Context &context)
{
    const QString layerId = layer.id();
    const QgsDataProvider *provider = layer.dataProvider();
    const QString projectDirectory = QFileInfo(project.fileName()).absolutePath();
    auto restore = [&context](const QString &text) {
        return context.confinement ? context.confinement->restore(text) : text;
    };

    // the file behind the layer: the provider-decoded path, absolute (relative paths that QGIS
    // could not resolve are relative to the project), or the original of a path kept out of the
    // work directory
    const QString decodedPath = decodedUri(layer).value(QStringLiteral("path")).toString();
    const QString outsidePath =
        context.confinement ? context.confinement->originalPath(decodedPath) : QString();
    QString path = decodedPath;
    if (!outsidePath.isEmpty())
        path = outsidePath;
    else if (!path.isEmpty() && QDir::isRelativePath(path) && !path.startsWith(Localized))
        path = QDir::cleanPath(projectDirectory + QLatin1Char('/') + path);

    const QString badSource = context.badLayerSources.value(layerId);
    bool isLocalized = false;
    if (!badSource.isEmpty()) {
        isLocalized = badSource.startsWith(Localized)
            || badSource.startsWith(QLatin1String("file:localized:"))
            || badSource.contains(QLatin1String("url=file:localized:"))
            || badSource.contains(QLatin1String("url=localized:"));
    } else {
        isLocalized = project.pathResolver().writePath(decodedPath).startsWith(Localized);
    }

    QString filename;
    if (layer.type() == QgsMapLayerType::VectorTileLayer) {
        QgsDataSourceUri uri;
        uri.setEncodedUri(layer.source());
        filename = uri.param(QStringLiteral("url"));
    } else if (provider) {
        const QString written = project.pathResolver().writePath(decodedPath);
        filename = written.startsWith(Localized) ? written.mid(Localized.size()) : path;
    }

    QJsonValue datasource(QJsonValue::Null);
    QJsonValue providerName(QJsonValue::Null);
    if (isLocalized) {
        if (!badSource.isEmpty()) {
            datasource = badSource;
            if (badSource.contains(Localized))
                filename = badSource.split(Localized).last().split(QLatin1Char('|')).first();
        }
    } else if (provider) {
        datasource = restore(provider->uri().uri());
        providerName = provider->name();
    }

    const QgsError error = layer.error();
    QString errorSummary =
        error.isEmpty() ? QString() : restore(error.summary()); // 3.22 crashes on empty
    const int type = int(layer.type());
    const auto *vectorLayer = qobject_cast<const QgsVectorLayer *>(&layer);
    const QgsWkbTypes::Type wkbType = vectorLayer ? vectorLayer->wkbType() : QgsWkbTypes::Unknown;

    QJsonObject entry{
        {QStringLiteral("id"), layerId},
        {QStringLiteral("name"), layer.name()},
        {QStringLiteral("crs"), layer.crs().authid()},
        {QStringLiteral("type"), type},
        {QStringLiteral("type_name"), layerTypeName(type)},
        {QStringLiteral("wkb_type"),
         vectorLayer ? QJsonValue(int(wkbType)) : QJsonValue(QJsonValue::Null)},
        {QStringLiteral("wkb_type_name"),
         vectorLayer ? QgsWkbTypes::displayString(wkbType) : QString()},
        {QStringLiteral("geom_type"),
         vectorLayer ? QJsonValue(int(QgsWkbTypes::geometryType(wkbType)))
                     : QJsonValue(QJsonValue::Null)},
        {QStringLiteral("geom_type_name"),
         vectorLayer ? geometryTypeName(QgsWkbTypes::geometryType(wkbType)) : QString()},
        {QStringLiteral("is_valid"), layer.isValid()},
        {QStringLiteral("is_localized"), isLocalized},
        {QStringLiteral("datasource"), datasource},
        {QStringLiteral("provider_name"), providerName},
        {QStringLiteral("filename"), filename},
        {QStringLiteral("error_code"), QStringLiteral("no_error")},
        {QStringLiteral("error_message"), restore(error.message())},
        {QStringLiteral("provider_error_summary"), QJsonValue::Null},
        {QStringLiteral("provider_error_message"), QJsonValue::Null},
        {QStringLiteral("qfs_action"),
         QJsonValue::fromVariant(layer.customProperty(QStringLiteral("QFieldSync/action")))},
        {QStringLiteral("qfs_cloud_action"),
         QJsonValue::fromVariant(layer.customProperty(QStringLiteral("QFieldSync/cloud_action")))},
        {QStringLiteral("qfs_is_geometry_locked"),
         QJsonValue::fromVariant(
             layer.customProperty(QStringLiteral("QFieldSync/is_geometry_locked")))},
        {QStringLiteral("qfs_photo_naming"),
         QJsonValue::fromVariant(layer.customProperty(QStringLiteral("QFieldSync/photo_naming")))},
        {QStringLiteral("qfs_unsupported_source_pk"),
         QJsonValue::fromVariant(
             layer.customProperty(QStringLiteral("QFieldSync/unsupported_source_pk")))},
        {QStringLiteral("qfc_source_data_pk_name"), primaryKeyName(layer)},
        {QStringLiteral("fields"),
         vectorLayer ? QJsonValue(fieldsOf(*vectorLayer)) : QJsonValue(QJsonValue::Null)},
    };

    if (!layer.isValid()) {
        QString errorCode;
        QString providerSummary;
        QString providerMessage;
        if (provider) {
            if (provider->isValid())
                errorCode = QStringLiteral("invalid_layer");
            else if (isLocalized)
                errorCode = QStringLiteral("localized_dataprovider");
            else
                errorCode = QStringLiteral("invalid_dataprovider");

            const QgsError providerError = provider->error();
            providerSummary =
                providerError.isEmpty() ? QString() : restore(providerError.summary());
            providerMessage = restore(providerError.message());
            if (providerSummary.isEmpty()) {
                const QgsDataSourceUri uri = provider->uri();
                if (!uri.service().isEmpty())
                    providerSummary =
                        QStringLiteral("Unable to connect to service \"%1\".").arg(uri.service());
                const QString host = uri.host();
                if (!host.isEmpty() && (isLocalhost(host) || hasPing(host)))
                    providerSummary = QStringLiteral("Unable to connect to host \"%1\".").arg(host);
                if (!outsidePath.isEmpty())
                    errorSummary = QStringLiteral("File \"%1\" missing.").arg(outsidePath);
                else if (!path.isEmpty() && !QFileInfo::exists(path))
                    errorSummary = QStringLiteral("File \"%1\" missing.").arg(path);
            }
        } else {
            errorCode = QStringLiteral("missing_dataprovider");
            providerSummary = QStringLiteral("No data provider available");
        }
        entry.insert(QStringLiteral("error_code"), errorCode);
        entry.insert(QStringLiteral("provider_error_summary"), providerSummary);
        entry.insert(QStringLiteral("provider_error_message"),
                     stringOrNull(providerMessage, !provider));
    }
    entry.insert(QStringLiteral("error_summary"), errorSummary);
    return entry;
}

QJsonObject layersById(const QgsProject &project, const Context &context)
{
    QJsonObject layers;
    const QMap<QString, QgsMapLayer *> mapLayers = project.mapLayers();
    for (auto it = mapLayers.constBegin(); it != mapLayers.constEnd(); ++it)
        layers.insert(it.key(), layerEntry(project, *it.value(), context));
    return layers;
}

QStringList orderedLayerIds(const QgsProject &project)
{
    return project.mapLayers().keys();
}

QString layersTable(const QJsonObject &layersById, const QStringList &orderedIds)
{
    auto text = [](const QJsonValue &value) {
        if (value.isBool())
            return value.toBool() ? QStringLiteral("True") : QStringLiteral("False");
        return value.isNull() ? QString() : value.toVariant().toString();
    };
    QList<QStringList> rows;
    for (const QString &id : orderedIds) {
        const QJsonObject layer = layersById.value(id).toObject();
        rows.append({text(layer.value(QStringLiteral("name"))), QStringLiteral("...") + id.right(6),
                     text(layer.value(QStringLiteral("type_name"))),
                     text(layer.value(QStringLiteral("is_valid"))),
                     text(layer.value(QStringLiteral("error_code"))),
                     text(layer.value(QStringLiteral("error_summary"))),
                     text(layer.value(QStringLiteral("provider_error_summary")))});
    }
    QString output = formatTextTable({QStringLiteral("Layer Name"), QStringLiteral("Layer Id"),
                                      QStringLiteral("Type"), QStringLiteral("Is Valid"),
                                      QStringLiteral("Status"), QStringLiteral("Error Summary"),
                                      QStringLiteral("Provider Summary")},
                                     rows);
    output += QStringLiteral("\n\nDetailed layers info:");
    for (const QString &id : orderedIds) {
        const QJsonObject layer = layersById.value(id).toObject();
        const QString name = layer.value(QStringLiteral("name")).toString();
        output += QLatin1Char('\n');
        if (!layer.value(QStringLiteral("is_valid")).toBool()) {
            output += QStringLiteral("\nLayer '%1' (%2) is invalid.").arg(name, id);
            continue;
        }
        if (layer.value(QStringLiteral("type_name")).toString() != QLatin1String("Vector")) {
            output += QStringLiteral("\nLayer '%1' (%2) is valid.").arg(name, id);
            continue;
        }
        output += QStringLiteral("\nLayer '%1' (%2) is valid. Fields:\n").arg(name, id);
        QList<QStringList> fieldRows;
        for (const QJsonValue &value : layer.value(QStringLiteral("fields")).toArray()) {
            const QJsonObject field = value.toObject();
            fieldRows.append({text(field.value(QStringLiteral("name"))),
                              text(field.value(QStringLiteral("type"))),
                              text(field.value(QStringLiteral("length"))),
                              text(field.value(QStringLiteral("precision"))),
                              text(field.value(QStringLiteral("is_not_null"))),
                              text(field.value(QStringLiteral("alias")))});
        }
        output += formatTextTable({QStringLiteral("Field Name"), QStringLiteral("Type"),
                                   QStringLiteral("Length"), QStringLiteral("Precision"),
                                   QStringLiteral("Is Not Null"), QStringLiteral("Alias")},
                                  fieldRows, {false, false, true, true, false, false});
    }
    return output;
}

} // namespace qfc::worker::LayerData
