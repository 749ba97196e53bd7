#pragma once

#include <QByteArray>
#include <QJsonValue>

namespace qfc::contract {

// Serializes JSON the way upstream writes feedback.json, Python's
// json.dump(value, indent=2, sort_keys=True) (QJsonDocument::Indented uses 4 spaces and Qt's key
// order):
// - object keys sorted by Unicode code point; "{}" / "[]" for empty containers;
// - `indent` spaces per level, "," at line ends, ": " between key and value, no final newline;
// - strings ASCII-only: '"' '\\' \b \f \n \r \t escaped, every other code unit below 0x20 or
//   above 0x7e written as \uXXXX (lower-case hex; non-BMP characters as surrogate pairs);
// - numbers: integral values below 2^53 as integers, others like Python's repr(float)
//   (shortest round-trip digits; exponent form below 1e-4 and from 1e16, e.g. "1e-05", "1e+16"),
//   NaN and infinities as NaN / Infinity / -Infinity.
// Qt does not keep integer/float apart in QJsonValue, so 2.0 is written as 2 (Python: 2.0).
QByteArray serializeJson(const QJsonValue &value, int indent = 2);

// The number formatting above, exposed for tests.
QByteArray formatJsonNumber(double value);

} // namespace qfc::contract
