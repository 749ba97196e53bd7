#pragma once

#include "user.h"

#include <QList>
#include <QSqlDatabase>

#include <optional>

namespace qfc {

// SQL for the users table. All functions run on the given connection (inside the caller's
// transaction when there is one).
namespace users {

std::optional<User> byId(const QSqlDatabase &db, qint64 id);
// Exact, case-sensitive (URL lookups).
std::optional<User> byUsername(const QSqlDatabase &db, const QString &username);
// Case-insensitive (login, uniqueness).
std::optional<User> byUsernameCi(const QSqlDatabase &db, const QString &username);
// Persons whose e-mail matches case-insensitively (there may be several).
QList<User> personsByEmailCi(const QSqlDatabase &db, const QString &email);
bool usernameTaken(const QSqlDatabase &db, const QString &username);
bool emailTaken(const QSqlDatabase &db, const QString &email);
qint64 countPersons(const QSqlDatabase &db);
qint64 countSuperusers(const QSqlDatabase &db);

// Inserts `user` (id and dateJoined are set); throws DbError (unique violation on a race).
User insert(const QSqlDatabase &db, User user);
void update(const QSqlDatabase &db, const User &user);
void setPassword(const QSqlDatabase &db, qint64 userId, const QString &encoded);
void touchLastLogin(const QSqlDatabase &db, qint64 userId, qint64 whenUs);

struct Search
{
    QString q;
    bool excludeOrganizations = false;
    bool excludeTeams = false;
    bool personsOnly = false;
};
// Accounts matching `q` (case-insensitive substring), ordered by the position of `q` in the
// username, then the username (spec/api.md §5.1).
QList<User> search(const QSqlDatabase &db, const Search &search);

} // namespace users
} // namespace qfc
