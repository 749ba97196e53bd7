#include "routes.h"

#include "authhandler.h"
#include "router.h"
#include "statushandler.h"
#include "usershandler.h"

namespace qfc::api {

void registerRoutes(Router &r)
{
    constexpr auto A = Access::Anonymous;
    constexpr auto T = Access::Authenticated;
    // clang-format off
    // Authentication (§3)
    r.add({"POST", u"auth/token/"_qs,     A, AuthHandler::login,     false, {}, u"Log in (QField)"_qs});
    r.add({"POST", u"auth/login/"_qs,     A, AuthHandler::login,     false, {}, u"Log in (SDK, QFieldSync)"_qs});
    r.add({"GET",  u"auth/user/"_qs,      T, AuthHandler::user,      false, {}, u"The logged-in user"_qs});
    r.add({"POST", u"auth/logout/"_qs,    A, AuthHandler::logout,    false, {}, u"Expire all tokens of the caller"_qs});
    r.add({"GET",  u"auth/logout/"_qs,    A, AuthHandler::logout,    false, {}, u"Expire all tokens of the caller"_qs});
    r.add({"GET",  u"auth/providers/"_qs, A, AuthHandler::providers, false, {}, u"Login providers (deprecated)"_qs});
    // Server information and status (§4)
    r.add({"GET",  u"server/info/"_qs,    A, StatusHandler::serverInfo, false, {}, u"Server information"_qs});
    r.add({"GET",  u"status/"_qs,         A, StatusHandler::status,     false, {}, u"Service status"_qs});
    // Users (§5)
    r.add({"GET",  u"users/"_qs,          T, UsersHandler::list,     false, {}, u"Search accounts"_qs});
    // clang-format on
}

} // namespace qfc::api
