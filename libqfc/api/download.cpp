#include "download.h"

#include "core/apierror.h"
#include "files/filestore.h"

#include <QFileInfo>
#include <QRegularExpression>
#include <QUrl>

namespace qfc::api {

namespace {

bool etagMatches(const QByteArray &ifNoneMatch, const QString &etag)
{
    const QList<QByteArray> candidates = ifNoneMatch.split(',');
    for (QByteArray c : candidates) {
        c = c.trimmed();
        if (c == "*")
            return true;
        if (c.startsWith("W/"))
            c = c.mid(2);
        if (c.size() >= 2 && c.startsWith('"') && c.endsWith('"'))
            c = c.mid(1, c.size() - 2);
        if (!c.isEmpty() && QString::fromLatin1(c) == etag)
            return true;
    }
    return false;
}

QByteArray contentDisposition(const QString &fileName)
{
    const QString base = QFileInfo(fileName).fileName();
    QString ascii;
    bool plain = true;
    for (QChar c : base) {
        if (c.unicode() < 0x20 || c.unicode() > 0x7e) {
            plain = false;
            ascii += u'_';
        } else if (c == u'"' || c == u'\\') {
            ascii += u'_';
        } else {
            ascii += c;
        }
    }
    QByteArray v = "attachment; filename=\"" + ascii.toLatin1() + '"';
    if (!plain)
        v += "; filename*=UTF-8''" + QUrl::toPercentEncoding(base);
    return v;
}

} // namespace

http::Response serveBlob(const http::Request &request, files::FileStore &store, const Blob &blob,
                         const QString &fileName, const QByteArray &contentType)
{
    http::Response r;
    r.headers.set("ETag", '"' + blob.etag.toLatin1() + '"');
    r.headers.set("Accept-Ranges", "bytes");
    if (!fileName.isEmpty())
        r.headers.set("Content-Disposition", contentDisposition(fileName));
    const QByteArray ifNoneMatch = request.header("If-None-Match");
    if (!ifNoneMatch.isEmpty() && etagMatches(ifNoneMatch, blob.etag)) {
        r.status = 304;
        return r;
    }
    qint64 start = 0;
    qint64 end = blob.size - 1;
    const QByteArray range = request.header("Range");
    if (!range.isEmpty()) {
        // bytes=<start>- or bytes=<start>-<end>: one range, no spaces, no suffix form; valid when
        // start < size and start < end < size (§1.9).
        static const QRegularExpression re(u"^bytes=(\\d{1,19})-(\\d{0,19})$"_qs);
        const auto m = re.match(QString::fromLatin1(range));
        if (!m.hasMatch())
            throw ApiError::invalidHttpRange();
        bool ok = false;
        start = m.captured(1).toLongLong(&ok);
        if (!ok || start >= blob.size)
            throw ApiError::invalidHttpRange();
        if (!m.captured(2).isEmpty()) {
            end = m.captured(2).toLongLong(&ok);
            if (!ok || end <= start || end >= blob.size)
                throw ApiError::invalidHttpRange();
        }
        r.status = 206;
        r.headers.set("Content-Range",
                      QByteArray("bytes ") + QByteArray::number(start) + '-'
                          + QByteArray::number(end) + '/' + QByteArray::number(blob.size));
    }
    r.headers.set("Content-Type", contentType);
    std::unique_ptr<QIODevice> device = store.open(blob.sha256);
    if (!device)
        throw ApiError::objectNotFound();
    if (start > 0 && !device->seek(start))
        throw ApiError::unknown();
    r.stream = std::move(device);
    r.streamLength = blob.size == 0 ? 0 : end - start + 1;
    return r;
}

} // namespace qfc::api
