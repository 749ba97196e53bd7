#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

namespace qfc::worker {

// One delta of a deltafile (spec/worker.md §5.1, §5.2), as validated by DeltaFile::fromJson().
struct Delta
{
    int index = 0; // position in the file, 0-based
    QString uuid;
    QString clientId; // "" when absent (legacy deltafiles)
    bool hasClientId = false;
    QString localPk;
    QString sourcePk;
    QString localLayerId;
    QString sourceLayerId; // localLayerId when the file had "" (§5.3)
    QString method; // "create" | "patch" | "delete"
    QJsonObject oldFeature; // "old", {} when absent
    QJsonObject newFeature; // "new", {} when absent
};

// A deltafile as the runner writes it for an apply job (spec/worker.md §5.2): the uploaded format
// 1.0 plus the runner's `clientPks`.
struct DeltaFile
{
    QString id;
    QString projectId;
    QString version;
    QList<Delta> deltas;
    QStringList files;
    // <clientId>__<localLayerId>__<localPk> → the primary key the server gave the feature
    QMap<QString, QString> clientPks;
    bool hasClientPks = false;

    // Reads and validates `path` (§5.3). Throws WorkerError: FILE_NOT_FOUND when the file is
    // missing or unreadable, error class "JSONDecodeError" when it is not JSON and
    // "ValidationError" when it violates the schema of §5.2, with a message naming the place,
    // e.g. "Invalid deltafile: 'deltas' is a required property".
    static DeltaFile load(const QString &path);
    static DeltaFile fromJson(const QByteArray &json);

    // The key of `clientPks`: "<clientId>__<localLayerId>__<localPk>".
    static QString clientPkKey(const QString &clientId, const QString &localLayerId,
                               const QString &localPk);
};

// A decoded JSON value as Python's repr() shows it (None, True, 'text', [1, 'a'], {'k': 1}).
QString pythonRepr(const QJsonValue &value);

// Whether `text` is a UUID in its 36-character 8-4-4-4-12 hexadecimal form (either case).
bool isUuidText(const QString &text);

} // namespace qfc::worker
