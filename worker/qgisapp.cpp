#include "qgisapp.h"

#include "contract/logformat.h"
#include "contract/logredactor.h"
#include "contract/workflow.h"
#include "pathconfinement.h"
#include "workerlog.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QMutex>
#include <QMutexLocker>
#include <QSettings>
#include <qgis.h>
#include <qgsapplication.h>
#include <qgsmessagelog.h>
#include <qgsnetworkaccessmanager.h>
#include <qgspathresolver.h>
#include <qgsproject.h>
#include <qgsprojectbadlayerhandler.h>

#include <cpl_error.h>
#include <memory>

#ifndef QFC_QGIS_PREFIX
#define QFC_QGIS_PREFIX "/usr"
#endif

namespace qfc::worker::QgisApp {

namespace {

constexpr int NetworkTimeoutMs = 5000;

bool sRunning = false;
QString sPreprocessorId;
std::unique_ptr<PathConfinement> sConfinement;
QMutex sBadLayersMutex;
QMap<QString, QString> sBadLayerSources;

class BadLayerHandler final : public QgsProjectBadLayerHandler
{
public:
    void handleBadLayers(const QList<QDomNode> &layers) override
    {
        QgsProjectBadLayerHandler::handleBadLayers(layers);
        QMutexLocker locker(&sBadLayersMutex);
        for (const QDomNode &layer : layers) {
            const QString id = layer.namedItem(QStringLiteral("id")).toElement().text();
            sBadLayerSources.insert(id, dataSource(layer));
        }
    }
};

void setDefaultEnvironment(const char *name, const QString &directory)
{
    if (!qEnvironmentVariableIsEmpty(name))
        return;
    QDir().mkpath(directory);
    QFile::setPermissions(directory,
                          QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    qputenv(name, QFile::encodeName(directory));
}

// GDAL's default handler prints "ERROR 1: ..." straight to stderr, past the log format and its
// redaction (PG: connection strings carry passwords): route GDAL's messages to the log.
void CPL_STDCALL onGdalMessage(CPLErr type, CPLErrorNum number, const char *message)
{
    contract::LogLevel level = contract::LogLevel::Error;
    switch (type) {
    case CE_None:
        level = contract::LogLevel::Info;
        break;
    case CE_Debug:
        level = contract::LogLevel::Debug;
        break;
    case CE_Warning:
        level = contract::LogLevel::Warning;
        break;
    case CE_Failure:
        level = contract::LogLevel::Error;
        break;
    case CE_Fatal:
        level = contract::LogLevel::Critical;
        break;
    }
    WorkerLog::instance().write(
        QStringLiteral("GDAL"), level,
        QStringLiteral("%1 (CPLE %2)").arg(QString::fromUtf8(message)).arg(int(number)));
}

void onMessageLogMessage(const QString &message, const QString &tag, Qgis::MessageLevel level)
{
    Q_UNUSED(tag)
    WorkerLog::instance().write(contract::LoggerNames::QgsMsgLog,
                                contract::logLevelForQgisMessageLevel(int(level)), message);
}

} // namespace

void prepareEnvironment(const contract::WorkDir &workDir)
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    const QString scratch = workDir.root() + QStringLiteral("/.qfc-worker");
    setDefaultEnvironment("HOME", scratch + QStringLiteral("/home"));
    setDefaultEnvironment("QGIS_CUSTOM_CONFIG_PATH", scratch + QStringLiteral("/qgis-config"));
    setDefaultEnvironment("TMPDIR", scratch + QStringLiteral("/tmp"));
    setDefaultEnvironment("XDG_RUNTIME_DIR", scratch + QStringLiteral("/runtime"));

    // QgsSettings are plain QSettings: keep them in the QGIS profile, as QGIS itself does,
    // instead of $HOME/.config/<organization>/.
    QCoreApplication::setOrganizationName(QStringLiteral("QGIS"));
    QCoreApplication::setApplicationName(QStringLiteral("QGIS3"));
    const QString profile =
        qEnvironmentVariable("QGIS_CUSTOM_CONFIG_PATH") + QStringLiteral("/profiles/default");
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, profile);
}

QJsonObject start(const JobContext &context)
{
    const QString extraEnvvars =
        qEnvironmentVariable("QFIELDCLOUD_EXTRA_ENVVARS", QStringLiteral("[]"));
    logInfo(QStringLiteral("Available user defined environment variables: %1").arg(extraEnvvars));
    logInfo(QStringLiteral("Starting QGIS app version %1 (%2)...")
                .arg(Qgis::versionInt())
                .arg(Qgis::devVersion()));

    CPLSetErrorHandler(onGdalMessage);
    if (qEnvironmentVariableIsEmpty("QGIS_PREFIX_PATH"))
        QgsApplication::setPrefixPath(QStringLiteral(QFC_QGIS_PREFIX), true);
    QgsApplication::initQgis();
    sRunning = true;
    WorkerLog::installQtMessageHandler(); // QGIS may have installed its own
    QObject::connect(QgsApplication::messageLog(),
                     qOverload<const QString &, const QString &, Qgis::MessageLevel>(
                         &QgsMessageLog::messageReceived),
                     &onMessageLogMessage);
    QgsNetworkAccessManager::setTimeout(NetworkTimeoutMs);

    // Layer paths stay inside the work directory (spec/worker.md §7.8); QGIS's own data
    // directory ("inbuilt:" layers, SVG symbols) stays readable.
    const QString projectDirectory = QFileInfo(context.projectFilePath).absolutePath();
    sConfinement = std::make_unique<PathConfinement>(context.workDir.root(),
                                                     QStringList{QgsApplication::pkgDataPath()});
    sConfinement->setBaseDirectory(projectDirectory);
    PathConfinement *confinement = sConfinement.get();
    sPreprocessorId = QgsPathResolver::setPathPreprocessor(
        [confinement](const QString &path) { return confinement->rewrite(path); });
    // GDAL opens legacy relative paths ("data.gpkg", without "./") against the current
    // directory: make that the project's directory, as QGIS resolves them against it.
    QDir::setCurrent(QFileInfo(projectDirectory).isDir() ? projectDirectory
                                                         : context.workDir.root());

    clearBadLayerSources();
    QgsProject::instance()->setBadLayerHandler(new BadLayerHandler);

    logInfo(QStringLiteral("QGIS app started!"));
    return {{contract::ReturnNames::QgisVersion, Qgis::version()}};
}

QJsonObject stop()
{
    if (!sRunning)
        return {};
    logInfo(QStringLiteral("Stopping QGIS app…"));
    QgsProject::instance()->clear();
    if (!sPreprocessorId.isEmpty())
        QgsPathResolver::removePathPreprocessor(sPreprocessorId);
    sPreprocessorId.clear();
    QgsApplication::exitQgis();
    sRunning = false;
    logInfo(QStringLiteral("Deleted QGIS app!"));
    return {};
}

void shutdown()
{
    if (!sRunning)
        return;
    try {
        stop();
    } catch (...) {
        sRunning = false;
    }
}

bool isRunning()
{
    return sRunning;
}

QMap<QString, QString> badLayerSources()
{
    QMutexLocker locker(&sBadLayersMutex);
    return sBadLayerSources;
}

void clearBadLayerSources()
{
    QMutexLocker locker(&sBadLayersMutex);
    sBadLayerSources.clear();
}

PathConfinement *confinement()
{
    return sConfinement.get();
}

} // namespace qfc::worker::QgisApp
