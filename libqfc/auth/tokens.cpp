#include "tokens.h"

#include "auth/userrepository.h"
#include "core/clock.h"
#include "db/query.h"

#include <QCryptographicHash>
#include <QRandomGenerator>

namespace qfc::tokens {

namespace {

constexpr qint64 kTouchIntervalUs = 60LL * 1000 * 1000;

QString randomKey()
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    QString key;
    key.reserve(100);
    auto *rng = QRandomGenerator::system();
    for (int i = 0; i < 100; ++i)
        key.append(QLatin1Char(alphabet[rng->bounded(62)]));
    return key;
}

} // namespace

QString hashKey(const QString &key)
{
    return QString::fromLatin1(
        QCryptographicHash::hash(key.toUtf8(), QCryptographicHash::Sha256).toHex());
}

Issued issue(const QSqlDatabase &db, qint64 userId, ClientType clientType, const QString &userAgent,
             qint64 lifetimeUs)
{
    const qint64 now = clock::nowUs();
    if (isSingleTokenClass(clientType)) {
        db::Query(db,
                  u"UPDATE auth_tokens SET expires_at = :now WHERE user_id = :u AND "
                  "client_type = :c AND expires_at > :now2"_qs)
            .bind(u":now"_qs, now)
            .bind(u":now2"_qs, now)
            .bind(u":u"_qs, userId)
            .bind(u":c"_qs, clientTypeName(clientType))
            .exec();
    }
    Issued issued{randomKey(), now + lifetimeUs};
    db::Query(db,
              u"INSERT INTO auth_tokens (user_id, key_hash, client_type, user_agent, "
              "created_at, expires_at) VALUES (:u, :h, :c, :ua, :now, :exp)"_qs)
        .bind(u":u"_qs, userId)
        .bind(u":h"_qs, hashKey(issued.key))
        .bind(u":c"_qs, clientTypeName(clientType))
        .bind(u":ua"_qs, userAgent.left(500))
        .bind(u":now"_qs, now)
        .bind(u":exp"_qs, issued.expiresAt)
        .exec();
    return issued;
}

std::optional<Authenticated> authenticate(const QSqlDatabase &db, const QString &key,
                                          Failure *failure)
{
    auto failWith = [&](Failure f) {
        if (failure)
            *failure = f;
        return std::nullopt;
    };
    db::Query q(db,
                u"SELECT id, user_id, client_type, expires_at, last_used_at FROM auth_tokens "
                "WHERE key_hash = :h"_qs);
    q.bind(u":h"_qs, hashKey(key)).exec();
    if (!q.next())
        return failWith(Failure::Unknown);
    const qint64 tokenId = q.integer(0);
    const qint64 userId = q.integer(1);
    const QString cls = q.text(2);
    const qint64 expiresAt = q.integer(3);
    const qint64 lastUsed = q.optionalInteger(4).value_or(0);
    q.finish();
    const qint64 now = clock::nowUs();
    if (expiresAt <= now)
        return failWith(Failure::Expired);
    const std::optional<User> user = users::byId(db, userId);
    if (!user || !user->isActive)
        return failWith(Failure::InactiveUser);
    if (now - lastUsed > kTouchIntervalUs) {
        db::Query(db, u"UPDATE auth_tokens SET last_used_at = :t WHERE id = :id"_qs)
            .bind(u":t"_qs, now)
            .bind(u":id"_qs, tokenId)
            .exec();
    }
    return Authenticated{*user, clientTypeFromName(cls).value_or(ClientType::Unknown), tokenId};
}

void expireAll(const QSqlDatabase &db, qint64 userId)
{
    const qint64 now = clock::nowUs();
    db::Query(db,
              u"UPDATE auth_tokens SET expires_at = :now WHERE user_id = :u AND "
              "expires_at > :now2"_qs)
        .bind(u":now"_qs, now)
        .bind(u":now2"_qs, now)
        .bind(u":u"_qs, userId)
        .exec();
}

int purgeExpired(const QSqlDatabase &db, qint64 graceUs)
{
    db::Query q(db, u"DELETE FROM auth_tokens WHERE expires_at < :t"_qs);
    q.bind(u":t"_qs, clock::nowUs() - graceUs).exec();
    return q.rowsAffected();
}

} // namespace qfc::tokens
