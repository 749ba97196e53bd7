#include "context.h"

#include "core/apierror.h"

#include <QJsonDocument>
#include <QJsonParseError>

namespace qfc::api {

Context::Context(http::Request &request_, const Route &route_, Services &services_)
    : request(request_), route(route_), services(services_)
{ }

const User &Context::user() const
{
    Q_ASSERT(auth);
    return auth->user;
}

QString Context::query(const QString &name) const
{
    return request.query.queryItemValue(name, QUrl::FullyDecoded);
}

const QJsonObject &Context::fields()
{
    if (m_fields)
        return *m_fields;
    QJsonObject out;
    const QByteArray type = request.header("Content-Type").toLower();
    if (request.isMultipart) {
        for (const auto &f : std::as_const(request.formFields))
            out.insert(f.first, QString::fromUtf8(f.second));
    } else if (type.startsWith("application/x-www-form-urlencoded")) {
        QByteArray body = request.body;
        body.replace('+', ' ');
        const QUrlQuery form(QString::fromUtf8(body));
        const auto items = form.queryItems(QUrl::FullyDecoded);
        for (const auto &item : items)
            out.insert(item.first, item.second);
    } else if (!request.body.trimmed().isEmpty()) {
        if (!type.isEmpty() && !type.startsWith("application/json") && !type.contains("+json"))
            throw ApiError::apiError(415);
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(request.body, &error);
        if (error.error != QJsonParseError::NoError)
            throw ApiError::apiError(
                400,
                QJsonObject{{u"body"_qs,
                             QJsonArray{QString(u"JSON parse error: "_qs + error.errorString())}}});
        if (!doc.isObject())
            throw ApiError::apiError(
                400, QJsonObject{{u"body"_qs, QJsonArray{u"expected a JSON object"_qs}}});
        out = doc.object();
    }
    m_fields = std::move(out);
    return *m_fields;
}

std::optional<QString> Context::stringField(const QString &name)
{
    const QJsonValue v = fields().value(name);
    if (v.isUndefined() || v.isNull())
        return std::nullopt;
    if (v.isString())
        return v.toString();
    if (v.isDouble())
        return QString::number(v.toDouble(), 'g', 17);
    if (v.isBool())
        return v.toBool() ? u"true"_qs : u"false"_qs;
    throw ApiError::validationField(name, u"Not a valid string."_qs);
}

std::optional<bool> Context::boolField(const QString &name)
{
    const QJsonValue v = fields().value(name);
    if (v.isUndefined() || v.isNull())
        return std::nullopt;
    const std::optional<bool> b = parseBool(v);
    if (!b)
        throw ApiError::validationField(name, u"Must be a valid boolean."_qs);
    return b;
}

std::optional<bool> parseBool(const QJsonValue &value)
{
    if (value.isBool())
        return value.toBool();
    if (value.isDouble()) {
        if (value.toDouble() == 1)
            return true;
        if (value.toDouble() == 0)
            return false;
        return std::nullopt;
    }
    if (!value.isString())
        return std::nullopt;
    const QString s = value.toString().trimmed();
    static const QStringList yes{u"true"_qs, u"True"_qs, u"TRUE"_qs, u"1"_qs,  u"yes"_qs,
                                 u"Yes"_qs,  u"YES"_qs,  u"on"_qs,   u"On"_qs, u"ON"_qs,
                                 u"t"_qs,    u"T"_qs,    u"y"_qs,    u"Y"_qs};
    static const QStringList no{u"false"_qs, u"False"_qs, u"FALSE"_qs, u"0"_qs,   u"no"_qs,
                                u"No"_qs,    u"NO"_qs,    u"off"_qs,   u"Off"_qs, u"OFF"_qs,
                                u"f"_qs,     u"F"_qs,     u"n"_qs,     u"N"_qs};
    if (yes.contains(s))
        return true;
    if (no.contains(s))
        return false;
    return std::nullopt;
}

} // namespace qfc::api
