#pragma once

#include "clienttype.h"
#include "user.h"

#include <QSqlDatabase>
#include <QString>

#include <optional>

namespace qfc::tokens {

// A freshly minted token; `key` is shown to the client once and only its hash is stored.
struct Issued
{
    QString key; // 100 characters of [A-Za-z0-9]
    qint64 expiresAt = 0;
};

// Creates a token for `userId` of `clientType` valid for `lifetimeUs`. For the single-token
// classes (qfield, qfieldsync, unknown: spec/api.md §1.4) the user's other live tokens of the same
// class expire now.
Issued issue(const QSqlDatabase &db, qint64 userId, ClientType clientType, const QString &userAgent,
             qint64 lifetimeUs);

struct Authenticated
{
    User user;
    ClientType clientType = ClientType::Unknown;
    qint64 tokenId = 0;
};

enum class Failure { Unknown, Expired, InactiveUser };

// Looks the key up; updates last_used_at (at most once a minute per token, to spare the database
// a write per request). std::nullopt with `failure` set when the key is not usable.
std::optional<Authenticated> authenticate(const QSqlDatabase &db, const QString &key,
                                          Failure *failure = nullptr);

// Expires every still-valid token of the user (logout).
void expireAll(const QSqlDatabase &db, qint64 userId);

// Deletes tokens that expired more than `graceUs` ago (maintenance).
int purgeExpired(const QSqlDatabase &db, qint64 graceUs);

QString hashKey(const QString &key);

} // namespace qfc::tokens
