// Project files over HTTP as the SDK, QFieldSync and QField use them (spec/api.md §9, §1.7–§1.9,
// §7.7, §17, §19.8), on SQLite and PostgreSQL.
#include "db/query.h"
#include "files/filestore.h"
#include "server/instance.h"
#include "testenv.h"
#include "testserver.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTest>

using namespace qfc::test;

namespace {

const QByteArray kSdk = "sdk|py|0.9 python-requests|2.32";
const QByteArray kQField = "qfield|3.5.0|Tsavo|abc| QGIS/34000";

QByteArray readFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(path));
    return f.readAll();
}

// The S3-style ETag of §1.8, computed here independently of the server's hasher.
QString etag(const QByteArray &data)
{
    const qsizetype part = 8 * 1024 * 1024;
    if (data.size() <= part)
        return QString::fromLatin1(QCryptographicHash::hash(data, QCryptographicHash::Md5).toHex());
    QByteArray digests;
    qsizetype parts = 0;
    for (qsizetype at = 0; at < data.size(); at += part, ++parts)
        digests += QCryptographicHash::hash(data.mid(at, part), QCryptographicHash::Md5);
    return QString::fromLatin1(QCryptographicHash::hash(digests, QCryptographicHash::Md5).toHex())
        + u'-' + QString::number(parts);
}

QString sha256(const QByteArray &data)
{
    return QString::fromLatin1(QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex());
}

QJsonObject entry(const QJsonArray &list, const QString &name)
{
    for (const auto &v : list)
        if (v.toObject()[u"name"_qs].toString() == name)
            return v.toObject();
    return {};
}

QByteArray png(quint32 w, quint32 h)
{
    QByteArray b("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16);
    for (quint32 v : {w, h})
        for (int s = 24; s >= 0; s -= 8)
            b.append(char((v >> s) & 0xff));
    b.append("\x08\x06\0\0\0", 5);
    b.append(QByteArray(100, '\0'));
    return b;
}

} // namespace

class tst_Files final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<TestServer> m_server;
    QString m_alice, m_bob;
    QString m_project;
    QString m_core; // upstream test data

    std::unique_ptr<HttpClient> as(const QString &token, const QByteArray &ua = kSdk)
    {
        auto c = m_server->client(token);
        c->setUserAgent(ua);
        return c;
    }
    QString files() const { return u"files/"_qs + m_project + u'/'; }

    // A multipart upload on a raw socket: the target is sent exactly as given (HTTP clients would
    // remove "." and ".." segments before sending).
    Reply rawUpload(const QString &path, const QByteArray &content)
    {
        const QByteArray body =
            "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\n" + content
            + "\r\n--B--\r\n";
        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, m_server->port());
        if (!s.waitForConnected(5000))
            return {};
        s.write("POST /api/v1/" + path.toUtf8() + " HTTP/1.1\r\nHost: x\r\nAuthorization: Token "
                + m_alice.toLatin1() + "\r\nUser-Agent: " + kSdk
                + "\r\nContent-Type: multipart/form-data; boundary=B\r\nConnection: "
                  "close\r\nContent-Length: "
                + QByteArray::number(body.size()) + "\r\n\r\n" + body);
        QByteArray in;
        while (s.state() == QAbstractSocket::ConnectedState && s.waitForReadyRead(10000))
            in += s.readAll();
        in += s.readAll();
        Reply r;
        r.status = in.mid(9, 3).toInt();
        r.body = in.mid(in.indexOf("\r\n\r\n") + 4);
        return r;
    }

private Q_SLOTS:
    void initTestCase() { m_core = sharedTestData() + u"/upstream/core/"_qs; }

    void init()
    {
        m_server = std::make_unique<TestServer>();
        m_server->createUser(u"alice"_qs, u"secret-alice"_qs);
        m_server->createUser(u"bob"_qs, u"secret-bob"_qs);
        m_alice = m_server->login(u"alice"_qs, u"secret-alice"_qs, kSdk);
        m_bob = m_server->login(u"bob"_qs, u"secret-bob"_qs, kSdk);
        m_project = as(m_alice)
                        ->postJson(u"projects/"_qs, {{u"name"_qs, u"bees"_qs}})
                        .object()[u"id"_qs]
                        .toString();
        QVERIFY(!m_project.isEmpty());
    }

    void cleanup() { m_server.reset(); }
    void cleanupTestCase() { dropCreatedDatabases(); }

    // The SDK flow: upload a folder, list with md5sum, download byte-identical, new version,
    // versions newest first, delete a version, delete the file.
    void sdkFlow()
    {
        auto c = as(m_alice);
        const QByteArray qgs = readFile(m_core + u"simple_bumblebees.qgs"_qs);
        const QByteArray gpkg = readFile(m_core + u"bumblebees.gpkg"_qs);
        const QByteArray photo = readFile(m_core + u"DCIM/1.jpg"_qs);
        QCOMPARE(c->uploadFile(files() + u"simple_bumblebees.qgs/"_qs, qgs).status, 201);
        Reply r = c->uploadFile(files() + u"bumblebees.gpkg/"_qs, gpkg);
        QCOMPARE(r.status, 201);
        QCOMPARE(r.object(), QJsonObject());
        QCOMPARE(r.header("Location"),
                 QByteArray("/api/v1/files/" + m_project.toLatin1() + "/bumblebees.gpkg/"));
        QCOMPARE(c->uploadFile(files() + u"DCIM/1.jpg/"_qs, photo).status, 201);

        QJsonArray list = c->get(files()).array();
        QCOMPARE(list.size(), 3);
        QCOMPARE(list[0].toObject()[u"name"_qs].toString(), u"DCIM/1.jpg"_qs); // sorted by name
        const QJsonObject g = entry(list, u"bumblebees.gpkg"_qs);
        QCOMPARE(g[u"md5sum"_qs].toString(), etag(gpkg)); // the client skips unchanged files
        QCOMPARE(g[u"sha256"_qs].toString(), sha256(gpkg));
        QCOMPARE(g[u"size"_qs].toInteger(), gpkg.size());
        QCOMPARE(g[u"is_attachment"_qs].toBool(), false);
        QCOMPARE(entry(list, u"DCIM/1.jpg"_qs)[u"is_attachment"_qs].toBool(), true);
        QVERIFY(QRegularExpression(u"^\\d\\d\\.\\d\\d\\.\\d{4} \\d\\d:\\d\\d:\\d\\d UTC$"_qs)
                    .match(g[u"last_modified"_qs].toString())
                    .hasMatch());
        QCOMPARE(g[u"versions"_qs].toArray().size(), 1);

        // The project now knows its QGIS file and its storage.
        QJsonObject project = c->get(u"projects/"_qs + m_project + u'/').object();
        QCOMPARE(project[u"the_qgis_file_name"_qs].toString(), u"simple_bumblebees.qgs"_qs);
        QCOMPARE(project[u"file_storage_bytes"_qs].toInteger(),
                 qgs.size() + gpkg.size() + photo.size());
        QVERIFY(!project[u"data_last_updated_at"_qs].isNull());

        // Byte-identical download, headers of §1.9.
        r = c->get(files() + u"bumblebees.gpkg/"_qs);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body, gpkg);
        QCOMPARE(r.header("ETag"), QByteArray('"' + etag(gpkg).toLatin1() + '"'));
        QCOMPARE(r.header("Content-Disposition"),
                 QByteArray("attachment; filename=\"bumblebees.gpkg\""));
        QCOMPARE(r.header("Accept-Ranges"), QByteArray("bytes"));
        QCOMPARE(r.header("Content-Length").toLongLong(), gpkg.size());
        QVERIFY(r.header("Cache-Control").isEmpty());

        // A second version.
        QByteArray gpkg2 = gpkg;
        gpkg2[100] = char(gpkg2[100] ^ 0x5a);
        QTest::qWait(2);
        QCOMPARE(c->uploadFile(files() + u"bumblebees.gpkg/"_qs, gpkg2).status, 201);
        const QJsonObject g2 = entry(c->get(files()).array(), u"bumblebees.gpkg"_qs);
        const QJsonArray versions = g2[u"versions"_qs].toArray();
        QCOMPARE(versions.size(), 2);
        QCOMPARE(versions[0].toObject()[u"md5sum"_qs].toString(), etag(gpkg2)); // newest first
        QCOMPARE(versions[0].toObject()[u"is_latest"_qs].toBool(), true);
        QCOMPARE(versions[1].toObject()[u"is_latest"_qs].toBool(), false);
        QCOMPARE(g2[u"md5sum"_qs].toString(), etag(gpkg2));
        QCOMPARE(g2[u"uploaded_at"_qs], g[u"uploaded_at"_qs]); // the first upload of the path
        QVERIFY(versions[0].toObject()[u"display"_qs].toString().startsWith(u"v20"_qs));
        const QString oldVersion = versions[1].toObject()[u"version_id"_qs].toString();
        QCOMPARE(c->get(files() + u"bumblebees.gpkg/?version="_qs + oldVersion).body, gpkg);
        QCOMPARE(c->get(files() + u"bumblebees.gpkg/?version=nope"_qs).code(),
                 u"validation_error"_qs);
        QCOMPARE(
            c->get(files() + u"bumblebees.gpkg/?version=00000000-0000-4000-8000-000000000000"_qs)
                .status,
            404);
        // metadata/ is the same entry.
        QCOMPARE(c->get(u"files/metadata/"_qs + m_project + u"/bumblebees.gpkg/"_qs).object(), g2);

        // Delete one version (SDK: X-File-Version header), then refuse the last one by id.
        QCOMPARE(
            c->del(files() + u"bumblebees.gpkg/"_qs, {{"X-File-Version", oldVersion.toLatin1()}})
                .status,
            204);
        const QString last = entry(c->get(files()).array(), u"bumblebees.gpkg"_qs)[u"versions"_qs]
                                 .toArray()[0]
                                 .toObject()[u"version_id"_qs]
                                 .toString();
        r = c->del(files() + u"bumblebees.gpkg/?version="_qs + last);
        QCOMPARE(r.status, 400);
        QCOMPARE(r.code(), u"explicit_deletion_of_last_version"_qs);
        QCOMPARE(c->del(files() + u"bumblebees.gpkg/?version="_qs + oldVersion).code(),
                 u"api_error"_qs);
        // Delete the whole file; then it is gone.
        QCOMPARE(c->del(files() + u"bumblebees.gpkg/"_qs).status, 204);
        QCOMPARE(c->get(files() + u"bumblebees.gpkg/"_qs).code(), u"object_not_found"_qs);
        r = c->del(files() + u"bumblebees.gpkg/"_qs);
        QCOMPARE(r.status, 404);
        QCOMPARE(r.code(), u"api_error"_qs);
        QCOMPARE(c->get(files()).array().size(), 2);
        // Deleting the QGIS file clears the_qgis_file_name.
        QCOMPARE(c->del(files() + u"simple_bumblebees.qgs/"_qs).status, 204);
        QVERIFY(
            c->get(u"projects/"_qs + m_project + u'/').object()[u"the_qgis_file_name"_qs].isNull());
        QCOMPARE(c->get(u"projects/"_qs + m_project + u'/')
                     .object()[u"file_storage_bytes"_qs]
                     .toInteger(),
                 photo.size());
    }

    void roles()
    {
        auto owner = as(m_alice);
        QCOMPARE(owner->uploadFile(files() + u"a.txt/"_qs, "a").status, 201);
        for (const char *role : {"reader", "reporter", "editor"}) {
            Q_UNUSED(role)
        }
        QCOMPARE(owner
                     ->postForm(u"collaborators/"_qs + m_project + u'/',
                                {{u"collaborator"_qs, u"bob"_qs}, {u"role"_qs, u"reader"_qs}})
                     .status,
                 201);
        auto bob = as(m_bob);
        QCOMPARE(bob->get(files()).status, 200);
        QCOMPARE(bob->get(files() + u"a.txt/"_qs).body, QByteArray("a"));
        Reply r = bob->uploadFile(files() + u"b.txt/"_qs, "b");
        QCOMPARE(r.status, 403);
        QCOMPARE(r.code(), u"permission_denied"_qs);
        QCOMPARE(bob->del(files() + u"a.txt/"_qs).status, 403);
        owner->send("PATCH", u"collaborators/"_qs + m_project + u"/bob/"_qs, "role=reporter",
                    "application/x-www-form-urlencoded");
        QCOMPARE(bob->uploadFile(files() + u"b.txt/"_qs, "b").status, 201);
        QCOMPARE(bob->del(files() + u"a.txt/"_qs).status, 403);
        owner->send("PATCH", u"collaborators/"_qs + m_project + u"/bob/"_qs, "role=editor",
                    "application/x-www-form-urlencoded");
        QCOMPARE(bob->del(files() + u"a.txt/"_qs).status, 204);
        // Restricted project files: editors may not upload them, managers may.
        owner->send("PATCH", u"projects/"_qs + m_project + u'/',
                    R"({"has_restricted_projectfiles": true})", "application/json");
        const QByteArray qgs = readFile(m_core + u"simple_bumblebees.qgs"_qs);
        r = bob->uploadFile(files() + u"p.qgs/"_qs, qgs);
        QCOMPARE(r.status, 403);
        QCOMPARE(r.code(), u"restricted_project_modification"_qs);
        QCOMPARE(bob->uploadFile(files() + u"data.gpkg/"_qs, "x").status, 201);
        owner->send("PATCH", u"collaborators/"_qs + m_project + u"/bob/"_qs, "role=manager",
                    "application/x-www-form-urlencoded");
        QCOMPARE(bob->uploadFile(files() + u"p.qgs/"_qs, qgs).status, 201);
        owner->send("PATCH", u"collaborators/"_qs + m_project + u"/bob/"_qs, "role=editor",
                    "application/x-www-form-urlencoded");
        QCOMPARE(bob->uploadFile(files() + u"p.qml/"_qs, "<qml/>").code(),
                 u"restricted_project_modification"_qs);
        QVERIFY(!as(m_alice)
                     ->get(u"projects/"_qs + m_project + u'/')
                     .object()[u"restricted_data_last_updated_at"_qs]
                     .isNull());
        // No role at all: the project is invisible.
        m_server->createUser(u"carol"_qs, u"secret-carol"_qs);
        auto carol = as(m_server->login(u"carol"_qs, u"secret-carol"_qs, kSdk));
        QCOMPARE(carol->get(files()).status, 403);
        QCOMPARE(carol->get(files() + u"p.qgs/"_qs).status, 403);
    }

    void uploadChecks()
    {
        auto c = as(m_alice);
        Reply r = c->postMultipart(files() + u"x.txt/"_qs, {{"text", {}, "{}", nullptr, {}}});
        QCOMPARE(r.code(), u"empty_content"_qs);
        r = c->postMultipart(files() + u"x.txt/"_qs,
                             {{"file", "a", "1", nullptr, {}}, {"file", "b", "2", nullptr, {}}});
        QCOMPARE(r.code(), u"multiple_contents"_qs);
        // The stored name comes from the URL, never from the part's own file name.
        QCOMPARE(
            c->postMultipart(files() + u"real.txt/"_qs, {{"file", "/etc/passwd", "x", nullptr, {}}})
                .status,
            201);
        QCOMPARE(entry(c->get(files()).array(), u"real.txt"_qs)[u"size"_qs].toInt(), 1);
        // QGIS files: readable, one per project.
        r = c->uploadFile(files() + u"broken.qgs/"_qs, "not xml at all");
        QCOMPARE(r.code(), u"invalid_qgis_project_file"_qs);
        r = c->uploadFile(files() + u"other.qgs/"_qs,
                          "<!DOCTYPE qgis><qgis projectname=\"\"></qgis>");
        QCOMPARE(r.code(), u"invalid_qgis_project_file"_qs); // no version attribute
        QCOMPARE(c->uploadFile(files() + u"sub dir/project qgis 1.2.qgz/"_qs,
                               readFile(qEnvironmentVariable("QFC_TEST_TESTS_DIR")
                                        + u"/data/worker/self_contained.qgz"_qs))
                     .status,
                 201);
        r = c->uploadFile(files() + u"second.qgs/"_qs, readFile(m_core + u"self_contained.qgs"_qs));
        QCOMPARE(r.code(), u"multiple_projects"_qs);
        QCOMPARE(c->get(u"projects/"_qs + m_project + u'/')
                     .object()[u"the_qgis_file_name"_qs]
                     .toString(),
                 u"sub dir/project qgis 1.2.qgz"_qs);
        // Shared datasets projects hold no QGIS file.
        const QString shared = c->postJson(u"projects/"_qs, {{u"name"_qs, u"shared_datasets"_qs}})
                                   .object()[u"id"_qs]
                                   .toString();
        r = c->uploadFile(u"files/"_qs + shared + u"/x.qgs/"_qs,
                          readFile(m_core + u"self_contained.qgs"_qs));
        QCOMPARE(r.code(), u"qgis_project_file_not_allowed"_qs);
        QCOMPARE(c->uploadFile(u"files/"_qs + shared + u"/base.gpkg/"_qs, "gpkg").status, 201);
        QCOMPARE(c->get(u"files/"_qs + shared + u"/base.gpkg/"_qs).body, QByteArray("gpkg"));
    }

    // §1.7 and §19.8: these names answer 400 validation_error and store nothing.
    void badNames_data()
    {
        QTest::addColumn<QString>("path");
        for (const char *p : {"..%2Fescape.txt",
                              "a%5Cb.txt",
                              "C:%5Cx.txt",
                              "x%3A.txt",
                              "a%00b.txt",
                              "a%01b.txt",
                              "CON",
                              "con",
                              "nul.gpkg",
                              "LPT1.txt",
                              "a.",
                              "a%20",
                              "%20a",
                              "q%3F.txt",
                              "s%2A.txt",
                              "p%7C.txt",
                              "l%3C.txt",
                              "g%3E.txt",
                              "d%22.txt",
                              "dir%2F%2Ffile",
                              "a/../b.txt",
                              "a/./b.txt",
                              "../up.txt",
                              "./here.txt"})
            QTest::newRow(p) << QString::fromLatin1(p);
        QTest::newRow("256-chars") << QString(256, u'a');
    }

    void badNames()
    {
        QFETCH(QString, path);
        const Reply r = rawUpload(files() + path + u'/', "data");
        QVERIFY2(r.status == 400 || r.status == 404,
                 qPrintable(QString::number(r.status) + u' ' + QString::fromUtf8(r.body)));
        if (r.status == 400)
            QCOMPARE(r.code(), u"validation_error"_qs);
        QVERIFY(as(m_alice)->get(files()).array().isEmpty());
        QCOMPARE(QDir(m_server->dataDir() + u"/tmp/uploads"_qs).entryList(QDir::Files).size(), 0);
    }

    // Names are byte-exact and case-sensitive; a name valid here is valid on any host.
    void exactNames()
    {
        auto c = as(m_alice);
        QCOMPARE(c->uploadFile(files() + u"Data.gpkg/"_qs, "upper").status, 201);
        QCOMPARE(c->uploadFile(files() + u"data.gpkg/"_qs, "lower").status, 201);
        QCOMPARE(c->uploadFile(files() + u"DCIM/caf%C3%A9%20%2B%201.jpg/"_qs, "unicode").status,
                 201);
        const QJsonArray list = c->get(files()).array();
        QCOMPARE(list.size(), 3);
        QVERIFY(!entry(list, QString::fromUtf8("DCIM/café + 1.jpg")).isEmpty());
        QCOMPARE(c->get(files() + u"Data.gpkg/"_qs).body, QByteArray("upper"));
        QCOMPARE(c->get(files() + u"data.gpkg/"_qs).body, QByteArray("lower"));
        QCOMPARE(c->get(files() + u"DCIM/caf%C3%A9%20%2B%201.jpg/"_qs).body, QByteArray("unicode"));
        // Host file names are sha256 blobs, never the user's names.
        QVERIFY(QDir(m_server->dataDir()).entryList({u"*.gpkg"_qs}, QDir::Files).isEmpty());
    }

    void ranges()
    {
        auto c = as(m_alice);
        QByteArray data(1000, Qt::Uninitialized);
        for (int i = 0; i < data.size(); ++i)
            data[i] = char(i % 251);
        QCOMPARE(c->uploadFile(files() + u"r.bin/"_qs, data).status, 201);
        Reply r = c->get(files() + u"r.bin/"_qs, {{"Range", "bytes=100-199"}});
        QCOMPARE(r.status, 206);
        QCOMPARE(r.body, data.mid(100, 100));
        QCOMPARE(r.header("Content-Range"), QByteArray("bytes 100-199/1000"));
        r = c->get(files() + u"r.bin/"_qs, {{"Range", "bytes=990-"}}); // QField's resume
        QCOMPARE(r.status, 206);
        QCOMPARE(r.body, data.mid(990));
        QCOMPARE(r.header("Content-Range"), QByteArray("bytes 990-999/1000"));
        for (const char *bad : {"bytes=0-0", "bytes=1000-", "bytes=5-1000", "bytes=-100",
                                "bytes=0-1,5-6", "bytes= 1-2", "items=0-1", "bytes=x-"}) {
            r = c->get(files() + u"r.bin/"_qs, {{"Range", bad}});
            QCOMPARE(r.status, 416);
            QCOMPARE(r.code(), u"invalid_http_range"_qs);
        }
        QCOMPARE(c->uploadFile(files() + u"empty.bin/"_qs, QByteArray()).status, 201);
        QCOMPARE(c->get(files() + u"empty.bin/"_qs).status, 200);
        QCOMPARE(c->get(files() + u"empty.bin/"_qs, {{"Range", "bytes=0-"}}).status, 416);
        // If-None-Match: quoted, unquoted (the SDK) and in lists → 304 without a body.
        const QByteArray tag = etag(data).toLatin1();
        const QByteArrayList variants{tag, QByteArray('"' + tag + '"'),
                                      QByteArray("\"other\", \"" + tag + '"'),
                                      QByteArray("W/\"" + tag + '"')};
        for (const QByteArray &v : variants) {
            r = c->get(files() + u"r.bin/"_qs, {{"If-None-Match", v}});
            QCOMPARE(r.status, 304);
            QVERIFY(r.body.isEmpty());
        }
        QCOMPARE(c->get(files() + u"r.bin/"_qs, {{"If-None-Match", "\"other\""}}).status, 200);
        r = c->head(files() + u"r.bin/"_qs);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("Content-Length"), QByteArray("1000"));
        QVERIFY(r.body.isEmpty());
    }

    // A file of more than one 8 MiB part: the multipart ETag.
    void multipartEtag()
    {
        QByteArray big(10000000, 'x');
        QCOMPARE(as(m_alice)->uploadFile(files() + u"big.bin/"_qs, big).status, 201);
        QCOMPARE(entry(as(m_alice)->get(files()).array(), u"big.bin"_qs)[u"md5sum"_qs].toString(),
                 u"1e762c1c6ca960a51ce95942752cf1f6-2"_qs); // spec/api.md §1.8's example
    }

    void quotaAndRetention()
    {
        auto db = m_server->instance().database().connection();
        qfc::db::Query::run(db, u"UPDATE plans SET storage_mb = 2, storage_keep_versions = 2"_qs);
        auto sdk = as(m_alice);
        QCOMPARE(sdk->uploadFile(files() + u"v.txt/"_qs, QByteArray(400000, 'a')).status, 201);
        QCOMPARE(sdk->uploadFile(files() + u"v.txt/"_qs, QByteArray(400000, 'b')).status, 201);
        QCOMPARE(sdk->uploadFile(files() + u"v.txt/"_qs, QByteArray(400000, 'c')).status, 201);
        // Two versions kept; the storage counts them.
        const QJsonObject v = entry(sdk->get(files()).array(), u"v.txt"_qs);
        QCOMPARE(v[u"versions"_qs].toArray().size(), 2);
        QCOMPARE(sdk->get(files() + u"v.txt/"_qs).body, QByteArray(400000, 'c'));
        QCOMPARE(sdk->get(u"subscriptions/alice/current/"_qs)
                     .object()[u"storage_used_bytes"_qs]
                     .toInteger(),
                 800000);
        // Over quota for the SDK; QField's uploads are always accepted.
        Reply r = sdk->uploadFile(files() + u"w.txt/"_qs, QByteArray(1300000, 'w'));
        QCOMPARE(r.status, 402);
        QCOMPARE(r.object(),
                 QJsonObject({{u"code"_qs, u"over_quota"_qs}, {u"message"_qs, u"Quota error"_qs}}));
        auto qfield = as(m_server->login(u"alice"_qs, u"secret-alice"_qs, kQField), kQField);
        QCOMPARE(
            qfield->uploadFile(files() + u"DCIM/photo.jpg/"_qs, QByteArray(1300000, 'p')).status,
            201);
    }

    void thumbnails()
    {
        auto c = as(m_alice);
        QCOMPARE(c->get(u"files/thumbnails/"_qs + m_project + u'/').status, 404);
        const QByteArray image = png(64, 48);
        Reply r = c->postMultipart(u"projects/"_qs + m_project + u"/thumbnail/"_qs,
                                   {{"thumbnail", "t.png", image, nullptr, "image/png"}});
        QCOMPARE(r.status, 204);
        r = c->get(u"files/thumbnails/"_qs + m_project + u'/');
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("Content-Type"), QByteArray("image/png"));
        QCOMPARE(r.body, image);
        QVERIFY(r.header("Content-Disposition").isEmpty());
        const QByteArray jpeg = readFile(m_core + u"DCIM/1.jpg"_qs);
        QCOMPARE(c->postMultipart(u"projects/"_qs + m_project + u"/thumbnail/"_qs,
                                  {{"thumbnail", "t.jpg", jpeg, nullptr, {}}})
                     .status,
                 204);
        QCOMPARE(c->get(u"files/thumbnails/"_qs + m_project + u'/').header("Content-Type"),
                 QByteArray("image/jpeg"));
        QCOMPARE(c->postMultipart(u"projects/"_qs + m_project + u"/thumbnail/"_qs,
                                  {{"thumbnail", "h.png", png(20000, 10), nullptr, {}}})
                     .code(),
                 u"api_error"_qs);
        QCOMPARE(c->postMultipart(u"projects/"_qs + m_project + u"/thumbnail/"_qs,
                                  {{"thumbnail", "t.gif", "GIF89a....", nullptr, {}}})
                     .code(),
                 u"api_error"_qs);
        QCOMPARE(c->postJson(u"projects/"_qs + m_project + u"/thumbnail/"_qs, {}).status, 415);
        QCOMPARE(c->get(u"files/thumbnails/"_qs + m_project + u'/').header("Content-Type"),
                 QByteArray("image/jpeg"));
    }

    // §19.12: clone_from_project copies the source's latest versions server-side.
    void cloneProject()
    {
        auto c = as(m_alice);
        const QByteArray qgs = readFile(m_core + u"simple_bumblebees.qgs"_qs);
        QCOMPARE(c->uploadFile(files() + u"simple_bumblebees.qgs/"_qs, qgs).status, 201);
        QCOMPARE(c->uploadFile(files() + u"data.gpkg/"_qs, "one").status, 201);
        QCOMPARE(c->uploadFile(files() + u"data.gpkg/"_qs, "two").status, 201);
        c->send("PATCH", u"projects/"_qs + m_project + u'/',
                R"({"overwrite_conflicts": false, "description": "src"})", "application/json");
        Reply r = c->postJson(u"projects/"_qs,
                              {{u"name"_qs, u"copy"_qs}, {u"clone_from_project"_qs, m_project}});
        QCOMPARE(r.status, 201);
        const QJsonObject copy = r.object();
        QCOMPARE(copy[u"description"_qs].toString(), u"src"_qs);
        QCOMPARE(copy[u"overwrite_conflicts"_qs].toBool(), false);
        QCOMPARE(copy[u"the_qgis_file_name"_qs].toString(), u"simple_bumblebees.qgs"_qs);
        const QString id = copy[u"id"_qs].toString();
        const QJsonArray list = c->get(u"files/"_qs + id + u'/').array();
        QCOMPARE(list.size(), 2);
        QCOMPARE(entry(list, u"data.gpkg"_qs)[u"versions"_qs].toArray().size(), 1);
        QCOMPARE(c->get(u"files/"_qs + id + u"/data.gpkg/"_qs).body, QByteArray("two"));
        QCOMPARE(c->get(u"files/"_qs + id + u"/simple_bumblebees.qgs/"_qs).body, qgs);
        // Errors.
        QCOMPARE(
            c->postJson(u"projects/"_qs,
                        {{u"name"_qs, u"c2"_qs},
                         {u"clone_from_project"_qs, u"00000000-0000-4000-8000-000000000000"_qs}})
                .status,
            404);
        QCOMPARE(as(m_bob)
                     ->postJson(u"projects/"_qs,
                                {{u"name"_qs, u"c3"_qs}, {u"clone_from_project"_qs, m_project}})
                     .status,
                 403);
        const QString shared = c->postJson(u"projects/"_qs, {{u"name"_qs, u"shared_datasets"_qs}})
                                   .object()[u"id"_qs]
                                   .toString();
        QCOMPARE(c->postJson(u"projects/"_qs,
                             {{u"name"_qs, u"c4"_qs}, {u"clone_from_project"_qs, shared}})
                     .code(),
                 u"not_cloneable_project"_qs);
    }

    // Deleting a project: nothing stays reachable, and its blobs are collected once unreferenced.
    void deleteProjectCollectsBlobs()
    {
        auto c = as(m_alice);
        QCOMPARE(c->uploadFile(files() + u"only-here.bin/"_qs, "unique content 42").status, 201);
        QCOMPARE(c->del(u"projects/"_qs + m_project + u'/').status, 204);
        QCOMPARE(c->get(files()).status, 404);
        QCOMPARE(c->get(files() + u"only-here.bin/"_qs).status, 404);
        auto &store = m_server->instance().store();
        const QString sha = sha256("unique content 42");
        QVERIFY(store.contains(sha));
        auto db = m_server->instance().database().connection();
        const qfc::files::GarbageReport report = store.collectGarbage(
            [&](const QString &s) {
                return qfc::db::Query::scalar(
                           db, u"SELECT count(*) FROM file_versions WHERE sha256 = :s"_qs,
                           {{u":s"_qs, s}})
                           ->toInt()
                    > 0;
            },
            0);
        QVERIFY(report.removed >= 1);
        QVERIFY(!store.contains(sha));
    }
};

QTEST_GUILESS_MAIN(tst_Files)
#include "tst_files.moc"
