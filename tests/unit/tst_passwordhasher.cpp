#include "auth/passwordhasher.h"

#include <QRegularExpression>
#include <QSet>
#include <QTest>

using namespace qfc;

namespace {

// Published by Django: tests/auth_tests/test_hashers.py, TestUtilsHashPass.test_pbkdf2, at
// django/django commit 02dbf1667c6da61ea9346f7c9f174a158b896811 (the Django 4.1/4.2 default of
// 390000 iterations): make_password("lètmein", "seasalt", "pbkdf2_sha256").
const QString DjangoLetmein =
    u"pbkdf2_sha256$390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c="_qs;

// Computed with Python: "pbkdf2_sha256$%d$%s$%s" % (it, salt,
// base64.b64encode(hashlib.pbkdf2_hmac("sha256", pw.encode(), salt.encode(), it)).decode()).
const QString PythonHorse =
    u"pbkdf2_sha256$1000$Zx9Qm2Lp7Rt4Vw1Ky8Hb3N$sAlgSfLuok2RaT3CkcbkHJHysVFyGAQ49fqsysO2JJ0="_qs;
const QString PythonUnicode =
    u"pbkdf2_sha256$1000$Zx9Qm2Lp7Rt4Vw1Ky8Hb3N$tVFckqtBpi+9ZBfAIwaFWxY1u7+FP6AWOBDG6uCGrss="_qs;
const QString PythonBlank =
    u"pbkdf2_sha256$390000$seasalt$gflN4eXUTFEJvijto7oreY/on+ogxemTUWfqQXO/bWI="_qs;
const QString PythonOneIteration =
    u"pbkdf2_sha256$1$salt$Eg+2z/z4syxD5yJSVsT4N6hlSMkszDVICAWYfLcL4Xs="_qs;

const QString UnicodePassword = u"пароль-日本語-🔑"_qs;

} // namespace

class tst_PasswordHasher final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void hashWithSalt_data();
    void hashWithSalt();
    void hashWithSaltRejects_data();
    void hashWithSaltRejects();
    void verify_data();
    void verify();
    void needsRehash_data();
    void needsRehash();
    void hashUsesFreshSalts();
    void isUsable_data();
    void isUsable();
};

void tst_PasswordHasher::hashWithSalt_data()
{
    QTest::addColumn<QString>("password");
    QTest::addColumn<QString>("salt");
    QTest::addColumn<int>("iterations");
    QTest::addColumn<QString>("expected");

    QTest::newRow("django-published-lètmein-seasalt-390000")
        << u"lètmein"_qs << u"seasalt"_qs << 390000 << DjangoLetmein;
    QTest::newRow("python-blank-password") << QString() << u"seasalt"_qs << 390000 << PythonBlank;
    QTest::newRow("python-ascii-1000") << u"correct horse battery staple"_qs
                                       << u"Zx9Qm2Lp7Rt4Vw1Ky8Hb3N"_qs << 1000 << PythonHorse;
    QTest::newRow("python-non-ascii-password-utf8")
        << UnicodePassword << u"Zx9Qm2Lp7Rt4Vw1Ky8Hb3N"_qs << 1000 << PythonUnicode;
    QTest::newRow("python-one-iteration")
        << u"password"_qs << u"salt"_qs << 1 << PythonOneIteration;
}

void tst_PasswordHasher::hashWithSalt()
{
    QFETCH(QString, password);
    QFETCH(QString, salt);
    QFETCH(int, iterations);
    QFETCH(QString, expected);
    QCOMPARE(PasswordHasher::hashWithSalt(password, salt, iterations), expected);
}

void tst_PasswordHasher::hashWithSaltRejects_data()
{
    QTest::addColumn<QString>("salt");
    QTest::addColumn<int>("iterations");

    QTest::newRow("empty-salt→empty") << QString() << 1000;
    QTest::newRow("dollar-in-salt→empty") << u"sea$salt"_qs << 1000;
    QTest::newRow("zero-iterations→empty") << u"seasalt"_qs << 0;
    QTest::newRow("negative-iterations→empty") << u"seasalt"_qs << -5;
}

void tst_PasswordHasher::hashWithSaltRejects()
{
    QFETCH(QString, salt);
    QFETCH(int, iterations);
    QVERIFY(PasswordHasher::hashWithSalt(u"pw"_qs, salt, iterations).isEmpty());
}

void tst_PasswordHasher::verify_data()
{
    QTest::addColumn<QString>("password");
    QTest::addColumn<QString>("encoded");
    QTest::addColumn<bool>("valid");

    QTest::newRow("django-vector→true") << u"lètmein"_qs << DjangoLetmein << true;
    QTest::newRow("django-vector-wrong-password→false") << u"lètmeinz"_qs << DjangoLetmein << false;
    QTest::newRow("django-vector-decomposed-è→false") // byte-exact: no Unicode normalization
        << u"le\u0300tmein"_qs << DjangoLetmein << false;
    QTest::newRow("python-blank→true") << QString() << PythonBlank << true;
    QTest::newRow("python-blank-space→false") << u" "_qs << PythonBlank << false;
    QTest::newRow("python-unicode→true") << UnicodePassword << PythonUnicode << true;
    QTest::newRow("python-unicode-truncated→false")
        << UnicodePassword.chopped(2) << PythonUnicode << false;
    QTest::newRow("python-ascii→true") << u"correct horse battery staple"_qs << PythonHorse << true;
    QTest::newRow("python-ascii-case→false")
        << u"Correct horse battery staple"_qs << PythonHorse << false;

    const QString good = u"password"_qs;
    QTest::newRow("one-iteration→true") << good << PythonOneIteration << true;
    QTest::newRow("empty-encoded→false") << good << QString() << false;
    QTest::newRow("unusable-marker→false")
        << good << u"!Xu5cK2ldMXcVqVDcOyTbSOsNSDmW3vB"_qs << false;
    QTest::newRow("three-fields→false") << good << u"pbkdf2_sha256$1$salt"_qs << false;
    QTest::newRow("five-fields→false")
        << good << u"pbkdf2_sha256$1$salt$Eg+2z/z4syxD5yJSVsT4N6hlSMkszDVICAWYfLcL4Xs=$"_qs
        << false;
    QTest::newRow("other-algorithm→false")
        << good << u"pbkdf2_sha1$1$salt$Eg+2z/z4syxD5yJSVsT4N6hlSMkszDVICAWYfLcL4Xs="_qs << false;
    QTest::newRow("algorithm-case→false")
        << good << u"PBKDF2_SHA256$1$salt$Eg+2z/z4syxD5yJSVsT4N6hlSMkszDVICAWYfLcL4Xs="_qs << false;
    QTest::newRow("md5-hash→false")
        << good << u"md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3"_qs << false;
    QTest::newRow("empty-iterations→false")
        << good << u"pbkdf2_sha256$$salt$Eg+2z/z4syxD5yJSVsT4N6hlSMkszDVICAWYfLcL4Xs="_qs << false;
    QTest::newRow("zero-iterations→false")
        << good << u"pbkdf2_sha256$0$salt$Eg+2z/z4syxD5yJSVsT4N6hlSMkszDVICAWYfLcL4Xs="_qs << false;
    QTest::newRow("negative-iterations→false")
        << good << u"pbkdf2_sha256$-1$salt$Eg+2z/z4syxD5yJSVsT4N6hlSMkszDVICAWYfLcL4Xs="_qs
        << false;
    QTest::newRow("plus-sign-iterations→false")
        << good << u"pbkdf2_sha256$+1$salt$Eg+2z/z4syxD5yJSVsT4N6hlSMkszDVICAWYfLcL4Xs="_qs
        << false;
    QTest::newRow("non-numeric-iterations→false")
        << good << u"pbkdf2_sha256$one$salt$Eg+2z/z4syxD5yJSVsT4N6hlSMkszDVICAWYfLcL4Xs="_qs
        << false;
    QTest::newRow("overflowing-iterations→false")
        << good << u"pbkdf2_sha256$99999999999$salt$Eg+2z/z4syxD5yJSVsT4N6hlSMkszDVICAWYfLcL4Xs="_qs
        << false;
    QTest::newRow("empty-salt→false")
        << good << u"pbkdf2_sha256$1$$Eg+2z/z4syxD5yJSVsT4N6hlSMkszDVICAWYfLcL4Xs="_qs << false;
    QTest::newRow("bad-base64→false")
        << good << u"pbkdf2_sha256$1$salt$!!!not*base64!!!"_qs << false;
    QTest::newRow("missing-padding→false")
        << good << u"pbkdf2_sha256$1$salt$Eg+2z/z4syxD5yJSVsT4N6hlSMkszDVICAWYfLcL4Xs"_qs << false;
    QTest::newRow("empty-hash→false") << good << u"pbkdf2_sha256$1$salt$"_qs << false;
    QTest::newRow("one-bit-flipped→false")
        << good << u"pbkdf2_sha256$1$salt$Fg+2z/z4syxD5yJSVsT4N6hlSMkszDVICAWYfLcL4Xs="_qs << false;
    QTest::newRow("trailing-space→false")
        << good << u"pbkdf2_sha256$1$salt$Eg+2z/z4syxD5yJSVsT4N6hlSMkszDVICAWYfLcL4Xs= "_qs
        << false;
}

void tst_PasswordHasher::verify()
{
    QFETCH(QString, password);
    QFETCH(QString, encoded);
    QFETCH(bool, valid);
    QCOMPARE(PasswordHasher::verify(password, encoded, 1000), valid);
}

void tst_PasswordHasher::needsRehash_data()
{
    QTest::addColumn<QString>("password");
    QTest::addColumn<QString>("encoded");
    QTest::addColumn<int>("wantedIterations");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<bool>("needsRehash");

    QTest::newRow("same-iterations→no-rehash")
        << u"correct horse battery staple"_qs << PythonHorse << 1000 << true << false;
    QTest::newRow("fewer-stored-iterations→rehash")
        << u"correct horse battery staple"_qs << PythonHorse << 870000 << true << true;
    QTest::newRow("more-stored-iterations→rehash")
        << u"lètmein"_qs << DjangoLetmein << 260000 << true << true;
    QTest::newRow("other-algorithm→rehash")
        << u"lètmein"_qs << u"md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3"_qs << 1000 << false
        << true;
    QTest::newRow("wrong-password-same-iterations→no-rehash")
        << u"nope"_qs << PythonHorse << 1000 << false << false;
}

void tst_PasswordHasher::needsRehash()
{
    QFETCH(QString, password);
    QFETCH(QString, encoded);
    QFETCH(int, wantedIterations);
    QFETCH(bool, valid);
    QFETCH(bool, needsRehash);
    bool rehash = !needsRehash;
    QCOMPARE(PasswordHasher::verify(password, encoded, wantedIterations, &rehash), valid);
    QCOMPARE(rehash, needsRehash);
}

void tst_PasswordHasher::hashUsesFreshSalts()
{
    static const QRegularExpression format(
        u"^pbkdf2_sha256\\$1200\\$([A-Za-z0-9]{22})\\$[A-Za-z0-9+/]{43}=$"_qs);
    QSet<QString> salts;
    for (int i = 0; i < 20; ++i) {
        const QString encoded = PasswordHasher::hash(UnicodePassword, 1200);
        const QRegularExpressionMatch match = format.match(encoded);
        QVERIFY2(match.hasMatch(), qPrintable(encoded));
        salts.insert(match.captured(1));
        bool rehash = true;
        QVERIFY(PasswordHasher::verify(UnicodePassword, encoded, 1200, &rehash));
        QVERIFY(!rehash);
        QVERIFY(!PasswordHasher::verify(u"other"_qs, encoded, 1200));
        // Same password and salt reproduce the hash: the salt is the only random input.
        QCOMPARE(PasswordHasher::hashWithSalt(UnicodePassword, match.captured(1), 1200), encoded);
    }
    QCOMPARE(salts.size(), 20);
}

void tst_PasswordHasher::isUsable_data()
{
    QTest::addColumn<QString>("encoded");
    QTest::addColumn<bool>("usable");

    QTest::newRow("pbkdf2→usable") << DjangoLetmein << true;
    QTest::newRow("foreign-algorithm→usable")
        << u"md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3"_qs << true;
    QTest::newRow("empty→unusable") << QString() << false;
    QTest::newRow("django-unusable-marker→unusable")
        << u"!Xu5cK2ldMXcVqVDcOyTbSOsNSDmW3vBsWqCvbs0u"_qs << false;
    QTest::newRow("bang-only→unusable") << u"!"_qs << false;
}

void tst_PasswordHasher::isUsable()
{
    QFETCH(QString, encoded);
    QFETCH(bool, usable);
    QCOMPARE(PasswordHasher::isUsable(encoded), usable);
}

QTEST_GUILESS_MAIN(tst_PasswordHasher)
#include "tst_passwordhasher.moc"
