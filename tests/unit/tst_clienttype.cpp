#include "auth/clienttype.h"

#include <QTest>

using namespace qfc;

// Expected classes were cross-checked by running upstream's guess_client_type()
// (QFieldCloud docker-app/qfieldcloud/authentication/models.py) under Python on every row.

class tst_ClientType final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void classify_data();
    void classify();
    void names_data();
    void names();
    void unknownNames_data();
    void unknownNames();
    void singleTokenClass_data();
    void singleTokenClass();
};

void tst_ClientType::classify_data()
{
    QTest::addColumn<QByteArray>("userAgent");
    QTest::addColumn<ClientType>("expected");

    // The real examples of spec/api.md §1.4.
    QTest::newRow("qfield-real→qfield")
        << QByteArray("qfield|3.5.0|Tsavo|4841a6b| QGIS/34000") << ClientType::QField;
    QTest::newRow("sdk-real→sdk") << QByteArray("sdk|py|0.9 python-requests|2.32")
                                  << ClientType::Sdk;
    QTest::newRow("qfieldsync-ubuntu→qfieldsync")
        << QByteArray("Mozilla/5.0 QGIS/34000/Ubuntu 22.04.3 LTS") << ClientType::QFieldSync;

    // Prefixes: exact and case-sensitive, first match wins.
    QTest::newRow("qfield-bare-prefix→qfield") << QByteArray("qfield|") << ClientType::QField;
    QTest::newRow("qfield-without-pipe→unknown") << QByteArray("qfield") << ClientType::Unknown;
    QTest::newRow("QField-capitalised-with-qgis-suffix→qfieldsync")
        << QByteArray("QField|3.5.0|Tsavo|4841a6b| QGIS/34000") << ClientType::QFieldSync;
    QTest::newRow("qfield-after-space→unknown")
        << QByteArray(" qfield|3.5.0") << ClientType::Unknown;
    QTest::newRow("sdk-bare-prefix→sdk") << QByteArray("sdk|") << ClientType::Sdk;
    QTest::newRow("SDK-uppercase→unknown") << QByteArray("SDK|py|0.9") << ClientType::Unknown;
    QTest::newRow("cli→cli") << QByteArray("cli|py|0.9 python-requests|2.32") << ClientType::Cli;

    // QFieldSync: " QGIS/[34]dddd" at the end, optionally followed by "/...".
    QTest::newRow("qgis-windows→qfieldsync")
        << QByteArray("Mozilla/5.0 QGIS/32815/Windows 10 Version 2009") << ClientType::QFieldSync;
    QTest::newRow("qgis-3.16-no-platform→qfieldsync")
        << QByteArray("Mozilla/5.0 QGIS/31615") << ClientType::QFieldSync;
    QTest::newRow("qgis-empty-platform→qfieldsync")
        << QByteArray("Mozilla/5.0 QGIS/34000/") << ClientType::QFieldSync;
    QTest::newRow("qgis-latin1-platform→qfieldsync")
        << QByteArray("Mozilla/5.0 QGIS/34000/Windows caf\xe9") << ClientType::QFieldSync;
    QTest::newRow("qgis-without-leading-space→unknown")
        << QByteArray("QGIS/34000") << ClientType::Unknown;
    QTest::newRow("qgis-2.18→unknown")
        << QByteArray("Mozilla/5.0 QGIS/21815") << ClientType::Unknown;
    QTest::newRow("qgis-5→unknown") << QByteArray("Mozilla/5.0 QGIS/50000") << ClientType::Unknown;
    QTest::newRow("qgis-six-digits→unknown")
        << QByteArray("Mozilla/5.0 QGIS/340001") << ClientType::Unknown;
    QTest::newRow("qgis-four-digits→unknown")
        << QByteArray("Mozilla/5.0 QGIS/3400") << ClientType::Unknown;
    QTest::newRow("qgis-then-space→unknown")
        << QByteArray("Mozilla/5.0 QGIS/34000 extra") << ClientType::Unknown;
    QTest::newRow("webkit-ending-in-qgis→qfieldsync")
        << QByteArray("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) "
                      "Safari/538.1 QGIS/34000")
        << ClientType::QFieldSync;

    // Browsers.
    QTest::newRow("chrome→browser")
        << QByteArray("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
                      "Gecko) Chrome/124.0.0.0 Safari/537.36")
        << ClientType::Browser;
    QTest::newRow("firefox→browser")
        << QByteArray("Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0")
        << ClientType::Browser;
    QTest::newRow("qgis-webkit-with-qgis-inside→browser")
        << QByteArray("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) "
                      "QGIS/34000 Safari/538.1")
        << ClientType::Browser;
    // Upstream quirk kept: a three-part WebKit version does not match "\d{1,5}.\d{1,5} \(".
    QTest::newRow("safari-605.1.15→unknown")
        << QByteArray("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
                      "(KHTML, like Gecko) Version/17.4 Safari/605.1.15")
        << ClientType::Unknown;
    QTest::newRow("firefox-right-after-mozilla→unknown")
        << QByteArray("Mozilla/5.0 Firefox/125.0") << ClientType::Unknown;
    QTest::newRow("firefox-minimal→browser")
        << QByteArray("Mozilla/5.0 x Firefox/1") << ClientType::Browser;
    QTest::newRow("firefox-dot-version→browser")
        << QByteArray("Mozilla/5.0 (X11) Firefox/.") << ClientType::Browser;
    QTest::newRow("firefox-letter-version→unknown")
        << QByteArray("Mozilla/5.0 (X11) Firefox/x") << ClientType::Unknown;
    QTest::newRow("unescaped-dot-in-5.0→browser")
        << QByteArray("Mozilla/5x0 (X11) Firefox/125.0") << ClientType::Browser;
    QTest::newRow("no-space-after-version→unknown")
        << QByteArray("Mozilla/5.0X(X11) Firefox/125.0") << ClientType::Unknown;
    QTest::newRow("mozilla-4→unknown")
        << QByteArray("Mozilla/4.0 (compatible; MSIE 8.0) AppleWebKit/537.36 (KHTML, like Gecko)")
        << ClientType::Unknown;
    QTest::newRow("mozilla-lowercase→unknown")
        << QByteArray("mozilla/5.0 (X11) Firefox/125.0") << ClientType::Unknown;

    // Everything else.
    QTest::newRow("curl→unknown") << QByteArray("curl/8.5.0") << ClientType::Unknown;
    QTest::newRow("python-requests→unknown")
        << QByteArray("python-requests/2.31.0") << ClientType::Unknown;
    QTest::newRow("empty→unknown") << QByteArray() << ClientType::Unknown;
}

void tst_ClientType::classify()
{
    QFETCH(QByteArray, userAgent);
    QFETCH(ClientType, expected);
    QCOMPARE(classifyUserAgent(userAgent), expected);
}

void tst_ClientType::names_data()
{
    QTest::addColumn<ClientType>("type");
    QTest::addColumn<QString>("name");

    QTest::newRow("qfield") << ClientType::QField << u"qfield"_qs;
    QTest::newRow("sdk") << ClientType::Sdk << u"sdk"_qs;
    QTest::newRow("cli") << ClientType::Cli << u"cli"_qs;
    QTest::newRow("qfieldsync") << ClientType::QFieldSync << u"qfieldsync"_qs;
    QTest::newRow("browser") << ClientType::Browser << u"browser"_qs;
    QTest::newRow("unknown") << ClientType::Unknown << u"unknown"_qs;
    QTest::newRow("worker") << ClientType::Worker << u"worker"_qs;
}

void tst_ClientType::names()
{
    QFETCH(ClientType, type);
    QFETCH(QString, name);
    QCOMPARE(clientTypeName(type), name);
    QCOMPARE(clientTypeFromName(name), std::optional(type));
}

void tst_ClientType::unknownNames_data()
{
    QTest::addColumn<QString>("name");

    QTest::newRow("empty→nullopt") << QString();
    QTest::newRow("uppercase→nullopt") << u"QField"_qs;
    QTest::newRow("padded→nullopt") << u"sdk "_qs;
    QTest::newRow("other→nullopt") << u"android"_qs;
}

void tst_ClientType::unknownNames()
{
    QFETCH(QString, name);
    QCOMPARE(clientTypeFromName(name), std::nullopt);
}

void tst_ClientType::singleTokenClass_data()
{
    QTest::addColumn<ClientType>("type");
    QTest::addColumn<bool>("single");

    QTest::newRow("qfield→single") << ClientType::QField << true;
    QTest::newRow("qfieldsync→single") << ClientType::QFieldSync << true;
    QTest::newRow("unknown→single") << ClientType::Unknown << true;
    QTest::newRow("sdk→many") << ClientType::Sdk << false;
    QTest::newRow("cli→many") << ClientType::Cli << false;
    QTest::newRow("browser→many") << ClientType::Browser << false;
    QTest::newRow("worker→many") << ClientType::Worker << false;
}

void tst_ClientType::singleTokenClass()
{
    QFETCH(ClientType, type);
    QFETCH(bool, single);
    QCOMPARE(isSingleTokenClass(type), single);
}

QTEST_GUILESS_MAIN(tst_ClientType)
#include "tst_clienttype.moc"
