#include "pathconfinement.h"

#include <QDir>
#include <QFileInfo>
#include <QUrl>

namespace qfc::worker {

namespace {

// GDAL virtual file systems that reach the network: not local paths, left to the sandbox.
const QStringList NetworkVsiPrefixes{
    QStringLiteral("/vsicurl"),  QStringLiteral("/vsis3"),    QStringLiteral("/vsigs"),
    QStringLiteral("/vsiaz"),    QStringLiteral("/vsiadls"),  QStringLiteral("/vsioss"),
    QStringLiteral("/vsiswift"), QStringLiteral("/vsihdfs"),  QStringLiteral("/vsiwebhdfs"),
    QStringLiteral("/vsimem"),   QStringLiteral("/vsistdin"), QStringLiteral("/vsistdout"),
};

QString canonicalRoot(const QString &path)
{
    const QString absolutePath = QDir::cleanPath(QFileInfo(path).absoluteFilePath());
    return canonicalizeExistingPart(absolutePath);
}

} // namespace

QString canonicalizeExistingPart(const QString &absolutePath)
{
    const QString clean = QDir::cleanPath(absolutePath);
    QString existing = clean;
    QString rest; // the part that does not exist, "/a/b"
    for (;;) {
        const QFileInfo info(existing);
        if (info.exists()) {
            const QString canonical = info.canonicalFilePath();
            return canonical.isEmpty() ? clean : QDir::cleanPath(canonical + rest);
        }
        const qsizetype slash = existing.lastIndexOf(QLatin1Char('/'));
        if (slash <= 0)
            return clean;
        rest.prepend(existing.mid(slash));
        existing = existing.left(slash);
    }
}

bool isPathUnder(const QString &path, const QString &root)
{
    if (root == QLatin1String("/"))
        return path.startsWith(QLatin1Char('/'));
    return path == root || path.startsWith(root + QLatin1Char('/'));
}

PathConfinement::PathConfinement(const QString &workdir, const QStringList &allowedRoots)
    : m_workdir(canonicalRoot(workdir))
{
    for (const QString &root : allowedRoots) {
        if (!root.isEmpty())
            m_allowedRoots.append(canonicalRoot(root));
    }
    m_baseDirectory = m_workdir;
    m_sentinelRoot = m_workdir + QStringLiteral("/.qfc-outside-workdir");
    m_sentinelRootEncoded = QString::fromLatin1(QUrl::toPercentEncoding(m_sentinelRoot));
}

void PathConfinement::setBaseDirectory(const QString &directory)
{
    m_baseDirectory = QDir::cleanPath(QFileInfo(directory).absoluteFilePath());
}

QString PathConfinement::absolute(const QString &path) const
{
    if (QDir::isAbsolutePath(path))
        return QDir::cleanPath(path);
    return QDir::cleanPath(m_baseDirectory + QLatin1Char('/') + path);
}

bool PathConfinement::isAllowed(const QString &absolutePath) const
{
    const QString resolved = canonicalizeExistingPart(absolutePath);
    if (isPathUnder(resolved, m_workdir))
        return true;
    for (const QString &root : m_allowedRoots) {
        if (isPathUnder(resolved, root))
            return true;
    }
    return false;
}

QString PathConfinement::rewrite(const QString &source) const
{
    if (source.isEmpty() || source.startsWith(QLatin1String("inbuilt:"))
        || source.startsWith(QLatin1String("localized:"))
        || source.startsWith(QLatin1String("attachment:")))
        return source;

    QString prefix;
    QString path;
    QString suffix;
    if (source.startsWith(QLatin1String("file:"))) {
        // a file URL (delimited text): file:///abs/x.csv?query or file:./rel/x.csv?query
        QString rest = source.mid(5);
        if (rest.startsWith(QLatin1String("//")))
            rest = rest.mid(2);
        const qsizetype query = rest.indexOf(QLatin1Char('?'));
        path = QUrl::fromPercentEncoding((query >= 0 ? rest.left(query) : rest).toUtf8());
        suffix = query >= 0 ? rest.mid(query) : QString();
        prefix = QStringLiteral("file://");
    } else {
        // a path, optionally with OGR/GDAL options after '|'
        const qsizetype bar = source.indexOf(QLatin1Char('|'));
        path = bar >= 0 ? source.left(bar) : source;
        suffix = bar >= 0 ? source.mid(bar) : QString();
        if (path.contains(QLatin1String("://")))
            return source; // a URL
    }
    if (path.isEmpty())
        return source;

    if (path.startsWith(QLatin1String("/vsi"))) {
        for (const QString &network : NetworkVsiPrefixes) {
            if (path.startsWith(network))
                return source;
        }
        // archive and compression handlers: /vsizip//abs/a.zip/x, /vsizip/{/abs/a.zip}/x,
        // chains such as /vsigzip//vsitar/...
        while (path.startsWith(QLatin1String("/vsi"))) {
            const qsizetype slash = path.indexOf(QLatin1Char('/'), 1);
            if (slash < 0)
                return source;
            path = path.mid(slash + 1);
        }
        path.remove(QLatin1Char('{')).remove(QLatin1Char('}'));
        if (!path.startsWith(QLatin1Char('/')))
            path.prepend(QLatin1Char('/'));
    }

    // Both the lexical resolution (QGIS joins "./" and "../" paths textually) and the kernel's
    // (GDAL opens a legacy relative path as it is, following symbolic links before "..") must
    // stay inside.
    const QString absolutePath = absolute(path);
    bool allowed = isAllowed(absolutePath);
    if (allowed && !QDir::isAbsolutePath(path)) {
        const QFileInfo joined(m_baseDirectory + QLatin1Char('/') + path);
        if (joined.exists())
            allowed = isAllowed(joined.canonicalFilePath());
    }
    if (allowed)
        return source;
    return prefix + m_sentinelRoot + absolutePath + suffix;
}

QString PathConfinement::originalPath(const QString &path) const
{
    if (!path.startsWith(m_sentinelRoot + QLatin1Char('/')))
        return {};
    return path.mid(m_sentinelRoot.size());
}

QString PathConfinement::restore(const QString &text) const
{
    QString result = text;
    result.remove(m_sentinelRoot);
    result.remove(m_sentinelRootEncoded);
    return result;
}

} // namespace qfc::worker
