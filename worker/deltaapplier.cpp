#include "deltaapplier.h"

#include "contract/feedback.h"
#include "texttable.h"
#include "workererror.h"
#include "workerlog.h"

#include <QDate>
#include <QDateTime>
#include <QJsonDocument>
#include <QMetaType>
#include <QRegularExpression>
#include <QTime>
#include <qgsdatasourceuri.h>
#include <qgsdefaultvalue.h>
#include <qgsexception.h>
#include <qgsexpression.h>
#include <qgsfeature.h>
#include <qgsfeatureiterator.h>
#include <qgsfeaturerequest.h>
#include <qgsfields.h>
#include <qgsgeometry.h>
#include <qgsproject.h>
#include <qgsproviderregistry.h>
#include <qgsvectordataprovider.h>
#include <qgsvectorlayer.h>
#include <qgsvectorlayereditpassthrough.h>
#include <qgsvectorlayerutils.h>
#include <qgswkbtypes.h>

#include <cmath>
#include <exception>
#include <optional>
#include <utility>

namespace qfc::worker {

namespace {

// An expected failure of one delta (upstream's DeltaException): the delta ends not applied or in
// conflict, the next delta runs.
struct DeltaFailure
{
    QString message;
    QJsonValue providerErrors = QJsonValue(QJsonValue::Null);
    QString errorType = DeltaErrorTypes::Error;
    QJsonValue conflicts = QJsonValue(QJsonValue::Null);
};

// An unexpected failure (upstream: any other exception): the job fails.
struct UnexpectedFailure
{
    QString message;
};

QJsonArray providerErrors(const QgsVectorLayer &layer, bool withCommitErrors = false)
{
    QStringList errors;
    if (const QgsVectorDataProvider *provider = layer.dataProvider())
        errors = provider->errors();
    if (withCommitErrors)
        errors += layer.commitErrors();
    return QJsonArray::fromStringList(errors);
}

bool isIntegerType(int type)
{
    switch (type) {
    case QMetaType::Bool:
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::LongLong:
    case QMetaType::ULongLong:
    case QMetaType::Short:
    case QMetaType::UShort:
    case QMetaType::Long:
    case QMetaType::ULong:
    case QMetaType::Char:
    case QMetaType::SChar:
    case QMetaType::UChar:
        return true;
    default:
        return false;
    }
}

bool isNumberType(int type)
{
    return isIntegerType(type) || type == QMetaType::Double || type == QMetaType::Float;
}

// Python's `==` between two numbers (bools are 0/1): exact for integers, else as doubles.
bool numbersEqual(const QVariant &a, const QVariant &b)
{
    if (isIntegerType(a.userType()) && isIntegerType(b.userType())) {
        if (a.userType() == QMetaType::ULongLong || b.userType() == QMetaType::ULongLong)
            return a.toULongLong() == b.toULongLong()
                && (a.toLongLong() < 0) == (b.toLongLong() < 0);
        return a.toLongLong() == b.toLongLong();
    }
    return a.toDouble() == b.toDouble();
}

// Python's `==` between two decoded JSON values.
bool jsonEqual(const QJsonValue &a, const QJsonValue &b)
{
    const auto isNullish = [](const QJsonValue &value) {
        return value.isNull() || value.isUndefined();
    };
    if (isNullish(a) || isNullish(b))
        return isNullish(a) && isNullish(b);
    const auto isNumeric = [](const QJsonValue &value) {
        return value.isDouble() || value.isBool();
    };
    if (isNumeric(a) && isNumeric(b))
        return numbersEqual(a.toVariant(), b.toVariant());
    if (a.type() != b.type())
        return false;
    if (a.isString())
        return a.toString() == b.toString();
    if (a.isArray()) {
        const QJsonArray left = a.toArray();
        const QJsonArray right = b.toArray();
        if (left.size() != right.size())
            return false;
        for (int i = 0; i < left.size(); ++i) {
            if (!jsonEqual(left.at(i), right.at(i)))
                return false;
        }
        return true;
    }
    const QJsonObject left = a.toObject();
    const QJsonObject right = b.toObject();
    if (left.keys() != right.keys())
        return false;
    for (auto it = left.constBegin(); it != left.constEnd(); ++it) {
        if (!jsonEqual(it.value(), right.value(it.key())))
            return false;
    }
    return true;
}

// Python's repr() of a float: the shortest text that reads back, with ".0" for whole numbers.
QString pythonFloat(double value)
{
    if (std::isnan(value))
        return QStringLiteral("nan");
    if (std::isinf(value))
        return value > 0 ? QStringLiteral("inf") : QStringLiteral("-inf");
    QString text = QString::number(value, 'g', QLocale::FloatingPointShortest);
    if (!text.contains(QLatin1Char('.')) && !text.contains(QLatin1Char('e')))
        text += QLatin1String(".0");
    return text;
}

// A current attribute value in a conflict message, as upstream's f-string shows it (NULL for
// null values; dates and times in ISO 8601).
QString currentValueText(const QVariant &value)
{
    if (value.isNull())
        return QStringLiteral("NULL");
    switch (value.userType()) {
    case QMetaType::Bool:
        return value.toBool() ? QStringLiteral("True") : QStringLiteral("False");
    case QMetaType::Double:
    case QMetaType::Float:
        return pythonFloat(value.toDouble());
    case QMetaType::QDate:
        return value.toDate().toString(Qt::ISODate);
    case QMetaType::QDateTime:
        return value.toDateTime().toString(Qt::ISODateWithMs);
    case QMetaType::QTime:
        return value.toTime().toString(Qt::ISODateWithMs);
    case QMetaType::QByteArray: {
        QString text = QStringLiteral("b'");
        const QByteArray bytes = value.toByteArray();
        for (const char c : bytes) {
            const auto byte = static_cast<unsigned char>(c);
            if (byte == '\\' || byte == '\'')
                text += QLatin1Char('\\') + QLatin1Char(c);
            else if (byte >= 0x20 && byte < 0x7f)
                text += QLatin1Char(c);
            else
                text += QStringLiteral("\\x%1").arg(byte, 2, 16, QLatin1Char('0'));
        }
        return text + QLatin1Char('\'');
    }
    case QMetaType::QVariantList:
    case QMetaType::QStringList:
    case QMetaType::QVariantMap:
        return pythonRepr(QJsonValue::fromVariant(value));
    default:
        return value.toString();
    }
}

// An incoming `old` value in a conflict message (Python's str() of the decoded JSON value).
QString incomingValueText(const QJsonValue &value)
{
    if (value.isString())
        return value.toString();
    if (value.isDouble()) {
        const QVariant number = value.toVariant();
        return isIntegerType(number.userType()) ? QString::number(number.toLongLong())
                                                : pythonFloat(number.toDouble());
    }
    return pythonRepr(value);
}

// §5.7 (b): whether the current value of a feature equals the incoming `old` value.
// `parsedIncoming` receives the date/time the incoming text was parsed to, if it was.
bool valuesEqual(const QVariant &current, const QJsonValue &incoming, QVariant *parsedIncoming)
{
    const bool incomingNull = incoming.isNull() || incoming.isUndefined();
    if (current.isNull() || incomingNull)
        return current.isNull() && incomingNull;

    const int type = current.userType();
    if (type == QMetaType::QDateTime || type == QMetaType::QDate || type == QMetaType::QTime) {
        if (!incoming.isString())
            return false;
        const QString text = incoming.toString();
        if (type == QMetaType::QDateTime)
            *parsedIncoming = QDateTime::fromString(text, Qt::ISODateWithMs);
        else if (type == QMetaType::QDate)
            *parsedIncoming = QDate::fromString(text, Qt::ISODate);
        else
            *parsedIncoming = QTime::fromString(text);
        if (type == QMetaType::QDateTime)
            return parsedIncoming->toDateTime() == current.toDateTime();
        if (type == QMetaType::QDate)
            return parsedIncoming->toDate() == current.toDate();
        return parsedIncoming->toTime() == current.toTime();
    }
    if (type == QMetaType::QByteArray)
        return incoming.isString() && current.toByteArray() == incoming.toString().toUtf8();
    if (isNumberType(type)) {
        if (!incoming.isDouble() && !incoming.isBool())
            return false;
        return numbersEqual(current, incoming.toVariant());
    }
    if (type == QMetaType::QString)
        return incoming.isString() && incoming.toString() == current.toString();
    return jsonEqual(QJsonValue::fromVariant(current), incoming);
}

// Python's repr() quoting of the WKT in "Null geometry from wkt='...'".
QString quotedWkt(const QString &wkt)
{
    const bool useDouble = wkt.contains(QLatin1Char('\'')) && !wkt.contains(QLatin1Char('"'));
    QString text = wkt;
    text.replace(QLatin1Char('\\'), QLatin1String("\\\\"));
    if (useDouble)
        return QLatin1Char('"') + text + QLatin1Char('"');
    text.replace(QLatin1Char('\''), QLatin1String("\\'"));
    return QLatin1Char('\'') + text + QLatin1Char('\'');
}

// `geometry` of a delta's "new": null → a null geometry, a string → geometryFromWkt().
QgsGeometry geometryFromJson(const QJsonValue &value, const QgsVectorLayer &layer)
{
    if (value.isNull() || value.isUndefined())
        return QgsGeometry(); // the geometry has been deleted
    if (!value.isString())
        throw UnexpectedFailure{QStringLiteral("The provided geometry is of type %1 which is "
                                               "neither null nor a WKT string.")
                                    .arg(pythonRepr(value))};
    QgsGeometry geometry = DeltaApplier::geometryFromWkt(value.toString());
    if (geometry.type() != layer.geometryType())
        logInfo(QStringLiteral("The provided geometry type %1 differs from the layer geometry type "
                               "%2 for wkt=%3")
                    .arg(QgsWkbTypes::geometryDisplayString(geometry.type()),
                         QgsWkbTypes::geometryDisplayString(layer.geometryType()),
                         quotedWkt(value.toString())));
    return geometry;
}

// The primary key attribute of spec/worker.md §4.4, with the failures of §5.4 step 5.
QString primaryKeyName(const QgsVectorLayer &layer)
{
    const QgsAttributeList keys = layer.primaryKeyAttributes();
    const QgsFields fields = layer.fields();
    QString name;
    if (keys.size() == 1) {
        if (keys.first() >= 0 && keys.first() < fields.size())
            name = fields.at(keys.first()).name();
    } else if (keys.size() > 1) {
        throw DeltaFailure{
            QStringLiteral("Composite (multi-column) primary keys are not supported!")};
    } else {
        logInfo(QStringLiteral("Layer \"%1\" does not have a primary key. Trying to fallback to "
                               "`fid`…")
                    .arg(layer.name()));
        // lookupField() ignores case but also matches aliases: require the real name
        const int index = fields.lookupField(QStringLiteral("fid"));
        if (index >= 0 && fields.at(index).name().toLower() == QLatin1String("fid"))
            name = fields.at(index).name();
    }
    if (name.isEmpty())
        throw DeltaFailure{
            QStringLiteral("Layer \"%1\" neither has a primary key, nor an attribute `fid`! ")
                .arg(layer.name())};
    if (name.contains(QLatin1Char(',')))
        throw DeltaFailure{QStringLiteral("Comma in field name \"%1\" is not allowed!").arg(name)};
    return name;
}

// A primary key value as JSON: numbers stay numbers, anything else is its text.
QJsonValue primaryKeyJson(const QVariant &value)
{
    if (!value.isValid() || value.isNull())
        return QJsonValue(QJsonValue::Null);
    const int type = value.userType();
    if (type == QMetaType::Bool)
        return QJsonValue(value.toBool());
    if (type == QMetaType::ULongLong)
        return QJsonValue(double(value.toULongLong()));
    if (isIntegerType(type))
        return QJsonValue(value.toLongLong());
    if (type == QMetaType::Double || type == QMetaType::Float)
        return QJsonValue(value.toDouble());
    return QJsonValue(value.toString());
}

// The primary key text stored in clientPks (the server's last_modified_pk is the text of
// modified_pk).
QString primaryKeyText(const QJsonValue &value)
{
    if (value.isString())
        return value.toString();
    return incomingValueText(value);
}

bool sameValue(const QVariant &a, const QVariant &b)
{
    if (a.isNull() || b.isNull())
        return a.isNull() && b.isNull();
    return a == b;
}

// The provider fields whose values differ between `original` and `current`.
QList<int> changedAttributes(const QgsFeature &original, const QgsFeature &current,
                             const QgsFields &fields)
{
    QList<int> changed;
    for (int i = 0; i < fields.size(); ++i) {
        if (fields.fieldOrigin(i) != QgsFields::OriginProvider)
            continue;
        if (!sameValue(original.attribute(i), current.attribute(i)))
            changed.append(i);
    }
    return changed;
}

bool geometryChanged(const QgsFeature &original, const QgsFeature &current)
{
    if (original.hasGeometry() != current.hasGeometry())
        return true;
    return original.hasGeometry() && original.geometry().asWkb() != current.geometry().asWkb();
}

} // namespace

DeltaApplier::DeltaApplier(QgsProject &project, DeltaFile deltaFile, Options options)
    : m_project(project)
    , m_deltaFile(std::move(deltaFile))
    , m_options(std::move(options))
    , m_clientPks(m_deltaFile.clientPks)
{ }

DeltaApplier::~DeltaApplier()
{
    stopEditing();
}

QVariant DeltaApplier::toVariant(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        return QVariant();
    case QJsonValue::Bool:
        return QVariant(value.toBool());
    case QJsonValue::String: {
        const QString text = value.toString();
        // an empty value is "", never NULL
        return QVariant(text.isNull() ? QStringLiteral("") : text);
    }
    case QJsonValue::Double:
    case QJsonValue::Array:
    case QJsonValue::Object:
        return value.toVariant();
    }
    return QVariant();
}

QgsGeometry DeltaApplier::geometryFromWkt(const QString &text)
{
    QString wkt = text.trimmed();
    if (wkt.isEmpty())
        throw DeltaFailure{QStringLiteral("Empty WKT string!")};
    // `nan` ordinates are not standard WKT and poorly supported: they become 0
    static const QRegularExpression nan(QStringLiteral("\\bnan\\b"),
                                        QRegularExpression::CaseInsensitiveOption);
    const QString replaced = QString(wkt).replace(nan, QStringLiteral("0"));
    if (replaced != wkt) {
        logInfo(QStringLiteral("Replaced nan values with 0s for wkt=%1").arg(quotedWkt(wkt)));
        wkt = replaced;
    }
    QgsGeometry geometry = QgsGeometry::fromWkt(wkt);
    if (geometry.isNull())
        throw DeltaFailure{QStringLiteral("Null geometry from wkt=%1").arg(quotedWkt(wkt))};
    return geometry;
}

QStringList DeltaApplier::conflicts(const QgsFeature &feature, const QJsonObject &oldAttributes)
{
    // geometries are never compared, and attributes the layer does not have are ignored
    QStringList result;
    const QStringList names = feature.fields().names();
    for (auto it = oldAttributes.constBegin(); it != oldAttributes.constEnd(); ++it) {
        if (!names.contains(it.key()))
            continue;
        const QVariant current = feature.attribute(it.key());
        QVariant parsed;
        if (valuesEqual(current, it.value(), &parsed))
            continue;
        const QString incoming = parsed.isValid() && !parsed.isNull()
            ? currentValueText(parsed)
            : incomingValueText(it.value());
        result.append(QStringLiteral("The attribute \"%1\" that has a conflict:\n-%2\n+%3")
                          .arg(it.key(), currentValueText(current), incoming));
    }
    return result;
}

QJsonArray DeltaApplier::applyAll()
{
    logInfo(QStringLiteral("Applying %1 deltas of deltafile \"%2\"%3…")
                .arg(m_deltaFile.deltas.size())
                .arg(m_deltaFile.id,
                     m_options.overwriteConflicts ? QStringLiteral(", overwriting conflicts")
                                                  : QString()));
    for (const Delta &delta : std::as_const(m_deltaFile.deltas)) {
        std::optional<QString> unexpected;
        QJsonObject result;
        try {
            result = applyDelta(delta);
        } catch (const UnexpectedFailure &failure) {
            unexpected = failure.message;
        } catch (const DeltaFailure &failure) {
            // thrown outside the per-delta handling: still not what a delta should end with
            unexpected = failure.message;
        } catch (const QgsException &exception) {
            unexpected = exception.what();
        } catch (const std::exception &exception) {
            unexpected = QString::fromLocal8Bit(exception.what());
        } catch (...) {
            unexpected = QStringLiteral("Unknown error.");
        }
        if (unexpected) {
            m_entries.append(entry(delta, *unexpected, DeltaStatuses::UnknownError,
                                   QJsonValue(QJsonValue::Null), QJsonValue(QJsonValue::Null),
                                   QJsonValue(QJsonValue::Null), QJsonValue(QJsonValue::Null),
                                   QJsonValue(QJsonValue::Null)));
            logError(QStringLiteral("An unknown error has been encountered while applying delta "
                                    "\"%1\": %2")
                         .arg(delta.uuid, *unexpected));
            if (auto *layer =
                    qobject_cast<QgsVectorLayer *>(m_project.mapLayer(delta.sourceLayerId))) {
                if (layer->isEditable() && !layer->rollBack(false))
                    logError(QStringLiteral("Failed to rollback layer \"%1\".").arg(layer->id()));
            }
            logDeltaLog();
            stopEditing();
            throw WorkerError(*unexpected, contract::ErrorTypes::Unknown,
                              QStringLiteral("Exception"));
        }
        m_entries.append(result);
    }
    logDeltaLog();
    stopEditing();
    return m_entries;
}

void DeltaApplier::logDeltaLog() const
{
    int applied = 0;
    QList<QStringList> rows;
    for (const QJsonValue &value : m_entries) {
        const QJsonObject object = value.toObject();
        if (object.value(QLatin1String("status")).toString() == DeltaStatuses::Applied)
            ++applied;
        QString message = object.value(QLatin1String("msg")).toString();
        message.replace(QLatin1Char('\n'), QLatin1Char(' '));
        rows.append({QString::number(object.value(QLatin1String("delta_index")).toInt()),
                     object.value(QLatin1String("delta_id")).toString(),
                     object.value(QLatin1String("method")).toString(),
                     object.value(QLatin1String("status")).toString(), message});
    }
    if (m_entries.size() == m_deltaFile.deltas.size() && applied == m_deltaFile.deltas.size())
        logInfo(QStringLiteral("All %1 deltas have been applied successfully").arg(applied));
    else
        logInfo(QStringLiteral("%1 of the %2 deltas have been applied.")
                    .arg(applied)
                    .arg(m_deltaFile.deltas.size()));
    if (!rows.isEmpty())
        logInfo(QStringLiteral("Delta log:\n%1")
                    .arg(formatTextTable({QStringLiteral("#"), QStringLiteral("Delta"),
                                          QStringLiteral("Method"), QStringLiteral("Status"),
                                          QStringLiteral("Message")},
                                         rows, {true, false, false, false, false})));
}

void DeltaApplier::stopEditing()
{
    for (const QPointer<QgsVectorLayer> &layer : std::as_const(m_editedLayers)) {
        if (!layer || !layer->isEditable())
            continue;
        if (layer->isModified())
            logWarning(QStringLiteral("Discarding the uncommitted changes of layer \"%1\".")
                           .arg(layer->id()));
        if (!layer->rollBack(true))
            logWarning(QStringLiteral("Unable to stop editing layer \"%1\".").arg(layer->id()));
    }
    m_editedLayers.clear();
}

QgsVectorLayer *DeltaApplier::prepareLayer(const QString &layerId)
{
    auto *layer = qobject_cast<QgsVectorLayer *>(m_project.mapLayer(layerId));
    if (!layer)
        throw DeltaFailure{QStringLiteral("No layer with id \"%1\"").arg(layerId)};
    if (!layer->isValid())
        throw DeltaFailure{QStringLiteral("Invalid layer \"%1\"").arg(layerId)};

    // QFC_PG_EFFECTIVE_USER (spec/worker.md §1.2): session_role on the connection, reloaded
    // before the layer is edited
    if (!m_options.pgEffectiveUser.isEmpty() && layer->providerType() == QLatin1String("postgres")
        && !layer->isEditable() && !m_preparedLayerIds.contains(layerId)) {
        m_preparedLayerIds.insert(layerId);
        QgsDataSourceUri uri(layer->source());
        uri.removeParam(QStringLiteral("session_role"));
        uri.setParam(QStringLiteral("session_role"), m_options.pgEffectiveUser);
        QgsDataProvider::ProviderOptions options;
        options.transformContext = m_project.transformContext();
        layer->setDataSource(uri.uri(false), layer->name(), layer->providerType(), options);
        logInfo(QStringLiteral("Layer \"%1\" reloaded with the session role of "
                               "QFC_PG_EFFECTIVE_USER.")
                    .arg(layerId));
        if (!layer->isValid())
            throw DeltaFailure{QStringLiteral("Invalid layer \"%1\"").arg(layerId)};
    }

    if (QgsVectorDataProvider *provider = layer->dataProvider())
        provider->clearErrors();
    if (!layer->isEditable()) {
        if (!layer->startEditing())
            throw DeltaFailure{QStringLiteral("Cannot start editing layer \"%1\"").arg(layerId),
                               providerErrors(*layer)};
        m_editedLayers.append(QPointer<QgsVectorLayer>(layer));
        if (layer->providerType() == QLatin1String("ogr")
            && layer->dataProvider()->storageType() == QLatin1String("GPKG")) {
            const QString path = QgsProviderRegistry::instance()
                                     ->decodeUri(layer->providerType(), layer->source())
                                     .value(QStringLiteral("path"))
                                     .toString();
            if (!path.isEmpty() && !m_editedGeoPackages.contains(path))
                m_editedGeoPackages.append(path);
        }
    }
    return layer;
}

QJsonObject DeltaApplier::applyDelta(const Delta &delta)
{
    const QString &layerId = delta.sourceLayerId;
    QgsVectorLayer *layer = nullptr;
    try {
        layer = prepareLayer(layerId);
        // determined once per layer (the failures are not remembered: they are reported again)
        auto knownPk = m_primaryKeyNames.constFind(layerId);
        if (knownPk == m_primaryKeyNames.constEnd())
            knownPk = m_primaryKeyNames.insert(layerId, primaryKeyName(*layer));
        const QString pkName = knownPk.value();
        const bool hasEditBuffer = layer->editBuffer()
            && !dynamic_cast<const QgsVectorLayerEditPassthrough *>(layer->editBuffer());

        QgsFeature feature; // the resulting feature
        QgsFeature original; // a patched feature before the delta
        if (delta.method == QLatin1String("create")) {
            // with an edit buffer the created feature gets its real primary key on commit
            const QgsFeature created = createFeature(*layer, delta);
            if (!hasEditBuffer)
                feature = created;
        } else if (delta.method == QLatin1String("patch")) {
            original = patchFeature(*layer, pkName, delta);
        } else if (delta.method == QLatin1String("delete")) {
            feature = deleteFeature(*layer, pkName, delta);
        } else {
            throw DeltaFailure{QStringLiteral("Unknown delta method")};
        }

        // the delta's own transaction: commit without leaving edit mode, learning the created
        // feature from the commit
        QgsFeatureList added;
        QStringList addedProblems;
        QMetaObject::Connection connection;
        if (hasEditBuffer)
            connection = QObject::connect(
                layer, &QgsVectorLayer::committedFeaturesAdded, layer,
                [&added, &addedProblems, layer](const QString &addedLayerId,
                                                const QgsFeatureList &features) {
                    if (features.size() > 1)
                        addedProblems.append(
                            QStringLiteral("Expected only one feature, but actually %1 were added.")
                                .arg(features.size()));
                    if (addedLayerId != layer->id())
                        addedProblems.append(QStringLiteral("Expected the layer with the added "
                                                            "layer to be %1, but got %2.")
                                                 .arg(layer->id(), addedLayerId));
                    added += features;
                });
        const bool committed = layer->commitChanges(false);
        QObject::disconnect(connection);
        if (!committed) {
            const QJsonArray errors = providerErrors(*layer, true);
            if (delta.method == QLatin1String("patch"))
                restoreAfterFailedCommit(*layer, original, delta);
            throw DeltaFailure{QStringLiteral("Failed to commit changes"), errors};
        }
        if (!addedProblems.isEmpty())
            throw UnexpectedFailure{addedProblems.join(QLatin1Char(' '))};

        if (delta.method == QLatin1String("create") && layer->providerType() == QLatin1String("ogr")
            && layer->dataProvider()->storageType() == QLatin1String("GeoJSON")) {
            // GDAL appends the feature without "id" (see ApplyDeltasJob::applyDeltas)
            const QString path = QgsProviderRegistry::instance()
                                     ->decodeUri(layer->providerType(), layer->source())
                                     .value(QStringLiteral("path"))
                                     .toString();
            if (!path.isEmpty() && !m_geoJsonFilesWithCreates.contains(path))
                m_geoJsonFilesWithCreates.append(path);
        }
        if (delta.method == QLatin1String("create") && hasEditBuffer)
            feature = added.isEmpty() ? QgsFeature() : added.constFirst();
        else if (delta.method == QLatin1String("patch"))
            feature = layer->getFeature(original.id());
        verifyCommitted(*layer, pkName, delta,
                        delta.method == QLatin1String("delete") ? feature : original);

        logInfo(QStringLiteral("Successfully applied delta \"%1\" on layer \"%2\"!")
                    .arg(delta.uuid, layerId));

        QJsonValue modifiedPk(QJsonValue::Null);
        if (feature.isValid()) {
            modifiedPk = primaryKeyJson(feature.attribute(pkName));
            if (!modifiedPk.isNull() && delta.method == QLatin1String("create")) {
                const QString pkText = primaryKeyText(modifiedPk);
                // the client cannot know the primary key of a new feature in advance
                if (pkText != delta.sourcePk)
                    logWarning(QStringLiteral("The modified feature pk valued does not match "
                                              "\"sourcePk\" in the delta in \"%1\": sourcePk=%2 "
                                              "modifiedFeaturePk=%3")
                                   .arg(layerId, delta.sourcePk, pkText));
                // later deltas of this job may patch or delete the new feature (§5.10)
                if (delta.hasClientId)
                    m_clientPks.insert(
                        DeltaFile::clientPkKey(delta.clientId, delta.localLayerId, delta.localPk),
                        pkText);
            }
        } else {
            logWarning(
                QStringLiteral("The returned modified feature is invalid in \"%1\"").arg(layerId));
        }
        return entry(delta, QStringLiteral("Successfully applied delta!"), DeltaStatuses::Applied,
                     QJsonValue(QJsonValue::Null), QJsonValue(delta.sourcePk), modifiedPk,
                     QJsonValue(QJsonValue::Null), QJsonValue(QJsonValue::Null));
    } catch (const DeltaFailure &failure) {
        const bool conflict = failure.errorType == DeltaErrorTypes::Conflict;
        if (conflict)
            logWarning(
                QStringLiteral("Conflicts while applying a single delta: %1").arg(failure.message));
        else
            logWarning(
                QStringLiteral("Error while applying a single delta: %1").arg(failure.message));
        if (layer && layer->isEditable() && !layer->rollBack(false))
            logError(QStringLiteral("Failed to rollback layer \"%1\": %2")
                         .arg(layerId, failure.message));
        return entry(delta, failure.message,
                     conflict ? DeltaStatuses::Conflict : DeltaStatuses::ApplyFailed,
                     QJsonValue(failure.errorType), QJsonValue(delta.sourcePk),
                     QJsonValue(QJsonValue::Null), failure.conflicts, failure.providerErrors);
    }
}

QgsFeature DeltaApplier::findFeature(QgsVectorLayer &layer, const QString &pkName,
                                     const Delta &delta) const
{
    // a feature this client created earlier is known by the primary key the server gave it
    QString pk = delta.sourcePk;
    if (delta.hasClientId) {
        const auto it = m_clientPks.constFind(
            DeltaFile::clientPkKey(delta.clientId, delta.localLayerId, delta.localPk));
        if (it != m_clientPks.constEnd())
            pk = it.value();
    }
    // a quoted string literal: QGIS compares numbers and numeric strings as equal
    const QString expression =
        QStringLiteral(" %1 = %2 ")
            .arg(QgsExpression::quotedColumnRef(pkName), QgsExpression::quotedValue(pk));
    QgsFeatureIterator iterator =
        layer.getFeatures(QgsFeatureRequest().setFilterExpression(expression));
    QgsFeature feature;
    QgsFeature found;
    int count = 0;
    while (iterator.nextFeature(feature)) {
        if (++count > 1)
            throw UnexpectedFailure{
                QStringLiteral("More than one feature match the feature select query")};
        found = feature;
    }
    if (count == 0)
        throw DeltaFailure{QStringLiteral("Unable to find feature")};
    return found;
}

void DeltaApplier::checkConflicts(const QgsFeature &feature, const Delta &delta) const
{
    const QStringList found =
        conflicts(feature, delta.oldFeature.value(QLatin1String("attributes")).toObject());
    if (found.isEmpty())
        return;
    if (m_options.overwriteConflicts) {
        logWarning(QStringLiteral("Conflicts while applying delta \"%1\". Ignoring since "
                                  "`overwrite_conflicts` flag set to `True`.\nConflicts:\n%2")
                       .arg(delta.uuid, found.join(QLatin1Char('\n'))));
        return;
    }
    logWarning(QStringLiteral("Conflicts while applying delta \"%1\".\nConflicts:\n%2")
                   .arg(delta.uuid, found.join(QLatin1Char('\n'))));
    throw DeltaFailure{QStringLiteral("There are conflicts with the already existing feature!"),
                       QJsonValue(QJsonValue::Null), DeltaErrorTypes::Conflict,
                       QJsonArray::fromStringList(found)};
}

QgsFeature DeltaApplier::createFeature(QgsVectorLayer &layer, const Delta &delta)
{
    const QJsonObject &newFeature = delta.newFeature;
    QgsGeometry geometry;
    if (newFeature.contains(QLatin1String("geometry")))
        geometry = geometryFromJson(newFeature.value(QLatin1String("geometry")), layer);
    if (geometry.isNull() && layer.isSpatial())
        logWarning(QStringLiteral("A spatial layer delta should always contain a geometry."));

    // only the layer's fields: others (e.g. the offline FID column `fid_1`) are ignored
    const QJsonObject attributes = newFeature.value(QLatin1String("attributes")).toObject();
    const QgsFields fields = layer.fields();
    QgsAttributeMap values;
    for (int i = 0; i < fields.size(); ++i) {
        const QString name = fields.at(i).name();
        if (attributes.contains(name))
            values.insert(i, toVariant(attributes.value(name)));
    }

    QgsFeature feature = QgsVectorLayerUtils::createFeature(&layer, geometry, values);
    // defaults applied on update would override the client's values: the client wins
    for (auto it = values.constBegin(); it != values.constEnd(); ++it) {
        const QgsDefaultValue definition = layer.defaultValueDefinition(it.key());
        if (definition.isValid() && definition.applyOnUpdate())
            feature.setAttribute(it.key(), it.value());
    }
    if (!feature.isValid())
        throw DeltaFailure{QStringLiteral("Unable to create a valid feature")};
    if (!layer.addFeature(feature))
        throw DeltaFailure{QStringLiteral("Unable to add new feature"), providerErrors(layer)};
    return feature;
}

QgsFeature DeltaApplier::patchFeature(QgsVectorLayer &layer, const QString &pkName,
                                      const Delta &delta)
{
    const QgsFeature feature = findFeature(layer, pkName, delta);
    checkConflicts(feature, delta);
    const QJsonObject &newFeature = delta.newFeature;
    const QJsonObject &oldFeature = delta.oldFeature;

    if (newFeature.contains(QLatin1String("geometry"))) {
        const QJsonValue newGeometry = newFeature.value(QLatin1String("geometry"));
        const QJsonValue oldGeometry = oldFeature.contains(QLatin1String("geometry"))
            ? oldFeature.value(QLatin1String("geometry"))
            : QJsonValue(QJsonValue::Null);
        if (!layer.isSpatial()) {
            logWarning(QStringLiteral("Layer is not spatial, ignoring geometry"));
        } else if (newGeometry == oldGeometry) {
            logWarning(QStringLiteral("The geometries of the new and the old features are the "
                                      "same, even though by spec they should not be provided in "
                                      "such case. Ignoring geometry."));
        } else {
            QgsGeometry geometry = geometryFromJson(newGeometry, layer);
            if (!layer.changeGeometry(feature.id(), geometry, true))
                throw DeltaFailure{QStringLiteral("Unable to change geometry"),
                                   providerErrors(layer)};
        }
    }

    const QJsonObject newAttributes = newFeature.value(QLatin1String("attributes")).toObject();
    const QJsonObject oldAttributes = oldFeature.value(QLatin1String("attributes")).toObject();
    const QgsFields fields = layer.fields();
    for (auto it = newAttributes.constBegin(); it != newAttributes.constEnd(); ++it) {
        const QJsonValue oldValue = oldAttributes.value(it.key());
        if (jsonEqual(it.value(), oldValue)) {
            logWarning(QStringLiteral("The delta has features with the same value in both old and "
                                      "new values"));
            continue;
        }
        if (!oldAttributes.contains(it.key()))
            throw UnexpectedFailure{QStringLiteral("The attribute \"%1\" has a new value but no "
                                                   "old value in the delta.")
                                        .arg(it.key())};
        if (!layer.changeAttributeValue(feature.id(), fields.indexOf(it.key()),
                                        toVariant(it.value()), toVariant(oldValue), true))
            throw DeltaFailure{QStringLiteral("Unable to change attribute \"%1\"").arg(it.key()),
                               providerErrors(layer)};
    }
    return feature;
}

QgsFeature DeltaApplier::deleteFeature(QgsVectorLayer &layer, const QString &pkName,
                                       const Delta &delta)
{
    const QgsFeature feature = findFeature(layer, pkName, delta);
    checkConflicts(feature, delta);
    if (!layer.deleteFeature(feature.id()))
        throw DeltaFailure{QStringLiteral("Unable delete feature")};
    return feature;
}

void DeltaApplier::restoreAfterFailedCommit(QgsVectorLayer &layer, const QgsFeature &original,
                                            const Delta &delta)
{
    // The edit buffer commits geometries and attributes by separate provider calls: when the
    // second fails the first one is already in the data. Put the feature back as it was before
    // the delta; if that fails the job must fail, so that nothing is stored back.
    if (!layer.rollBack(false))
        logError(QStringLiteral("Failed to rollback layer \"%1\".").arg(layer.id()));
    const QgsFields fields = layer.fields();
    QgsFeature current = layer.getFeature(original.id());
    if (!current.isValid())
        throw UnexpectedFailure{QStringLiteral("The commit of delta \"%1\" failed and the feature "
                                               "%2 of layer \"%3\" can no longer be read.")
                                    .arg(delta.uuid)
                                    .arg(original.id())
                                    .arg(layer.id())};
    QList<int> attributes = changedAttributes(original, current, fields);
    const bool geometry = geometryChanged(original, current);
    if (attributes.isEmpty() && !geometry)
        return;

    logWarning(QStringLiteral("The failed commit of delta \"%1\" left feature %2 of layer \"%3\" "
                              "partially changed, restoring it.")
                   .arg(delta.uuid)
                   .arg(original.id())
                   .arg(layer.id()));
    bool restored = true;
    if (geometry) {
        QgsGeometry originalGeometry = original.geometry();
        restored = layer.changeGeometry(original.id(), originalGeometry, true);
    }
    for (const int index : std::as_const(attributes)) {
        restored = restored
            && layer.changeAttributeValue(original.id(), index, original.attribute(index),
                                          current.attribute(index), true);
    }
    restored = restored && layer.commitChanges(false);
    if (!restored)
        layer.rollBack(false);
    current = layer.getFeature(original.id());
    if (!restored || !changedAttributes(original, current, fields).isEmpty()
        || geometryChanged(original, current))
        throw UnexpectedFailure{
            QStringLiteral("The commit of delta \"%1\" failed and left feature %2 of layer \"%3\" "
                           "partially changed: %4")
                .arg(delta.uuid)
                .arg(original.id())
                .arg(layer.id(), layer.commitErrors().join(QLatin1Char(' ')))};
    logInfo(
        QStringLiteral("Feature %1 of layer \"%2\" restored.").arg(original.id()).arg(layer.id()));
}

void DeltaApplier::verifyCommitted(QgsVectorLayer &layer, const QString &pkName, const Delta &delta,
                                   const QgsFeature &before) const
{
    // A provider may address another feature than the one QGIS read (GDAL 3.6 does so for
    // GeoJSON features without "id" next to features with one: the patch is written as a new
    // feature). A file changed that way must not be stored back.
    if (delta.method == QLatin1String("create") || !before.isValid())
        return;
    const int pkIndex = before.fields().indexOf(pkName);
    if (pkIndex < 0)
        return;
    const QVariant pk = before.attribute(pkIndex);
    if (delta.method == QLatin1String("patch")) {
        const QJsonObject newAttributes =
            delta.newFeature.value(QLatin1String("attributes")).toObject();
        if (newAttributes.contains(pkName))
            return; // the patch changes the primary key itself
    }
    const QString expression = QStringLiteral("%1 = %2").arg(QgsExpression::quotedColumnRef(pkName),
                                                             QgsExpression::quotedValue(pk));
    QgsFeatureIterator iterator = layer.getFeatures(QgsFeatureRequest()
                                                        .setFilterExpression(expression)
                                                        .setFlags(QgsFeatureRequest::NoGeometry));
    QgsFeature feature;
    int count = 0;
    while (iterator.nextFeature(feature))
        ++count;
    const int expected = delta.method == QLatin1String("delete") ? 0 : 1;
    if (count != expected)
        throw UnexpectedFailure{
            QStringLiteral(
                "After delta \"%1\" (%2) layer \"%3\" has %4 features with the primary "
                "key %5 = %6 instead of %7: the data provider did not change the feature "
                "in place.")
                .arg(delta.uuid, delta.method, layer.id())
                .arg(count)
                .arg(pkName, pk.toString())
                .arg(expected)};
}

QJsonObject DeltaApplier::entry(const Delta &delta, const QString &message, const QString &status,
                                const QJsonValue &errorType, const QJsonValue &featurePk,
                                const QJsonValue &modifiedPk, const QJsonValue &conflicts,
                                const QJsonValue &providerErrors) const
{
    return QJsonObject{
        {QStringLiteral("msg"), message},
        {QStringLiteral("status"), status},
        {QStringLiteral("e_type"), errorType},
        {QStringLiteral("delta_file_id"), m_deltaFile.id},
        {QStringLiteral("layer_id"), delta.sourceLayerId},
        {QStringLiteral("delta_index"), delta.index},
        {QStringLiteral("delta_id"), delta.uuid},
        {QStringLiteral("feature_pk"), featurePk},
        {QStringLiteral("modified_pk"), modifiedPk},
        {QStringLiteral("conflicts"), conflicts},
        {QStringLiteral("provider_errors"), providerErrors},
        {QStringLiteral("method"), delta.method},
    };
}

} // namespace qfc::worker
