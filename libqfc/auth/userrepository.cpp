#include "userrepository.h"

#include "core/clock.h"
#include "db/query.h"

namespace qfc::users {

namespace {

const QString kColumns = u"id, username, type, email, first_name, last_name, password, "
                         "is_active, is_staff, is_superuser, date_joined, last_login"_qs;

User read(const db::Query &q)
{
    User u;
    u.id = q.integer(0);
    u.username = q.text(1);
    u.type = static_cast<int>(q.integer(2));
    u.email = q.text(3);
    u.firstName = q.text(4);
    u.lastName = q.text(5);
    u.password = q.text(6);
    u.isActive = q.flag(7);
    u.isStaff = q.flag(8);
    u.isSuperuser = q.flag(9);
    u.dateJoined = q.integer(10);
    u.lastLogin = q.optionalInteger(11);
    return u;
}

std::optional<User> one(const QSqlDatabase &db, const QString &where, const QVariant &value)
{
    db::Query q(db, u"SELECT "_qs + kColumns + u" FROM users WHERE "_qs + where);
    q.bind(u":v"_qs, value).exec();
    if (!q.next())
        return std::nullopt;
    return read(q);
}

} // namespace

std::optional<User> byId(const QSqlDatabase &db, qint64 id)
{
    return one(db, u"id = :v"_qs, id);
}

std::optional<User> byUsername(const QSqlDatabase &db, const QString &username)
{
    return one(db, u"username = :v"_qs, username);
}

std::optional<User> byUsernameCi(const QSqlDatabase &db, const QString &username)
{
    return one(db, u"lower(username) = lower(:v)"_qs, username);
}

QList<User> personsByEmailCi(const QSqlDatabase &db, const QString &email)
{
    db::Query q(db,
                u"SELECT "_qs + kColumns
                    + u" FROM users WHERE type = 1 AND lower(email) = lower(:v) ORDER BY id"_qs);
    q.bind(u":v"_qs, email).exec();
    QList<User> out;
    while (q.next())
        out.append(read(q));
    return out;
}

bool usernameTaken(const QSqlDatabase &db, const QString &username)
{
    return byUsernameCi(db, username).has_value();
}

bool emailTaken(const QSqlDatabase &db, const QString &email)
{
    return !personsByEmailCi(db, email).isEmpty();
}

qint64 countPersons(const QSqlDatabase &db)
{
    return db::Query::scalar(db, u"SELECT count(*) FROM users WHERE type = 1"_qs)
        .value_or(0)
        .toLongLong();
}

qint64 countSuperusers(const QSqlDatabase &db)
{
    return db::Query::scalar(db, u"SELECT count(*) FROM users WHERE type = 1 AND is_superuser"_qs)
        .value_or(0)
        .toLongLong();
}

User insert(const QSqlDatabase &db, User user)
{
    if (user.dateJoined == 0)
        user.dateJoined = clock::nowUs();
    db::Query q(db,
                u"INSERT INTO users (username, type, email, first_name, last_name, password, "
                "is_active, is_staff, is_superuser, date_joined) VALUES (:username, :type, "
                ":email, :first, :last, :password, :active, :staff, :super, :joined) "
                "RETURNING id"_qs);
    q.bind(u":username"_qs, user.username)
        .bind(u":type"_qs, user.type)
        .bind(u":email"_qs, user.email)
        .bind(u":first"_qs, user.firstName)
        .bind(u":last"_qs, user.lastName)
        .bind(u":password"_qs, user.password)
        .bind(u":active"_qs, user.isActive)
        .bind(u":staff"_qs, user.isStaff)
        .bind(u":super"_qs, user.isSuperuser)
        .bind(u":joined"_qs, user.dateJoined)
        .exec();
    q.next();
    user.id = q.integer(0);
    return user;
}

void update(const QSqlDatabase &db, const User &user)
{
    db::Query(db,
              u"UPDATE users SET username = :username, email = :email, first_name = :first, "
              "last_name = :last, is_active = :active, is_staff = :staff, is_superuser = "
              ":super WHERE id = :id"_qs)
        .bind(u":username"_qs, user.username)
        .bind(u":email"_qs, user.email)
        .bind(u":first"_qs, user.firstName)
        .bind(u":last"_qs, user.lastName)
        .bind(u":active"_qs, user.isActive)
        .bind(u":staff"_qs, user.isStaff)
        .bind(u":super"_qs, user.isSuperuser)
        .bind(u":id"_qs, user.id)
        .exec();
}

void setPassword(const QSqlDatabase &db, qint64 userId, const QString &encoded)
{
    db::Query(db, u"UPDATE users SET password = :p WHERE id = :id"_qs)
        .bind(u":p"_qs, encoded)
        .bind(u":id"_qs, userId)
        .exec();
}

void touchLastLogin(const QSqlDatabase &db, qint64 userId, qint64 whenUs)
{
    db::Query(db, u"UPDATE users SET last_login = :t WHERE id = :id"_qs)
        .bind(u":t"_qs, whenUs)
        .bind(u":id"_qs, userId)
        .exec();
}

QList<User> search(const QSqlDatabase &db, const Search &s)
{
    QString sql = u"SELECT "_qs + kColumns + u" FROM users WHERE 1 = 1"_qs;
    if (s.excludeOrganizations)
        sql += u" AND type <> 2"_qs;
    if (s.excludeTeams)
        sql += u" AND type <> 3"_qs;
    if (s.personsOnly)
        sql += u" AND type = 1"_qs;
    const QString order = u"username"_qs + db::sqlBinaryCollation(db);
    if (!s.q.isEmpty()) {
        sql += u" AND "_qs + db::sqlPosition(db, u"lower(:q)"_qs, u"lower(username)"_qs)
            + u" > 0 ORDER BY "_qs + db::sqlPosition(db, u"lower(:q2)"_qs, u"lower(username)"_qs)
            + u", "_qs + order;
    } else {
        sql += u" ORDER BY "_qs + order;
    }
    db::Query q(db, sql);
    if (!s.q.isEmpty())
        q.bind(u":q"_qs, s.q).bind(u":q2"_qs, s.q);
    q.exec();
    QList<User> out;
    while (q.next())
        out.append(read(q));
    return out;
}

} // namespace qfc::users
