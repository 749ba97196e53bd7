#include "deltafile.h"

#include "contract/feedback.h"
#include "workererror.h"
#include "workerlog.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QRegularExpression>
#include <QSet>

namespace qfc::worker {

namespace {

const QString ValidationErrorClass = QStringLiteral("ValidationError");

} // namespace

QString pythonRepr(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        return QStringLiteral("None");
    case QJsonValue::Bool:
        return value.toBool() ? QStringLiteral("True") : QStringLiteral("False");
    case QJsonValue::Double:
        return QString::fromUtf8(QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact))
            .mid(1)
            .chopped(1);
    case QJsonValue::String: {
        QString text = value.toString();
        text.replace(QLatin1Char('\\'), QLatin1String("\\\\"));
        text.replace(QLatin1Char('\''), QLatin1String("\\'"));
        return QLatin1Char('\'') + text + QLatin1Char('\'');
    }
    case QJsonValue::Array: {
        QStringList items;
        const QJsonArray array = value.toArray();
        for (const QJsonValue &item : array)
            items.append(pythonRepr(item));
        return QLatin1Char('[') + items.join(QLatin1String(", ")) + QLatin1Char(']');
    }
    case QJsonValue::Object: {
        QStringList items;
        const QJsonObject object = value.toObject();
        for (auto it = object.constBegin(); it != object.constEnd(); ++it)
            items.append(pythonRepr(QJsonValue(it.key())) + QLatin1String(": ")
                         + pythonRepr(it.value()));
        return QLatin1Char('{') + items.join(QLatin1String(", ")) + QLatin1Char('}');
    }
    }
    return {};
}

namespace {

QString typeName(QJsonValue::Type type)
{
    switch (type) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        return QStringLiteral("null");
    case QJsonValue::Bool:
        return QStringLiteral("boolean");
    case QJsonValue::Double:
        return QStringLiteral("number");
    case QJsonValue::String:
        return QStringLiteral("string");
    case QJsonValue::Array:
        return QStringLiteral("array");
    case QJsonValue::Object:
        return QStringLiteral("object");
    }
    return {};
}

// Walks the deltafile like a draft-07 validator of the schema of spec/worker.md §5.2 would, and
// throws the first violation.
class Validator
{
public:
    [[noreturn]] static void fail(const QString &path, const QString &message)
    {
        throw WorkerError(path.isEmpty()
                              ? QStringLiteral("Invalid deltafile: %1").arg(message)
                              : QStringLiteral("Invalid deltafile: at %1: %2").arg(path, message),
                          contract::ErrorTypes::Unknown, ValidationErrorClass);
    }

    static void expectType(const QString &path, const QJsonValue &value, QJsonValue::Type type)
    {
        if (value.type() != type)
            fail(path,
                 QStringLiteral("%1 is not of type '%2'").arg(pythonRepr(value), typeName(type)));
    }

    static void expectRequired(const QString &path, const QJsonObject &object,
                               const QStringList &names)
    {
        for (const QString &name : names) {
            if (!object.contains(name))
                fail(path, QStringLiteral("'%1' is a required property").arg(name));
        }
    }

    static QString child(const QString &path, const QString &key)
    {
        return path.isEmpty() ? key : path + QLatin1Char('.') + key;
    }

    static QString item(const QString &path, int index)
    {
        return QStringLiteral("%1[%2]").arg(path).arg(index);
    }

    static void expectString(const QString &path, const QJsonValue &value)
    {
        expectType(path, value, QJsonValue::String);
    }

    static void expectUuid(const QString &path, const QJsonValue &value)
    {
        expectString(path, value);
        if (!isUuidText(value.toString()))
            fail(path, QStringLiteral("%1 is not a 'uuid'").arg(pythonRepr(value)));
    }

    static void expectEnum(const QString &path, const QJsonValue &value, const QStringList &allowed)
    {
        if (value.isString() && allowed.contains(value.toString()))
            return;
        QStringList reprs;
        for (const QString &text : allowed)
            reprs.append(pythonRepr(QJsonValue(text)));
        fail(path,
             QStringLiteral("%1 is not one of [%2]")
                 .arg(pythonRepr(value), reprs.join(QLatin1String(", "))));
    }

    // "old"/"new": only geometry (string|null), attributes (object), files_sha256 (object of
    // string|null), is_snapshot (bool).
    static void validateFeature(const QString &path, const QJsonValue &value)
    {
        expectType(path, value, QJsonValue::Object);
        const QJsonObject object = value.toObject();
        static const QStringList known{QStringLiteral("attributes"), QStringLiteral("files_sha256"),
                                       QStringLiteral("geometry"), QStringLiteral("is_snapshot")};
        QStringList unexpected;
        for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
            if (!known.contains(it.key()))
                unexpected.append(pythonRepr(QJsonValue(it.key())));
        }
        if (!unexpected.isEmpty())
            fail(path,
                 QStringLiteral("Additional properties are not allowed (%1 %2 unexpected)")
                     .arg(unexpected.join(QLatin1String(", ")),
                          unexpected.size() == 1 ? QStringLiteral("was") : QStringLiteral("were")));
        if (object.contains(QLatin1String("geometry"))) {
            const QJsonValue geometry = object.value(QLatin1String("geometry"));
            if (!geometry.isNull() && !geometry.isString())
                fail(
                    child(path, QStringLiteral("geometry")),
                    QStringLiteral("%1 is not of type 'string', 'null'").arg(pythonRepr(geometry)));
        }
        if (object.contains(QLatin1String("attributes")))
            expectType(child(path, QStringLiteral("attributes")),
                       object.value(QLatin1String("attributes")), QJsonValue::Object);
        if (object.contains(QLatin1String("files_sha256"))) {
            const QString filesPath = child(path, QStringLiteral("files_sha256"));
            const QJsonValue files = object.value(QLatin1String("files_sha256"));
            expectType(filesPath, files, QJsonValue::Object);
            const QJsonObject filesObject = files.toObject();
            for (auto it = filesObject.constBegin(); it != filesObject.constEnd(); ++it) {
                if (!it.value().isNull() && !it.value().isString())
                    fail(child(filesPath, it.key()),
                         QStringLiteral("%1 is not of type 'string', 'null'")
                             .arg(pythonRepr(it.value())));
            }
        }
        if (object.contains(QLatin1String("is_snapshot")))
            expectType(child(path, QStringLiteral("is_snapshot")),
                       object.value(QLatin1String("is_snapshot")), QJsonValue::Bool);
    }

    static void validateDelta(const QString &path, const QJsonValue &value)
    {
        expectType(path, value, QJsonValue::Object);
        const QJsonObject delta = value.toObject();
        expectRequired(path, delta,
                       {QStringLiteral("uuid"), QStringLiteral("localPk"),
                        QStringLiteral("sourcePk"), QStringLiteral("localLayerId"),
                        QStringLiteral("sourceLayerId"), QStringLiteral("method")});
        expectUuid(child(path, QStringLiteral("uuid")), delta.value(QLatin1String("uuid")));
        for (const char *name : {"localPk", "sourcePk", "localLayerId", "sourceLayerId"})
            expectString(child(path, QLatin1String(name)), delta.value(QLatin1String(name)));
        expectEnum(child(path, QStringLiteral("method")), delta.value(QLatin1String("method")),
                   {QStringLiteral("create"), QStringLiteral("patch"), QStringLiteral("delete")});
        for (const char *name : {"clientId", "exportId"}) {
            if (delta.contains(QLatin1String(name)))
                expectUuid(child(path, QLatin1String(name)), delta.value(QLatin1String(name)));
        }
        for (const char *name : {"localLayerCrs", "localLayerName"}) {
            if (delta.contains(QLatin1String(name)))
                expectString(child(path, QLatin1String(name)), delta.value(QLatin1String(name)));
        }
        for (const char *name : {"old", "new"}) {
            if (delta.contains(QLatin1String(name)))
                validateFeature(child(path, QLatin1String(name)), delta.value(QLatin1String(name)));
        }
    }

    static void validate(const QJsonValue &document)
    {
        expectType(QString(), document, QJsonValue::Object);
        const QJsonObject root = document.toObject();
        expectRequired(QString(), root,
                       {QStringLiteral("version"), QStringLiteral("project"), QStringLiteral("id"),
                        QStringLiteral("deltas"), QStringLiteral("files")});
        expectString(QStringLiteral("version"), root.value(QLatin1String("version")));
        expectEnum(QStringLiteral("version"), root.value(QLatin1String("version")),
                   {QStringLiteral("1.0")});
        expectUuid(QStringLiteral("project"), root.value(QLatin1String("project")));
        expectUuid(QStringLiteral("id"), root.value(QLatin1String("id")));

        const QJsonValue files = root.value(QLatin1String("files"));
        expectType(QStringLiteral("files"), files, QJsonValue::Array);
        QSet<QString> seen;
        const QJsonArray fileArray = files.toArray();
        for (int i = 0; i < fileArray.size(); ++i) {
            expectString(item(QStringLiteral("files"), i), fileArray.at(i));
            if (seen.contains(fileArray.at(i).toString()))
                fail(QStringLiteral("files"),
                     QStringLiteral("%1 has non-unique elements").arg(pythonRepr(files)));
            seen.insert(fileArray.at(i).toString());
        }

        const QJsonValue deltas = root.value(QLatin1String("deltas"));
        expectType(QStringLiteral("deltas"), deltas, QJsonValue::Array);
        const QJsonArray deltaArray = deltas.toArray();
        for (int i = 0; i < deltaArray.size(); ++i)
            validateDelta(item(QStringLiteral("deltas"), i), deltaArray.at(i));

        if (root.contains(QLatin1String("clientPks"))) {
            const QJsonValue clientPks = root.value(QLatin1String("clientPks"));
            expectType(QStringLiteral("clientPks"), clientPks, QJsonValue::Object);
            const QJsonObject map = clientPks.toObject();
            for (auto it = map.constBegin(); it != map.constEnd(); ++it)
                expectString(child(QStringLiteral("clientPks"), it.key()), it.value());
        }
    }
};

} // namespace

bool isUuidText(const QString &text)
{
    static const QRegularExpression pattern(QStringLiteral(
        "\\A[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\\z"));
    return pattern.match(text).hasMatch();
}

QString DeltaFile::clientPkKey(const QString &clientId, const QString &localLayerId,
                               const QString &localPk)
{
    return clientId + QLatin1String("__") + localLayerId + QLatin1String("__") + localPk;
}

DeltaFile DeltaFile::load(const QString &path)
{
    QFile file(path);
    if (!QFileInfo(path).isFile() || !file.open(QIODevice::ReadOnly))
        throw WorkerError(QStringLiteral("Deltafile \"%1\" not found or not readable.").arg(path),
                          contract::ErrorTypes::FileNotFound, QStringLiteral("FileNotFoundError"));
    return fromJson(file.readAll());
}

DeltaFile DeltaFile::fromJson(const QByteArray &json)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        throw WorkerError(QStringLiteral("The deltafile is not valid JSON: %1 at offset %2.")
                              .arg(parseError.errorString())
                              .arg(parseError.offset),
                          contract::ErrorTypes::Unknown, QStringLiteral("JSONDecodeError"));
    const QJsonValue root =
        document.isObject() ? QJsonValue(document.object()) : QJsonValue(document.array());
    Validator::validate(root);

    const QJsonObject object = root.toObject();
    DeltaFile result;
    result.id = object.value(QLatin1String("id")).toString();
    result.projectId = object.value(QLatin1String("project")).toString();
    result.version = object.value(QLatin1String("version")).toString();
    const QJsonArray files = object.value(QLatin1String("files")).toArray();
    for (const QJsonValue &name : files)
        result.files.append(name.toString());
    result.hasClientPks = object.contains(QLatin1String("clientPks"));
    const QJsonObject clientPks = object.value(QLatin1String("clientPks")).toObject();
    for (auto it = clientPks.constBegin(); it != clientPks.constEnd(); ++it)
        result.clientPks.insert(it.key(), it.value().toString());

    const QJsonArray deltas = object.value(QLatin1String("deltas")).toArray();
    for (int i = 0; i < deltas.size(); ++i) {
        const QJsonObject raw = deltas.at(i).toObject();
        Delta delta;
        delta.index = i;
        delta.uuid = raw.value(QLatin1String("uuid")).toString();
        delta.hasClientId = raw.contains(QLatin1String("clientId"));
        delta.clientId = raw.value(QLatin1String("clientId")).toString();
        delta.localPk = raw.value(QLatin1String("localPk")).toString();
        delta.sourcePk = raw.value(QLatin1String("sourcePk")).toString();
        delta.localLayerId = raw.value(QLatin1String("localLayerId")).toString();
        delta.sourceLayerId = raw.value(QLatin1String("sourceLayerId")).toString();
        delta.method = raw.value(QLatin1String("method")).toString();
        delta.oldFeature = raw.value(QLatin1String("old")).toObject();
        delta.newFeature = raw.value(QLatin1String("new")).toObject();
        // QField sometimes leaves sourceLayerId empty; offline editing keeps the layer ids
        if (delta.sourceLayerId.isEmpty() && !delta.localLayerId.isEmpty()) {
            delta.sourceLayerId = delta.localLayerId;
            logWarning(QStringLiteral("Patching project %1 delta's empty sourceLayerId from "
                                      "localLayerId")
                           .arg(result.projectId));
        }
        result.deltas.append(delta);
    }
    return result;
}

} // namespace qfc::worker
