#include "core/names.h"

#include <QTest>

using namespace qfc;

class tst_Names final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void username_data();
    void username();
    void reservedUsername_data();
    void reservedUsername();
    void projectName_data();
    void projectName();
    void filePath_data();
    void filePath();
};

void tst_Names::username_data()
{
    QTest::addColumn<QString>("username");
    QTest::addColumn<QString>("reason"); // empty: valid

    const QString Length = u"must be 3 to 150 characters long"_qs;
    const QString Characters = u"may only contain letters, digits, '-' and '_'"_qs;
    const QString FirstLetter = u"must start with a letter"_qs;
    const QString Reserved = u"is a reserved word"_qs;

    QTest::newRow("simple→valid") << u"alice"_qs << QString();
    QTest::newRow("three-chars→valid") << u"abc"_qs << QString();
    QTest::newRow("dash-underscore-digits→valid") << u"a-b_c9"_qs << QString();
    QTest::newRow("uppercase→valid") << u"Alice_Smith-2"_qs << QString();
    QTest::newRow("150-chars→valid") << (u"a"_qs + QString(149, u'b')) << QString();
    QTest::newRow("reserved-as-prefix→valid") << u"users2"_qs << QString();
    QTest::newRow("two-chars→invalid") << u"ab"_qs << Length;
    QTest::newRow("empty→invalid") << QString() << Length;
    QTest::newRow("151-chars→invalid") << (u"a"_qs + QString(150, u'b')) << Length;
    QTest::newRow("starts-with-digit→invalid") << u"1alice"_qs << FirstLetter;
    QTest::newRow("starts-with-dash→invalid") << u"-alice"_qs << FirstLetter;
    QTest::newRow("starts-with-underscore→invalid") << u"_alice"_qs << FirstLetter;
    QTest::newRow("dot→invalid") << u"alice.smith"_qs << Characters;
    QTest::newRow("space→invalid") << u"alice smith"_qs << Characters;
    QTest::newRow("at-sign→invalid") << u"alice@example"_qs << Characters;
    QTest::newRow("team-internal-name→invalid") << u"@org/team"_qs << Characters;
    QTest::newRow("non-ascii-letter→invalid") << u"jérôme"_qs << Characters;
    QTest::newRow("trailing-newline→invalid") << u"alice\n"_qs << Characters;
    QTest::newRow("reserved-lowercase→invalid") << u"projects"_qs << Reserved;
    QTest::newRow("reserved-mixed-case→invalid") << u"QFieldCloud"_qs << Reserved;
    QTest::newRow("reserved-with-dash→invalid") << u"qfield-files"_qs << Reserved;
}

void tst_Names::username()
{
    QFETCH(QString, username);
    QFETCH(QString, reason);
    QCOMPARE(names::checkUsername(username), reason);
}

void tst_Names::reservedUsername_data()
{
    QTest::addColumn<QString>("username");
    QTest::addColumn<bool>("reserved");

    // Upstream's complete list (QFieldCloud core/validators.py reserved_words_validator).
    const QStringList words{
        u"user"_qs,         u"users"_qs,         u"project"_qs,     u"projects"_qs,
        u"owner"_qs,        u"push"_qs,          u"file"_qs,        u"files"_qs,
        u"collaborator"_qs, u"collaborators"_qs, u"member"_qs,      u"members"_qs,
        u"organization"_qs, u"qfield"_qs,        u"qfieldcloud"_qs, u"history"_qs,
        u"version"_qs,      u"delta"_qs,         u"deltas"_qs,      u"deltafile"_qs,
        u"auth"_qs,         u"qfield-files"_qs,  u"esri"_qs,
    };
    for (const QString &word : words) {
        QTest::addRow("%s→reserved", qPrintable(word)) << word << true;
        QTest::addRow("%s-uppercase→reserved", qPrintable(word)) << word.toUpper() << true;
    }
    QTest::newRow("organizations→free") << u"organizations"_qs << false;
    QTest::newRow("admin→free") << u"admin"_qs << false;
    QTest::newRow("esri1→free") << u"esri1"_qs << false;
    QTest::newRow("empty→free") << QString() << false;
}

void tst_Names::reservedUsername()
{
    QFETCH(QString, username);
    QFETCH(bool, reserved);
    QCOMPARE(names::isReservedUsername(username), reserved);
}

void tst_Names::projectName_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("reason"); // empty: valid

    const QString Length = u"must be 1 to 255 characters long"_qs;
    const QString Characters = u"may only contain letters, digits, '-', '_' and '.'"_qs;

    QTest::newRow("simple→valid") << u"my_project"_qs << QString();
    QTest::newRow("one-char→valid") << u"p"_qs << QString();
    QTest::newRow("all-allowed-symbols→valid") << u"a-b_c.d9"_qs << QString();
    QTest::newRow("starts-with-digit→valid") << u"2024-survey"_qs << QString();
    QTest::newRow("shared_datasets→valid") << u"shared_datasets"_qs << QString();
    QTest::newRow("dots-only→valid") << u".."_qs << QString();
    QTest::newRow("255-chars→valid") << QString(255, u'p') << QString();
    QTest::newRow("empty→invalid") << QString() << Length;
    QTest::newRow("256-chars→invalid") << QString(256, u'p') << Length;
    QTest::newRow("space→invalid") << u"my project"_qs << Characters;
    QTest::newRow("slash→invalid") << u"a/b"_qs << Characters;
    QTest::newRow("non-ascii→invalid") << u"projét"_qs << Characters;
    QTest::newRow("plus→invalid") << u"a+b"_qs << Characters;
    QTest::newRow("trailing-newline→invalid") << u"project\n"_qs << Characters;
}

void tst_Names::projectName()
{
    QFETCH(QString, name);
    QFETCH(QString, reason);
    QCOMPARE(names::checkProjectName(name), reason);
}

void tst_Names::filePath_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("reason"); // empty: valid

    const QString Length = u"must be 1 to 255 characters long"_qs;
    const QString NotUnicode = u"is not valid Unicode"_qs;
    const QString Whitespace = u"must not start or end with whitespace"_qs;
    const QString Absolute = u"must be a relative path"_qs;
    const QString EmptySegment = u"must not contain empty path segments"_qs;
    const QString DotSegment = u"must not contain '.' or '..' segments"_qs;
    const QString Forbidden = u"must not contain < > : \" \\ | ? * or control characters"_qs;
    const QString SegmentEnd = u"path segments must not end with a dot or whitespace"_qs;
    const QString Device = u"must not use a reserved Windows device name"_qs;

    const QString frog = u"🐸"_qs; // one code point, two UTF-16 units, four UTF-8 bytes

    // Valid, all accepted by upstream as well.
    QTest::newRow("one-char→valid") << u"a"_qs << QString();
    QTest::newRow("project-file→valid") << u"project.qgs"_qs << QString();
    QTest::newRow("nested→valid") << u"a/b/c.gpkg"_qs << QString();
    QTest::newRow("dcim-unicode-space→valid") << u"DCIM/photo é 1.jpg"_qs << QString();
    QTest::newRow("dcim-decomposed-é→valid") << u"DCIM/photo e\u0301 1.jpg"_qs << QString();
    QTest::newRow("inner-space→valid") << u"f f"_qs << QString();
    QTest::newRow("spaces-in-segments→valid") << u"my data/my layer.gpkg"_qs << QString();
    QTest::newRow("segment-with-leading-space→valid") << u"a/ b"_qs << QString();
    QTest::newRow("hidden-file→valid") << u".hidden"_qs << QString();
    QTest::newRow("hidden-dir→valid") << u"a/.hidden/b"_qs << QString();
    QTest::newRow("cjk→valid") << u"日本語/ファイル.txt"_qs << QString();
    QTest::newRow("emoji→valid") << (u"emoji "_qs + frog + u".png"_qs) << QString();
    QTest::newRow("inner-nbsp→valid") << u"a\u00a0b"_qs << QString();
    QTest::newRow("punctuation→valid") << u"a-b_c+d=e,f;g'h(i)[j]{k}!@#$%^&~`"_qs << QString();
    QTest::newRow("console-not-device→valid") << u"console.txt"_qs << QString();
    QTest::newRow("CONSOLE-not-device→valid") << u"CONSOLE"_qs << QString();
    QTest::newRow("COM10-not-device→valid") << u"COM10"_qs << QString();
    QTest::newRow("COM-not-device→valid") << u"COM"_qs << QString();
    QTest::newRow("aux_data-not-device→valid") << u"aux_data.gpkg"_qs << QString();
    QTest::newRow("dot-con-not-device→valid") << u".con"_qs << QString();
    QTest::newRow("device-name-inside-segment→valid") << u"my nul.gpkg"_qs << QString();
    QTest::newRow("255-ascii→valid") << QString(255, u'x') << QString();
    QTest::newRow("255-two-byte-chars→valid") << QString(255, u'é') << QString();
    QTest::newRow("255-emoji-1020-bytes→valid") << frog.repeated(255) << QString();
    QTest::newRow("255-chars-in-segments→valid")
        << (u"a/"_qs.repeated(100) + QString(55, u'z')) << QString();

    // Invalid, as upstream.
    QTest::newRow("empty→invalid") << QString() << Length;
    QTest::newRow("dotdot→invalid") << u".."_qs << DotSegment;
    QTest::newRow("dotdot-segment→invalid") << u"a/../b"_qs << DotSegment;
    QTest::newRow("leading-dotdot→invalid") << u"../a"_qs << DotSegment;
    QTest::newRow("absolute→invalid") << u"/abs"_qs << Absolute;
    QTest::newRow("root→invalid") << u"/"_qs << Absolute;
    QTest::newRow("drive-backslash→invalid") << u"C:\\x"_qs << Forbidden;
    QTest::newRow("drive-slash→invalid") << u"C:/x"_qs << Forbidden;
    QTest::newRow("backslash→invalid") << u"a\\b"_qs << Forbidden;
    QTest::newRow("CON→invalid") << u"CON"_qs << Device;
    QTest::newRow("con→invalid") << u"con"_qs << Device;
    QTest::newRow("com0→invalid") << u"com0"_qs << Device;
    QTest::newRow("device-dir→invalid") << u"dir/COM1"_qs << Device;
    QTest::newRow("device-parent→invalid") << u"LPT9/a.txt"_qs << Device;
    QTest::newRow("PRN→invalid") << u"PRN"_qs << Device;
    QTest::newRow("aux→invalid") << u"aux"_qs << Device;
    QTest::newRow("trailing-dot→invalid") << u"a."_qs << SegmentEnd;
    QTest::newRow("dir-trailing-dot→invalid") << u"dir./a"_qs << SegmentEnd;
    QTest::newRow("leading-space→invalid") << u" a"_qs << Whitespace;
    QTest::newRow("trailing-space→invalid") << u"a "_qs << Whitespace;
    QTest::newRow("dir-trailing-space→invalid") << u"dir /a"_qs << SegmentEnd;
    QTest::newRow("trailing-em-space→invalid") << u"a\u2003"_qs << Whitespace;
    QTest::newRow("leading-nbsp→invalid") << u"\u00a0a"_qs << Whitespace;
    QTest::newRow("less-than→invalid") << u"a<b"_qs << Forbidden;
    QTest::newRow("greater-than→invalid") << u"a>b"_qs << Forbidden;
    QTest::newRow("colon→invalid") << u"a:b"_qs << Forbidden;
    QTest::newRow("quote→invalid") << u"a\"b"_qs << Forbidden;
    QTest::newRow("pipe→invalid") << u"a|b"_qs << Forbidden;
    QTest::newRow("question-mark→invalid") << u"a?b"_qs << Forbidden;
    QTest::newRow("asterisk→invalid") << u"a*b"_qs << Forbidden;
    QTest::newRow("256-ascii→invalid") << QString(256, u'x') << Length;
    QTest::newRow("256-two-byte-chars→invalid") << QString(256, u'é') << Length;
    QTest::newRow("257-chars-1025-bytes→invalid") << (frog.repeated(256) + u'a') << Length;

    // Invalid here, accepted by upstream (pathlib drops "." and empty segments; no control
    // character check in its regex; device names only exact and all-upper or all-lower).
    QTest::newRow("dot→invalid") << u"."_qs << DotSegment;
    QTest::newRow("dot-segment→invalid") << u"a/./b"_qs << DotSegment;
    QTest::newRow("trailing-slash→invalid") << u"a/"_qs << EmptySegment;
    QTest::newRow("double-slash→invalid") << u"a//b"_qs << EmptySegment;
    QTest::newRow("nul.gpkg→invalid") << u"nul.gpkg"_qs << Device;
    QTest::newRow("NUL.gpkg→invalid") << u"NUL.gpkg"_qs << Device;
    QTest::newRow("Nul.tar.gz→invalid") << u"Nul.tar.gz"_qs << Device;
    QTest::newRow("Con→invalid") << u"Con"_qs << Device;
    QTest::newRow("lPt1-in-dir→invalid") << u"a/lPt1/b"_qs << Device;
    QTest::newRow("device-space-extension→invalid") << u"aux .txt"_qs << Device;
    QTest::newRow("control-0x01→invalid") << u"a\x01"
                                             "b"_qs
                                          << Forbidden;
    QTest::newRow("nul-char→invalid") << u"a\0b"_qs << Forbidden;
    QTest::newRow("del-0x7f→invalid") << u"a\x7f"
                                         "b"_qs
                                      << Forbidden;
    QTest::newRow("tab→invalid") << u"a\tb"_qs << Forbidden;
    QTest::newRow("newline→invalid") << u"a\nb"_qs << Forbidden;
    QTest::newRow("carriage-return→invalid") << u"file\r.txt"_qs << Forbidden;
    QTest::newRow("c1-next-line→invalid") << u"a\u0085b"_qs << Forbidden;
    QTest::newRow("lone-high-surrogate→invalid")
        << (u"a"_qs + QChar(0xd800) + u"b"_qs) << NotUnicode;
    QTest::newRow("lone-low-surrogate→invalid") << (u"a"_qs + QChar(0xdc00)) << NotUnicode;
}

void tst_Names::filePath()
{
    QFETCH(QString, path);
    QFETCH(QString, reason);
    QCOMPARE(names::checkFilePath(path), reason);
}

QTEST_GUILESS_MAIN(tst_Names)
#include "tst_names.moc"
