#include "api/http/multipartparser.h"

#include <algorithm>
#include <utility>

namespace qfc::http {

namespace {

using namespace Qt::Literals::StringLiterals;
using Parameters = QList<QPair<QByteArray, QByteArray>>;

bool isBlank(char c)
{
    return c == ' ' || c == '\t';
}

// Splits a header value `main; key=token; key="quoted"` into its main value (returned) and its
// parameters (keys lowercased). Inside quotes only \\ and \" are escapes, as in Django, so that
// the unescaped Windows paths some clients send keep their backslashes.
QByteArray parseParameters(QByteArrayView value, Parameters *parameters)
{
    const qsizetype size = value.size();
    qsizetype i = value.indexOf(';');
    if (i < 0)
        i = size;
    const QByteArray main = value.first(i).trimmed().toByteArray();
    while (i < size) {
        const qsizetype keyStart = ++i; // after the ';'
        while (i < size && value.at(i) != '=' && value.at(i) != ';')
            ++i;
        const QByteArray key =
            value.sliced(keyStart, i - keyStart).trimmed().toByteArray().toLower();
        QByteArray parameter;
        if (i < size && value.at(i) == '=') {
            ++i;
            while (i < size && isBlank(value.at(i)))
                ++i;
            if (i < size && value.at(i) == '"') {
                for (++i; i < size && value.at(i) != '"'; ++i) {
                    if (value.at(i) == '\\' && i + 1 < size
                        && (value.at(i + 1) == '"' || value.at(i + 1) == '\\'))
                        ++i;
                    parameter += value.at(i);
                }
                while (i < size && value.at(i) != ';') // the closing quote and any junk after it
                    ++i;
            } else {
                const qsizetype start = i;
                while (i < size && value.at(i) != ';')
                    ++i;
                parameter = value.sliced(start, i - start).trimmed().toByteArray();
            }
        }
        if (!key.isEmpty())
            parameters->append({key, parameter});
    }
    return main;
}

// Parses a part's header block (lines separated by CRLF, without the final empty line).
bool parseHeaderBlock(QByteArrayView block, MultipartParser::PartHeaders *part)
{
    for (qsizetype pos = 0; pos < block.size();) {
        qsizetype eol = block.indexOf("\r\n", pos);
        if (eol < 0)
            eol = block.size();
        const QByteArrayView line = block.sliced(pos, eol - pos);
        pos = eol + 2;
        if (isBlank(line.front())) { // obsolete line folding: a continuation of the last header
            if (part->raw.isEmpty())
                return false;
            part->raw.last().second += line;
            continue;
        }
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            return false;
        part->raw.append(
            {line.first(colon).trimmed().toByteArray(), line.sliced(colon + 1).toByteArray()});
    }
    for (auto &[name, value] : part->raw) {
        value = value.trimmed();
        if (name.compare("content-type", Qt::CaseInsensitive) == 0) {
            part->contentType = value;
        } else if (name.compare("content-disposition", Qt::CaseInsensitive) == 0) {
            Parameters parameters;
            parseParameters(value, &parameters);
            for (const auto &[key, parameter] : std::as_const(parameters)) {
                if (key == "name") {
                    part->name = parameter;
                } else if (key == "filename") {
                    part->filename = parameter;
                    part->hasFilename = true;
                }
            }
        }
    }
    return true;
}

} // namespace

QByteArray MultipartParser::boundaryFromContentType(const QByteArray &contentType)
{
    Parameters parameters;
    if (parseParameters(contentType, &parameters)
            .compare("multipart/form-data", Qt::CaseInsensitive)
        != 0)
        return {};
    QByteArray boundary;
    for (const auto &[key, value] : std::as_const(parameters)) {
        if (key == "boundary")
            boundary = value;
    }
    // RFC 2046 allows 1–70 characters; accept, like Django, up to 200 printable ASCII characters
    // not ending with a space.
    const bool valid = !boundary.isEmpty() && boundary.size() <= 200 && !boundary.endsWith(' ')
        && std::all_of(boundary.cbegin(), boundary.cend(),
                       [](char c) { return c >= ' ' && c <= '~'; });
    return valid ? boundary : QByteArray();
}

MultipartParser::MultipartParser(QByteArray boundary, Callbacks cb, qint64 maxHeaderBytes)
    : m_delimiter("\r\n--" + boundary)
    , m_callbacks(std::move(cb))
    , m_maxHeaderBytes(maxHeaderBytes)
    , m_tail("\r\n") // the first delimiter may open the body without a preceding CRLF
{
    if (boundary.isEmpty() || boundary.contains('\r') || boundary.contains('\n'))
        fail(u"invalid multipart boundary"_qs);
}

bool MultipartParser::feed(const char *data, qint64 size)
{
    qint64 pos = 0;
    while (pos < size && m_state != State::Done && m_state != State::Error) {
        switch (m_state) {
        case State::Preamble:
        case State::Body:
            pos += scanContent(data + pos, size - pos);
            break;
        case State::Headers:
            pos += scanHeaders(data + pos, size - pos);
            break;
        default:
            scanDelimiterLine(data[pos++]);
        }
    }
    return m_state != State::Error;
}

bool MultipartParser::finish()
{
    if (m_state != State::Done && m_state != State::Error)
        fail(u"multipart body ended before its closing boundary"_qs);
    return m_state == State::Done;
}

// Where the end of `chunk` begins a delimiter that the next chunk may complete; -1 if nowhere.
qsizetype MultipartParser::partialDelimiterStart(QByteArrayView chunk) const
{
    const qsizetype from = std::max<qsizetype>(0, chunk.size() - m_delimiter.size() + 1);
    for (qsizetype i = chunk.indexOf('\r', from); i >= 0; i = chunk.indexOf('\r', i + 1)) {
        if (QByteArrayView(m_delimiter).startsWith(chunk.sliced(i)))
            return i;
    }
    return -1;
}

// Consumes preamble or part content up to and including the next delimiter; returns the number
// of bytes of `data` consumed.
qint64 MultipartParser::scanContent(const char *data, qint64 size)
{
    const QByteArrayView chunk(data, size);
    const qsizetype delimiterSize = m_delimiter.size();
    if (!m_tail.isEmpty()) {
        // The tail is a beginning of the delimiter (the boundary has no CR, so it holds no other
        // candidate): complete it with the chunk's first bytes.
        const qsizetype tailSize = m_tail.size();
        const QByteArray window =
            m_tail + chunk.first(std::min<qint64>(size, delimiterSize - tailSize));
        if (window == m_delimiter) {
            m_tail.clear();
            delimiterFound();
            return delimiterSize - tailSize;
        }
        if (m_delimiter.startsWith(window)) { // still incomplete: the chunk was that short
            m_tail = window;
            return size;
        }
        if (!emitContent(std::exchange(m_tail, {})))
            return size;
    }
    const qsizetype found = chunk.indexOf(m_delimiter);
    if (found >= 0) {
        if (emitContent(chunk.first(found)))
            delimiterFound();
        return found + delimiterSize;
    }
    const qsizetype keep = partialDelimiterStart(chunk);
    if (emitContent(chunk.first(keep < 0 ? size : keep)) && keep >= 0)
        m_tail = chunk.sliced(keep).toByteArray();
    return size;
}

// Collects a part's header block up to its empty line; returns the number of bytes consumed.
qint64 MultipartParser::scanHeaders(const char *data, qint64 size)
{
    // m_headers starts with the CRLF that ended the boundary line, so that an empty header block
    // is found as CRLF CRLF as well.
    const qsizetype limit = m_maxHeaderBytes + 2;
    const qsizetype oldSize = m_headers.size();
    const qint64 take = std::min<qint64>(size, limit - oldSize);
    m_headers.append(data, take);
    const qsizetype end = m_headers.indexOf("\r\n\r\n", std::max<qsizetype>(0, oldSize - 3));
    if (end < 0) {
        if (m_headers.size() >= limit)
            fail(u"multipart part headers exceed %1 bytes"_qs.arg(m_maxHeaderBytes));
        return take;
    }
    PartHeaders part;
    const QByteArrayView block =
        end == 0 ? QByteArrayView() : QByteArrayView(m_headers).sliced(2, end - 2);
    if (!parseHeaderBlock(block, &part)) {
        fail(u"malformed multipart part header"_qs);
        return take;
    }
    m_headers.clear();
    m_state = State::Body;
    if (m_callbacks.partBegin && !m_callbacks.partBegin(part))
        fail(u"multipart parsing aborted"_qs);
    return end + 4 - oldSize;
}

// Checks the rest of a boundary line: "--" (closing delimiter) or transport padding and CRLF.
void MultipartParser::scanDelimiterLine(char c)
{
    switch (m_state) {
    case State::AfterDelimiter:
        if (c == '-') {
            m_state = State::SecondDash;
            break;
        }
        m_state = State::Padding;
        [[fallthrough]];
    case State::Padding:
        if (c == '\r')
            m_state = State::LineFeed;
        else if (!isBlank(c) || ++m_padding > m_maxHeaderBytes)
            fail(u"malformed multipart boundary line"_qs);
        break;
    case State::SecondDash:
        if (c == '-')
            m_state = State::Done;
        else
            fail(u"malformed multipart closing boundary"_qs);
        break;
    case State::LineFeed:
        if (c == '\n') {
            m_state = State::Headers;
            m_headers = "\r\n";
        } else {
            fail(u"malformed multipart boundary line"_qs);
        }
        break;
    default:
        Q_UNREACHABLE();
    }
}

bool MultipartParser::emitContent(QByteArrayView content)
{
    if (m_state != State::Body || content.isEmpty() || !m_callbacks.partData
        || m_callbacks.partData(content.data(), content.size()))
        return true;
    fail(u"multipart parsing aborted"_qs);
    return false;
}

void MultipartParser::delimiterFound()
{
    if (m_state == State::Body && m_callbacks.partEnd && !m_callbacks.partEnd()) {
        fail(u"multipart parsing aborted"_qs);
        return;
    }
    m_state = State::AfterDelimiter;
    m_padding = 0;
}

void MultipartParser::fail(const QString &error)
{
    m_state = State::Error;
    m_error = error;
    m_tail.clear();
    m_headers.clear();
}

} // namespace qfc::http
