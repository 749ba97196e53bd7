#include "core/hashing.h"

#include <QFile>

#include <algorithm>
#include <openssl/evp.h>

namespace qfc {

namespace {

QString hexFinal(EVP_MD_CTX *ctx)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(ctx, digest, &length);
    return QString::fromLatin1(
        QByteArray::fromRawData(reinterpret_cast<const char *>(digest), length).toHex());
}

} // namespace

void StreamHasher::CtxDeleter::operator()(EVP_MD_CTX *ctx) const
{
    EVP_MD_CTX_free(ctx);
}

StreamHasher::StreamHasher()
    : m_sha256(EVP_MD_CTX_new())
    , m_md5(EVP_MD_CTX_new())
    , m_part(EVP_MD_CTX_new())
    , m_partsMd5(EVP_MD_CTX_new())
{
    start();
}

StreamHasher::~StreamHasher() = default;

void StreamHasher::start()
{
    EVP_DigestInit_ex(m_sha256.get(), EVP_sha256(), nullptr);
    EVP_DigestInit_ex(m_md5.get(), EVP_md5(), nullptr);
    EVP_DigestInit_ex(m_part.get(), EVP_md5(), nullptr);
    EVP_DigestInit_ex(m_partsMd5.get(), EVP_md5(), nullptr);
    m_size = 0;
    m_partFill = 0;
    m_partCount = 0;
}

void StreamHasher::addData(const char *data, qint64 size)
{
    // Split at part boundaries, so that a part can be closed exactly where it ends.
    while (size > 0) {
        const qint64 take = std::min(size, PartSize - m_partFill);
        EVP_DigestUpdate(m_sha256.get(), data, size_t(take));
        EVP_DigestUpdate(m_md5.get(), data, size_t(take));
        if (m_partCount > 0)
            EVP_DigestUpdate(m_part.get(), data, size_t(take));
        m_size += take;
        m_partFill += take;
        data += take;
        size -= take;
        if (m_partFill == PartSize)
            closePart();
    }
}

void StreamHasher::closePart()
{
    // The first part is the whole content so far: take its MD5 from a copy of m_md5 instead of
    // hashing it twice (contents up to one part never need a second MD5).
    if (m_partCount == 0)
        EVP_MD_CTX_copy_ex(m_part.get(), m_md5.get());
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(m_part.get(), digest, &length);
    EVP_DigestUpdate(m_partsMd5.get(), digest, length);
    EVP_DigestInit_ex(m_part.get(), EVP_md5(), nullptr);
    ++m_partCount;
    m_partFill = 0;
}

ContentDigest StreamHasher::finish()
{
    ContentDigest result;
    result.size = m_size;
    result.sha256 = hexFinal(m_sha256.get());
    result.md5 = hexFinal(m_md5.get());
    if (m_size <= PartSize) {
        result.etag = result.md5;
    } else {
        if (m_partFill > 0)
            closePart();
        result.etag = hexFinal(m_partsMd5.get()) + u'-' + QString::number(m_partCount);
    }
    start();
    return result;
}

ContentDigest digestFile(const QString &path, bool *ok)
{
    QFile file(path);
    StreamHasher hasher;
    bool complete = file.open(QIODevice::ReadOnly);
    if (complete) {
        QByteArray buffer(1024 * 1024, Qt::Uninitialized);
        qint64 n = 0;
        while ((n = file.read(buffer.data(), buffer.size())) > 0)
            hasher.addData(buffer.constData(), n);
        complete = n == 0;
    }
    if (ok)
        *ok = complete;
    return complete ? hasher.finish() : ContentDigest{};
}

} // namespace qfc
