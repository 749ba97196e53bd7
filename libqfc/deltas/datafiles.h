#pragma once

#include "projects/project.h"

#include <QStringList>

namespace qfc::deltas {

// Which project file holds a layer's data, from the project details process_projectfile stored
// (worker.md §3.4: layers_by_id[<id>].filename is an absolute path inside the work directory
// of that job, <workdir>/files/<project file>).
struct LayerFile
{
    enum Kind {
        UnknownLayer, // no details, or the layer is not in them
        NotAFile, // filename "" (a database or web layer): nothing to store back
        Unresolved, // a file, but none of the project's files
        ProjectFile,
    };
    Kind kind = UnknownLayer;
    QString name; // ProjectFile: the project file path
};
LayerFile layerFile(const Project &project, const QString &layerId,
                    const QStringList &projectFileNames);

// The layer id a delta addresses: sourceLayerId, or localLayerId when that is empty (as the
// worker does, worker.md §5.3).
QString layerIdOf(const QJsonObject &deltaContent);

// Makes sure an SQLite file (a GeoPackage) holds all its data on its own before it is stored:
// a non-empty -wal is checkpointed into it and a hot -journal rolled back, through SQLite.
// Returns "" when the file stands alone (no sidecar left with content), else why not.
QString settleSqliteFile(const QString &path);

} // namespace qfc::deltas
