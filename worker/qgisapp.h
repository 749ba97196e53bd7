#pragma once

#include "contract/workdir.h"
#include "job.h"

#include <QJsonObject>
#include <QMap>
#include <QString>

namespace qfc::worker {

class PathConfinement;

// The QGIS application of the worker process (spec/worker.md §2.2): QgsApplication is
// constructed once by main() (after prepareEnvironment()), initialised by the start_qgis_app
// step and shut down by the stop_qgis_app step, or by shutdown() when a step failed before.
namespace QgisApp {

// Before QgsApplication exists: QT_QPA_PLATFORM=offscreen (QGIS aborts without a display
// otherwise), and, when the runner did not set them, HOME, QGIS_CUSTOM_CONFIG_PATH, TMPDIR and
// XDG_RUNTIME_DIR below <workdir>/.qfc-worker/ so that QGIS writes only inside the work directory
// (QgsProject::write needs a writable TMPDIR; QGIS leaves a temporary folder per run); QSettings
// go to the QGIS profile.
void prepareEnvironment(const contract::WorkDir &workDir);

// start_qgis_app: initQgis(), Qt and QgsMessageLog messages → log, network timeout 5000 ms,
// the bad-layer handler on QgsProject::instance(), the work-directory confinement of layer
// paths, the current directory = the project file's directory. Returns {"qgis_version": ...}.
QJsonObject start(const JobContext &context);

// stop_qgis_app: clears QgsProject::instance() (closing providers, so GeoPackage -wal/-shm
// files are checkpointed away) and exits QGIS. Returns {}.
QJsonObject stop();

// stop() if start() ran and stop() did not. Never throws.
void shutdown();

bool isRunning();

// Layer id → the data source QGIS could not load, as written in the project file, recorded by
// the bad-layer handler during the last read of QgsProject::instance() (for "localized"
// detection, spec/worker.md §3.4).
QMap<QString, QString> badLayerSources();
void clearBadLayerSources();

// The confinement of layer paths to the work directory; nullptr before start().
PathConfinement *confinement();

} // namespace QgisApp

} // namespace qfc::worker
