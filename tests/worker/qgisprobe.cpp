// qfc-qgisprobe: opens a QGIS project with QGIS itself (Qt 5, independent of qfc-worker's code)
// and prints what tst_package asserts as JSON on stdout: per layer validity, provider, source,
// feature count, WKB type, fields, read-only flag and custom properties; a few project entries;
// the text of the .qgs (unzipped from a .qgz).
//
// usage: qfc-qgisprobe <project.qgs|project.qgz>

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <qgsapplication.h>
#include <qgsproject.h>
#include <qgsvectordataprovider.h>
#include <qgsvectorlayer.h>
#include <qgswkbtypes.h>
#include <qgsziputils.h>

#include <cstdio>

namespace {

QString projectText(const QString &path)
{
    if (!path.endsWith(QLatin1String(".qgz"))) {
        QFile file(path);
        return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll()) : QString();
    }
    QTemporaryDir directory;
    QStringList files;
    if (!directory.isValid() || !QgsZipUtils::unzip(path, directory.path(), files))
        return {};
    for (const QString &file : std::as_const(files)) {
        if (file.endsWith(QLatin1String(".qgs"))) {
            QFile qgs(file);
            if (qgs.open(QIODevice::ReadOnly))
                return QString::fromUtf8(qgs.readAll());
        }
    }
    return {};
}

} // namespace

int main(int argc, char **argv)
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QgsApplication app(argc, argv, false);
    if (argc != 2) {
        std::fprintf(stderr, "usage: qfc-qgisprobe <project>\n");
        return 64;
    }
    QgsApplication::setPrefixPath(QStringLiteral("/usr"), true);
    QgsApplication::initQgis();
    const QString path = QFile::decodeName(argv[1]);

    QJsonObject result;
    result.insert(QStringLiteral("qgs"), projectText(path));
    QgsProject *project = QgsProject::instance();
    const bool read = project->read(path);
    result.insert(QStringLiteral("read"), read);
    result.insert(QStringLiteral("title"), project->title());
    result.insert(QStringLiteral("offline_db_path"),
                  project->readEntry(QStringLiteral("OfflineEditingPlugin"),
                                     QStringLiteral("/OfflineDbPath")));
    result.insert(
        QStringLiteral("original_project_path"),
        project->readEntry(QStringLiteral("qfieldsync"), QStringLiteral("/originalProjectPath")));
    QJsonObject layers;
    const QMap<QString, QgsMapLayer *> mapLayers = project->mapLayers();
    for (QgsMapLayer *layer : mapLayers) {
        QJsonObject entry{
            {QStringLiteral("name"), layer->name()},
            {QStringLiteral("valid"), layer->isValid()},
            {QStringLiteral("provider"), layer->providerType()},
            {QStringLiteral("source"), layer->source()},
            {QStringLiteral("read_only"), layer->readOnly()},
        };
        QJsonObject properties;
        const QStringList keys = layer->customPropertyKeys();
        for (const QString &key : keys)
            properties.insert(key, QJsonValue::fromVariant(layer->customProperty(key)));
        entry.insert(QStringLiteral("custom_properties"), properties);
        if (auto *vector = qobject_cast<QgsVectorLayer *>(layer)) {
            entry.insert(QStringLiteral("feature_count"),
                         vector->isValid() ? double(vector->featureCount()) : -1.0);
            entry.insert(QStringLiteral("wkb_type"), QgsWkbTypes::displayString(vector->wkbType()));
            entry.insert(QStringLiteral("subset"), vector->subsetString());
            QJsonArray fields;
            const QgsFields layerFields = vector->fields();
            for (const QgsField &field : layerFields)
                fields.append(QJsonObject{{QStringLiteral("name"), field.name()},
                                          {QStringLiteral("type"), int(field.type())}});
            entry.insert(QStringLiteral("fields"), fields);
            QJsonArray keysOut;
            const QgsAttributeList pk = vector->primaryKeyAttributes();
            for (int index : pk)
                keysOut.append(layerFields.at(index).name());
            entry.insert(QStringLiteral("primary_key"), keysOut);
        }
        layers.insert(layer->id(), entry);
    }
    result.insert(QStringLiteral("layers"), layers);
    project->clear();
    const QByteArray json = QJsonDocument(result).toJson(QJsonDocument::Compact);
    std::fwrite(json.constData(), 1, size_t(json.size()), stdout);
    std::fflush(stdout);
    QgsApplication::exitQgis();
    return read ? 0 : 1;
}
