#pragma once

#include <QByteArrayView>
#include <QString>

#include <memory>
#include <openssl/types.h>

namespace qfc {

// The digests QFC publishes for a content (spec/api.md §1.8).
struct ContentDigest
{
    qint64 size = 0;
    QString sha256; // lowercase hex SHA-256
    QString md5; // lowercase hex MD5 of the whole content (the "true" MD5)
    QString etag; // S3 multipart ETag with 8 MiB parts, published as `md5sum`
};

// Computes all digests of ContentDigest in one pass over a stream fed in chunks of any size.
// finish() ends the stream and returns the digests; the hasher then starts over.
class StreamHasher
{
public:
    static constexpr qint64 PartSize = 8 * 1024 * 1024;

    StreamHasher();
    ~StreamHasher();
    StreamHasher(const StreamHasher &) = delete;
    StreamHasher &operator=(const StreamHasher &) = delete;

    void addData(const char *data, qint64 size);
    void addData(QByteArrayView data) { addData(data.data(), data.size()); }
    ContentDigest finish();

private:
    struct CtxDeleter
    {
        void operator()(EVP_MD_CTX *ctx) const;
    };
    using Ctx = std::unique_ptr<EVP_MD_CTX, CtxDeleter>;

    void start();
    void closePart();

    Ctx m_sha256;
    Ctx m_md5; // whole content
    Ctx m_part; // current part, from the second part on (the first is copied from m_md5)
    Ctx m_partsMd5; // MD5 over the binary MD5s of the closed parts
    qint64 m_size = 0;
    qint64 m_partFill = 0;
    qint64 m_partCount = 0;
};

// Digests of a file's content; *ok (if given) tells whether the file could be read completely.
ContentDigest digestFile(const QString &path, bool *ok);

} // namespace qfc
