#include "texttable.h"

#include <algorithm>

namespace qfc::worker {

QString formatTextTable(const QStringList &headers, const QList<QStringList> &rows,
                        const QList<bool> &rightAligned)
{
    const auto columns = headers.size();
    QList<int> widths;
    for (qsizetype c = 0; c < columns; ++c) {
        int width = int(headers.at(c).size());
        for (const QStringList &row : rows)
            width = std::max(width, int(row.value(c).size()));
        widths.append(width);
    }
    auto cell = [&](const QString &text, qsizetype column) {
        const bool right = rightAligned.value(column, false);
        const int width = widths.at(column);
        return right ? text.rightJustified(width) : text.leftJustified(width);
    };
    auto line = [&](const QStringList &values) {
        QStringList cells;
        for (qsizetype c = 0; c < columns; ++c)
            cells.append(cell(values.value(c), c));
        QString text = cells.join(QStringLiteral("  "));
        while (text.endsWith(QLatin1Char(' ')))
            text.chop(1);
        return text;
    };

    QStringList lines;
    lines.append(line(headers));
    QStringList dashes;
    for (qsizetype c = 0; c < columns; ++c)
        dashes.append(QString(widths.at(c), QLatin1Char('-')));
    lines.append(dashes.join(QStringLiteral("  ")));
    for (const QStringList &row : rows)
        lines.append(line(row));
    return lines.join(QLatin1Char('\n'));
}

} // namespace qfc::worker
