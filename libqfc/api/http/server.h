#pragma once

#include "core/settings.h"
#include "service.h"

#include <QHostAddress>
#include <QObject>
#include <QSslConfiguration>
#include <QThreadPool>
#include <QUrl>

#include <atomic>
#include <memory>
#include <vector>

class QThread;

namespace qfc::http {

class Listener;
class ConnectionHost;

// QFC's HTTP/1.1 server: the connection layer in front of the routes.
//
// Why not QHttpServer 6.4 on the request path: it reads and buffers each whole request body
// before any code of ours runs (no head-first decision, no body limit, no streaming to disk),
// it owns the socket for all later requests of a kept-alive connection (so nothing in front of
// it can see their heads), and it runs handlers on its event-loop thread. This layer reads each
// request head first, answers 413/431 before reading a body, streams multipart bodies to disk
// while hashing them, runs handlers on a thread pool, and applies the request id, access log and
// common headers to every response — 404s, errors and streamed downloads included. Handlers only
// see qfc::http::Request/Response, so the engine below them can change without touching them.
class Server : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        QHostAddress address = QHostAddress::LocalHost;
        quint16 port = 0; // 0: an ephemeral port
        int ioThreads = 2;
        int handlerThreads = 4;
        qint64 maxHeaderBytes = 64 * 1024;
        int idleTimeoutMs = 75000;
        int readTimeoutMs = 120000;
        QString spoolDir; // temporary files of streamed uploads (on the data disk)
        QList<Subnet> trustedProxies;
        QUrl publicUrl;
        bool accessLog = true;
        std::optional<QSslConfiguration> tls;
        QByteArray serverHeader = "qfc";
    };

    Server(Options options, Service *service, QObject *parent = nullptr);
    ~Server() override;

    // Binds and starts serving; false with `error` set when the address cannot be bound.
    bool listen(QString *error);
    quint16 port() const;
    // Stops accepting, lets running handlers finish (up to `waitMs`), closes every connection.
    void close(int waitMs = 30000);

    const Options &options() const { return m_options; }
    Service *service() const { return m_service; }
    QThreadPool *handlerPool() { return &m_handlerPool; }
    // Connections currently open (tests and metrics).
    int openConnections() const { return m_openConnections.load(); }

private:
    friend class Listener;
    friend class Connection;
    void dispatchIncoming(qintptr descriptor);

    Options m_options;
    Service *m_service;
    QThreadPool m_handlerPool;
    Listener *m_listener = nullptr; // lives on m_acceptThread
    QThread *m_acceptThread = nullptr;
    std::vector<QThread *> m_ioThreads;
    std::vector<ConnectionHost *> m_hosts;
    size_t m_next = 0;
    std::atomic<int> m_openConnections{0};
};

} // namespace qfc::http
