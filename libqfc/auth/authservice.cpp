#include "authservice.h"

#include "auth/passwordhasher.h"
#include "auth/userrepository.h"
#include "core/apierror.h"
#include "core/clock.h"
#include "core/logging.h"
#include "db/database.h"
#include "db/transaction.h"

namespace qfc {

AuthService::AuthService(db::Database &database, Options options)
    : m_database(database)
    , m_options(options)
    , m_throttle(options.throttle)
    // Verified against when the user does not exist, so both cases take the same time.
    , m_dummyHash(PasswordHasher::hash(u"qfc-no-such-user"_qs, options.passwordIterations))
{ }

QString AuthService::hashPassword(const QString &password) const
{
    return PasswordHasher::hash(password, m_options.passwordIterations);
}

AuthService::LoginResult AuthService::login(const LoginInput &input)
{
    const QString login =
        !input.username.trimmed().isEmpty() ? input.username.trimmed() : input.email.trimmed();
    if (login.isEmpty())
        throw ApiError::authenticationFailed();
    const QString address = input.address.toString();
    QSqlDatabase db = m_database.connection();
    if (m_throttle.isLocked(db, login, address)) {
        qCInfo(lcAuth) << "login refused (throttled) for" << login << "from" << address;
        throw ApiError::tooManyFailedLoginAttempts();
    }

    // A username, or else an e-mail address that names exactly one person.
    std::optional<User> user = users::byUsernameCi(db, login);
    if (!user && login.contains(u'@')) {
        const QList<User> matches = users::personsByEmailCi(db, login);
        if (matches.size() == 1)
            user = matches.first();
    }
    bool needsRehash = false;
    const bool ok = PasswordHasher::verify(input.password, user ? user->password : m_dummyHash,
                                           m_options.passwordIterations, &needsRehash);
    if (!user || !ok || !user->isActive || !user->isPerson()) {
        m_throttle.recordFailure(db, login, address);
        qCInfo(lcAuth) << "login failed for" << login << "from" << address;
        throw ApiError::authenticationFailed();
    }

    const QString rehashed = needsRehash ? hashPassword(input.password) : QString();
    const ClientType clientType = classifyUserAgent(input.userAgent);
    db::Transaction tx(m_database, db::Transaction::Write);
    m_throttle.clear(tx.connection(), login, address);
    if (!rehashed.isEmpty())
        users::setPassword(tx.connection(), user->id, rehashed);
    const qint64 now = clock::nowUs();
    users::touchLastLogin(tx.connection(), user->id, now);
    const tokens::Issued token =
        tokens::issue(tx.connection(), user->id, clientType, QString::fromUtf8(input.userAgent),
                      m_options.tokenLifetimeUs);
    tx.commit();
    user->lastLogin = now;
    qCInfo(lcAuth) << "login of" << user->username << "as" << clientTypeName(clientType) << "from"
                   << address;
    return {*user, token};
}

std::optional<tokens::Authenticated> AuthService::authenticate(const QByteArray &authorization)
{
    if (authorization.isEmpty())
        return std::nullopt;
    const QList<QByteArray> parts = authorization.trimmed().split(' ');
    if (parts.first().compare("token", Qt::CaseInsensitive) != 0)
        return std::nullopt; // other schemes are not token auth
    QList<QByteArray> rest = parts.mid(1);
    rest.removeAll(QByteArray());
    if (rest.size() != 1)
        throw ApiError::authenticationFailed(); // "Token" alone, or a key with spaces
    tokens::Failure failure = tokens::Failure::Unknown;
    auto result =
        tokens::authenticate(m_database.connection(), QString::fromLatin1(rest.first()), &failure);
    if (!result)
        throw ApiError::tokenAuthenticationFailed();
    return result;
}

void AuthService::logout(qint64 userId)
{
    tokens::expireAll(m_database.connection(), userId);
}

} // namespace qfc
