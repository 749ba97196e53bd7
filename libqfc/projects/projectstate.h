#pragma once

#include "project.h"

#include <QSqlDatabase>

namespace qfc::projectstate {

// The derived project fields of spec/api.md §7.1 and §15.4. The jobs issue adds the job side
// (busy, the caller's newest package job).

// "ok" | "busy" | "failed".
QString status(const QSqlDatabase &db, const Project &project);

// Whether the processed project details show a vector layer that is not a file (§15.4).
bool hasOnlineVectorLayers(const Project &project);

// Per caller (§15.4): false only when the details are processed without online vector layers,
// the data timestamps are set, and the caller's newest package job finished after the last
// data change.
bool needsRepackaging(const QSqlDatabase &db, const Project &project, qint64 callerId);

} // namespace qfc::projectstate
