#include "serializers.h"

#include "context.h"

namespace qfc::api {

QJsonObject credentialsProvider()
{
    return {{u"type"_qs, u"credentials"_qs},
            {u"id"_qs, u"credentials"_qs},
            {u"name"_qs, u"Username / Password"_qs}};
}

QJsonValue avatarUrl(const User &user, Context &ctx)
{
    Q_UNUSED(user)
    Q_UNUSED(ctx)
    return QJsonValue::Null;
}

QJsonObject completeUser(const User &user, Context &ctx)
{
    return {{u"username"_qs, user.username},          {u"type"_qs, user.type},
            {u"full_name"_qs, user.fullName()},       {u"email"_qs, user.email},
            {u"avatar_url"_qs, avatarUrl(user, ctx)}, {u"first_name"_qs, user.firstName},
            {u"last_name"_qs, user.lastName}};
}

QJsonObject publicUser(const User &user, Context &ctx)
{
    const QString display =
        user.type == User::Team ? user.username.section(u'/', -1) : user.username;
    return {{u"username"_qs, display},
            {u"type"_qs, user.type},
            {u"full_name"_qs, user.fullName()},
            {u"avatar_url"_qs, user.type == User::Team ? QJsonValue::Null : avatarUrl(user, ctx)},
            {u"username_display"_qs, display}};
}

} // namespace qfc::api
