#pragma once

#include <QList>
#include <QString>
#include <QStringList>

namespace qfc::worker {

// A plain-text table for the log, laid out like Python's tabulate() "simple" format that
// upstream uses: header row, a row of dashes per column, columns separated by two spaces;
// columns flagged in `rightAligned` (numbers) are right-aligned, the others left-aligned.
QString formatTextTable(const QStringList &headers, const QList<QStringList> &rows,
                        const QList<bool> &rightAligned = {});

} // namespace qfc::worker
