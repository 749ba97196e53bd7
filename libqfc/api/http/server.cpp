#include "server.h"

#include "connection.h"
#include "core/logging.h"

#include <QDir>
#include <QTcpServer>
#include <QThread>

namespace qfc::http {

// Accepts connections and hands each descriptor to an I/O thread.
class Listener final : public QTcpServer
{
public:
    explicit Listener(Server *server) : m_server(server) { }

protected:
    void incomingConnection(qintptr descriptor) override { m_server->dispatchIncoming(descriptor); }

private:
    Server *m_server;
};

// Lives on one I/O thread and owns the connections created there.
class ConnectionHost final : public QObject
{
public:
    explicit ConnectionHost(Server *server) : m_server(server) { }
    void accept(qintptr descriptor) { new Connection(m_server, descriptor, this); }

private:
    Server *m_server;
};

Server::Server(Options options, Service *service, QObject *parent)
    : QObject(parent), m_options(std::move(options)), m_service(service)
{
    m_handlerPool.setMaxThreadCount(std::max(1, m_options.handlerThreads));
    // Keep handler threads (and their database connections) alive.
    m_handlerPool.setExpiryTimeout(-1);
}

Server::~Server()
{
    close(0);
}

bool Server::listen(QString *error)
{
    if (!m_options.spoolDir.isEmpty() && !QDir().mkpath(m_options.spoolDir)) {
        *error = u"cannot create "_qs + m_options.spoolDir;
        return false;
    }
    const int n = std::max(1, m_options.ioThreads);
    for (int i = 0; i < n; ++i) {
        auto *thread = new QThread;
        thread->setObjectName(u"qfc-io-"_qs + QString::number(i));
        auto *host = new ConnectionHost(this);
        host->moveToThread(thread);
        connect(thread, &QThread::finished, host, &QObject::deleteLater);
        thread->start();
        m_ioThreads.push_back(thread);
        m_hosts.push_back(host);
    }
    // Accepting has a thread of its own, so a busy or blocked caller thread never delays it.
    m_acceptThread = new QThread;
    m_acceptThread->setObjectName(u"qfc-accept"_qs);
    m_listener = new Listener(this);
    m_listener->moveToThread(m_acceptThread);
    connect(m_acceptThread, &QThread::finished, m_listener, &QObject::deleteLater);
    m_acceptThread->start();
    bool ok = false;
    QMetaObject::invokeMethod(
        m_listener,
        [&] {
            ok = m_listener->listen(m_options.address, m_options.port);
            if (!ok)
                *error = m_listener->errorString();
        },
        Qt::BlockingQueuedConnection);
    if (!ok)
        close(0);
    return ok;
}

quint16 Server::port() const
{
    return m_listener ? m_listener->serverPort() : 0;
}

void Server::dispatchIncoming(qintptr descriptor)
{
    ConnectionHost *host = m_hosts[m_next++ % m_hosts.size()];
    QMetaObject::invokeMethod(
        host, [host, descriptor] { host->accept(descriptor); }, Qt::QueuedConnection);
}

void Server::close(int waitMs)
{
    if (m_acceptThread) {
        QMetaObject::invokeMethod(
            m_listener, [this] { m_listener->close(); }, Qt::BlockingQueuedConnection);
        m_acceptThread->quit();
        m_acceptThread->wait();
        delete m_acceptThread;
        m_acceptThread = nullptr;
        m_listener = nullptr; // deleted on its thread's finished()
    }
    // Handlers post their responses to the I/O threads: those must outlive every handler.
    if (!m_handlerPool.waitForDone(waitMs)) {
        qCWarning(lcHttp) << "waiting for running request handlers to finish";
        m_handlerPool.waitForDone();
    }
    for (QThread *thread : m_ioThreads) {
        thread->quit();
        thread->wait();
        delete thread;
    }
    m_ioThreads.clear();
    m_hosts.clear(); // deleted on their threads' finished()
}

} // namespace qfc::http
