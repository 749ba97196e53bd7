#include "datafiles.h"

#include <QAtomicInt>
#include <QFileInfo>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>

namespace qfc::deltas {

LayerFile layerFile(const Project &project, const QString &layerId,
                    const QStringList &projectFileNames)
{
    if (!project.projectDetails)
        return {};
    const QJsonObject layers = project.projectDetails->value(u"layers_by_id"_qs).toObject();
    if (!layers.contains(layerId))
        return {};
    const QString filename = layers.value(layerId).toObject().value(u"filename"_qs).toString();
    if (filename.isEmpty())
        return {LayerFile::NotAFile, {}};
    // The part after one of the "/files/" segments that names a project file (the data
    // directory itself may contain such a segment).
    static const QString marker = u"/files/"_qs;
    for (qsizetype at = filename.indexOf(marker); at >= 0; at = filename.indexOf(marker, at + 1)) {
        const QString name = filename.mid(at + marker.size());
        if (projectFileNames.contains(name))
            return {LayerFile::ProjectFile, name};
    }
    return {LayerFile::Unresolved, {}};
}

QString layerIdOf(const QJsonObject &content)
{
    const QString source = content.value(u"sourceLayerId"_qs).toString();
    return source.isEmpty() ? content.value(u"localLayerId"_qs).toString() : source;
}

namespace {

bool hasContent(const QString &path)
{
    const QFileInfo info(path);
    return info.exists() && info.size() > 0;
}

} // namespace

QString settleSqliteFile(const QString &path)
{
    const QString wal = path + u"-wal"_qs;
    const QString journal = path + u"-journal"_qs;
    if (!hasContent(wal) && !hasContent(journal))
        return {};
    static QAtomicInt counter;
    const QString name = u"qfc-settle-"_qs + QString::number(counter.fetchAndAddRelaxed(1));
    QString error;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_qs, name);
        db.setDatabaseName(path);
        if (!db.open()) {
            error = db.lastError().text();
        } else {
            QSqlQuery q(db);
            // Reading rolls a hot journal back; the checkpoint moves the WAL into the file.
            if (!q.exec(u"SELECT count(*) FROM sqlite_master"_qs)
                || !q.exec(u"PRAGMA wal_checkpoint(TRUNCATE)"_qs))
                error = q.lastError().text();
            q.finish();
            db.close();
        }
    }
    QSqlDatabase::removeDatabase(name);
    if (error.isEmpty() && (hasContent(wal) || hasContent(journal)))
        error = u"a sidecar file still holds data"_qs;
    return error;
}

} // namespace qfc::deltas
