#pragma once

#include <QByteArray>
#include <QString>

#include <optional>
#include <stdexcept>

namespace qfc::platform {

// The operating system's keychain (Windows Credential Manager, macOS Keychain, a Secret Service
// on a Linux desktop) through QtKeychain. A headless Linux server usually has none: every call
// then throws KeychainError saying so, and the operator keeps the key in a file instead.
class KeychainError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

// The bytes stored under `service`/`key`; std::nullopt when there is no such entry. Blocks until
// the keychain answers; must not run on a thread whose event loop others depend on.
std::optional<QByteArray> readKeychain(const QString &service, const QString &key);
// Stores `data` under `service`/`key`, replacing an older entry.
void writeKeychain(const QString &service, const QString &key, const QByteArray &data);

} // namespace qfc::platform
