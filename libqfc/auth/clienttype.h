#pragma once

#include <QByteArray>
#include <QString>

#include <optional>

namespace qfc {

// The kind of client a token was issued to (spec/api.md §1.4).
enum class ClientType { QField, Sdk, Cli, QFieldSync, Browser, Unknown, Worker };

// Classifies a User-Agent exactly as upstream's AuthToken.guess_client_type() does (first match).
// Never returns Worker: worker tokens are minted, not logged in.
ClientType classifyUserAgent(const QByteArray &userAgent);

// "qfield", "sdk", "cli", "qfieldsync", "browser", "unknown", "worker": the stored/wire names.
QString clientTypeName(ClientType type);
std::optional<ClientType> clientTypeFromName(const QString &name);

// Whether a login expires the user's other tokens of the same class (one active token per
// device class): qfield, qfieldsync and unknown.
bool isSingleTokenClass(ClientType type);

} // namespace qfc
