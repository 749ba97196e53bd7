#include "core/clock.h"

#include <QRegularExpression>
#include <QTest>

class tst_Clock final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void formatApi_data()
    {
        QTest::addColumn<qint64>("us");
        QTest::addColumn<QString>("text");
        QTest::newRow("epoch→six-zero-fraction")
            << qint64(0) << u"1970-01-01T00:00:00.000000+00:00"_qs;
        QTest::newRow("micros-kept")
            << qint64(1787333834123456) << u"2026-08-21T17:37:14.123456+00:00"_qs;
        QTest::newRow("one-micro") << qint64(1000001) << u"1970-01-01T00:00:01.000001+00:00"_qs;
        QTest::newRow("before-epoch") << qint64(-1) << u"1969-12-31T23:59:59.999999+00:00"_qs;
    }

    void formatApi()
    {
        QFETCH(qint64, us);
        QFETCH(QString, text);
        QCOMPARE(qfc::clock::formatApi(us), text);
    }

    void formatLegacy()
    {
        QCOMPARE(qfc::clock::formatLegacy(1787333834123456), u"21.08.2026 17:37:14 UTC"_qs);
    }

    void parseIso_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("us");
        QTest::newRow("zulu") << u"2026-08-21T17:37:14Z"_qs << qint64(1787333834000000);
        QTest::newRow("offset") << u"2026-08-21T19:37:14+02:00"_qs << qint64(1787333834000000);
        QTest::newRow("no-zone→utc") << u"2026-08-21T17:37:14"_qs << qint64(1787333834000000);
        QTest::newRow("millis") << u"2026-08-21T17:37:14.250Z"_qs << qint64(1787333834250000);
    }

    void parseIso()
    {
        QFETCH(QString, text);
        QFETCH(qint64, us);
        QCOMPARE(qfc::clock::parseIso(text).value_or(-1), us);
    }

    void parseIsoRejects()
    {
        QVERIFY(!qfc::clock::parseIso(u"yesterday"_qs));
        QVERIFY(!qfc::clock::parseIso(QString()));
    }

    void nowFormatsAsSpec()
    {
        static const QRegularExpression re(
            u"^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}\\+00:00$"_qs);
        QVERIFY(re.match(qfc::clock::formatApi(qfc::clock::nowUs())).hasMatch());
    }

    void testOffset()
    {
        const qint64 a = qfc::clock::nowUs();
        qfc::clock::setOffsetForTests(3600LL * 1000000);
        const qint64 b = qfc::clock::nowUs();
        qfc::clock::setOffsetForTests(0);
        QVERIFY(b - a >= 3600LL * 1000000);
        QVERIFY(b - a < 3601LL * 1000000);
    }
};

QTEST_GUILESS_MAIN(tst_Clock)
#include "tst_clock.moc"
