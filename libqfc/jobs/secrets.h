#pragma once

#include <QByteArray>
#include <QList>
#include <QProcessEnvironment>
#include <QSqlDatabase>
#include <QString>

#include <optional>
#include <stdexcept>

namespace qfc::secrets {

// Secrets of projects and organizations (spec/api.md §13, §19.11): `envvar` values become
// environment variables of the worker, `pgservice` values are concatenated into its
// pg_service.conf. Values are encrypted at rest with libsodium's secretbox under a server key.

class SecretError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

// The server key: 32 bytes kept in a 0600 key file (created on first use), or in the OS keychain
// through QtKeychain where one exists (Windows service, desktop). Thread-safe once loaded.
class KeyRing
{
public:
    // The key in `keyFile` (created when missing).
    explicit KeyRing(const QString &keyFile);
    // The key in the OS keychain under `keychainKey` (created when missing); throws SecretError
    // when there is no usable keychain.
    static KeyRing fromKeychain(const QString &keychainKey);
    QByteArray encrypt(const QByteArray &plain) const; // nonce || ciphertext
    QByteArray decrypt(const QByteArray &sealed) const; // throws SecretError

private:
    KeyRing() = default;
    QByteArray m_key;
};

struct Secret
{
    QString id;
    QString name; // ^[A-Z]+[A-Z0-9_]+$
    QString type; // envvar | pgservice
    std::optional<QString> projectId;
    std::optional<qint64> organizationId;
    std::optional<qint64> assignedTo;
    QString value; // decrypted (only when asked for)
};

bool isValidName(const QString &name);

// Creates or replaces the secret with the same name and scope.
void set(const QSqlDatabase &db, const KeyRing &keys, const Secret &secret);
// Without values.
QList<Secret> list(const QSqlDatabase &db, const std::optional<QString> &projectId,
                   const std::optional<qint64> &organizationId);
bool remove(const QSqlDatabase &db, const QString &name, const std::optional<QString> &projectId,
            const std::optional<qint64> &organizationId, const std::optional<qint64> &assignedTo);

// The secrets a job of `userId` on the project sees, one per name, in the priority of §13:
// project + assigned to the user > project > organization + assigned > organization.
QList<Secret> forJob(const QSqlDatabase &db, const KeyRing &keys, const QString &projectId,
                     qint64 ownerId, std::optional<qint64> userId);

// What the runner gives the worker (worker.md §2.1): one variable per envvar secret plus
// QFIELDCLOUD_EXTRA_ENVVARS (the sorted JSON list of their names), and the pg_service.conf text.
void applyToEnvironment(const QList<Secret> &secrets, QProcessEnvironment &env, QString &pgService);

} // namespace qfc::secrets
