#include "api/http/multipartparser.h"

#include <QCryptographicHash>
#include <QRandomGenerator>
#include <QTest>

using namespace Qt::Literals::StringLiterals;
using qfc::http::MultipartParser;

namespace {

using RawHeaders = QList<QPair<QByteArray, QByteArray>>;

// What the callbacks saw of one part.
struct Part
{
    QByteArray name;
    QByteArray filename;
    bool hasFilename = false;
    QByteArray contentType;
    QByteArray content;

    friend bool operator==(const Part &, const Part &) = default;
};

Part field(const QByteArray &name, const QByteArray &content)
{
    return {name, {}, false, {}, content};
}

Part file(const QByteArray &name, const QByteArray &filename, const QByteArray &contentType,
          const QByteArray &content)
{
    return {name, filename, true, contentType, content};
}

char *toString(const Part &part)
{
    const QByteArray text = "name=" + part.name.toPercentEncoding()
        + " filename=" + (part.hasFilename ? part.filename.toPercentEncoding() : "<none>")
        + " type=" + part.contentType + " content=" + part.content.toPercentEncoding();
    return qstrdup(text.constData());
}

struct Result
{
    QList<Part> parts;
    QList<RawHeaders> rawHeaders;
    bool fed = true; // every feed() returned true
    bool finished = false;
    bool protocolOk = true; // callbacks came in begin (data)* end order
    qint64 feeds = 0;
    qint64 dataCalls = 0;
    QString error;
};

// Parses `body` fed in chunks whose sizes `nextChunk` picks.
Result parseChunked(const QByteArray &boundary, const QByteArray &body,
                    const std::function<qint64()> &nextChunk, qint64 maxHeaderBytes = 16384)
{
    Result result;
    bool open = false;
    MultipartParser::Callbacks callbacks;
    callbacks.partBegin = [&](const MultipartParser::PartHeaders &headers) {
        result.protocolOk = result.protocolOk && !open;
        open = true;
        result.parts.append(
            {headers.name, headers.filename, headers.hasFilename, headers.contentType, {}});
        result.rawHeaders.append(headers.raw);
        return true;
    };
    callbacks.partData = [&](const char *data, qint64 size) {
        result.protocolOk = result.protocolOk && open && size > 0;
        ++result.dataCalls;
        result.parts.last().content.append(data, size);
        return true;
    };
    callbacks.partEnd = [&] {
        result.protocolOk = result.protocolOk && open;
        open = false;
        return true;
    };
    MultipartParser parser(boundary, callbacks, maxHeaderBytes);
    for (qint64 pos = 0; pos < body.size();) {
        const qint64 size = std::min(nextChunk(), body.size() - pos);
        ++result.feeds;
        result.fed = parser.feed(body.constData() + pos, size) && result.fed;
        pos += size;
    }
    result.finished = parser.finish();
    result.protocolOk = result.protocolOk && (!result.finished || !open);
    result.error = parser.errorString();
    return result;
}

Result parseWhole(const QByteArray &boundary, const QByteArray &body, qint64 maxHeaderBytes = 16384)
{
    return parseChunked(
        boundary, body, [&body] { return body.size(); }, maxHeaderBytes);
}

// Real bodies, captured from the clients on the wire.
const QByteArray RequestsContentType =
    "multipart/form-data; boundary=5477d532be4008f99d65c03f9395e825"_ba;
const QByteArray RequestsBody = // python-requests 2.34 / urllib3 2.7, data= and files=
    "--5477d532be4008f99d65c03f9395e825\r\n"
    "Content-Disposition: form-data; name=\"client\"\r\n\r\n"
    "qgis\r\n"
    "--5477d532be4008f99d65c03f9395e825\r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"DCIM/photo \xc3\xa9 1.jpg\"\r\n\r\n"
    "\xff\xd8\xff\xe0JFIF\r\n--\x00\r\n\r\n"
    "--5477d532be4008f99d65c03f9395e825--\r\n"_ba;
const QByteArray QtContentType =
    "multipart/form-data; boundary=\"boundary_.oOo._r7cMrjWmHU4h1o7LqFPKqo5n8zuwFln4\""_ba;
const QByteArray QtBody = // Qt 6.4 QHttpMultiPart as QField builds a delta upload
    "--boundary_.oOo._r7cMrjWmHU4h1o7LqFPKqo5n8zuwFln4\r\n"
    "Content-Disposition: form-data; name=\"text\"\r\n\r\n"
    "{}\r\n"
    "--boundary_.oOo._r7cMrjWmHU4h1o7LqFPKqo5n8zuwFln4\r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"/storage/emulated/0/Android/data/"
    "ch.opengis.qfield/files/QField/cloud/5a1e0c1b/deltafile.json\"\r\n"
    "Content-Type: application/json\r\n\r\n"
    "{\"deltas\":[],\"files\":[],\"id\":\"d\",\"project\":\"p\",\"version\":\"1.0\"}\r\n"
    "--boundary_.oOo._r7cMrjWmHU4h1o7LqFPKqo5n8zuwFln4--\r\n"_ba;
const QByteArray CurlContentType =
    "multipart/form-data; boundary=------------------------29f78f403b97be77"_ba;
const QByteArray CurlBody = // curl 7.88 -F file=@a.gpkg -F name=value
    "--------------------------29f78f403b97be77\r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"a.gpkg\"\r\n"
    "Content-Type: application/octet-stream\r\n\r\n"
    "GPKG\r\n--\r\nbinary\r\n"
    "--------------------------29f78f403b97be77\r\n"
    "Content-Disposition: form-data; name=\"name\"\r\n\r\n"
    "value\r\n"
    "--------------------------29f78f403b97be77--\r\n"_ba;

// A body with one part named "f" carrying `content`, boundary "XyZ".
QByteArray singlePart(const QByteArray &content)
{
    return "--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n" + content
        + "\r\n--XyZ--\r\n";
}

} // namespace

class tst_MultipartParser final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void boundaryFromContentType_data();
    void boundaryFromContentType();
    void parse_data();
    void parse();
    void rawHeaders();
    void malformed_data();
    void malformed();
    void headerLimit_data();
    void headerLimit();
    void callbackAborts_data();
    void callbackAborts();
    void invalidBoundary_data();
    void invalidBoundary();
    void largePartStreamed();
};

void tst_MultipartParser::boundaryFromContentType_data()
{
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<QByteArray>("boundary");

    QTest::newRow("python-requests→token")
        << RequestsContentType << "5477d532be4008f99d65c03f9395e825"_ba;
    QTest::newRow("qt-quoted→unquoted")
        << QtContentType << "boundary_.oOo._r7cMrjWmHU4h1o7LqFPKqo5n8zuwFln4"_ba;
    QTest::newRow("curl→dashes-kept")
        << CurlContentType << "------------------------29f78f403b97be77"_ba;
    QTest::newRow("case-insensitive-type-and-key→boundary")
        << "Multipart/Form-Data; BOUNDARY=abc"_ba
        << "abc"_ba;
    QTest::newRow("boundary-after-charset→boundary")
        << "multipart/form-data; charset=utf-8; boundary=abc"_ba
        << "abc"_ba;
    QTest::newRow("boundary-before-charset→boundary")
        << "multipart/form-data; boundary=abc; charset=utf-8"_ba
        << "abc"_ba;
    QTest::newRow("no-spaces→boundary") << "multipart/form-data;boundary=abc"_ba
                                        << "abc"_ba;
    QTest::newRow("loose-spaces→boundary") << " multipart/form-data ; boundary = abc "_ba
                                           << "abc"_ba;
    QTest::newRow("quoted-semicolon→boundary") << "multipart/form-data; boundary=\"a;b\""_ba
                                               << "a;b"_ba;
    QTest::newRow("quoted-inner-space→boundary") << "multipart/form-data; boundary=\"a b\""_ba
                                                 << "a b"_ba;
    QTest::newRow("quoted-plus-slash-equals→boundary")
        << "multipart/form-data; boundary=\"a+/b=\""_ba
        << "a+/b="_ba;
    QTest::newRow("200-chars→boundary")
        << QByteArray("multipart/form-data; boundary=" + QByteArray(200, 'b'))
        << QByteArray(200, 'b');
    QTest::newRow("201-chars→empty")
        << QByteArray("multipart/form-data; boundary=" + QByteArray(201, 'b')) << QByteArray();
    QTest::newRow("trailing-space-in-quotes→empty")
        << "multipart/form-data; boundary=\"abc \""_ba << QByteArray();
    QTest::newRow("control-char→empty")
        << "multipart/form-data; boundary=\"a\x01z\""_ba << QByteArray();
    QTest::newRow("non-ascii→empty")
        << "multipart/form-data; boundary=ab\xc3\xa9"_ba << QByteArray();
    QTest::newRow("empty-quoted→empty") << "multipart/form-data; boundary=\"\""_ba << QByteArray();
    QTest::newRow("empty-token→empty") << "multipart/form-data; boundary="_ba << QByteArray();
    QTest::newRow("no-boundary→empty") << "multipart/form-data"_ba << QByteArray();
    QTest::newRow("prefixed-key→empty") << "multipart/form-data; xboundary=abc"_ba << QByteArray();
    QTest::newRow("multipart-mixed→empty") << "multipart/mixed; boundary=abc"_ba << QByteArray();
    QTest::newRow("urlencoded→empty") << "application/x-www-form-urlencoded"_ba << QByteArray();
    QTest::newRow("json→empty") << "application/json"_ba << QByteArray();
    QTest::newRow("empty→empty") << QByteArray() << QByteArray();
}

void tst_MultipartParser::boundaryFromContentType()
{
    QFETCH(QByteArray, contentType);
    QFETCH(QByteArray, boundary);
    QCOMPARE(MultipartParser::boundaryFromContentType(contentType), boundary);
}

void tst_MultipartParser::parse_data()
{
    QTest::addColumn<QByteArray>("boundary");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QList<Part>>("expected");

    QTest::newRow("python-requests→field-and-file")
        << "5477d532be4008f99d65c03f9395e825"_ba << RequestsBody
        << QList<Part>{field("client", "qgis"),
                       file("file", "DCIM/photo \xc3\xa9 1.jpg", {},
                            "\xff\xd8\xff\xe0JFIF\r\n--\x00\r\n"_ba)};
    QTest::newRow("qt-qhttpmultipart→text-then-file-with-device-path")
        << "boundary_.oOo._r7cMrjWmHU4h1o7LqFPKqo5n8zuwFln4"_ba << QtBody
        << QList<Part>{field("text", "{}"),
                       file("file",
                            "/storage/emulated/0/Android/data/ch.opengis.qfield/files/QField/cloud/"
                            "5a1e0c1b/deltafile.json",
                            "application/json",
                            R"({"deltas":[],"files":[],"id":"d","project":"p","version":"1.0"})")};
    QTest::newRow("curl-F→file-then-field")
        << "------------------------29f78f403b97be77"_ba << CurlBody
        << QList<Part>{file("file", "a.gpkg", "application/octet-stream", "GPKG\r\n--\r\nbinary"),
                       field("name", "value")};

    QTest::newRow("preamble-and-epilogue→ignored")
        << "XyZ"_ba
        << "preamble --XyZ \r\n-- XyZ\r\n--XyZ\r\nContent-Disposition: form-data; "
           "name=\"f\"\r\n\r\n"
           "data\r\n--XyZ--\r\nepilogue\r\n--XyZ\r\nContent-Disposition: form-data; name=\"g\"\r\n"
           "\r\nfake\r\n--XyZ--\r\n"_ba
        << QList<Part>{field("f", "data")};
    QTest::newRow("transport-padding→ignored")
        << "XyZ"_ba
        << "--XyZ \t \r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ\t\r\n"
           "Content-Disposition: form-data; name=\"b\"\r\n\r\n2\r\n--XyZ--  \r\n"_ba
        << QList<Part>{field("a", "1"), field("b", "2")};
    QTest::newRow("closing-without-crlf→done")
        << "XyZ"_ba
        << "--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nv\r\n--XyZ--"_ba
        << QList<Part>{field("f", "v")};
    QTest::newRow("no-parts→done") << "XyZ"_ba
                                   << "--XyZ--\r\n"_ba << QList<Part>{};
    QTest::newRow("empty-content→empty-part")
        << "XyZ"_ba
        << "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\r\n--XyZ\r\n"
           "Content-Disposition: form-data; name=\"b\"; filename=\"\"\r\n\r\n\r\n--XyZ--\r\n"_ba
        << QList<Part>{field("a", {}), file("b", {}, {}, {})};
    QTest::newRow("no-headers→anonymous-part")
        << "XyZ"_ba
        << "--XyZ\r\n\r\nraw\r\n--XyZ--\r\n"_ba << QList<Part>{field({}, "raw")};
    QTest::newRow("missing-content-type→empty-type")
        << "XyZ"_ba
        << "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.gpkg\"\r\n\r\n"
           "GPKG\r\n--XyZ--\r\n"_ba
        << QList<Part>{file("file", "a.gpkg", {}, "GPKG")};
    QTest::newRow("folded-and-quoted-parameters→unfolded-unescaped")
        << "XyZ"_ba
        << "--XyZ\r\nContent-Disposition: form-data;\r\n name=\"file\";\r\n\tfilename=\"a "
           "\\\"b\\\".gpkg\""
           "\r\nContent-Type:application/geopackage+sqlite3\r\n\r\nG\r\n--XyZ--\r\n"_ba
        << QList<Part>{file("file", "a \"b\".gpkg", "application/geopackage+sqlite3", "G")};
    QTest::newRow("windows-path-backslashes→kept")
        << "XyZ"_ba
        << "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; "
           "filename=\"C:\\Users\\me\\a \\\\b.gpkg\"\r\n\r\nG\r\n--XyZ--\r\n"_ba
        << QList<Part>{file("file", "C:\\Users\\me\\a \\b.gpkg", {}, "G")};
    QTest::newRow("urllib3-percent-quotes→kept")
        << "XyZ"_ba
        << "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a %22b%22.gpkg\"\r\n"
           "\r\nG\r\n--XyZ--\r\n"_ba
        << QList<Part>{file("file", "a %22b%22.gpkg", {}, "G")};
    QTest::newRow("semicolon-inside-quotes→kept")
        << "XyZ"_ba
        << "--XyZ\r\nContent-Disposition: form-data; filename=\"a;b=c.gpkg\"; name=\"file\"\r\n\r\n"
           "G\r\n--XyZ--\r\n"_ba
        << QList<Part>{file("file", "a;b=c.gpkg", {}, "G")};
    QTest::newRow("unquoted-parameters→tokens")
        << "XyZ"_ba
        << "--XyZ\r\nContent-Disposition: form-data; name=file; filename=a.gpkg\r\n\r\nG\r\n--XyZ--"_ba
        << QList<Part>{file("file", "a.gpkg", {}, "G")};
    QTest::newRow("filename-star-only→ignored") << "XyZ"_ba
                                                << "--XyZ\r\nContent-Disposition: form-data; "
                                                   "name=\"file\"; filename*=UTF-8''na%C3%AFve.gpkg"
                                                   "\r\n\r\nG\r\n--XyZ--"_ba
                                                << QList<Part>{field("file", "G")};
    QTest::newRow("filename-and-filename-star→plain-filename")
        << "XyZ"_ba
        << "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"naive.gpkg\"; "
           "filename*=UTF-8''na%C3%AFve.gpkg\r\n\r\nG\r\n--XyZ--"_ba
        << QList<Part>{file("file", "naive.gpkg", {}, "G")};
    QTest::newRow("header-names-any-case→recognised")
        << "XyZ"_ba
        << "--XyZ\r\ncontent-disposition: form-data; NAME=\"f\"; FileName=\"x.txt\"\r\n"
           "CONTENT-TYPE: text/plain; charset=utf-8\r\nX-Other: 1\r\n\r\nG\r\n--XyZ--"_ba
        << QList<Part>{file("f", "x.txt", "text/plain; charset=utf-8", "G")};
    QTest::newRow("dashdash-boundary-not-after-crlf→content")
        << "XyZ"_ba << singlePart("--XyZ x--XyZ\n--XyZ\r--XyZ\r\r--XyZ--XyZ--"_ba)
        << QList<Part>{field("f", "--XyZ x--XyZ\n--XyZ\r--XyZ\r\r--XyZ--XyZ--")};
    QTest::newRow("binary-with-partial-delimiters→content")
        << "XyZ"_ba
        << singlePart("\x00\xff\r\n\r\n--\r\n--X\r\n--Xy\r\n-\r\r\n--Xz\r\n\r\n\r\n-\r\n--"_ba)
        << QList<Part>{field(
               "f", "\x00\xff\r\n\r\n--\r\n--X\r\n--Xy\r\n-\r\r\n--Xz\r\n\r\n\r\n-\r\n--"_ba)};
    QTest::newRow("content-ending-in-cr-and-crlf→kept")
        << "XyZ"_ba << singlePart("line\r\n\r"_ba) << QList<Part>{field("f", "line\r\n\r")};
    QTest::newRow("long-rfc-boundary→parts")
        << QByteArray(QByteArray(69, '-') + 'z')
        << QByteArray("--" + QByteArray(69, '-')
                      + "z\r\nContent-Disposition: form-data; name=\"f\""
                        "\r\n\r\n"
                      + QByteArray(69, '-') + "\r\n--" + QByteArray(69, '-') + "z--")
        << QList<Part>{field("f", QByteArray(69, '-'))};
    QTest::newRow("one-char-boundary→parts")
        << "b"_ba
        << "--b\r\n\r\n-\r\n-b\r\n--\r\n--b\r\n\r\nb\r\n--b--"_ba
        << QList<Part>{field({}, "-\r\n-b\r\n--"), field({}, "b")};
    QTest::newRow("utf8-field-value→bytes")
        << "XyZ"_ba << singlePart("Zürich 🐸"_ba) << QList<Part>{field("f", "Zürich 🐸"_ba)};
}

void tst_MultipartParser::parse()
{
    QFETCH(QByteArray, boundary);
    QFETCH(QByteArray, body);
    QFETCH(QList<Part>, expected);

    const Result whole = parseWhole(boundary, body);
    QVERIFY2(whole.fed && whole.finished, qPrintable(whole.error));
    QVERIFY(whole.protocolOk);
    QCOMPARE(whole.parts, expected);
    // Fed at once, each part's content comes in one slice.
    QCOMPARE(whole.dataCalls,
             std::count_if(expected.cbegin(), expected.cend(),
                           [](const Part &part) { return !part.content.isEmpty(); }));

    const auto check = [&](const Result &result, const QString &how) {
        QVERIFY2(result.fed && result.finished && result.protocolOk, qPrintable(how));
        QVERIFY2(result.parts == expected, qPrintable(how));
        // At most the kept tail and one slice of the chunk per feed.
        QVERIFY2(result.dataCalls <= 2 * result.feeds, qPrintable(how));
    };
    for (qint64 chunk = 1; chunk <= 97; ++chunk) {
        check(parseChunked(boundary, body, [chunk] { return chunk; }),
              u"chunk size %1"_qs.arg(chunk));
        if (QTest::currentTestFailed())
            return;
    }
    QRandomGenerator random(quint32(qHash(body)));
    for (int round = 0; round < 50; ++round) {
        const quint32 seed = random.generate();
        QRandomGenerator sizes(seed);
        check(parseChunked(boundary, body, [&sizes] { return sizes.bounded(1, 40); }),
              u"random seed %1"_qs.arg(seed));
        if (QTest::currentTestFailed())
            return;
    }
}

void tst_MultipartParser::rawHeaders()
{
    const QByteArray body =
        "--XyZ\r\nContent-Disposition: form-data;\r\n name=\"file\";\r\n\tfilename=\"a.gpkg\"\r\n"
        "x-custom :  spaced value \r\nContent-Type:application/octet-stream\r\n\r\nG\r\n--XyZ--"_ba;
    const Result result = parseWhole("XyZ"_ba, body);
    QVERIFY(result.finished);
    const RawHeaders expected{
        {"Content-Disposition", "form-data; name=\"file\";\tfilename=\"a.gpkg\""}, // CRLFs dropped
        {"x-custom", "spaced value"},
        {"Content-Type", "application/octet-stream"},
    };
    QCOMPARE(result.rawHeaders, QList<RawHeaders>{expected});
}

void tst_MultipartParser::malformed_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<bool>("fed");
    QTest::addColumn<QString>("error");

    const QString unfinished = u"multipart body ended before its closing boundary"_qs;
    const QString badLine = u"malformed multipart boundary line"_qs;
    const QString badHeader = u"malformed multipart part header"_qs;

    QTest::newRow("missing-closing-delimiter→finish-false")
        << "--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\ndata\r\n"_ba << true
        << unfinished;
    QTest::newRow("missing-closing-dashes→finish-false")
        << "--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\ndata\r\n--XyZ\r\n"_ba << true
        << unfinished;
    QTest::newRow("truncated-in-headers→finish-false")
        << "--XyZ\r\nContent-Disposition: form-da"_ba << true << unfinished;
    QTest::newRow("truncated-after-first-dash→finish-false")
        << "--XyZ\r\n\r\nx\r\n--XyZ-"_ba << true << unfinished;
    QTest::newRow("empty-body→finish-false") << QByteArray() << true << unfinished;
    QTest::newRow("preamble-only→finish-false") << "no boundary here"_ba << true << unfinished;
    QTest::newRow("garbage-after-boundary→error")
        << "--XyZgarbage\r\n\r\nx\r\n--XyZ--"_ba << false << badLine;
    QTest::newRow("longer-boundary-in-content→error")
        << "--XyZ\r\n\r\nx\r\n--XyZW\r\n--XyZ--"_ba << false << badLine;
    QTest::newRow("single-dash-then-garbage→error")
        << "--XyZ-x"_ba << false << u"malformed multipart closing boundary"_qs;
    QTest::newRow("lf-only-line-endings→error")
        << "--XyZ\nContent-Disposition: form-data; name=\"f\"\n\nx\n--XyZ--\n"_ba << false
        << badLine;
    QTest::newRow("cr-without-lf→error") << "--XyZ\rX\r\n\r\nx\r\n--XyZ--"_ba << false << badLine;
    QTest::newRow("padding-then-garbage→error")
        << "--XyZ  x\r\n\r\nx\r\n--XyZ--"_ba << false << badLine;
    QTest::newRow("header-without-colon→error")
        << "--XyZ\r\nContent-Disposition form-data\r\n\r\nx\r\n--XyZ--"_ba << false << badHeader;
    QTest::newRow("header-with-empty-name→error")
        << "--XyZ\r\n: value\r\n\r\nx\r\n--XyZ--"_ba << false << badHeader;
    QTest::newRow("continuation-without-header→error")
        << "--XyZ\r\n folded\r\n\r\nx\r\n--XyZ--"_ba << false << badHeader;
}

void tst_MultipartParser::malformed()
{
    QFETCH(QByteArray, body);
    QFETCH(bool, fed);
    QFETCH(QString, error);

    for (qint64 chunk = 1; chunk <= 97; ++chunk) {
        const Result result = parseChunked("XyZ"_ba, body, [chunk] { return chunk; });
        const QString how = u"chunk size %1: %2"_qs.arg(chunk).arg(result.error);
        QVERIFY2(result.fed == fed, qPrintable(how));
        QVERIFY2(!result.finished, qPrintable(how));
        QVERIFY2(result.error == error, qPrintable(how));
        QVERIFY2(result.protocolOk, qPrintable(how));
    }
}

void tst_MultipartParser::headerLimit_data()
{
    QTest::addColumn<qint64>("blockSize"); // header block bytes, with the empty line ending it
    QTest::addColumn<bool>("accepted");

    QTest::newRow("block-at-limit→accepted") << qint64(64) << true;
    QTest::newRow("block-one-over-limit→error") << qint64(65) << false;
    QTest::newRow("block-far-over-limit→error") << qint64(10000) << false;
}

void tst_MultipartParser::headerLimit()
{
    QFETCH(qint64, blockSize);
    QFETCH(bool, accepted);

    const QByteArray prefix = "Content-Disposition: form-data; name=\"";
    const QByteArray block = prefix + QByteArray(blockSize - prefix.size() - 5, 'n') + "\"\r\n\r\n";
    QCOMPARE(block.size(), blockSize);
    const QByteArray body = "--XyZ\r\n" + block + "x\r\n--XyZ--\r\n";
    // Padding after a boundary counts against the same limit.
    const QByteArray padded = "--XyZ" + QByteArray(blockSize, ' ') + "\r\n\r\nx\r\n--XyZ--\r\n";
    for (qint64 chunk = 1; chunk <= 97; ++chunk) {
        const auto feedChunk = [chunk] {
            return chunk;
        };
        const Result result = parseChunked("XyZ"_ba, body, feedChunk, 64);
        QVERIFY2(result.fed == accepted && result.finished == accepted, qPrintable(result.error));
        if (accepted) {
            QCOMPARE(result.parts,
                     QList{field(QByteArray(blockSize - prefix.size() - 5, 'n'), "x")});
        } else {
            QCOMPARE(result.error, u"multipart part headers exceed 64 bytes"_qs);
        }
        QCOMPARE(parseChunked("XyZ"_ba, padded, feedChunk, 64).finished, accepted);
    }
}

void tst_MultipartParser::callbackAborts_data()
{
    QTest::addColumn<int>("abortAt"); // 0 partBegin, 1 partData, 2 partEnd
    QTest::addColumn<QStringList>("events");

    QTest::newRow("partBegin-false→error") << 0 << QStringList{u"begin"_qs};
    QTest::newRow("partData-false→error") << 1 << QStringList{u"begin"_qs, u"data"_qs};
    QTest::newRow("partEnd-false→error") << 2 << QStringList{u"begin"_qs, u"data"_qs, u"end"_qs};
}

void tst_MultipartParser::callbackAborts()
{
    QFETCH(int, abortAt);
    QFETCH(QStringList, events);

    QStringList seen;
    MultipartParser::Callbacks callbacks;
    callbacks.partBegin = [&](const MultipartParser::PartHeaders &) {
        seen.append(u"begin"_qs);
        return abortAt != 0;
    };
    callbacks.partData = [&](const char *, qint64) {
        seen.append(u"data"_qs);
        return abortAt != 1;
    };
    callbacks.partEnd = [&] {
        seen.append(u"end"_qs);
        return abortAt != 2;
    };
    MultipartParser parser("XyZ", callbacks);
    const QByteArray body = "--XyZ\r\n\r\nfirst\r\n--XyZ\r\n\r\nsecond\r\n--XyZ--\r\n"_ba;
    QVERIFY(!parser.feed(body.constData(), body.size()));
    QCOMPARE(parser.errorString(), u"multipart parsing aborted"_qs);
    QVERIFY(!parser.feed(body.constData(), body.size()));
    QVERIFY(!parser.finish());
    QVERIFY(!parser.isDone());
    QCOMPARE(seen, events);
}

void tst_MultipartParser::invalidBoundary_data()
{
    QTest::addColumn<QByteArray>("boundary");

    QTest::newRow("empty→error") << QByteArray();
    QTest::newRow("cr→error") << "a\rb"_ba;
    QTest::newRow("lf→error") << "a\nb"_ba;
}

void tst_MultipartParser::invalidBoundary()
{
    QFETCH(QByteArray, boundary);
    const QByteArray body = "--" + boundary + "\r\n\r\nx\r\n--" + boundary + "--\r\n";
    const Result result = parseWhole(boundary, body);
    QVERIFY(!result.fed);
    QVERIFY(!result.finished);
    QCOMPARE(result.error, u"invalid multipart boundary"_qs);
    QVERIFY(result.parts.isEmpty());
}

void tst_MultipartParser::largePartStreamed()
{
    // A 50 MiB file part in 64 KiB chunks, generated on the fly: the content repeats a tile of
    // 64 KiB + 1 bytes ending in an almost-delimiter, which so lands across chunk boundaries.
    const QByteArray boundary = "boundary_.oOo._r7cMrjWmHU4h1o7LqFPKqo5n8zuwFln4";
    QByteArray tile(65537, Qt::Uninitialized);
    for (qsizetype i = 0; i < tile.size(); ++i)
        tile[i] = char((i * 7 + 3) % 251);
    tile.replace(tile.size() - boundary.size() - 4, boundary.size() + 4,
                 QByteArray("\r\n--" + boundary.chopped(1) + '!'));
    const qint64 contentSize = 50 * 1024 * 1024;
    const QByteArray head = "--" + boundary
        + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.gpkg\"\r\n\r\n";
    const QByteArray foot = "\r\n--" + boundary + "--\r\n";

    QCryptographicHash sent(QCryptographicHash::Sha256);
    QCryptographicHash received(QCryptographicHash::Sha256);
    qint64 receivedSize = 0;
    qint64 dataCalls = 0;
    int parts = 0;
    MultipartParser parser(boundary,
                           {[&](const MultipartParser::PartHeaders &headers) {
                                ++parts;
                                return headers.filename == "big.gpkg";
                            },
                            [&](const char *data, qint64 size) {
                                received.addData(QByteArrayView(data, size));
                                receivedSize += size;
                                ++dataCalls;
                                return true;
                            },
                            {}});

    const qint64 chunkSize = 64 * 1024;
    const qint64 total = head.size() + contentSize + foot.size();
    QByteArray chunk(chunkSize, Qt::Uninitialized);
    qint64 feeds = 0;
    for (qint64 pos = 0; pos < total; pos += chunkSize, ++feeds) {
        const qint64 size = std::min(chunkSize, total - pos);
        for (qint64 i = 0; i < size; ++i) {
            const qint64 at = pos + i;
            if (at < head.size())
                chunk[i] = head.at(at);
            else if (at - head.size() < contentSize)
                chunk[i] = tile.at((at - head.size()) % tile.size());
            else
                chunk[i] = foot.at(at - head.size() - contentSize);
        }
        const qint64 contentStart = std::clamp(pos - head.size(), qint64(0), contentSize);
        const qint64 contentEnd = std::clamp(pos + size - head.size(), qint64(0), contentSize);
        if (contentEnd > contentStart)
            sent.addData(QByteArrayView(chunk.constData() + (contentStart + head.size() - pos),
                                        contentEnd - contentStart));
        QVERIFY(parser.feed(chunk.constData(), size));
    }
    QVERIFY(parser.finish());
    QCOMPARE(parts, 1);
    QCOMPARE(receivedSize, contentSize);
    QCOMPARE(received.result().toHex(), sent.result().toHex());
    QVERIFY2(dataCalls <= 2 * feeds, qPrintable(QString::number(dataCalls)));
}

QTEST_GUILESS_MAIN(tst_MultipartParser)
#include "tst_multipartparser.moc"
