#pragma once

#include "contract/workerarguments.h"

#include <QDomDocument>
#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <qgscoordinatereferencesystem.h>

class QgsProject;

namespace qfc::worker {

// The offline conversion of a package job (spec/worker.md §4.2, libqfieldsync's OfflineConverter
// in cloud mode, base map disabled): turns the project loaded in QgsProject::instance() into
// <export dir>/<stem>_qfield.qgz plus data.gpkg and the copied files (§4.3 - §4.7).
class PackageConverter
{
public:
    struct Options
    {
        QString originalProjectPath; // files/<project file>
        QString exportProjectPath; // export/<stem>_qfield.qgz
        QString areaOfInterestWkt;
        QgsCoordinateReferenceSystem areaOfInterestCrs;
        QStringList attachmentDirs; // attachment dirs + data dirs
        contract::Offliner offliner = contract::Offliner::PythonMini;
        // the `<mapcanvas name="theMapCanvas">` element of the original project file (§4.2.1)
        QDomDocument mapCanvas;
        // layers_by_id of the original project (qgis_layers_data): localized detection
        QJsonObject originalLayers;
    };

    PackageConverter(QgsProject &project, Options options);

    // Throws WorkerError.
    void convert();

private:
    QgsProject &m_project;
    Options m_options;
};

} // namespace qfc::worker
