#include "httpclient.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QHttpMultiPart>
#include <QNetworkReply>
#include <QTest>
#include <QTimer>
#include <QUrlQuery>

namespace qfc::test {

QByteArray Reply::header(const QByteArray &name) const
{
    for (const auto &h : headers)
        if (h.first.compare(name, Qt::CaseInsensitive) == 0)
            return h.second;
    return {};
}

HttpClient::HttpClient(QUrl base) : m_base(std::move(base))
{
    m_nam.setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
}

QUrl HttpClient::url(const QString &path) const
{
    if (path.startsWith(u"http://") || path.startsWith(u"https://"))
        return QUrl(path);
    return QUrl(m_base.toString() + path);
}

Reply HttpClient::send(const QByteArray &method, const QString &path, const QByteArray &body,
                       const QByteArray &contentType, const Headers &headers)
{
    QNetworkRequest request(url(path));
    request.setRawHeader("User-Agent", m_userAgent);
    if (!m_token.isEmpty())
        request.setRawHeader("Authorization", "Token " + m_token.toLatin1());
    if (!contentType.isEmpty())
        request.setHeader(QNetworkRequest::ContentTypeHeader, contentType);
    for (const auto &h : headers)
        request.setRawHeader(h.first, h.second);
    // HEAD through head(): a custom "HEAD" verb would make QNAM wait for a body.
    QNetworkReply *reply =
        method == "HEAD" ? m_nam.head(request) : m_nam.sendCustomRequest(request, method, body);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(120000, &loop, &QEventLoop::quit);
    loop.exec();
    Reply r;
    if (!reply->isFinished()) {
        reply->abort();
        r.networkError = u"timeout"_qs;
    }
    r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    r.headers = reply->rawHeaderPairs();
    r.body = reply->readAll();
    if (reply->error() != QNetworkReply::NoError && r.status == 0)
        r.networkError = reply->errorString();
    reply->deleteLater();
    return r;
}

Reply HttpClient::postMultipart(const QString &path, const QList<Part> &parts,
                                const Headers &headers)
{
    auto *multi = new QHttpMultiPart(QHttpMultiPart::FormDataType);
    for (const Part &p : parts) {
        QHttpPart part;
        QByteArray disposition = "form-data; name=\"" + p.name + '"';
        if (!p.fileName.isEmpty())
            disposition += "; filename=\"" + p.fileName + '"';
        part.setHeader(QNetworkRequest::ContentDispositionHeader, disposition);
        if (!p.contentType.isEmpty())
            part.setHeader(QNetworkRequest::ContentTypeHeader, p.contentType);
        if (p.device)
            part.setBodyDevice(p.device);
        else
            part.setBody(p.data);
        multi->append(part);
    }
    QNetworkRequest request(url(path));
    request.setRawHeader("User-Agent", m_userAgent);
    if (!m_token.isEmpty())
        request.setRawHeader("Authorization", "Token " + m_token.toLatin1());
    for (const auto &h : headers)
        request.setRawHeader(h.first, h.second);
    QNetworkReply *reply = m_nam.post(request, multi);
    multi->setParent(reply);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    loop.exec();
    Reply r;
    r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    r.headers = reply->rawHeaderPairs();
    r.body = reply->readAll();
    if (reply->error() != QNetworkReply::NoError && r.status == 0)
        r.networkError = reply->errorString();
    reply->deleteLater();
    return r;
}

Reply HttpClient::uploadFile(const QString &path, const QByteArray &content,
                             const QByteArray &fileName)
{
    return postMultipart(path,
                         {{"text", {}, "{}", nullptr, {}},
                          {"file", fileName, content, nullptr, "application/json"}});
}

Reply HttpClient::get(const QString &path, const Headers &headers)
{
    return send("GET", path, {}, {}, headers);
}

Reply HttpClient::head(const QString &path, const Headers &headers)
{
    return send("HEAD", path, {}, {}, headers);
}

Reply HttpClient::del(const QString &path, const Headers &headers)
{
    return send("DELETE", path, {}, {}, headers);
}

Reply HttpClient::postJson(const QString &path, const QJsonObject &body, const Headers &headers)
{
    return send("POST", path, QJsonDocument(body).toJson(QJsonDocument::Compact),
                "application/json", headers);
}

Reply HttpClient::postForm(const QString &path, const QList<QPair<QString, QString>> &fields,
                           const Headers &headers)
{
    QUrlQuery q;
    for (const auto &f : fields)
        q.addQueryItem(QString::fromLatin1(QUrl::toPercentEncoding(f.first)),
                       QString::fromLatin1(QUrl::toPercentEncoding(f.second)));
    return send("POST", path, q.toString(QUrl::FullyEncoded).toLatin1(),
                "application/x-www-form-urlencoded", headers);
}

QJsonObject HttpClient::waitForJob(const QString &jobId, int timeoutMs, int pollMs)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeoutMs) {
        const QJsonObject job = get(u"jobs/"_qs + jobId + u'/').object();
        const QString status = job[u"status"_qs].toString();
        if (status == u"finished" || status == u"failed")
            return job;
        QTest::qWait(pollMs);
    }
    return {};
}

} // namespace qfc::test
