#pragma once

#include <QString>

namespace qfc {

// Django-compatible password hashes, "pbkdf2_sha256$<iterations>$<salt>$<base64 hash>": a 32-byte
// PBKDF2-HMAC-SHA256 key of the UTF-8 password and salt, in standard base64 with padding.
// Hashes written by upstream's Django verify here, and the other way round.
class PasswordHasher
{
public:
    // Hashes with a fresh 22-character [A-Za-z0-9] salt from the system CSPRNG (as Django does).
    static QString hash(const QString &password, int iterations);
    // "" when the salt is empty or contains '$', or iterations < 1.
    static QString hashWithSalt(const QString &password, const QString &salt, int iterations);
    // Verifies against any stored iteration count; malformed or foreign encodings give false.
    // *needsRehash (if given) tells whether the stored hash is not pbkdf2_sha256 with
    // wantedIterations, i.e. should be replaced by hash(password, wantedIterations) after a
    // successful login.
    static bool verify(const QString &password, const QString &encoded, int wantedIterations,
                       bool *needsRehash = nullptr);
    // False for "" and for Django's unusable passwords (starting with "!").
    static bool isUsable(const QString &encoded);
};

} // namespace qfc
