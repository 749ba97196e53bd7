#include "auth/clienttype.h"

#include <QRegularExpression>

#include <array>
#include <utility>

namespace qfc {

namespace {

using namespace Qt::Literals::StringLiterals;

constexpr std::array<std::pair<ClientType, QLatin1StringView>, 7> Names{{
    {ClientType::QField, "qfield"_L1},
    {ClientType::Sdk, "sdk"_L1},
    {ClientType::Cli, "cli"_L1},
    {ClientType::QFieldSync, "qfieldsync"_L1},
    {ClientType::Browser, "browser"_L1},
    {ClientType::Unknown, "unknown"_L1},
    {ClientType::Worker, "worker"_L1},
}};

} // namespace

ClientType classifyUserAgent(const QByteArray &userAgent)
{
    if (userAgent.startsWith("qfield|"))
        return ClientType::QField;
    if (userAgent.startsWith("sdk|"))
        return ClientType::Sdk;
    if (userAgent.startsWith("cli|"))
        return ClientType::Cli;

    // Upstream's regexes verbatim (qfieldcloud/authentication/models.py), applied like Django to
    // the Latin-1 decoded header; Latin-1 has no digits besides ASCII, so PCRE's ASCII \d matches
    // exactly what Python's Unicode \d does.
    static const QRegularExpression qgis(uR"( QGIS/[34]\d{4}(\/.*)?$)"_qs);
    static const QRegularExpression browser(
        uR"(^Mozilla\/5.0 .+?(AppleWebKit\/\d{1,5}.\d{1,5} \(KHTML, like Gecko\)|Firefox\/[\d\.]{1,5}))"_qs);
    const QString text = QString::fromLatin1(userAgent);
    if (qgis.match(text).hasMatch())
        return ClientType::QFieldSync;
    if (browser.match(text).hasMatch())
        return ClientType::Browser;
    return ClientType::Unknown;
}

QString clientTypeName(ClientType type)
{
    for (const auto &[candidate, name] : Names) {
        if (candidate == type)
            return name;
    }
    Q_UNREACHABLE();
}

std::optional<ClientType> clientTypeFromName(const QString &name)
{
    for (const auto &[type, candidate] : Names) {
        if (candidate == name)
            return type;
    }
    return std::nullopt;
}

bool isSingleTokenClass(ClientType type)
{
    return type == ClientType::QField || type == ClientType::QFieldSync
        || type == ClientType::Unknown;
}

} // namespace qfc
