#include "datareader.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QUuid>
#include <QtEndian>

#include <cmath>
#include <cstring>
#include <optional>

namespace DataReader {

namespace {

QString number(double value)
{
    if (std::isnan(value))
        return QStringLiteral("nan");
    return QString::number(value, 'g', QLocale::FloatingPointShortest);
}

class WkbReader
{
public:
    explicit WkbReader(const QByteArray &bytes) : m_bytes(bytes) { }

    QString read()
    {
        QString text = geometry();
        if (!m_error.isEmpty())
            return QStringLiteral("<invalid: %1>").arg(m_error);
        if (m_position != m_bytes.size())
            return QStringLiteral("<invalid: %1 trailing bytes>").arg(m_bytes.size() - m_position);
        return text;
    }

private:
    std::optional<quint32> uint32(bool littleEndian)
    {
        if (m_position + 4 > m_bytes.size()) {
            m_error = QStringLiteral("truncated");
            return std::nullopt;
        }
        quint32 value = 0;
        std::memcpy(&value, m_bytes.constData() + m_position, 4);
        m_position += 4;
        return littleEndian ? qFromLittleEndian(value) : qFromBigEndian(value);
    }

    std::optional<double> float64(bool littleEndian)
    {
        if (m_position + 8 > m_bytes.size()) {
            m_error = QStringLiteral("truncated");
            return std::nullopt;
        }
        quint64 raw = 0;
        std::memcpy(&raw, m_bytes.constData() + m_position, 8);
        m_position += 8;
        raw = littleEndian ? qFromLittleEndian(raw) : qFromBigEndian(raw);
        double value = 0;
        std::memcpy(&value, &raw, 8);
        return value;
    }

    QString coordinates(bool littleEndian, int dimensions)
    {
        QStringList parts;
        for (int i = 0; i < dimensions; ++i) {
            const std::optional<double> value = float64(littleEndian);
            if (!value)
                return {};
            parts.append(number(*value));
        }
        return parts.join(QLatin1Char(' '));
    }

    QString pointList(bool littleEndian, int dimensions)
    {
        const std::optional<quint32> count = uint32(littleEndian);
        if (!count)
            return {};
        QStringList points;
        for (quint32 i = 0; i < *count && m_error.isEmpty(); ++i)
            points.append(coordinates(littleEndian, dimensions));
        return QLatin1Char('(') + points.join(QLatin1String(", ")) + QLatin1Char(')');
    }

    // One geometry as "<type>[Z][M] <body>".
    QString geometry()
    {
        if (m_position >= m_bytes.size()) {
            m_error = QStringLiteral("truncated");
            return {};
        }
        const bool littleEndian = m_bytes.at(m_position) == 1;
        ++m_position;
        const std::optional<quint32> rawType = uint32(littleEndian);
        if (!rawType)
            return {};
        quint32 type = *rawType;
        bool hasZ = false;
        bool hasM = false;
        if (type & 0x80000000u)
            hasZ = true;
        if (type & 0x40000000u)
            hasM = true;
        type &= 0x0fffffffu;
        if (type >= 3000) {
            hasZ = hasM = true;
            type -= 3000;
        } else if (type >= 2000) {
            hasM = true;
            type -= 2000;
        } else if (type >= 1000) {
            hasZ = true;
            type -= 1000;
        }
        const int dimensions = 2 + (hasZ ? 1 : 0) + (hasM ? 1 : 0);
        const QString suffix = QString(hasZ ? QStringLiteral("Z") : QString())
            + (hasM ? QStringLiteral("M") : QString());
        QString name;
        QString body;
        switch (type) {
        case 1:
            name = QStringLiteral("Point");
            body = QLatin1Char('(') + coordinates(littleEndian, dimensions) + QLatin1Char(')');
            break;
        case 2:
            name = QStringLiteral("LineString");
            body = pointList(littleEndian, dimensions);
            break;
        case 3: {
            name = QStringLiteral("Polygon");
            const std::optional<quint32> rings = uint32(littleEndian);
            if (!rings)
                return {};
            QStringList parts;
            for (quint32 i = 0; i < *rings && m_error.isEmpty(); ++i)
                parts.append(pointList(littleEndian, dimensions));
            body = QLatin1Char('(') + parts.join(QLatin1String(", ")) + QLatin1Char(')');
            break;
        }
        case 4:
        case 5:
        case 6: {
            name = type == 4 ? QStringLiteral("MultiPoint")
                : type == 5  ? QStringLiteral("MultiLineString")
                             : QStringLiteral("MultiPolygon");
            const std::optional<quint32> count = uint32(littleEndian);
            if (!count)
                return {};
            QStringList parts;
            for (quint32 i = 0; i < *count && m_error.isEmpty(); ++i) {
                const QString part = geometry();
                parts.append(part.mid(part.indexOf(QLatin1Char('('))));
            }
            body = QLatin1Char('(') + parts.join(QLatin1String(", ")) + QLatin1Char(')');
            break;
        }
        default:
            m_error = QStringLiteral("unsupported WKB type %1").arg(*rawType);
            return {};
        }
        return name + suffix + QLatin1Char(' ') + body;
    }

    const QByteArray &m_bytes;
    qsizetype m_position = 0;
    QString m_error;
};

} // namespace

QString wkbText(const QByteArray &wkb)
{
    return WkbReader(wkb).read();
}

QString gpkgGeometryText(const QByteArray &blob)
{
    // GeoPackage binary header: "GP", version, flags, srs_id, envelope, then WKB
    if (blob.size() < 8 || blob.at(0) != 'G' || blob.at(1) != 'P')
        return QStringLiteral("<invalid: no GeoPackage header>");
    const auto flags = static_cast<unsigned char>(blob.at(3));
    if (flags & 0x10)
        return QString(); // empty geometry
    static const int envelopeSizes[] = {0, 32, 48, 48, 64};
    const int envelope = (flags >> 1) & 0x07;
    if (envelope > 4)
        return QStringLiteral("<invalid: envelope indicator %1>").arg(envelope);
    return wkbText(blob.mid(8 + envelopeSizes[envelope]));
}

QList<QVariantMap> gpkgRows(const QString &gpkgPath, const QString &table, QString *error,
                            const QString &geometryColumn, const QString &orderBy)
{
    QList<QVariantMap> rows;
    const QString connection = QUuid::createUuid().toString(QUuid::WithoutBraces);
    {
        QSqlDatabase database = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connection);
        database.setDatabaseName(gpkgPath);
        database.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY"));
        if (!QFile::exists(gpkgPath) || !database.open()) {
            *error =
                QStringLiteral("cannot open %1: %2").arg(gpkgPath, database.lastError().text());
        } else {
            QSqlQuery query(database);
            if (!query.exec(
                    QStringLiteral("SELECT * FROM \"%1\" ORDER BY \"%2\"").arg(table, orderBy))) {
                *error = QStringLiteral("cannot read %1: %2").arg(table, query.lastError().text());
            } else {
                while (query.next()) {
                    QVariantMap row;
                    const QSqlRecord record = query.record();
                    for (int i = 0; i < record.count(); ++i) {
                        const QString name = record.fieldName(i);
                        QVariant value = query.value(i);
                        if (!geometryColumn.isEmpty() && name == geometryColumn)
                            value =
                                value.isNull() ? QString() : gpkgGeometryText(value.toByteArray());
                        row.insert(name, value);
                    }
                    rows.append(row);
                }
            }
            query.finish();
            database.close();
        }
    }
    QSqlDatabase::removeDatabase(connection);
    return rows;
}

QList<QJsonObject> geoJsonFeatures(const QString &path, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot open %1").arg(path);
        return {};
    }
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(file.readAll(), &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        *error = QStringLiteral("%1 is not JSON: %2").arg(path, parseError.errorString());
        return {};
    }
    QList<QJsonObject> features;
    const QJsonArray array = document.object().value(QLatin1String("features")).toArray();
    for (const QJsonValue &feature : array)
        features.append(feature.toObject());
    return features;
}

namespace {

QString geoJsonPosition(const QJsonArray &position)
{
    QStringList parts;
    for (const QJsonValue &value : position)
        parts.append(number(value.toDouble()));
    return parts.join(QLatin1Char(' '));
}

QString geoJsonPositions(const QJsonArray &positions)
{
    QStringList parts;
    for (const QJsonValue &position : positions)
        parts.append(geoJsonPosition(position.toArray()));
    return QLatin1Char('(') + parts.join(QLatin1String(", ")) + QLatin1Char(')');
}

} // namespace

QString geoJsonGeometryText(const QJsonValue &geometry)
{
    if (!geometry.isObject())
        return QString();
    const QJsonObject object = geometry.toObject();
    const QString type = object.value(QLatin1String("type")).toString();
    const QJsonArray coordinates = object.value(QLatin1String("coordinates")).toArray();
    if (type == QLatin1String("Point")) {
        const QString suffix = coordinates.size() == 3 ? QStringLiteral("Z")
            : coordinates.size() == 4                  ? QStringLiteral("ZM")
                                                       : QString();
        return QStringLiteral("Point%1 (%2)").arg(suffix, geoJsonPosition(coordinates));
    }
    if (type == QLatin1String("LineString"))
        return QStringLiteral("LineString ") + geoJsonPositions(coordinates);
    if (type == QLatin1String("Polygon")) {
        QStringList rings;
        for (const QJsonValue &ring : coordinates)
            rings.append(geoJsonPositions(ring.toArray()));
        return QStringLiteral("Polygon (%1)").arg(rings.join(QLatin1String(", ")));
    }
    return QStringLiteral("<unsupported: %1>").arg(type);
}

QStringList sqliteSidecars(const QString &directory)
{
    QStringList found;
    QDirIterator it(directory, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        if (path.endsWith(QLatin1String("-wal")) || path.endsWith(QLatin1String("-shm"))
            || path.endsWith(QLatin1String("-journal")))
            found.append(path);
    }
    return found;
}

int sqliteWriteVersion(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray header = file.read(100);
    if (header.size() < 100 || !header.startsWith("SQLite format 3"))
        return -1;
    return static_cast<unsigned char>(header.at(18));
}

} // namespace DataReader
