#include "auth/passwordhasher.h"

#include <QRandomGenerator>
#include <QStringList>

#include <algorithm>
#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace qfc {

namespace {

constexpr auto Algorithm = "pbkdf2_sha256";
constexpr int SaltLength = 22;
constexpr int KeyLength = 32;

// The iteration count of an encoded hash: decimal digits only; 0 when invalid or out of range.
int parseIterations(const QString &text)
{
    const bool digitsOnly =
        std::all_of(text.cbegin(), text.cend(), [](QChar c) { return c >= u'0' && c <= u'9'; });
    return digitsOnly ? text.toInt() : 0;
}

} // namespace

QString PasswordHasher::hash(const QString &password, int iterations)
{
    static constexpr char Alphabet[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    QString salt(SaltLength, Qt::Uninitialized);
    for (QChar &c : salt)
        c = QLatin1Char(Alphabet[QRandomGenerator::system()->bounded(int(sizeof(Alphabet) - 1))]);
    return hashWithSalt(password, salt, iterations);
}

QString PasswordHasher::hashWithSalt(const QString &password, const QString &salt, int iterations)
{
    if (salt.isEmpty() || salt.contains(u'$') || iterations < 1)
        return {};
    const QByteArray passwordUtf8 = password.toUtf8();
    const QByteArray saltUtf8 = salt.toUtf8();
    QByteArray key(KeyLength, Qt::Uninitialized);
    if (PKCS5_PBKDF2_HMAC(passwordUtf8.constData(), int(passwordUtf8.size()),
                          reinterpret_cast<const unsigned char *>(saltUtf8.constData()),
                          int(saltUtf8.size()), iterations, EVP_sha256(), KeyLength,
                          reinterpret_cast<unsigned char *>(key.data()))
        != 1)
        return {};
    return QLatin1StringView(Algorithm) + u'$' + QString::number(iterations) + u'$' + salt + u'$'
        + QString::fromLatin1(key.toBase64());
}

bool PasswordHasher::verify(const QString &password, const QString &encoded, int wantedIterations,
                            bool *needsRehash)
{
    const QStringList fields = encoded.split(u'$');
    const bool ours = fields.size() == 4 && fields.first() == QLatin1StringView(Algorithm);
    const int iterations = ours ? parseIterations(fields.at(1)) : 0;
    if (needsRehash)
        *needsRehash = !ours || iterations != wantedIterations;
    if (iterations == 0)
        return false;
    // Like Django, compare the whole re-encoded string: a malformed base64 field cannot match.
    const QByteArray expected = hashWithSalt(password, fields.at(2), iterations).toUtf8();
    const QByteArray actual = encoded.toUtf8();
    return !expected.isEmpty() && expected.size() == actual.size()
        && CRYPTO_memcmp(expected.constData(), actual.constData(), size_t(actual.size())) == 0;
}

bool PasswordHasher::isUsable(const QString &encoded)
{
    return !encoded.isEmpty() && !encoded.startsWith(u'!');
}

} // namespace qfc
