#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>

#include <functional>

namespace qfc::http {

// A streaming multipart/form-data parser (RFC 7578, RFC 2046 §5.1.1). It is fed the body in
// chunks of any size and hands part contents to callbacks in slices as large as the chunks,
// keeping only the few bytes that may start a delimiter split across chunks: a file part is
// never held in memory.
class MultipartParser
{
public:
    struct PartHeaders
    {
        QByteArray name; // Content-Disposition "name"
        QByteArray filename; // Content-Disposition "filename" ("filename*" is ignored)
        bool hasFilename = false; // a part with filename="" is still a file part
        QByteArray contentType; // "" when the part has no Content-Type
        QList<QPair<QByteArray, QByteArray>> raw; // all headers as sent, unfolded, values trimmed
    };
    // Each callback may be empty; returning false aborts parsing.
    struct Callbacks
    {
        std::function<bool(const PartHeaders &)> partBegin;
        std::function<bool(const char *, qint64)> partData;
        std::function<bool()> partEnd;
    };

    // The boundary of a "multipart/form-data" Content-Type (type matched case-insensitively,
    // parameters in any order, boundary quoted or not); "" for another type, a missing boundary
    // or one that is not 1–200 printable ASCII characters without a trailing space.
    static QByteArray boundaryFromContentType(const QByteArray &contentType);

    // A boundary that is empty or contains CR or LF makes every feed() fail. maxHeaderBytes
    // bounds each part's header block, with its closing empty line, and the padding after a
    // boundary.
    MultipartParser(QByteArray boundary, Callbacks cb, qint64 maxHeaderBytes = 16384);

    // False on malformed input or when a callback aborted; later calls keep returning false.
    // Data after the closing delimiter (the epilogue) is ignored.
    bool feed(const char *data, qint64 size);
    // True only if the closing delimiter was seen; call at the end of the body.
    bool finish();
    bool isDone() const { return m_state == State::Done; }
    QString errorString() const { return m_error; }

private:
    enum class State {
        Preamble,
        AfterDelimiter,
        SecondDash,
        Padding,
        LineFeed,
        Headers,
        Body,
        Done,
        Error,
    };

    qint64 scanContent(const char *data, qint64 size);
    qint64 scanHeaders(const char *data, qint64 size);
    void scanDelimiterLine(char c);
    qsizetype partialDelimiterStart(QByteArrayView chunk) const;
    bool emitContent(QByteArrayView content);
    void delimiterFound();
    void fail(const QString &error);

    QByteArray m_delimiter; // CRLF "--" boundary
    Callbacks m_callbacks;
    qint64 m_maxHeaderBytes;
    State m_state = State::Preamble;
    QByteArray m_tail; // the end of the last chunk that may start a delimiter
    QByteArray m_headers; // the header block being collected, after a virtual leading CRLF
    qint64 m_padding = 0;
    QString m_error;
};

} // namespace qfc::http
