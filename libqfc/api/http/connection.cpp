#include "connection.h"

#include "core/apierror.h"
#include "core/logging.h"
#include "platform/socket.h"
#include "server.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QSslSocket>
#include <QStringDecoder>
#include <QTcpSocket>

namespace qfc::http {

namespace {

constexpr qint64 kReadChunk = 256 * 1024; // bytes read from the socket at a time
constexpr qint64 kSocketBuffer = 256 * 1024; // the socket's own read buffer
constexpr qint64 kWriteHighWater = 1 << 20; // stop feeding a stream above this backlog
constexpr int kLingerMs = 5000; // lingering close after an early response
constexpr qint64 kLingerDiscardLimit = 64 << 20;

QByteArray httpDate()
{
    return QLocale::c()
        .toString(QDateTime::currentDateTimeUtc(), u"ddd, dd MMM yyyy HH:mm:ss 'GMT'"_qs)
        .toLatin1();
}

QByteArray newRequestId()
{
    const quint64 a = QRandomGenerator::global()->generate64();
    return QByteArray::number(a, 16).rightJustified(16, '0');
}

bool isToken(const QByteArray &s)
{
    if (s.isEmpty())
        return false;
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 32 || u >= 127 || std::strchr("()<>@,;:\\\"/[]?={}", c))
            return false;
    }
    return true;
}

// A Host header value we are willing to put into absolute URLs.
bool isSaneHost(const QByteArray &host)
{
    if (host.isEmpty() || host.size() > 255)
        return false;
    for (char c : host) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || std::strchr("-.:[]_", c)))
            return false;
    }
    return true;
}

} // namespace

QUrl Request::absoluteUrl(const QUrlQuery &newQuery) const
{
    QUrl url = baseUrl;
    url.setPath(baseUrl.path() + path);
    url.setQuery(newQuery);
    return url;
}

Connection::Connection(Server *server, qintptr descriptor, QObject *parent)
    : QObject(parent), m_server(server), m_descriptor(descriptor)
{
    const auto &opts = server->options();
    if (opts.tls) {
        auto *ssl = new QSslSocket(this);
        ssl->setSslConfiguration(*opts.tls);
        m_socket = ssl;
    } else {
        m_socket = new QTcpSocket(this);
    }
    m_socket->setReadBufferSize(kSocketBuffer);
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &Connection::onTimeout);
    connect(m_socket, &QTcpSocket::readyRead, this, &Connection::onReadyRead);
    connect(m_socket, &QTcpSocket::bytesWritten, this, &Connection::onBytesWritten);
    connect(m_socket, &QTcpSocket::disconnected, this, [this] {
        // A running handler finishes on its own; its response is then dropped.
        if (m_state != State::Handling)
            closeNow();
        else
            m_state = State::Closed;
    });
    if (!m_socket->setSocketDescriptor(descriptor)) {
        qCWarning(lcHttp) << "cannot adopt connection:" << m_socket->errorString();
        m_descriptor = -1;
        QMetaObject::invokeMethod(this, &Connection::closeNow, Qt::QueuedConnection);
        return;
    }
    ++m_server->m_openConnections;
    if (auto *ssl = qobject_cast<QSslSocket *>(m_socket)) {
        connect(ssl, &QSslSocket::sslErrors, this, [this](const QList<QSslError> &errors) {
            qCInfo(lcHttp) << "TLS handshake failed:" << errors;
            closeNow();
        });
        ssl->startServerEncryption();
    }
    armTimer(opts.idleTimeoutMs);
}

Connection::~Connection()
{
    if (m_socket && m_socket->state() != QAbstractSocket::UnconnectedState)
        m_socket->abort();
}

void Connection::armTimer(int ms)
{
    m_timer.start(ms);
}

void Connection::onTimeout()
{
    switch (m_state) {
    case State::Head:
        if (m_idle && m_buffer.isEmpty()) {
            closeNow(); // an idle kept-alive connection
            return;
        }
        fail(408, "api_error", "Request Timeout");
        return;
    case State::Body:
        fail(408, "api_error", "Request Timeout");
        return;
    case State::Writing:
        qCInfo(lcHttp) << "client stopped reading; closing" << m_request->requestId;
        closeNow();
        return;
    case State::Lingering:
        closeNow();
        return;
    case State::Handling:
    case State::Closed:
        return;
    }
}

void Connection::onReadyRead()
{
    if (m_state == State::Lingering) {
        // Discard what the client still sends after an early error response.
        m_buffer.clear();
        char scratch[16384];
        while (m_socket->bytesAvailable() > 0)
            m_lingerDiscarded += std::max<qint64>(0, m_socket->read(scratch, sizeof scratch));
        if (m_lingerClock.elapsed() > kLingerMs || m_lingerDiscarded > kLingerDiscardLimit)
            closeNow();
        return;
    }
    if (m_state == State::Head || m_state == State::Body)
        process();
}

void Connection::process()
{
    while (m_state == State::Head || m_state == State::Body) {
        if (m_state == State::Head) {
            if (!takeHead())
                return; // need more bytes, or failed
            if (!beginBody())
                return;
        }
        if (m_state == State::Body && !readBody())
            return;
    }
}

// Accumulates bytes until the end of the head; parses it.
bool Connection::takeHead()
{
    const qint64 maxHead = m_server->options().maxHeaderBytes;
    for (;;) {
        // Tolerate empty lines before a request line (RFC 9112 §2.2).
        while (m_buffer.startsWith("\r\n"))
            m_buffer.remove(0, 2);
        while (m_buffer.startsWith('\n'))
            m_buffer.remove(0, 1);
        qsizetype end = m_buffer.indexOf("\r\n\r\n");
        qsizetype sepLen = 4;
        if (end < 0) {
            end = m_buffer.indexOf("\n\n");
            sepLen = 2;
        }
        if (end >= 0) {
            if (end > maxHead) {
                fail(431, "api_error", "Request Header Fields Too Large");
                return false;
            }
            const QByteArray head = m_buffer.left(end);
            m_buffer.remove(0, end + sepLen);
            return parseHead(head);
        }
        if (m_buffer.size() > maxHead) {
            fail(431, "api_error", "Request Header Fields Too Large");
            return false;
        }
        const qint64 want = std::min<qint64>(kReadChunk, maxHead + 4 - m_buffer.size());
        const QByteArray more = m_socket->read(std::max<qint64>(want, 1));
        if (more.isEmpty())
            return false;
        if (m_idle) {
            m_idle = false;
            armTimer(m_server->options().readTimeoutMs);
        }
        m_buffer.append(more);
    }
}

bool Connection::parseHead(const QByteArray &head)
{
    m_request = std::make_shared<Request>();
    Request &r = *m_request;
    r.received.start();
    r.peerAddress = m_socket->peerAddress();
    r.secure = qobject_cast<QSslSocket *>(m_socket) != nullptr;
    r.requestId = QString::fromLatin1(newRequestId());

    const QList<QByteArray> lines = head.split('\n');
    const QByteArray requestLine = lines.value(0).trimmed();
    const QList<QByteArray> parts = requestLine.split(' ');
    if (parts.size() != 3 || !isToken(parts[0])) {
        fail(400, "api_error", "Bad Request");
        return false;
    }
    r.method = parts[0];
    r.target = parts[1];
    const QByteArray version = parts[2];
    if (version != "HTTP/1.1" && version != "HTTP/1.0") {
        fail(505, "api_error", "HTTP Version Not Supported");
        return false;
    }
    for (qsizetype i = 1; i < lines.size(); ++i) {
        QByteArray line = lines[i];
        if (line.endsWith('\r'))
            line.chop(1);
        if (line.isEmpty())
            continue;
        if (line.startsWith(' ') || line.startsWith('\t')) { // obsolete line folding
            fail(400, "api_error", "Bad Request");
            return false;
        }
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0 || !isToken(line.left(colon))) {
            fail(400, "api_error", "Bad Request");
            return false;
        }
        r.headers.add(line.left(colon), line.mid(colon + 1).trimmed());
    }

    const QByteArray connection = r.header("Connection").toLower();
    m_keepAlive =
        version == "HTTP/1.1" ? !connection.contains("close") : connection.contains("keep-alive");

    // Target: origin-form, or absolute-form from a proxy.
    QByteArray target = r.target;
    if (target.startsWith("http://") || target.startsWith("https://")) {
        const qsizetype slash = target.indexOf('/', target.indexOf("//") + 2);
        target = slash < 0 ? QByteArray("/") : target.mid(slash);
    }
    if (!target.startsWith('/')) {
        fail(400, "api_error", "Bad Request");
        return false;
    }
    const qsizetype q = target.indexOf('?');
    const QByteArray rawPath = q < 0 ? target : target.left(q);
    QByteArray rawQuery = q < 0 ? QByteArray() : target.mid(q + 1);
    const qsizetype hash = rawQuery.indexOf('#');
    if (hash >= 0)
        rawQuery.truncate(hash);
    auto decoder = QStringDecoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    r.path = decoder(QByteArray::fromPercentEncoding(rawPath));
    if (decoder.hasError()) {
        fail(400, "api_error", "Bad Request");
        return false;
    }
    // Query strings are form-encoded: '+' is a space there (not in the path).
    rawQuery.replace('+', "%20");
    r.query = QUrlQuery(QString::fromUtf8(rawQuery));

    computeAddresses();

    if (r.method == "HEAD") {
        r.isHead = true;
        r.method = "GET";
    }
    return true;
}

void Connection::computeAddresses()
{
    Request &r = *m_request;
    const auto &opts = m_server->options();
    auto trusted = [&](const QHostAddress &a) {
        for (const Subnet &s : opts.trustedProxies)
            if (s.contains(a))
                return true;
        return false;
    };
    r.clientAddress = r.peerAddress;
    const bool viaProxy = trusted(r.peerAddress);
    if (viaProxy) {
        // The right-most address that is not one of our proxies.
        const QList<QByteArray> hops = r.header("X-Forwarded-For").split(',');
        for (auto it = hops.crbegin(); it != hops.crend(); ++it) {
            QHostAddress a;
            if (!a.setAddress(QString::fromLatin1(it->trimmed())))
                break;
            r.clientAddress = a;
            if (!trusted(a))
                break;
        }
        const QByteArray rid = r.header("X-Request-Id");
        if (!rid.isEmpty() && rid.size() <= 64 && isToken(rid))
            r.requestId = QString::fromLatin1(rid);
    }
    if (!opts.publicUrl.isEmpty()) {
        r.baseUrl = opts.publicUrl.adjusted(QUrl::StripTrailingSlash);
        return;
    }
    QByteArray scheme = r.secure ? "https" : "http";
    QByteArray host = r.header("Host");
    if (viaProxy) {
        const QByteArray fproto = r.header("X-Forwarded-Proto").split(',').first().trimmed();
        if (fproto == "http" || fproto == "https")
            scheme = fproto;
        const QByteArray fhost = r.header("X-Forwarded-Host").split(',').first().trimmed();
        if (isSaneHost(fhost))
            host = fhost;
    }
    if (!isSaneHost(host)) {
        const QHostAddress local = m_socket->localAddress();
        host = (local.protocol() == QAbstractSocket::IPv6Protocol
                    ? '[' + local.toString().toLatin1() + ']'
                    : local.toString().toLatin1())
            + ':' + QByteArray::number(m_socket->localPort());
    }
    r.baseUrl = QUrl(QString::fromLatin1(scheme + "://" + host));
}

bool Connection::beginBody()
{
    Request &r = *m_request;
    const BodyPolicy policy = m_server->service()->bodyPolicy(r.method, r.path);

    const QByteArray te = r.header("Transfer-Encoding").toLower();
    const QByteArray cl = r.header("Content-Length");
    m_chunked = false;
    m_contentRemaining = 0;
    if (!te.isEmpty()) {
        if (te != "chunked" || !cl.isEmpty()) {
            fail(400, "api_error", "Bad Request");
            return false;
        }
        m_chunked = true;
        m_chunkState = ChunkState::Size;
    } else if (!cl.isEmpty()) {
        bool ok = false;
        m_contentRemaining = cl.toLongLong(&ok);
        if (!ok || m_contentRemaining < 0 || r.headers.values("Content-Length").size() > 1) {
            fail(400, "api_error", "Bad Request");
            return false;
        }
    }

    // Multipart bodies are parsed as they arrive: on upload routes up to the large limit with
    // their file parts on disk, elsewhere within the ordinary limit.
    const QByteArray boundary = MultipartParser::boundaryFromContentType(r.header("Content-Type"));
    const bool streamed = !boundary.isEmpty() && policy.multipartLimit > 0;
    m_bodyLimit = streamed ? policy.multipartLimit : policy.memoryLimit;
    m_bodyReceived = 0;
    if (m_contentRemaining > m_bodyLimit) {
        fail(413, "payload_too_large", "Request body too large");
        return false;
    }
    const bool hasBody = m_chunked || m_contentRemaining > 0;
    if (boundary.isEmpty())
        m_sink = std::make_unique<MemorySink>(policy.memoryLimit);
    else
        m_sink = std::make_unique<MultipartSink>(boundary, m_server->options().spoolDir,
                                                 streamed ? policy.fileFields : QByteArrayList(),
                                                 policy.memoryLimit);
    if (hasBody && r.header("Expect").toLower() == "100-continue")
        m_socket->write("HTTP/1.1 100 Continue\r\n\r\n");
    m_state = State::Body;
    armTimer(m_server->options().readTimeoutMs);
    return true;
}

bool Connection::feedBody(const char *data, qint64 size)
{
    m_bodyReceived += size;
    if (m_bodyReceived > m_bodyLimit) {
        fail(413, "payload_too_large", "Request body too large");
        return false;
    }
    if (!m_sink->write(data, size)) {
        switch (m_sink->failure()) {
        case BodySink::Failure::TooLarge:
            fail(413, "payload_too_large", "Request body too large");
            break;
        case BodySink::Failure::Storage:
            fail(507, "insufficient_storage", "The server cannot store this request body.");
            break;
        default:
            fail(400, "api_error", "API Error");
            break;
        }
        return false;
    }
    return true;
}

// Moves body bytes from the buffer and the socket into the sink; true when the request is
// complete and was handed on, false when more bytes are needed or the request failed.
bool Connection::readBody()
{
    if (m_chunked) {
        if (!readChunked())
            return false;
    } else {
        while (m_contentRemaining > 0) {
            if (m_buffer.isEmpty()) {
                m_buffer = m_socket->read(std::min(m_contentRemaining, kReadChunk));
                if (m_buffer.isEmpty())
                    return false;
                armTimer(m_server->options().readTimeoutMs);
            }
            const qint64 n = std::min<qint64>(m_contentRemaining, m_buffer.size());
            if (!feedBody(m_buffer.constData(), n))
                return false;
            m_buffer.remove(0, n);
            m_contentRemaining -= n;
        }
    }
    if (!m_sink->finish()) {
        fail(m_sink->failure() == BodySink::Failure::Storage ? 507 : 400, "api_error", "API Error");
        return false;
    }
    bodyComplete();
    return false; // the request is now with a handler
}

bool Connection::readChunked()
{
    for (;;) {
        if (m_chunkState == ChunkState::Data) {
            while (m_chunkRemaining > 0) {
                if (m_buffer.isEmpty()) {
                    m_buffer = m_socket->read(std::min(m_chunkRemaining, kReadChunk));
                    if (m_buffer.isEmpty())
                        return false;
                    armTimer(m_server->options().readTimeoutMs);
                }
                const qint64 n = std::min<qint64>(m_chunkRemaining, m_buffer.size());
                if (!feedBody(m_buffer.constData(), n))
                    return false;
                m_buffer.remove(0, n);
                m_chunkRemaining -= n;
            }
            m_chunkState = ChunkState::DataEnd;
        }
        // Line-oriented states: chunk size, the CRLF after data, trailers.
        qsizetype nl = m_buffer.indexOf('\n');
        while (nl < 0) {
            if (m_buffer.size() > 4096) {
                fail(400, "api_error", "Bad Request");
                return false;
            }
            const QByteArray more = m_socket->read(kReadChunk);
            if (more.isEmpty())
                return false;
            armTimer(m_server->options().readTimeoutMs);
            m_buffer.append(more);
            nl = m_buffer.indexOf('\n');
        }
        QByteArray line = m_buffer.left(nl);
        m_buffer.remove(0, nl + 1);
        if (line.endsWith('\r'))
            line.chop(1);
        switch (m_chunkState) {
        case ChunkState::Size: {
            const qsizetype semi = line.indexOf(';');
            bool ok = false;
            const QByteArray hex = (semi < 0 ? line : line.left(semi)).trimmed();
            m_chunkRemaining = hex.size() <= 15 ? hex.toLongLong(&ok, 16) : -1;
            if (!ok || m_chunkRemaining < 0) {
                fail(400, "api_error", "Bad Request");
                return false;
            }
            m_chunkState = m_chunkRemaining == 0 ? ChunkState::Trailer : ChunkState::Data;
            break;
        }
        case ChunkState::DataEnd:
            if (!line.isEmpty()) {
                fail(400, "api_error", "Bad Request");
                return false;
            }
            m_chunkState = ChunkState::Size;
            break;
        case ChunkState::Trailer:
            if (line.isEmpty())
                return true; // end of the chunked body; trailers are ignored
            break;
        case ChunkState::Data:
            break;
        }
    }
}

void Connection::bodyComplete()
{
    m_sink->moveInto(*m_request);
    m_sink.reset();
    m_state = State::Handling;
    m_timer.stop();
    QPointer<Connection> self(this);
    std::shared_ptr<Request> request = m_request;
    Service *service = m_server->service();
    QObject *home = parent();
    QThread *ioThread = thread();
    m_server->handlerPool()->start([self, request, service, home, ioThread] {
        Response response;
        try {
            response = service->handle(*request);
        } catch (const ApiError &e) {
            response = Response::error(e);
        } catch (const std::exception &e) {
            qCCritical(lcHttp) << "unhandled error in request" << request->requestId << e.what();
            response = Response::error(ApiError::unknown());
        }
        if (response.stream)
            response.stream->moveToThread(ioThread);
        auto holder = std::make_shared<Response>(std::move(response));
        QMetaObject::invokeMethod(
            home,
            [self, holder] {
                if (self)
                    self->deliver(std::move(*holder));
            },
            Qt::QueuedConnection);
    });
}

void Connection::deliver(Response response)
{
    if (m_state == State::Closed) {
        closeNow();
        return;
    }
    writeResponse(std::move(response));
}

void Connection::writeResponse(Response response)
{
    Request &r = *m_request;
    m_state = State::Writing;
    m_status = response.status;
    m_bytesOut = 0;
    const bool bodyless = response.status == 204 || response.status == 304
        || (response.status >= 100 && response.status < 200);
    const qint64 length = bodyless ? 0
        : response.stream          ? response.streamLength
                                   : response.body.size();
    if (m_closeAfterResponse)
        m_keepAlive = false;

    QByteArray head;
    head.reserve(512);
    head += "HTTP/1.1 " + QByteArray::number(response.status) + ' ' + reasonPhrase(response.status)
        + "\r\n";
    for (const auto &f : response.headers.fields())
        head += f.first + ": " + f.second + "\r\n";
    if (!bodyless)
        head += "Content-Length: " + QByteArray::number(length) + "\r\n";
    // The common headers of every response (spec/api.md §1.9a for Cache-Control on JSON).
    if (response.isJson() && !response.headers.contains("Cache-Control"))
        head += "Cache-Control: no-store\r\n";
    head += "X-Content-Type-Options: nosniff\r\n";
    head += "X-Request-Id: " + r.requestId.toLatin1() + "\r\n";
    head += "Date: " + httpDate() + "\r\n";
    head += "Server: " + m_server->options().serverHeader + "\r\n";
    if (!m_keepAlive)
        head += "Connection: close\r\n";
    head += "\r\n";
    m_socket->write(head);
    if (r.isHead || bodyless || length == 0) {
        responseDone();
        return;
    }
    if (!response.stream) {
        m_socket->write(response.body);
        m_bytesOut = response.body.size();
        responseDone();
        return;
    }
    m_stream = std::move(response.stream);
    m_streamRemaining = length;
    armTimer(m_server->options().readTimeoutMs);
    pump();
}

void Connection::pump()
{
    if (m_state != State::Writing || !m_stream)
        return;
    while (m_streamRemaining > 0 && m_socket->bytesToWrite() < kWriteHighWater) {
        const QByteArray chunk = m_stream->read(std::min(m_streamRemaining, kReadChunk));
        if (chunk.isEmpty()) {
            qCCritical(lcHttp) << "stream ended early in request" << m_request->requestId
                               << m_stream->errorString();
            closeNow(); // the client sees a short body, never wrong bytes
            return;
        }
        m_socket->write(chunk);
        m_bytesOut += chunk.size();
        m_streamRemaining -= chunk.size();
        armTimer(m_server->options().readTimeoutMs);
    }
    if (m_streamRemaining == 0) {
        m_stream.reset();
        responseDone();
    }
}

void Connection::onBytesWritten()
{
    if (m_state == State::Writing && m_stream)
        pump();
    else if (m_state == State::Lingering && m_socket->bytesToWrite() == 0
             && !qobject_cast<QSslSocket *>(m_socket))
        platform::shutdownSend(m_socket->socketDescriptor());
}

void Connection::responseDone()
{
    Request &r = *m_request;
    if (m_server->options().accessLog) {
        const QByteArray ua = r.header("User-Agent").left(200);
        qCInfo(lcHttp).noquote() << QStringLiteral("%1 \"%2 %3\" %4 %5 %6ms rid=%7 ua=\"%8\"")
                                        .arg(r.clientAddress.toString(),
                                             QString::fromLatin1(r.isHead ? "HEAD" : r.method),
                                             QString::fromUtf8(r.target.left(500)))
                                        .arg(m_status)
                                        .arg(m_bytesOut)
                                        .arg(r.received.isValid() ? r.received.elapsed() : 0)
                                        .arg(r.requestId, QString::fromUtf8(ua));
    }
    m_request.reset();
    if (!m_keepAlive) {
        lingerOrClose();
        return;
    }
    m_state = State::Head;
    m_idle = true;
    armTimer(m_server->options().idleTimeoutMs);
    // The next request may already be buffered (pipelining).
    if (!m_buffer.isEmpty() || m_socket->bytesAvailable() > 0)
        QMetaObject::invokeMethod(this, &Connection::process, Qt::QueuedConnection);
}

// An error found before or while reading the body: answer, then close without reading the rest.
void Connection::fail(int status, const QByteArray &code, const QByteArray &message)
{
    m_sink.reset();
    if (!m_request) {
        m_request = std::make_shared<Request>();
        m_request->received.start();
        m_request->peerAddress = m_request->clientAddress = m_socket->peerAddress();
        m_request->requestId = QString::fromLatin1(newRequestId());
    }
    m_closeAfterResponse = true;
    const QJsonObject body{{u"code"_qs, QString::fromLatin1(code)},
                           {u"message"_qs, QString::fromUtf8(message)}};
    m_request->isHead = false;
    writeResponse(Response::json(body, status));
}

void Connection::lingerOrClose()
{
    if (m_socket->state() != QAbstractSocket::ConnectedState) {
        closeNow();
        return;
    }
    // Lingering close: stop sending once the response is out, keep discarding what the client
    // still sends for a while, so it reads our answer instead of a connection reset.
    m_state = State::Lingering;
    m_buffer.clear();
    m_lingerClock.start();
    armTimer(kLingerMs);
    if (qobject_cast<QSslSocket *>(m_socket)) {
        m_socket->disconnectFromHost();
        return;
    }
    if (m_socket->bytesToWrite() == 0)
        platform::shutdownSend(m_socket->socketDescriptor());
    onReadyRead();
}

void Connection::closeNow()
{
    if (m_state == State::Handling) {
        m_state = State::Closed;
        return;
    }
    if (m_state == State::Closed && !m_socket)
        return;
    m_state = State::Closed;
    m_timer.stop();
    m_stream.reset();
    m_sink.reset();
    if (m_socket) {
        if (m_socket->state() == QAbstractSocket::ConnectedState)
            m_socket->disconnectFromHost();
        if (m_socket->state() != QAbstractSocket::UnconnectedState)
            m_socket->abort();
        if (m_descriptor >= 0) {
            --m_server->m_openConnections;
            m_descriptor = -1;
        }
    }
    deleteLater();
}

} // namespace qfc::http
