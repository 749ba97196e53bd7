#pragma once

#include "roles.h"

#include <QList>
#include <QSqlDatabase>
#include <QString>

#include <optional>

namespace qfc::collaborators {

// An explicit collaborator entry (spec/api.md §8): a person or a team.
struct Collaborator
{
    QString projectId;
    qint64 collaboratorId = 0;
    QString collaborator; // username, or "@org/team" for a team
    ProjectRole role = ProjectRole::Reader;
    QString createdBy; // username, empty when unknown
    QString updatedBy;
    qint64 createdAt = 0;
    qint64 updatedAt = 0;
};

QList<Collaborator> ofProject(const QSqlDatabase &db, const QString &projectId);
std::optional<Collaborator> find(const QSqlDatabase &db, const QString &projectId,
                                 qint64 collaboratorId);
void add(const QSqlDatabase &db, const QString &projectId, qint64 collaboratorId, ProjectRole role,
         qint64 byUserId);
void setRole(const QSqlDatabase &db, const QString &projectId, qint64 collaboratorId,
             ProjectRole role, qint64 byUserId);
void remove(const QSqlDatabase &db, const QString &projectId, qint64 collaboratorId);

} // namespace qfc::collaborators
