#pragma once

#include <QString>

namespace qfc::contract {

// The layout of a job's work directory (spec/worker.md §2.1). The runner prepares files/ (a
// private copy of every non-attachment project file, same relative paths), export/ for package
// jobs and deltafile.json for apply jobs; the worker writes feedback.json, thumbnail.png
// (process_projectfile, optional) and export/** (package), and changes files/ in place
// (apply_deltas).
class WorkDir
{
public:
    explicit WorkDir(QString root);

    const QString &root() const { return m_root; }
    QString filesDir() const; // <root>/files
    QString exportDir() const; // <root>/export
    QString feedbackFile() const; // <root>/feedback.json
    QString thumbnailFile() const; // <root>/thumbnail.png
    QString deltafile() const; // <root>/deltafile.json

    // <root>/files/<projectFile>; `projectFile` is the project-relative path of --project-file.
    QString projectFile(const QString &projectFile) const;

private:
    QString path(const QString &name) const;

    QString m_root;
};

} // namespace qfc::contract
