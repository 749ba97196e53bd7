#pragma once

#include "job.h"

#include <QJsonObject>
#include <QString>

class QgsCoordinateReferenceSystem;
class QgsProject;
class QgsRectangle;

namespace qfc::worker {

// process_projectfile (spec/worker.md §3): validate the uploaded project, extract its details,
// render a thumbnail. Never changes files that are stored back (the runner collects only
// feedback.json and thumbnail.png from this job).
class ProcessProjectfileJob final : public Job
{
public:
    contract::JobType type() const override;
    QList<Step> steps(const JobContext &context) override;
    void finish() override;

    // project_details of spec/worker.md §3.3.
    static QJsonObject extractProjectDetails(QgsProject &project);

    // Renders <thumbnailPath> (100×100 PNG, 10 s render timeout); returns the path, or "" when
    // the project has no usable extent or QGIS refuses the map settings (no file then).
    static QString generateThumbnail(const QString &projectPath, const QString &thumbnailPath);

    // `extent` (in `crs`) as a WKT polygon of its EPSG:4326 bounding box, or "" (with `error`
    // set) when the extent is null, the CRS invalid, the transform fails or the result is not
    // inside EPSG:4326's area of use.
    static QString extentTo4326Wkt(const QgsRectangle &extent,
                                   const QgsCoordinateReferenceSystem &crs, QString *error);

private:
    QgsProject *m_project = nullptr;
    QString m_thumbnail;
};

} // namespace qfc::worker
