#pragma once

#include <QByteArray>
#include <QIODevice>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QNetworkAccessManager>
#include <QPair>
#include <QUrl>

namespace qfc::test {

// What a client saw.
struct Reply
{
    int status = 0;
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;
    QString networkError;

    QByteArray header(const QByteArray &name) const;
    QJsonObject object() const { return QJsonDocument::fromJson(body).object(); }
    QJsonArray array() const { return QJsonDocument::fromJson(body).array(); }
    QString code() const { return object().value(u"code"_qs).toString(); }
};

// A synchronous HTTP client over QNetworkAccessManager (runs a local event loop per request).
class HttpClient
{
public:
    explicit HttpClient(QUrl base);

    // Sent with every request unless overridden per call.
    void setToken(const QString &token) { m_token = token; }
    void setUserAgent(const QByteArray &ua) { m_userAgent = ua; }

    using Headers = QList<QPair<QByteArray, QByteArray>>;
    Reply get(const QString &path, const Headers &headers = {});
    Reply head(const QString &path, const Headers &headers = {});
    Reply del(const QString &path, const Headers &headers = {});
    Reply postJson(const QString &path, const QJsonObject &body, const Headers &headers = {});
    Reply postForm(const QString &path, const QList<QPair<QString, QString>> &fields,
                   const Headers &headers = {});
    Reply send(const QByteArray &method, const QString &path, const QByteArray &body,
               const QByteArray &contentType, const Headers &headers = {});

    // One part of a multipart/form-data body; `device` (streamed) wins over `data`.
    struct Part
    {
        QByteArray name;
        QByteArray fileName; // empty: a plain field
        QByteArray data;
        QIODevice *device = nullptr;
        QByteArray contentType;
    };
    // Builds the body with QHttpMultiPart, as QField does.
    Reply postMultipart(const QString &path, const QList<Part> &parts, const Headers &headers = {});
    // QField's file upload: a "text" part "{}" and the "file" part with a device path as its name.
    Reply uploadFile(const QString &path, const QByteArray &content,
                     const QByteArray &fileName = "/storage/emulated/0/QField/file");

    QUrl url(const QString &path) const;

    // Polls GET jobs/<jobId>/ every `pollMs` until the job is finished or failed; the job, or
    // an empty object after `timeoutMs`.
    QJsonObject waitForJob(const QString &jobId, int timeoutMs, int pollMs = 200);

private:
    QNetworkAccessManager m_nam;
    QUrl m_base;
    QString m_token;
    QByteArray m_userAgent = "qfc-tests";
};

} // namespace qfc::test
