#pragma once

#include <QSqlDatabase>
#include <QString>

namespace qfc {

// Stops password guessing: a username tried from one address, and one address trying many
// usernames. Failures are rows in the database, so every node sees them and they survive restarts.
// While the failures inside a window reach its threshold, further attempts are refused without
// checking the password (spec/api.md §1.10 too_many_failed_login_attempts).
class LoginThrottle
{
public:
    struct Limits
    {
        int userFailures = 5;
        qint64 userWindowUs = 1800LL * 1000000;
        int addressFailures = 30;
        qint64 addressWindowUs = 1800LL * 1000000;
    };

    explicit LoginThrottle(Limits limits) : m_limits(limits) { }

    bool isLocked(const QSqlDatabase &db, const QString &login, const QString &address) const;
    void recordFailure(const QSqlDatabase &db, const QString &login, const QString &address) const;
    // A successful login forgets that login's failures from that address.
    void clear(const QSqlDatabase &db, const QString &login, const QString &address) const;
    // Deletes records older than both windows (maintenance).
    void purge(const QSqlDatabase &db) const;

private:
    Limits m_limits;
};

} // namespace qfc
