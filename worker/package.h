#pragma once

#include "job.h"

#include <QDomDocument>
#include <QJsonObject>
#include <QString>

class QgsProject;

namespace qfc::worker {

// package (spec/worker.md §4): turns the uploaded project into a QField package in
// <workdir>/export/: <stem>_qfield.qgz, data.gpkg for the offline layers, the copied files.
class PackageJob final : public Job
{
public:
    contract::JobType type() const override;
    QList<Step> steps(const JobContext &context) override;
    void finish() override;

private:
    // Reads `path` into QgsProject::instance() with the normal read flags; returns
    // layers_by_id and logs the layer table. Throws WorkerError.
    QJsonObject readLayersData(const QString &path, QDomDocument *mapCanvas);
    QJsonObject packageProject(const JobContext &context);

    QJsonObject m_originalLayers;
    QDomDocument m_mapCanvas;
    QString m_packagedProject;
};

} // namespace qfc::worker
