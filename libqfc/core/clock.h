#pragma once

#include <QDateTime>
#include <QString>

#include <optional>

namespace qfc::clock {

// Microseconds since the Unix epoch, UTC: how QFC stores every timestamp.
qint64 nowUs();
// Shifts nowUs() (tests of expiry and throttling windows only).
void setOffsetForTests(qint64 offsetUs);

// spec/api.md §1.6: "YYYY-MM-DDTHH:MM:SS.ffffff+00:00", always 6 fraction digits, UTC.
QString formatApi(qint64 us);
// The deprecated "DD.MM.YYYY HH:MM:SS UTC" form.
QString formatLegacy(qint64 us);
QDateTime toDateTime(qint64 us);
qint64 fromDateTime(const QDateTime &dt);
// ISO 8601 with offset or Z (UTC assumed without); std::nullopt when unparsable.
std::optional<qint64> parseIso(const QString &text);

} // namespace qfc::clock
