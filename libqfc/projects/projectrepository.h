#pragma once

#include "project.h"

#include <QList>
#include <QSqlDatabase>
#include <QStringList>

namespace qfc::projects {

std::optional<Project> byId(const QSqlDatabase &db, const QString &id);
std::optional<Project> byOwnerAndName(const QSqlDatabase &db, qint64 ownerId, const QString &name);
// The owner's shared_datasets project id, if it has one.
std::optional<QString> sharedDatasetsId(const QSqlDatabase &db, qint64 ownerId);

// Projects visible to a caller: owned by `ownerIds`, collaborated on (`projectIds`), or public
// when `withPublic`.
QList<Project> candidates(const QSqlDatabase &db, const QList<qint64> &ownerIds,
                          const QStringList &projectIds, bool withPublic);
QList<Project> publicProjects(const QSqlDatabase &db);

// Inserts (id and timestamps set when empty); throws DbError on a duplicate name (unique index).
Project insert(const QSqlDatabase &db, Project project);
// Writes the settings columns (name, owner, description, type, flags, keep versions) and
// updated_at.
void updateSettings(const QSqlDatabase &db, const Project &project);
void remove(const QSqlDatabase &db, const QString &id);
void setThumbnail(const QSqlDatabase &db, const QString &id, const QString &sha256,
                  const QString &type);

// After a change of the project's files: the QGIS file name (std::nullopt: unchanged, "" clears
// it), the data timestamps (restricted too when `restricted`) and the storage sum.
void filesChanged(const QSqlDatabase &db, const QString &id,
                  const std::optional<QString> &theQgisFileName, qint64 when, bool restricted,
                  qint64 storageBytes);
// Locks the project row until the transaction ends (PostgreSQL; SQLite's write transaction
// already excludes other writers).
void lockForUpdate(const QSqlDatabase &db, const QString &id);

// Persons collaborating directly on the project (the plan's collaborator cap counts these).
qint64 personCollaboratorCount(const QSqlDatabase &db, const QString &projectId);
// Sum of the project storage of every project `ownerId` owns.
qint64 storageUsedBy(const QSqlDatabase &db, qint64 ownerId);

} // namespace qfc::projects
