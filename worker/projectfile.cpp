#include "projectfile.h"

#include "contract/feedback.h"
#include "qgisapp.h"
#include "workererror.h"
#include "workerlog.h"

#include <QDir>
#include <QDomDocument>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QXmlStreamReader>
#include <qgsarchive.h>
#include <qgslayertree.h>
#include <qgsziputils.h>

#include <algorithm>
#include <expat.h>

namespace qfc::worker::ProjectFile {

namespace {

// Python's Path.suffix: the last ".xxx" of the file name, "" for ".hidden" or no dot.
QString pathSuffix(const QString &path)
{
    const QString name = QFileInfo(path).fileName();
    const qsizetype dot = name.lastIndexOf(QLatin1Char('.'));
    if (dot <= 0 || dot == name.size() - 1)
        return {};
    return name.mid(dot);
}

// Parses `content` with expat the way Python's xml.etree.ElementTree does (namespace
// processing on, separator '}'); returns the error message or "" when well-formed.
QString expatError(const QByteArray &content)
{
    XML_Parser parser = XML_ParserCreateNS(nullptr, '}');
    if (!parser)
        return QStringLiteral("out of memory");
    QString error;
    constexpr int ChunkSize = 64 * 1024;
    qsizetype offset = 0;
    for (;;) {
        const qsizetype length = std::min<qsizetype>(ChunkSize, content.size() - offset);
        const bool last = offset + length >= content.size();
        if (XML_Parse(parser, content.constData() + offset, int(length), last ? 1 : 0)
            == XML_STATUS_ERROR) {
            error = QStringLiteral("%1: line %2, column %3")
                        .arg(QString::fromLatin1(XML_ErrorString(XML_GetErrorCode(parser))))
                        .arg(qulonglong(XML_GetCurrentLineNumber(parser)))
                        .arg(qulonglong(XML_GetCurrentColumnNumber(parser)));
            break;
        }
        offset += length;
        if (last)
            break;
    }
    XML_ParserFree(parser);
    return error;
}

int rewriteFeatureCount(QDomDocument &document)
{
    int changes = 0;
    const QDomNodeList legendLayers = document.elementsByTagName(QStringLiteral("legendlayer"));
    for (int i = 0; i < legendLayers.size(); ++i) {
        QDomElement element = legendLayers.at(i).toElement();
        if (element.attribute(QStringLiteral("showFeatureCount")) != QLatin1String("0")) {
            element.setAttribute(QStringLiteral("showFeatureCount"), QStringLiteral("0"));
            ++changes;
        }
    }
    // .//layer-tree-layer/customproperties/Option[@type="Map"]/Option[@name="showFeatureCount"],
    // and the pre-3.x form .//layer-tree-layer/customproperties/property[@key="showFeatureCount"]
    // that QGIS still reads (upstream rewrites only the first)
    const QDomNodeList treeLayers = document.elementsByTagName(QStringLiteral("layer-tree-layer"));
    for (int i = 0; i < treeLayers.size(); ++i) {
        for (QDomElement properties =
                 treeLayers.at(i).firstChildElement(QStringLiteral("customproperties"));
             !properties.isNull();
             properties = properties.nextSiblingElement(QStringLiteral("customproperties"))) {
            for (QDomElement property = properties.firstChildElement(QStringLiteral("property"));
                 !property.isNull();
                 property = property.nextSiblingElement(QStringLiteral("property"))) {
                if (property.attribute(QStringLiteral("key")) == QLatin1String("showFeatureCount")
                    && property.attribute(QStringLiteral("value")) != QLatin1String("0")) {
                    property.setAttribute(QStringLiteral("value"), QStringLiteral("0"));
                    ++changes;
                }
            }
            for (QDomElement map = properties.firstChildElement(QStringLiteral("Option"));
                 !map.isNull(); map = map.nextSiblingElement(QStringLiteral("Option"))) {
                if (map.attribute(QStringLiteral("type")) != QLatin1String("Map"))
                    continue;
                for (QDomElement option = map.firstChildElement(QStringLiteral("Option"));
                     !option.isNull();
                     option = option.nextSiblingElement(QStringLiteral("Option"))) {
                    if (option.attribute(QStringLiteral("name"))
                            == QLatin1String("showFeatureCount")
                        && option.attribute(QStringLiteral("value")) != QLatin1String("0")) {
                        option.setAttribute(QStringLiteral("value"), QStringLiteral("0"));
                        ++changes;
                    }
                }
            }
        }
    }
    return changes;
}

// Rewrites one .qgs file; returns whether it changed.
bool rewriteQgs(const QString &xmlPath)
{
    QFile file(xmlPath);
    if (!file.open(QIODevice::ReadOnly))
        throw WorkerError(QStringLiteral("Failed to read %1 file!").arg(xmlPath));
    QDomDocument document;
    QString parseError;
    if (!document.setContent(&file, &parseError))
        throw WorkerError(QStringLiteral("Failed to parse %1 file: %2").arg(xmlPath, parseError));
    file.close();
    if (rewriteFeatureCount(document) == 0)
        return false;
    logInfo(QStringLiteral("Writing the QGIS project XML into a file…"));
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)
        || file.write(document.toByteArray()) < 0)
        throw WorkerError(QStringLiteral("Failed to write %1 file!").arg(xmlPath));
    return true;
}

QString versionFromXml(QIODevice *device, const QString &fileName)
{
    QXmlStreamReader reader(device);
    while (!reader.atEnd()) {
        reader.readNext();
        if (reader.isStartElement()) {
            const QString tag = reader.name().toString();
            if (tag != QLatin1String("qgis"))
                throw WorkerError(QStringLiteral("Expected root tag \"qgis\", got \"%1\"").arg(tag),
                                  contract::ErrorTypes::Unknown, QStringLiteral("ValueError"));
            const QString version = reader.attributes().value(QStringLiteral("version")).toString();
            if (version.isEmpty())
                throw WorkerError(
                    QStringLiteral("Missing \"version\" attribute in QGIS project file"),
                    contract::ErrorTypes::Unknown, QStringLiteral("ValueError"));
            static const QRegularExpression re(QStringLiteral("^(\\d+\\.\\d+\\.\\d+)"));
            const QRegularExpressionMatch match = re.match(version);
            if (!match.hasMatch())
                throw WorkerError(QStringLiteral("Invalid QGIS version \"%1\"").arg(version),
                                  contract::ErrorTypes::Unknown, QStringLiteral("ValueError"));
            return match.captured(1);
        }
    }
    throw WorkerError(QStringLiteral("Invalid QGIS project file: %1").arg(fileName),
                      contract::ErrorTypes::Unknown, QStringLiteral("ValueError"));
}

} // namespace

QString xmlErrorDetail(const QByteArray &content, const QString &expatMessage)
{
    if (!expatMessage.contains(QLatin1String("invalid token"), Qt::CaseInsensitive))
        return expatMessage;
    static const QRegularExpression location(QStringLiteral("line (\\d+), column (\\d+)\\z"));
    const QRegularExpressionMatch match = location.match(expatMessage);
    if (!match.hasMatch())
        return expatMessage;
    const int lineNumber = match.captured(1).toInt();
    const int column = match.captured(2).toInt();

    // the file's lines as Python iterates a binary file: split after each '\n'
    int current = 1;
    qsizetype start = 0;
    while (current < lineNumber && start < content.size()) {
        const qsizetype newline = content.indexOf('\n', start);
        if (newline < 0)
            return expatMessage;
        start = newline + 1;
        ++current;
    }
    if (current != lineNumber)
        return expatMessage;
    const qsizetype newline = content.indexOf('\n', start);
    const QByteArray line = content.mid(start, newline < 0 ? -1 : newline - start + 1);
    if (column >= line.size())
        return expatMessage;
    const int faultyByte = static_cast<unsigned char>(line.at(column));
    // Python's line[:column - 1], where a negative end counts from the end
    const qsizetype end = column - 1 >= 0 ? column - 1 : std::max<qsizetype>(0, line.size() - 1);
    const QString before = QString::fromUtf8(line.left(end)).trimmed() + QLatin1Char('?');
    return QStringLiteral("Unable to parse character: %1. Replaced by '?' on line %2 that starts "
                          "with: %3")
        .arg(faultyByte)
        .arg(lineNumber)
        .arg(before);
}

void checkValidity(const QString &path)
{
    logInfo(QStringLiteral("Check QGIS project file validity…"));
    const QFileInfo info(path);
    if (!info.exists() || info.isDir())
        throw WorkerError(QStringLiteral("Project file \"%1\" does not exist").arg(path),
                          contract::ErrorTypes::Unknown,
                          QStringLiteral("ProjectFileNotFoundError"));

    const QString suffix = pathSuffix(path);
    if (suffix == QLatin1String(".qgs")) {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            throw WorkerError(QStringLiteral("Unable to read project file \"%1\"").arg(path));
        const QByteArray content = file.readAll();
        const QString error = expatError(content);
        if (!error.isEmpty())
            throw WorkerError(QStringLiteral("Project file is an invalid XML document:\n%1")
                                  .arg(xmlErrorDetail(content, error)),
                              contract::ErrorTypes::InvalidProjectFile,
                              QStringLiteral("InvalidXmlFileError"));
    } else if (suffix != QLatin1String(".qgz")) {
        throw WorkerError(QStringLiteral("Project file \"%1\" has unknown file extension \"%2\"")
                              .arg(path, suffix),
                          contract::ErrorTypes::Unknown,
                          QStringLiteral("InvalidFileExtensionError"));
    }
    logInfo(QStringLiteral("QGIS project file is valid!"));
}

bool disableFeatureCount(const QString &path)
{
    if (!QgsZipUtils::isZipFile(path)) { // 3.22 decides by the .qgz suffix
        logInfo(QStringLiteral("Parsing QGIS file XML…"));
        return rewriteQgs(path);
    }

    logInfo(QStringLiteral("The QGIS file is zipped as .qgz, unzipping…"));
    QgsProjectArchive archive;
    if (!archive.unzip(path))
        throw WorkerError(QStringLiteral("Failed to unzip %1 file!").arg(path));
    const QString xmlPath = archive.projectFile();
    if (xmlPath.isEmpty())
        throw WorkerError(QStringLiteral("Failed to unzip %1 file!").arg(path));
    if (!rewriteQgs(xmlPath))
        return false;
    if (!archive.clearProjectFile())
        throw WorkerError(QStringLiteral("Failed to clear project path from the archive!"));
    archive.addFile(xmlPath);
    if (!archive.zip(path))
        throw WorkerError(QStringLiteral("Failed to zip QGIS file %1!").arg(path));
    logInfo(QStringLiteral("The QGIS file re-written!"));
    return true;
}

QgsProject::ReadFlags readOnlyFlags()
{
    return QgsProject::ReadFlags(QgsProject::ReadFlag::FlagDontLoadLayouts);
}

QgsProject *openReadOnly(const QString &path, bool withoutFeatureCount)
{
    logInfo(QStringLiteral("Loading the QGIS file \"%1\"…").arg(path));
    if (!QFileInfo::exists(path))
        throw WorkerError(QStringLiteral("File not found: %1").arg(path),
                          contract::ErrorTypes::FileNotFound, QStringLiteral("FileNotFoundError"));
    if (withoutFeatureCount)
        disableFeatureCount(path);

    QgsProject *project = QgsProject::instance();
    QgisApp::clearBadLayerSources();
    if (!project->read(path, readOnlyFlags())) {
        logError(
            QStringLiteral("Failed to load the QGIS file \"%1\"! %2").arg(path, project->error()));
        project->setFileName(QString());
        throw WorkerError(QStringLiteral("Unable to open project with QGIS file: %1").arg(path));
    }
    logInfo(QStringLiteral("Project loaded."));
    return project;
}

std::unique_ptr<TemporaryProject> openTemporarily(const QString &path)
{
    auto result = std::make_unique<TemporaryProject>();
    result->project = std::make_unique<QgsProject>();
    TemporaryProject *details = result.get();
    QObject::connect(
        details->project.get(), &QgsProject::readProject, details->project.get(),
        [details](const QDomDocument &document) {
            QgsProject *project = details->project.get();
            const int r = project->readNumEntry(QStringLiteral("Gui"),
                                                QStringLiteral("/CanvasColorRedPart"), 255);
            const int g = project->readNumEntry(QStringLiteral("Gui"),
                                                QStringLiteral("/CanvasColorGreenPart"), 255);
            const int b = project->readNumEntry(QStringLiteral("Gui"),
                                                QStringLiteral("/CanvasColorBluePart"), 255);
            details->backgroundColor = QColor(r, g, b);
            QgsMapSettings &settings = details->mapSettings;
            settings.setBackgroundColor(details->backgroundColor);

            const QDomNodeList canvases = document.elementsByTagName(QStringLiteral("mapcanvas"));
            for (int i = 0; i < canvases.size(); ++i) {
                QDomNode node = canvases.at(i);
                const QDomElement element = node.toElement();
                if (element.hasAttribute(QStringLiteral("name"))
                    && element.attribute(QStringLiteral("name")) == QLatin1String("theMapCanvas"))
                    settings.readXml(node);
            }
            settings.setRotation(0);
            settings.setTransformContext(project->transformContext());
            settings.setPathResolver(project->pathResolver());
            settings.setOutputSize(QSize(100, 100));
            QList<QgsMapLayer *> layers = project->layerTreeRoot()->customLayerOrder();
            std::reverse(layers.begin(), layers.end());
            settings.setLayers(layers);
        });
    details->project->read(path, readOnlyFlags());
    return result;
}

QString qgisVersion(const QString &path)
{
    if (pathSuffix(path).toLower() == QLatin1String(".qgz")) {
        QTemporaryDir directory;
        QStringList files;
        if (!directory.isValid() || !QgsZipUtils::unzip(path, directory.path(), files))
            throw WorkerError(QStringLiteral("Invalid QGIS project file: %1").arg(path),
                              contract::ErrorTypes::Unknown, QStringLiteral("ValueError"));
        const QString preferred = QFileInfo(path).completeBaseName() + QStringLiteral(".qgs");
        QStringList candidates;
        for (const QString &file : std::as_const(files)) {
            const QString name = QDir(directory.path()).relativeFilePath(file);
            if (name == preferred)
                candidates.prepend(file);
            else if (name.endsWith(QLatin1String(".qgs")))
                candidates.append(file);
        }
        if (candidates.isEmpty())
            throw WorkerError(QStringLiteral("Invalid QGIS project file: %1").arg(path),
                              contract::ErrorTypes::Unknown, QStringLiteral("ValueError"));
        if (QDir(directory.path()).relativeFilePath(candidates.first()) != preferred)
            std::sort(candidates.begin(), candidates.end());
        QFile file(candidates.first());
        if (!file.open(QIODevice::ReadOnly))
            throw WorkerError(QStringLiteral("Invalid QGIS project file: %1").arg(path),
                              contract::ErrorTypes::Unknown, QStringLiteral("ValueError"));
        return versionFromXml(&file, path);
    }
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        throw WorkerError(QStringLiteral("Invalid QGIS project file: %1").arg(path),
                          contract::ErrorTypes::Unknown, QStringLiteral("ValueError"));
    return versionFromXml(&file, path);
}

} // namespace qfc::worker::ProjectFile
