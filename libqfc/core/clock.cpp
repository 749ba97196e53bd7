#include "clock.h"

#include <QTimeZone>

#include <atomic>
#include <chrono>

namespace qfc::clock {

namespace {
std::atomic<qint64> g_offsetUs{0};
}

qint64 nowUs()
{
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count()
        + g_offsetUs.load();
}

void setOffsetForTests(qint64 offsetUs)
{
    g_offsetUs = offsetUs;
}

QDateTime toDateTime(qint64 us)
{
    const qint64 ms = us >= 0 ? us / 1000 : -((-us + 999) / 1000);
    return QDateTime::fromMSecsSinceEpoch(ms, QTimeZone::utc());
}

qint64 fromDateTime(const QDateTime &dt)
{
    return dt.toMSecsSinceEpoch() * 1000;
}

QString formatApi(qint64 us)
{
    const qint64 micros = ((us % 1000000) + 1000000) % 1000000;
    const qint64 seconds = (us - micros) / 1000000;
    const QDateTime dt = QDateTime::fromSecsSinceEpoch(seconds, QTimeZone::utc());
    return dt.toString(u"yyyy-MM-ddTHH:mm:ss"_qs) + u'.'
        + QString::number(micros).rightJustified(6, u'0') + u"+00:00"_qs;
}

QString formatLegacy(qint64 us)
{
    return toDateTime(us).toString(u"dd.MM.yyyy HH:mm:ss"_qs) + u" UTC"_qs;
}

std::optional<qint64> parseIso(const QString &text)
{
    const QString t = text.trimmed();
    if (t.isEmpty())
        return std::nullopt;
    QDateTime dt = QDateTime::fromString(t, Qt::ISODateWithMs);
    if (!dt.isValid())
        dt = QDateTime::fromString(t, Qt::ISODate);
    if (!dt.isValid())
        return std::nullopt;
    if (dt.timeSpec() == Qt::LocalTime)
        dt.setTimeZone(QTimeZone::utc());
    return fromDateTime(dt);
}

} // namespace qfc::clock
