#include "jsonwriter.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace qfc::contract {

namespace {

constexpr double MaxExactInteger = 9007199254740992.0; // 2^53

// Python's repr(float) for a finite, non-zero value: the shortest digits that round-trip, laid
// out in fixed notation when -4 < decimal point position <= 16, else in exponent notation.
QByteArray pythonFloatRepr(double value)
{
    char buffer[64];
    const auto result =
        std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::scientific);
    const std::string scientific(buffer, result.ptr);

    // "-d.ddde±xx" → sign, digits, exponent
    bool negative = false;
    std::string::size_type pos = 0;
    if (scientific[pos] == '-') {
        negative = true;
        ++pos;
    }
    const auto ePos = scientific.find('e', pos);
    std::string digits;
    for (auto i = pos; i < ePos; ++i) {
        if (scientific[i] != '.')
            digits += scientific[i];
    }
    while (digits.size() > 1 && digits.back() == '0')
        digits.pop_back();
    const int exponent = std::atoi(scientific.c_str() + ePos + 1);
    const int decimalPoint = exponent + 1; // digits before the decimal point
    const int digitCount = int(digits.size());

    std::string out;
    if (negative)
        out += '-';
    if (decimalPoint <= -4 || decimalPoint > 16) {
        out += digits[0];
        if (digitCount > 1) {
            out += '.';
            out += digits.substr(1);
        }
        char exponentText[16];
        const int exponentValue = decimalPoint - 1;
        std::snprintf(exponentText, sizeof(exponentText), "e%c%02d", exponentValue < 0 ? '-' : '+',
                      std::abs(exponentValue));
        out += exponentText;
    } else if (decimalPoint <= 0) {
        out += "0.";
        out += std::string(std::size_t(-decimalPoint), '0');
        out += digits;
    } else if (decimalPoint >= digitCount) {
        out += digits;
        out += std::string(std::size_t(decimalPoint - digitCount), '0');
        out += ".0";
    } else {
        out += digits.substr(0, std::size_t(decimalPoint));
        out += '.';
        out += digits.substr(std::size_t(decimalPoint));
    }
    return QByteArray(out.data(), int(out.size()));
}

void appendHex4(QByteArray &out, unsigned value)
{
    static const char hex[] = "0123456789abcdef";
    out += "\\u";
    out += hex[(value >> 12) & 0xf];
    out += hex[(value >> 8) & 0xf];
    out += hex[(value >> 4) & 0xf];
    out += hex[value & 0xf];
}

void appendString(QByteArray &out, const QString &text)
{
    out += '"';
    for (const QChar c : text) {
        const char16_t unit = c.unicode();
        switch (unit) {
        case u'"':
            out += "\\\"";
            break;
        case u'\\':
            out += "\\\\";
            break;
        case u'\b':
            out += "\\b";
            break;
        case u'\f':
            out += "\\f";
            break;
        case u'\n':
            out += "\\n";
            break;
        case u'\r':
            out += "\\r";
            break;
        case u'\t':
            out += "\\t";
            break;
        default:
            if (unit < 0x20 || unit > 0x7e)
                appendHex4(out, unit);
            else
                out += char(unit);
        }
    }
    out += '"';
}

// Python sorts str keys by code point; UTF-16 order differs for characters above the
// surrogate range, so compare UCS-4.
bool codePointLess(const QString &a, const QString &b)
{
    const auto ua = a.toUcs4(); // QVector<uint> in Qt 5, QList<uint> in Qt 6
    const auto ub = b.toUcs4();
    return std::lexicographical_compare(ua.begin(), ua.end(), ub.begin(), ub.end());
}

void appendValue(QByteArray &out, const QJsonValue &value, int indent, int level);

void appendNewline(QByteArray &out, int indent, int level)
{
    out += '\n';
    out += QByteArray(indent * level, ' ');
}

void appendObject(QByteArray &out, const QJsonObject &object, int indent, int level)
{
    if (object.isEmpty()) {
        out += "{}";
        return;
    }
    QStringList keys = object.keys();
    std::sort(keys.begin(), keys.end(), codePointLess);
    out += '{';
    bool first = true;
    for (const QString &key : std::as_const(keys)) {
        if (!first)
            out += ',';
        first = false;
        appendNewline(out, indent, level + 1);
        appendString(out, key);
        out += ": ";
        appendValue(out, object.value(key), indent, level + 1);
    }
    appendNewline(out, indent, level);
    out += '}';
}

void appendArray(QByteArray &out, const QJsonArray &array, int indent, int level)
{
    if (array.isEmpty()) {
        out += "[]";
        return;
    }
    out += '[';
    bool first = true;
    for (const QJsonValue &item : array) {
        if (!first)
            out += ',';
        first = false;
        appendNewline(out, indent, level + 1);
        appendValue(out, item, indent, level + 1);
    }
    appendNewline(out, indent, level);
    out += ']';
}

void appendValue(QByteArray &out, const QJsonValue &value, int indent, int level)
{
    switch (value.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        out += "null";
        break;
    case QJsonValue::Bool:
        out += value.toBool() ? "true" : "false";
        break;
    case QJsonValue::Double:
        out += formatJsonNumber(value.toDouble());
        break;
    case QJsonValue::String:
        appendString(out, value.toString());
        break;
    case QJsonValue::Array:
        appendArray(out, value.toArray(), indent, level);
        break;
    case QJsonValue::Object:
        appendObject(out, value.toObject(), indent, level);
        break;
    }
}

} // namespace

QByteArray formatJsonNumber(double value)
{
    if (std::isnan(value))
        return QByteArrayLiteral("NaN");
    if (std::isinf(value))
        return value > 0 ? QByteArrayLiteral("Infinity") : QByteArrayLiteral("-Infinity");
    if (value == std::floor(value) && std::fabs(value) < MaxExactInteger)
        return QByteArray::number(qint64(value));
    return pythonFloatRepr(value);
}

QByteArray serializeJson(const QJsonValue &value, int indent)
{
    QByteArray out;
    appendValue(out, value, indent, 0);
    return out;
}

} // namespace qfc::contract
