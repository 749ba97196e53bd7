#pragma once

#include "bodysink.h"
#include "request.h"
#include "response.h"

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <memory>

class QTcpSocket;

namespace qfc::http {

class Server;

// One client connection, living on an I/O thread. Reads each request head first, decides
// the body's fate from it, receives the body into a sink, hands the request to a handler thread
// and writes the response (streamed when it has a device), then reads the next request.
class Connection final : public QObject
{
    Q_OBJECT
public:
    Connection(Server *server, qintptr descriptor, QObject *parent);
    ~Connection() override;

private:
    enum class State { Head, Body, Handling, Writing, Lingering, Closed };

    void onReadyRead();
    void onBytesWritten();
    void onTimeout();
    void process();
    bool takeHead();
    bool parseHead(const QByteArray &head);
    bool beginBody();
    bool readBody();
    bool feedBody(const char *data, qint64 size);
    bool readChunked();
    void bodyComplete();
    void deliver(Response response);
    void writeResponse(Response response);
    void pump();
    void responseDone();
    void fail(int status, const QByteArray &code, const QByteArray &message);
    void lingerOrClose();
    void closeNow();
    void armTimer(int ms);
    void computeAddresses();

    Server *m_server;
    QTcpSocket *m_socket = nullptr;
    qintptr m_descriptor;
    State m_state = State::Head;
    QByteArray m_buffer; // received and not yet consumed (bounded)
    QTimer m_timer;
    bool m_keepAlive = true;
    bool m_closeAfterResponse = false;
    bool m_idle = true; // waiting for the first byte of a request

    std::shared_ptr<Request> m_request;
    std::unique_ptr<BodySink> m_sink;
    qint64 m_bodyLimit = 0;
    qint64 m_bodyReceived = 0;
    qint64 m_contentRemaining = 0;
    bool m_chunked = false;
    enum class ChunkState { Size, Data, DataEnd, Trailer } m_chunkState = ChunkState::Size;
    qint64 m_chunkRemaining = 0;

    // The response being written.
    int m_status = 0;
    qint64 m_bytesOut = 0;
    std::unique_ptr<QIODevice> m_stream;
    qint64 m_streamRemaining = 0;
    QElapsedTimer m_lingerClock;
    qint64 m_lingerDiscarded = 0;
};

} // namespace qfc::http
