#pragma once

#include <QString>
#include <QStringList>

namespace qfc::worker {

// Keeps layer sources inside the work directory (spec/worker.md §7.8): a layer pointing outside
// it must come out invalid, like a missing file, and must never be opened.
//
// QGIS 3.22 passes every path it reads from a project through QgsPathResolver's path
// preprocessors before resolving it (layer sources, both as the full source string, e.g.
// "/data/x.gpkg|layername=a" or "file:///x.csv?type=csv", and again as the bare path; the
// sources embedded in virtual layers; SVG paths ...). rewrite() is installed as such a
// preprocessor: a local path that resolves (symbolic links followed) outside the work directory
// and outside the allowed read-only roots (QGIS's own data directory, which holds "inbuilt:"
// data and SVG symbols) is replaced by the same path under a sentinel directory inside the work
// directory that never exists, "<workdir>/.qfc-outside-workdir/<original absolute path>".
// QGIS then fails to open it exactly as it fails on a missing file, and originalPath()/restore()
// turn what QGIS reports back into the original path. URLs, database URIs and other non-path
// strings pass unchanged (they cannot escape by a relative path).
//
// Limits: files that a data file itself references (e.g. a GDAL VRT) are opened by GDAL without
// QGIS's path resolver; the runner's sandbox (Landlock) is the real barrier for those.
class PathConfinement
{
public:
    // `workdir` and `allowedRoots` are made canonical (symbolic links resolved).
    PathConfinement(const QString &workdir, const QStringList &allowedRoots);

    // The directory relative paths are resolved against: the directory of the project file
    // being read (QGIS resolves "./x" against it; the worker also makes it the current
    // directory, against which GDAL opens legacy relative paths).
    void setBaseDirectory(const QString &directory);
    const QString &baseDirectory() const { return m_baseDirectory; }

    const QString &workdir() const { return m_workdir; }
    const QString &sentinelRoot() const { return m_sentinelRoot; }

    // The path preprocessor.
    QString rewrite(const QString &source) const;

    // Whether an absolute path is inside the work directory or an allowed root, after resolving
    // symbolic links of its existing part.
    bool isAllowed(const QString &absolutePath) const;

    // The original absolute path of a rewritten path (one under the sentinel root), else "".
    QString originalPath(const QString &path) const;
    // `text` (a source, URI or message) with the sentinel root removed, plain and
    // percent-encoded, so that it shows the original paths.
    QString restore(const QString &text) const;

private:
    QString absolute(const QString &path) const;

    QString m_workdir;
    QStringList m_allowedRoots;
    QString m_baseDirectory;
    QString m_sentinelRoot;
    QString m_sentinelRootEncoded;
};

// `path` with symbolic links resolved for its longest existing prefix; the rest is kept
// lexically (cleaned).
QString canonicalizeExistingPart(const QString &absolutePath);

// Whether `path` is `root` or below it ('/'-separated, both absolute and clean).
bool isPathUnder(const QString &path, const QString &root);

} // namespace qfc::worker
