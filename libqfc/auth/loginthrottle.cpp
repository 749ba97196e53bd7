#include "loginthrottle.h"

#include "core/clock.h"
#include "db/query.h"

namespace qfc {

bool LoginThrottle::isLocked(const QSqlDatabase &db, const QString &login,
                             const QString &address) const
{
    const qint64 now = clock::nowUs();
    const qint64 perUser = db::Query::scalar(db,
                                             u"SELECT count(*) FROM login_failures WHERE "
                                             "username = :u AND address = :a AND failed_at > :t"_qs,
                                             {{u":u"_qs, login.toLower()},
                                              {u":a"_qs, address},
                                              {u":t"_qs, now - m_limits.userWindowUs}})
                               .value_or(0)
                               .toLongLong();
    if (perUser >= m_limits.userFailures)
        return true;
    const qint64 perAddress =
        db::Query::scalar(db,
                          u"SELECT count(*) FROM login_failures WHERE "
                          "address = :a AND failed_at > :t"_qs,
                          {{u":a"_qs, address}, {u":t"_qs, now - m_limits.addressWindowUs}})
            .value_or(0)
            .toLongLong();
    return perAddress >= m_limits.addressFailures;
}

void LoginThrottle::recordFailure(const QSqlDatabase &db, const QString &login,
                                  const QString &address) const
{
    db::Query::run(
        db, u"INSERT INTO login_failures (username, address, failed_at) VALUES (:u, :a, :t)"_qs,
        {{u":u"_qs, login.toLower()}, {u":a"_qs, address}, {u":t"_qs, clock::nowUs()}});
}

void LoginThrottle::clear(const QSqlDatabase &db, const QString &login,
                          const QString &address) const
{
    db::Query::run(db, u"DELETE FROM login_failures WHERE username = :u AND address = :a"_qs,
                   {{u":u"_qs, login.toLower()}, {u":a"_qs, address}});
}

void LoginThrottle::purge(const QSqlDatabase &db) const
{
    const qint64 window = std::max(m_limits.userWindowUs, m_limits.addressWindowUs);
    db::Query::run(db, u"DELETE FROM login_failures WHERE failed_at < :t"_qs,
                   {{u":t"_qs, clock::nowUs() - window}});
}

} // namespace qfc
