#pragma once

#include "deltafile.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QPointer>
#include <QSet>
#include <QString>
#include <QStringList>
#include <QVariant>

class QgsFeature;
class QgsGeometry;
class QgsProject;
class QgsVectorLayer;

namespace qfc::worker {

// Delta statuses and error types of `delta_feedback` entries (spec/worker.md §5.9). Byte-exact:
// the server maps them to the delta's status.
namespace DeltaStatuses {
inline constexpr QLatin1String Applied("status_applied");
inline constexpr QLatin1String Conflict("status_conflict");
inline constexpr QLatin1String ApplyFailed("status_apply_failed");
inline constexpr QLatin1String UnknownError("status_unknown_error");
} // namespace DeltaStatuses

namespace DeltaErrorTypes {
inline constexpr QLatin1String Error("ERROR");
inline constexpr QLatin1String Conflict("CONFLICT");
} // namespace DeltaErrorTypes

// Applies the deltas of one deltafile to the layers of an open project (spec/worker.md §5.4–5.8):
// in file order, each delta its own transaction (its edits are committed before the next delta
// starts, or rolled back when it fails), one `delta_feedback` entry per delta.
//
// An expected failure (missing layer or feature, conflict, provider refusal ...) ends that delta
// with status_apply_failed or status_conflict and the next delta runs. An unexpected one (several
// features with the same primary key, a patched attribute missing from `old`, a layer left
// partially changed by a failed commit ...) records a status_unknown_error entry and throws
// WorkerError: the whole job fails and the runner stores nothing back.
class DeltaApplier
{
public:
    struct Options
    {
        bool overwriteConflicts = false;
        // the QFC_PG_EFFECTIVE_USER secret: session_role of PostgreSQL layers (§1.2)
        QString pgEffectiveUser;
    };

    DeltaApplier(QgsProject &project, DeltaFile deltaFile, Options options);
    ~DeltaApplier();

    DeltaApplier(const DeltaApplier &) = delete;
    DeltaApplier &operator=(const DeltaApplier &) = delete;

    // Applies every delta and returns the entries. Throws WorkerError after an unexpected error
    // (entries() then ends with its status_unknown_error entry).
    QJsonArray applyAll();
    const QJsonArray &entries() const { return m_entries; }

    // Rolls back what is left in the edit buffers and stops editing every layer a delta started
    // editing (§5.4 step 11). Called by applyAll() and by the destructor; never throws.
    void stopEditing();

    // The GeoPackages of the layers a delta started editing.
    const QStringList &editedGeoPackages() const { return m_editedGeoPackages; }

    // The GeoJSON files in which a create was committed.
    const QStringList &geoJsonFilesWithCreates() const { return m_geoJsonFilesWithCreates; }

    // The client primary keys known so far: the runner's map plus one entry per create applied
    // in this run (§5.10).
    const QMap<QString, QString> &clientPks() const { return m_clientPks; }

    // §5.8: trims, fails on "", turns every whole-word `nan` into 0, parses with
    // QgsGeometry::fromWkt(). Throws the expected failure "Empty WKT string!" or
    // "Null geometry from wkt='<wkt>'".
    static QgsGeometry geometryFromWkt(const QString &wkt);

    // §5.7 (b): the conflicts of `feature` with the `old.attributes` of a delta.
    static QStringList conflicts(const QgsFeature &feature, const QJsonObject &oldAttributes);

    // A JSON value of a delta as the QVariant QGIS gets for it (null → invalid QVariant, whole
    // numbers → qlonglong, "" stays an empty, non-null string).
    static QVariant toVariant(const QJsonValue &value);

private:
    QJsonObject applyDelta(const Delta &delta);
    QgsVectorLayer *prepareLayer(const QString &layerId);
    QgsFeature findFeature(QgsVectorLayer &layer, const QString &pkName, const Delta &delta) const;
    QgsFeature createFeature(QgsVectorLayer &layer, const Delta &delta);
    QgsFeature patchFeature(QgsVectorLayer &layer, const QString &pkName, const Delta &delta);
    QgsFeature deleteFeature(QgsVectorLayer &layer, const QString &pkName, const Delta &delta);
    void checkConflicts(const QgsFeature &feature, const Delta &delta) const;
    void logDeltaLog() const;
    void verifyCommitted(QgsVectorLayer &layer, const QString &pkName, const Delta &delta,
                         const QgsFeature &before) const;
    void restoreAfterFailedCommit(QgsVectorLayer &layer, const QgsFeature &original,
                                  const Delta &delta);
    QJsonObject entry(const Delta &delta, const QString &message, const QString &status,
                      const QJsonValue &errorType, const QJsonValue &featurePk,
                      const QJsonValue &modifiedPk, const QJsonValue &conflicts,
                      const QJsonValue &providerErrors) const;

    QgsProject &m_project;
    DeltaFile m_deltaFile;
    Options m_options;
    QMap<QString, QString> m_clientPks;
    QJsonArray m_entries;
    QList<QPointer<QgsVectorLayer>> m_editedLayers; // layers a delta started editing
    QSet<QString> m_preparedLayerIds; // PostgreSQL layers given the session role
    QStringList m_editedGeoPackages;
    QStringList m_geoJsonFilesWithCreates;
    QHash<QString, QString> m_primaryKeyNames; // layer id → primary key attribute
};

} // namespace qfc::worker
