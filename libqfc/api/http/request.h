#pragma once

#include "core/hashing.h"
#include "headers.h"

#include <QElapsedTimer>
#include <QHash>
#include <QHostAddress>
#include <QString>
#include <QUrl>
#include <QUrlQuery>

#include <memory>

namespace qfc::http {

// A file part of a multipart body, streamed by the connection layer to a temporary file in the
// data directory while it was received and hashed on the way. The temporary file is removed when
// the last Request referring to it goes away, unless a store took it over (`release()`).
class UploadedFile
{
public:
    UploadedFile(QString fieldName, QString fileName, QString tempPath, ContentDigest digest);
    ~UploadedFile();
    UploadedFile(const UploadedFile &) = delete;
    UploadedFile &operator=(const UploadedFile &) = delete;

    const QString &fieldName() const { return m_fieldName; }
    const QString &fileName() const { return m_fileName; } // as the client sent it; informative
    const QString &tempPath() const { return m_tempPath; }
    const ContentDigest &digest() const { return m_digest; }
    // The caller now owns the temporary file (e.g. renamed it into the store).
    void release() { m_released = true; }

private:
    QString m_fieldName;
    QString m_fileName;
    QString m_tempPath;
    ContentDigest m_digest;
    bool m_released = false;
};

// One parsed HTTP request as the handlers see it. Built by the connection layer; the handlers
// never see sockets.
struct Request
{
    QByteArray method; // upper case; HEAD is routed as GET with `isHead` set
    bool isHead = false;
    QByteArray target; // the raw request target
    QString path; // percent-decoded path
    QUrlQuery query; // fully decoded query
    Headers headers;
    QByteArray body; // ordinary bodies (bounded by server/max_body_bytes)
    // Multipart bodies: the small fields in memory, the file parts as temporary files.
    QList<QPair<QString, QByteArray>> formFields;
    QList<std::shared_ptr<UploadedFile>> files;
    bool isMultipart = false;

    QHostAddress peerAddress; // the TCP peer
    QHostAddress clientAddress; // the client, after trusted proxies
    bool secure = false; // the connection to the client's side was TLS
    QUrl baseUrl; // externally visible scheme://host[:port][/prefix], no trailing /
    QString requestId;
    QHash<QString, QString> params; // route parameters
    QElapsedTimer received;

    QByteArray header(const QByteArray &name) const { return headers.value(name); }
    // The externally visible absolute URL of this request's path with `query`.
    QUrl absoluteUrl(const QUrlQuery &newQuery) const;
};

} // namespace qfc::http
