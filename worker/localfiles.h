#pragma once

#include "job.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace qfc::worker {

// The "download" and "upload" steps of every workflow, made local (spec/worker.md §2.1): the
// runner copies the project files into <workdir>/files before the worker starts and collects
// the results after it exited, so these steps only verify and log tables of files
// (name, size, MD5), as upstream logs them.
namespace LocalFiles {

// download_project_directory: <workdir>/files must be a directory. Returns
// {"tmp_project_dir": <workdir>}.
QJsonObject downloadProjectDirectory(const JobContext &context);

// Every regular file below `directory`, as '/'-separated relative paths, sorted.
QStringList listFiles(const QString &directory);

// Logs 'Local files list for project "<id>":' and a table of `relativeNames` below `directory`
// (or '... : empty!').
void logFilesTable(const QString &projectId, const QString &directory,
                   const QStringList &relativeNames);

QString md5Hex(const QString &path);

} // namespace LocalFiles

} // namespace qfc::worker
