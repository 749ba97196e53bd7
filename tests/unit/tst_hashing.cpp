#include "core/hashing.h"

#include <QFile>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

using namespace qfc;

// Every expected digest below was computed with Python's hashlib (sha256(), md5(), and the S3
// ETag as md5(b"".join(md5(part).digest() for each 8 MiB part)).hexdigest() + "-<parts>"), never
// with the code under test.

namespace {

constexpr qint64 MiB = 1024 * 1024;

// Content recipes, so that the data rows stay small: `fill` repeated `size` times, or, when
// fill is 0, the pattern bytes((i * 7 + 3) % 251 for i in range(size)).
QByteArray makeContent(char fill, qint64 size)
{
    if (fill != 0)
        return QByteArray(size, fill);
    QByteArray content(size, Qt::Uninitialized);
    for (qint64 i = 0; i < size; ++i)
        content[i] = char((i * 7 + 3) % 251);
    return content;
}

} // namespace

class tst_Hashing final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void oneShot_data();
    void oneShot();
    void chunked_data();
    void chunked();
    void byteArrayViewOverload();
    void finishStartsOver();
    void digestFile_data();
    void digestFile();
    void digestFileMissing();
    void beyondFourGiB();

private:
    void addRows();
    static void check(const ContentDigest &digest);
};

void tst_Hashing::addRows()
{
    QTest::addColumn<char>("fill");
    QTest::addColumn<qint64>("size");
    QTest::addColumn<QString>("sha256");
    QTest::addColumn<QString>("md5");
    QTest::addColumn<QString>("etag");

    QTest::newRow("empty→md5-of-empty")
        << 'x' << qint64(0) << "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        << "d41d8cd98f00b204e9800998ecf8427e"
        << "d41d8cd98f00b204e9800998ecf8427e";
    QTest::newRow("one-byte→plain-md5")
        << 'x' << qint64(1) << "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"
        << "9dd4e461268c8034f5c8564e155c67a6"
        << "9dd4e461268c8034f5c8564e155c67a6";
    QTest::newRow("spec-example-10000000-x→1e762c…-2")
        << 'x' << qint64(10'000'000)
        << "0c9a42b3d065a64063eca67e98c932fa2e9a077bc7973a421a964a11304c998c"
        << "34801b928f5b34fb90c56312d79408f5"
        << "1e762c1c6ca960a51ce95942752cf1f6-2";
    QTest::newRow("8MiB-minus-1→plain-md5")
        << char(0) << qint64(8 * MiB - 1)
        << "b2b6bbd9463d8e837447171fc3c7a1bf934f8525ffc6191d7f21404cb16b73a6"
        << "6a07a8d65f9f142a0987ee525f7117d4"
        << "6a07a8d65f9f142a0987ee525f7117d4";
    QTest::newRow("exactly-8MiB→one-part-plain-md5")
        << 'x' << 8 * MiB << "0c77bc0a0795a93612d45256897456d0fcb24f151c44c150d07ecd03f4ef5168"
        << "2058fb53f643fcd58a8d83a05542392b"
        << "2058fb53f643fcd58a8d83a05542392b";
    QTest::newRow("8MiB-plus-1→two-parts")
        << 'x' << 8 * MiB + 1 << "942d6013edf5b8bf6c141eadd970afb4d1dec9f2d6d92dbe93f4be90748037ed"
        << "6da085075a42c68475b00073348604be"
        << "4324378fe1c19cb47d68b75ffd799f97-2";
    QTest::newRow("exactly-16MiB→two-full-parts")
        << 'x' << 16 * MiB << "a06c26cbac8b80704f420222dae5658b88ff2da96702d12ef7a4223e9361f7c1"
        << "d4760a6c6500b8c7fbb09e4c65bc558a"
        << "0fdfb84099d425daeed95c07873a8f11-2";
    QTest::newRow("16MiB-plus-1→three-parts")
        << 'x' << 16 * MiB + 1 << "991bc82a1f5bdf203ad43efb5c253856b49b5c09580d8ed24bcdd2f431f7707c"
        << "e0189db2a8ae3da1bd761d19cffb2b89"
        << "b774962477fd263cf0e997bcbc1e5f72-3";
    QTest::newRow("pattern-16MiB-plus-12345→three-parts")
        << char(0) << 16 * MiB + 12345
        << "09cc6e452d14412d2acbb662a8c3f998b344116e447a5845924f8bfb57e4e33d"
        << "fe9683b8d54f5116cee2a718f4e5df38"
        << "5e1c8b3ccf5f0f58b67532801b084b88-3";
}

void tst_Hashing::check(const ContentDigest &digest)
{
    QFETCH(qint64, size);
    QFETCH(QString, sha256);
    QFETCH(QString, md5);
    QFETCH(QString, etag);
    QCOMPARE(digest.size, size);
    QCOMPARE(digest.sha256, sha256);
    QCOMPARE(digest.md5, md5);
    QCOMPARE(digest.etag, etag);
}

void tst_Hashing::oneShot_data()
{
    addRows();
}

void tst_Hashing::oneShot()
{
    QFETCH(char, fill);
    QFETCH(qint64, size);
    const QByteArray content = makeContent(fill, size);
    StreamHasher hasher;
    hasher.addData(content.constData(), content.size());
    check(hasher.finish());
}

void tst_Hashing::chunked_data()
{
    addRows();
}

void tst_Hashing::chunked()
{
    QFETCH(char, fill);
    QFETCH(qint64, size);
    const QByteArray content = makeContent(fill, size);
    // Fixed sizes that straddle or hit the 8 MiB part boundary, then seeded random splits.
    const QList<qint64> fixedSizes{7, 4095, 65536, 8 * MiB - 1, 8 * MiB, 8 * MiB + 1};
    for (const qint64 chunkSize : fixedSizes) {
        StreamHasher hasher;
        for (qint64 pos = 0; pos < content.size(); pos += chunkSize)
            hasher.addData(content.constData() + pos, std::min(chunkSize, content.size() - pos));
        check(hasher.finish());
    }
    QRandomGenerator random(20240611);
    for (int round = 0; round < 5; ++round) {
        StreamHasher hasher;
        for (qint64 pos = 0; pos < content.size();) {
            const qint64 chunkSize =
                std::min<qint64>(random.bounded(1, int(3 * MiB)), content.size() - pos);
            hasher.addData(content.constData() + pos, chunkSize);
            hasher.addData(content.constData() + pos, 0); // empty chunks change nothing
            pos += chunkSize;
        }
        check(hasher.finish());
    }
}

void tst_Hashing::byteArrayViewOverload()
{
    StreamHasher hasher;
    hasher.addData(QByteArrayView("a"));
    hasher.addData(QByteArrayView("bc"));
    const ContentDigest digest = hasher.finish();
    QCOMPARE(digest.size, 3);
    QCOMPARE(digest.sha256, u"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"_qs);
    QCOMPARE(digest.md5, u"900150983cd24fb0d6963f7d28e17f72"_qs);
    QCOMPARE(digest.etag, u"900150983cd24fb0d6963f7d28e17f72"_qs);
}

void tst_Hashing::finishStartsOver()
{
    StreamHasher hasher;
    const QByteArray big = makeContent('x', 8 * MiB + 1);
    hasher.addData(big);
    QCOMPARE(hasher.finish().etag, u"4324378fe1c19cb47d68b75ffd799f97-2"_qs);
    hasher.addData(QByteArrayView("abc"));
    const ContentDigest digest = hasher.finish();
    QCOMPARE(digest.size, 3);
    QCOMPARE(digest.etag, u"900150983cd24fb0d6963f7d28e17f72"_qs);
    QCOMPARE(hasher.finish().md5, u"d41d8cd98f00b204e9800998ecf8427e"_qs);
}

void tst_Hashing::digestFile_data()
{
    addRows();
}

void tst_Hashing::digestFile()
{
    QFETCH(char, fill);
    QFETCH(qint64, size);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"content.bin"_qs);
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    QCOMPARE(file.write(makeContent(fill, size)), size);
    file.close();
    bool ok = false;
    check(qfc::digestFile(path, &ok));
    QVERIFY(ok);
}

void tst_Hashing::digestFileMissing()
{
    QTemporaryDir dir;
    bool ok = true;
    const ContentDigest digest = qfc::digestFile(dir.filePath(u"missing"_qs), &ok);
    QVERIFY(!ok);
    QVERIFY(digest.etag.isEmpty());
    ok = true;
    qfc::digestFile(dir.path(), &ok); // a directory cannot be read either
    QVERIFY(!ok);
}

void tst_Hashing::beyondFourGiB()
{
    // 4097 times the same 1 MiB block: 4 GiB + 1 MiB, 513 parts; the sizes overflow 32 bits.
    const QByteArray block = makeContent(0, MiB);
    StreamHasher hasher;
    for (int i = 0; i < 4097; ++i)
        hasher.addData(block);
    const ContentDigest digest = hasher.finish();
    QCOMPARE(digest.size, Q_INT64_C(4296015872));
    QCOMPARE(digest.sha256, u"189d44e701eff93e6430e83a1d7fcb406b57c97259527eef343808f88fa86bb0"_qs);
    QCOMPARE(digest.md5, u"7d14ada07bcabfb70949101e63724651"_qs);
    QCOMPARE(digest.etag, u"390f94a21f316f1c14fa331c378f4a16-513"_qs);
}

QTEST_GUILESS_MAIN(tst_Hashing)
#include "tst_hashing.moc"
