#pragma once

#include "clienttype.h"
#include "loginthrottle.h"
#include "tokens.h"
#include "user.h"

#include <QHostAddress>

namespace qfc {

namespace db {
class Database;
}

// Logins, token checks, logout and password changes: spec/api.md §3 and §1.3–§1.4.
class AuthService
{
public:
    struct Options
    {
        qint64 tokenLifetimeUs = 720LL * 3600 * 1000000;
        int passwordIterations = 600000;
        LoginThrottle::Limits throttle;
    };

    struct LoginInput
    {
        QString username; // may hold an e-mail address
        QString email;
        QString password;
        QByteArray userAgent;
        QHostAddress address;
    };

    struct LoginResult
    {
        User user;
        tokens::Issued token;
    };

    AuthService(db::Database &database, Options options);

    // Throws ApiError: 401 authentication_failed (bad credentials, inactive, not a person),
    // 401 too_many_failed_login_attempts. The caller checked that a password was sent.
    LoginResult login(const LoginInput &input);
    // Resolves an `Authorization` header value; std::nullopt for no token auth at all (no header,
    // or another scheme). Throws ApiError 401 authentication_failed for a malformed header and
    // token_authentication_failed for an unknown, expired or inactive-user token.
    std::optional<tokens::Authenticated> authenticate(const QByteArray &authorization);
    void logout(qint64 userId);
    // Hashes with the configured iteration count (slow: call off the event loop).
    QString hashPassword(const QString &password) const;
    const Options &options() const { return m_options; }

private:
    db::Database &m_database;
    Options m_options;
    LoginThrottle m_throttle;
    QString m_dummyHash;
};

} // namespace qfc
