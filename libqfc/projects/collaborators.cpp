#include "collaborators.h"

#include "core/clock.h"
#include "db/query.h"

namespace qfc::collaborators {

namespace {

const QString kSelect = u"SELECT c.project_id, c.collaborator_id, u.username, c.role, "
                        "coalesce(cb.username, ''), coalesce(ub.username, ''), c.created_at, "
                        "c.updated_at FROM project_collaborators c JOIN users u ON u.id = "
                        "c.collaborator_id LEFT JOIN users cb ON cb.id = c.created_by LEFT JOIN "
                        "users ub ON ub.id = c.updated_by"_qs;

Collaborator read(const db::Query &q)
{
    Collaborator c;
    c.projectId = q.text(0);
    c.collaboratorId = q.integer(1);
    c.collaborator = q.text(2);
    c.role = projectRoleFromName(q.text(3)).value_or(ProjectRole::Reader);
    c.createdBy = q.text(4);
    c.updatedBy = q.text(5);
    c.createdAt = q.integer(6);
    c.updatedAt = q.integer(7);
    return c;
}

} // namespace

QList<Collaborator> ofProject(const QSqlDatabase &db, const QString &projectId)
{
    db::Query q(db, kSelect + u" WHERE c.project_id = :p ORDER BY c.created_at, c.id"_qs);
    q.bind(u":p"_qs, projectId).exec();
    QList<Collaborator> out;
    while (q.next())
        out.append(read(q));
    return out;
}

std::optional<Collaborator> find(const QSqlDatabase &db, const QString &projectId,
                                 qint64 collaboratorId)
{
    db::Query q(db, kSelect + u" WHERE c.project_id = :p AND c.collaborator_id = :c"_qs);
    q.bind(u":p"_qs, projectId).bind(u":c"_qs, collaboratorId).exec();
    if (!q.next())
        return std::nullopt;
    return read(q);
}

void add(const QSqlDatabase &db, const QString &projectId, qint64 collaboratorId, ProjectRole role,
         qint64 byUserId)
{
    const qint64 now = clock::nowUs();
    db::Query::run(db,
                   u"INSERT INTO project_collaborators (project_id, collaborator_id, role, "
                   "created_by, updated_by, created_at, updated_at) VALUES (:p, :c, :r, :by, :by2, "
                   ":t, :t2)"_qs,
                   {{u":p"_qs, projectId},
                    {u":c"_qs, collaboratorId},
                    {u":r"_qs, projectRoleName(role)},
                    {u":by"_qs, byUserId},
                    {u":by2"_qs, byUserId},
                    {u":t"_qs, now},
                    {u":t2"_qs, now}});
}

void setRole(const QSqlDatabase &db, const QString &projectId, qint64 collaboratorId,
             ProjectRole role, qint64 byUserId)
{
    db::Query::run(db,
                   u"UPDATE project_collaborators SET role = :r, updated_by = :by, updated_at = :t "
                   "WHERE project_id = :p AND collaborator_id = :c"_qs,
                   {{u":p"_qs, projectId},
                    {u":c"_qs, collaboratorId},
                    {u":r"_qs, projectRoleName(role)},
                    {u":by"_qs, byUserId},
                    {u":t"_qs, clock::nowUs()}});
}

void remove(const QSqlDatabase &db, const QString &projectId, qint64 collaboratorId)
{
    db::Query::run(
        db, u"DELETE FROM project_collaborators WHERE project_id = :p AND collaborator_id = :c"_qs,
        {{u":p"_qs, projectId}, {u":c"_qs, collaboratorId}});
}

} // namespace qfc::collaborators
