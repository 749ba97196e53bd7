#include "statushandler.h"

#include "context.h"
#include "core/clock.h"
#include "core/settings.h"
#include "db/database.h"
#include "serializers.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QStorageInfo>

namespace qfc::api {

namespace {

QJsonValue optionalText(const Settings &s, const QString &key)
{
    const QString v = s.text(key);
    return v.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(v);
}

QJsonValue optionalTime(const Settings &s, const QString &key)
{
    const std::optional<qint64> t = clock::parseIso(s.text(key));
    return t ? QJsonValue(clock::formatApi(*t)) : QJsonValue(QJsonValue::Null);
}

bool storageOk(const Settings &s)
{
    const QFileInfo dir(s.dataDir());
    if (!dir.isDir() || !dir.isWritable())
        return false;
    const QStorageInfo info(s.dataDir());
    return info.isValid() && info.isReady() && !info.isReadOnly();
}

} // namespace

http::Response StatusHandler::status(Context &ctx)
{
    const Settings &s = ctx.services.settings;
    return http::Response::json(QJsonObject{
        {u"database"_qs, ctx.services.database.ping() ? u"ok"_qs : u"error"_qs},
        {u"storage"_qs, storageOk(s) ? u"ok"_qs : u"error"_qs},
        {u"status_page_url"_qs, optionalText(s, u"status/status_page_url"_qs)},
        {u"incident_message"_qs, optionalText(s, u"status/incident_message"_qs)},
        {u"incident_timestamp_utc"_qs, optionalTime(s, u"status/incident_timestamp"_qs)},
        {u"maintenance_message"_qs, optionalText(s, u"status/maintenance_message"_qs)},
        {u"maintenance_start_timestamp_utc"_qs, optionalTime(s, u"status/maintenance_start"_qs)},
        {u"maintenance_end_timestamp_utc"_qs, optionalTime(s, u"status/maintenance_end"_qs)},
    });
}

http::Response StatusHandler::serverInfo(Context &ctx)
{
    const Settings &s = ctx.services.settings;
    const QString base = ctx.request.baseUrl.toString();
    const QString logo = base + u"/static/logo.svg"_qs;
    const QString favicon = base + u"/static/favicon.svg"_qs;
    const QJsonObject whitelabel{{u"site_title"_qs, s.text(u"server/site_title"_qs)},
                                 {u"logo_navbar"_qs, logo},
                                 {u"logo_main"_qs, logo},
                                 {u"favicon"_qs, favicon}};
    return http::Response::json(
        QJsonObject{{u"whitelabel"_qs, whitelabel},
                    {u"auth_providers"_qs, QJsonArray{credentialsProvider()}},
                    {u"signup_url"_qs, optionalText(s, u"server/signup_url"_qs)}});
}

} // namespace qfc::api
