#include "workdir.h"

#include <utility>

namespace qfc::contract {

WorkDir::WorkDir(QString root) : m_root(std::move(root))
{
    while (m_root.size() > 1 && m_root.endsWith(QLatin1Char('/')))
        m_root.chop(1);
}

QString WorkDir::path(const QString &name) const
{
    if (m_root.endsWith(QLatin1Char('/')))
        return m_root + name;
    return m_root + QLatin1Char('/') + name;
}

QString WorkDir::filesDir() const
{
    return path(QStringLiteral("files"));
}

QString WorkDir::exportDir() const
{
    return path(QStringLiteral("export"));
}

QString WorkDir::feedbackFile() const
{
    return path(QStringLiteral("feedback.json"));
}

QString WorkDir::thumbnailFile() const
{
    return path(QStringLiteral("thumbnail.png"));
}

QString WorkDir::deltafile() const
{
    return path(QStringLiteral("deltafile.json"));
}

QString WorkDir::projectFile(const QString &projectFile) const
{
    return filesDir() + QLatin1Char('/') + projectFile;
}

} // namespace qfc::contract
