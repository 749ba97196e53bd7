#pragma once

#include "core/hashing.h"

#include <QList>
#include <QSqlDatabase>
#include <QString>

#include <optional>

namespace qfc::files {

struct Version
{
    QString id; // version_id
    QString sha256;
    QString md5;
    QString etag;
    qint64 size = 0;
    qint64 uploadedAt = 0;
};

// A project file with its versions, newest first.
struct File
{
    qint64 id = 0;
    QString projectId;
    QString name;
    qint64 createdAt = 0;
    QList<Version> versions;

    const Version &latest() const { return versions.first(); }
};

QList<File> ofProject(const QSqlDatabase &db, const QString &projectId);
std::optional<File> byName(const QSqlDatabase &db, const QString &projectId, const QString &name);

// Adds a version to `name` (creating the file on its first upload); returns the version.
Version addVersion(const QSqlDatabase &db, const QString &projectId, const QString &name,
                   const ContentDigest &digest, qint64 uploadedBy, qint64 when);
void removeFile(const QSqlDatabase &db, qint64 fileId);
void removeVersion(const QSqlDatabase &db, const QString &versionId);
// Deletes the oldest versions beyond `keep`; returns how many.
int pruneVersions(const QSqlDatabase &db, qint64 fileId, int keep);

// Sum of the sizes of every version of every file of the project.
qint64 storageBytes(const QSqlDatabase &db, const QString &projectId);
// Whether any row (file version, thumbnail) still refers to a blob (garbage collection).
bool isBlobReferenced(const QSqlDatabase &db, const QString &sha256);

} // namespace qfc::files
