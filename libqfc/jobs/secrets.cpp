#include "secrets.h"

#include "core/clock.h"
#include "core/logging.h"
#include "db/query.h"
#include "platform/keychain.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QUuid>

#include <sodium.h>

namespace qfc::secrets {

namespace {

QByteArray loadOrCreateKeyFile(const QString &path)
{
    QFile f(path);
    if (f.exists()) {
        if (!f.open(QIODevice::ReadOnly))
            throw SecretError("cannot read the secret key file " + path.toStdString());
        const QByteArray key = QByteArray::fromBase64(f.readAll().trimmed());
        if (key.size() != crypto_secretbox_KEYBYTES)
            throw SecretError("the secret key file " + path.toStdString() + " is damaged");
        if (f.permissions()
            & (QFile::ReadGroup | QFile::ReadOther | QFile::WriteGroup | QFile::WriteOther))
            qCWarning(lcServer) << "the secret key file" << path
                                << "is readable by others: chmod 600 it";
        return key;
    }
    QByteArray key(crypto_secretbox_KEYBYTES, Qt::Uninitialized);
    crypto_secretbox_keygen(reinterpret_cast<unsigned char *>(key.data()));
    QDir().mkpath(QFileInfo(path).absolutePath());
    // Created with owner-only permissions before any byte is written.
    if (!f.open(QIODevice::WriteOnly | QIODevice::NewOnly, QFile::ReadOwner | QFile::WriteOwner))
        throw SecretError("cannot create the secret key file " + path.toStdString());
    f.write(key.toBase64() + '\n');
    if (!f.flush())
        throw SecretError("cannot write the secret key file " + path.toStdString());
    return key;
}

Secret read(const db::Query &q)
{
    Secret s;
    s.id = q.text(0);
    s.name = q.text(1);
    s.type = q.text(2);
    if (!q.value(3).isNull())
        s.projectId = q.text(3);
    s.organizationId = q.optionalInteger(4);
    s.assignedTo = q.optionalInteger(5);
    return s;
}

} // namespace

KeyRing::KeyRing(const QString &keyFile)
{
    if (sodium_init() < 0)
        throw SecretError("libsodium cannot be initialized");
    m_key = loadOrCreateKeyFile(keyFile);
}

KeyRing KeyRing::fromKeychain(const QString &keychainKey)
{
    if (sodium_init() < 0)
        throw SecretError("libsodium cannot be initialized");
    static const QString service = u"QFC"_qs;
    KeyRing ring;
    try {
        const std::optional<QByteArray> stored = platform::readKeychain(service, keychainKey);
        if (stored) {
            ring.m_key = QByteArray::fromBase64(*stored);
            if (ring.m_key.size() != crypto_secretbox_KEYBYTES)
                throw SecretError("the secret key in the OS keychain (" + keychainKey.toStdString()
                                  + ") is damaged");
            return ring;
        }
        ring.m_key = QByteArray(crypto_secretbox_KEYBYTES, Qt::Uninitialized);
        crypto_secretbox_keygen(reinterpret_cast<unsigned char *>(ring.m_key.data()));
        platform::writeKeychain(service, keychainKey, ring.m_key.toBase64());
    } catch (const platform::KeychainError &e) {
        throw SecretError(std::string(e.what())
                          + "; set secrets/key_store=file (QFC_SECRETS_KEY_STORE=file) to keep "
                            "the key in a file instead");
    }
    return ring;
}

QByteArray KeyRing::encrypt(const QByteArray &plain) const
{
    QByteArray out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plain.size(),
                   Qt::Uninitialized);
    auto *nonce = reinterpret_cast<unsigned char *>(out.data());
    randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES,
                          reinterpret_cast<const unsigned char *>(plain.constData()),
                          quint64(plain.size()), nonce,
                          reinterpret_cast<const unsigned char *>(m_key.constData()));
    return out;
}

QByteArray KeyRing::decrypt(const QByteArray &sealed) const
{
    const qsizetype overhead = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
    if (sealed.size() < overhead)
        throw SecretError("a stored secret is damaged");
    QByteArray plain(sealed.size() - overhead, Qt::Uninitialized);
    const auto *nonce = reinterpret_cast<const unsigned char *>(sealed.constData());
    if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char *>(plain.data()),
                                   nonce + crypto_secretbox_NONCEBYTES,
                                   quint64(sealed.size() - crypto_secretbox_NONCEBYTES), nonce,
                                   reinterpret_cast<const unsigned char *>(m_key.constData()))
        != 0)
        throw SecretError("a stored secret cannot be decrypted with this server's key");
    return plain;
}

bool isValidName(const QString &name)
{
    static const QRegularExpression re(u"^[A-Z]+[A-Z0-9_]+$"_qs);
    return re.match(name).hasMatch();
}

void set(const QSqlDatabase &db, const KeyRing &keys, const Secret &s)
{
    remove(db, s.name, s.projectId, s.organizationId, s.assignedTo);
    db::Query::run(
        db,
        u"INSERT INTO secrets (id, name, type, project_id, organization_id, assigned_to, "
        "value, created_at) VALUES (:id, :n, :t, :p, :o, :a, :v, :c)"_qs,
        {{u":id"_qs, QUuid::createUuid().toString(QUuid::WithoutBraces)},
         {u":n"_qs, s.name},
         {u":t"_qs, s.type},
         {u":p"_qs, s.projectId ? QVariant(*s.projectId) : db::null()},
         {u":o"_qs, s.organizationId ? QVariant(*s.organizationId) : db::null()},
         {u":a"_qs, s.assignedTo ? QVariant(*s.assignedTo) : db::null()},
         {u":v"_qs, keys.encrypt(s.value.toUtf8())},
         {u":c"_qs, clock::nowUs()}});
}

QList<Secret> list(const QSqlDatabase &db, const std::optional<QString> &projectId,
                   const std::optional<qint64> &organizationId)
{
    db::Query q(db,
                u"SELECT id, name, type, project_id, organization_id, assigned_to FROM secrets "
                "WHERE coalesce(project_id, '') = :p AND coalesce(organization_id, 0) = :o "
                "ORDER BY name, assigned_to"_qs);
    q.bind(u":p"_qs, projectId.value_or(QString(u""_qs)))
        .bind(u":o"_qs, organizationId.value_or(0))
        .exec();
    QList<Secret> out;
    while (q.next())
        out.append(read(q));
    return out;
}

bool remove(const QSqlDatabase &db, const QString &name, const std::optional<QString> &projectId,
            const std::optional<qint64> &organizationId, const std::optional<qint64> &assignedTo)
{
    db::Query q(db,
                u"DELETE FROM secrets WHERE name = :n AND coalesce(project_id, '') = :p AND "
                "coalesce(organization_id, 0) = :o AND coalesce(assigned_to, 0) = :a"_qs);
    q.bind(u":n"_qs, name)
        .bind(u":p"_qs, projectId.value_or(QString(u""_qs)))
        .bind(u":o"_qs, organizationId.value_or(0))
        .bind(u":a"_qs, assignedTo.value_or(0))
        .exec();
    return q.rowsAffected() > 0;
}

QList<Secret> forJob(const QSqlDatabase &db, const KeyRing &keys, const QString &projectId,
                     qint64 ownerId, std::optional<qint64> userId)
{
    db::Query q(db,
                u"SELECT id, name, type, project_id, organization_id, assigned_to, value FROM "
                "secrets WHERE (project_id = :p OR organization_id = :o) AND (assigned_to IS "
                "NULL OR assigned_to = :u)"_qs);
    q.bind(u":p"_qs, projectId).bind(u":o"_qs, ownerId).bind(u":u"_qs, userId.value_or(-1)).exec();
    // Priority (§13): project+user 4 > project 3 > organization+user 2 > organization 1.
    QHash<QString, QPair<int, Secret>> best;
    while (q.next()) {
        Secret s = read(q);
        const int rank = (s.projectId ? 2 : 0) + (s.assignedTo ? 2 : 1);
        if (!best.contains(s.name) || best.value(s.name).first < rank) {
            s.value = QString::fromUtf8(keys.decrypt(q.value(6).toByteArray()));
            best.insert(s.name, {rank, s});
        }
    }
    QList<Secret> out;
    for (const auto &v : std::as_const(best))
        out.append(v.second);
    std::sort(out.begin(), out.end(),
              [](const Secret &a, const Secret &b) { return a.name < b.name; });
    return out;
}

void applyToEnvironment(const QList<Secret> &list, QProcessEnvironment &env, QString &pgService)
{
    QStringList names;
    for (const Secret &s : list) {
        if (s.type == u"envvar") {
            env.insert(s.name, s.value);
            names << s.name;
        } else if (s.type == u"pgservice") {
            pgService += u'\n' + s.value;
        }
    }
    names.sort();
    env.insert(
        u"QFIELDCLOUD_EXTRA_ENVVARS"_qs,
        QString::fromUtf8(
            QJsonDocument(QJsonArray::fromStringList(names)).toJson(QJsonDocument::Compact)));
}

} // namespace qfc::secrets
