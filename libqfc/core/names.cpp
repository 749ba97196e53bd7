#include "core/names.h"

#include <QStringTokenizer>

#include <algorithm>

namespace qfc::names {

namespace {

using namespace Qt::Literals::StringLiterals;

// Upstream's list, qfieldcloud/core/validators.py reserved_words_validator().
constexpr QLatin1StringView ReservedUsernames[] = {
    "user"_L1,    "users"_L1,        "project"_L1,      "projects"_L1,     "owner"_L1,
    "push"_L1,    "file"_L1,         "files"_L1,        "collaborator"_L1, "collaborators"_L1,
    "member"_L1,  "members"_L1,      "organization"_L1, "qfield"_L1,       "qfieldcloud"_L1,
    "history"_L1, "version"_L1,      "delta"_L1,        "deltas"_L1,       "deltafile"_L1,
    "auth"_L1,    "qfield-files"_L1, "esri"_L1,
};

constexpr QLatin1StringView WindowsDeviceNames[] = {
    "CON"_L1,  "PRN"_L1,  "AUX"_L1,  "NUL"_L1,  "COM0"_L1, "COM1"_L1, "COM2"_L1, "COM3"_L1,
    "COM4"_L1, "COM5"_L1, "COM6"_L1, "COM7"_L1, "COM8"_L1, "COM9"_L1, "LPT0"_L1, "LPT1"_L1,
    "LPT2"_L1, "LPT3"_L1, "LPT4"_L1, "LPT5"_L1, "LPT6"_L1, "LPT7"_L1, "LPT8"_L1, "LPT9"_L1,
};

constexpr qsizetype MaxPathCharacters = 255;

bool isAsciiLetter(QChar c)
{
    return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z');
}

bool isAsciiAlnum(QChar c)
{
    return isAsciiLetter(c) || (c >= u'0' && c <= u'9');
}

bool containsOnly(const QString &text, bool (*allowed)(QChar))
{
    return std::all_of(text.cbegin(), text.cend(), allowed);
}

bool isForbiddenInPath(QChar c)
{
    return QStringView(u"<>:\"\\|?*").contains(c) || c.category() == QChar::Other_Control;
}

// Windows maps "NUL", "nul.gpkg" and "Nul .txt" alike to the device: compare the part before
// the first dot, without trailing spaces, case-insensitively.
bool isWindowsDeviceName(QStringView segment)
{
    QStringView stem = segment.left(segment.indexOf(u'.'));
    while (!stem.isEmpty() && stem.back() == u' ')
        stem.chop(1);
    return std::any_of(std::cbegin(WindowsDeviceNames), std::cend(WindowsDeviceNames),
                       [stem](QLatin1StringView device) {
                           return stem.compare(device, Qt::CaseInsensitive) == 0;
                       });
}

QString checkPathSegment(QStringView segment)
{
    if (segment.isEmpty())
        return u"must not contain empty path segments"_qs;
    if (segment == u"." || segment == u"..")
        return u"must not contain '.' or '..' segments"_qs;
    if (std::any_of(segment.cbegin(), segment.cend(), isForbiddenInPath))
        return u"must not contain < > : \" \\ | ? * or control characters"_qs;
    if (segment.back() == u'.' || segment.back().isSpace())
        return u"path segments must not end with a dot or whitespace"_qs;
    if (isWindowsDeviceName(segment))
        return u"must not use a reserved Windows device name"_qs;
    return {};
}

// Number of code points (what upstream's Python len() counts); -1 on an unpaired surrogate.
qsizetype codePointCount(const QString &text)
{
    qsizetype count = 0;
    for (qsizetype i = 0; i < text.size(); ++i, ++count) {
        if (text.at(i).isHighSurrogate() && i + 1 < text.size() && text.at(i + 1).isLowSurrogate())
            ++i;
        else if (text.at(i).isSurrogate())
            return -1;
    }
    return count;
}

} // namespace

QString checkUsername(const QString &username)
{
    if (username.size() < 3 || username.size() > 150)
        return u"must be 3 to 150 characters long"_qs;
    if (!containsOnly(username, [](QChar c) { return isAsciiAlnum(c) || c == u'-' || c == u'_'; }))
        return u"may only contain letters, digits, '-' and '_'"_qs;
    if (!isAsciiLetter(username.front()))
        return u"must start with a letter"_qs;
    if (isReservedUsername(username))
        return u"is a reserved word"_qs;
    return {};
}

QString checkProjectName(const QString &name)
{
    if (name.isEmpty() || name.size() > 255)
        return u"must be 1 to 255 characters long"_qs;
    if (!containsOnly(name,
                      [](QChar c) { return isAsciiAlnum(c) || QStringView(u"-_.").contains(c); }))
        return u"may only contain letters, digits, '-', '_' and '.'"_qs;
    return {};
}

QString checkFilePath(const QString &path)
{
    // 255 code points take at most 1020 UTF-8 bytes, so the 1024-byte limit always holds too.
    const qsizetype length = codePointCount(path);
    if (length < 0)
        return u"is not valid Unicode"_qs;
    if (length == 0 || length > MaxPathCharacters)
        return u"must be 1 to 255 characters long"_qs;
    if (path.front().isSpace() || path.back().isSpace())
        return u"must not start or end with whitespace"_qs;
    if (path.startsWith(u'/'))
        return u"must be a relative path"_qs;
    for (const QStringView segment : qTokenize(path, u'/')) {
        if (QString reason = checkPathSegment(segment); !reason.isEmpty())
            return reason;
    }
    return {};
}

bool isReservedUsername(const QString &username)
{
    return std::any_of(std::cbegin(ReservedUsernames), std::cend(ReservedUsernames),
                       [&username](QLatin1StringView word) {
                           return username.compare(word, Qt::CaseInsensitive) == 0;
                       });
}

} // namespace qfc::names
