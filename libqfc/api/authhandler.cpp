#include "authhandler.h"

#include "auth/authservice.h"
#include "context.h"
#include "core/apierror.h"
#include "core/clock.h"
#include "serializers.h"

#include <QJsonArray>

namespace qfc::api {

http::Response AuthHandler::login(Context &ctx)
{
    const std::optional<QString> password = ctx.stringField(u"password"_qs);
    if (!password)
        throw ApiError::apiError(
            400, QJsonObject{{u"password"_qs, QJsonArray{u"This field is required."_qs}}});
    AuthService::LoginInput input;
    input.username = ctx.stringField(u"username"_qs).value_or(QString());
    input.email = ctx.stringField(u"email"_qs).value_or(QString());
    input.password = *password;
    input.userAgent = ctx.request.header("User-Agent");
    input.address = ctx.request.clientAddress;
    const AuthService::LoginResult result = ctx.services.auth.login(input);

    QJsonObject body = completeUser(result.user, ctx);
    body.insert(u"token"_qs, result.token.key);
    body.insert(u"expires_at"_qs, clock::formatApi(result.token.expiresAt));
    body.insert(u"type"_qs, QString::number(result.user.type)); // a string here (§3.1)
    return http::Response::json(body);
}

http::Response AuthHandler::user(Context &ctx)
{
    return http::Response::json(completeUser(ctx.user(), ctx));
}

http::Response AuthHandler::logout(Context &ctx)
{
    if (ctx.isAuthenticated())
        ctx.services.auth.logout(ctx.user().id);
    return http::Response::json(QJsonObject{{u"detail"_qs, u"Successfully logged out."_qs}});
}

http::Response AuthHandler::providers(Context &)
{
    return http::Response::json(QJsonArray{credentialsProvider()});
}

} // namespace qfc::api
