#pragma once

#include "auth/user.h"

#include <QJsonObject>

namespace qfc::api {

class Context;

// The account shapes of spec/api.md §5.
QJsonObject completeUser(const User &user, Context &ctx);
QJsonObject publicUser(const User &user, Context &ctx);
// The password login provider of server/info/ and auth/providers/ (§4.1).
QJsonObject credentialsProvider();
// The avatar URL of an account (null while it has none).
QJsonValue avatarUrl(const User &user, Context &ctx);

} // namespace qfc::api
