#include "qgisprojectfile.h"

#include <QBuffer>
#include <QFile>
#include <QFileInfo>
#include <QXmlStreamReader>

#include <zip.h>

namespace qfc::files {

namespace {

constexpr qint64 kHeadBytes = 1 << 20; // the root element comes first; never read more

std::optional<QString> versionOf(QIODevice &device)
{
    QXmlStreamReader xml(&device);
    while (!xml.atEnd()) {
        const auto token = xml.readNext();
        if (token == QXmlStreamReader::StartElement) {
            if (xml.name() != u"qgis")
                return std::nullopt;
            const QString version = xml.attributes().value(u"version"_qs).toString();
            return version.isEmpty() ? std::nullopt : std::optional<QString>(version);
        }
    }
    return std::nullopt;
}

QByteArray headOfQgsInZip(const QString &path)
{
    int error = 0;
    zip_t *archive = zip_open(QFile::encodeName(path).constData(), ZIP_RDONLY, &error);
    if (!archive)
        return {};
    QByteArray head;
    const zip_int64_t n = zip_get_num_entries(archive, 0);
    for (zip_int64_t i = 0; i < n && head.isEmpty(); ++i) {
        const char *name = zip_get_name(archive, zip_uint64_t(i), 0);
        if (!name || !QByteArray(name).toLower().endsWith(".qgs"))
            continue;
        zip_file_t *entry = zip_fopen_index(archive, zip_uint64_t(i), 0);
        if (!entry)
            break;
        head.resize(kHeadBytes);
        const zip_int64_t got = zip_fread(entry, head.data(), zip_uint64_t(head.size()));
        head.resize(got > 0 ? qsizetype(got) : 0);
        zip_fclose(entry);
    }
    zip_close(archive);
    return head;
}

} // namespace

bool isQgisProjectFile(const QString &path)
{
    const QString lower = path.toLower();
    return lower.endsWith(u".qgs") || lower.endsWith(u".qgz");
}

std::optional<QString> readQgisVersion(const QString &localPath, bool zipped)
{
    QByteArray head;
    if (zipped) {
        head = headOfQgsInZip(localPath);
    } else {
        QFile f(localPath);
        if (!f.open(QIODevice::ReadOnly))
            return std::nullopt;
        head = f.read(kHeadBytes);
    }
    if (head.isEmpty())
        return std::nullopt;
    QBuffer buffer(&head);
    buffer.open(QIODevice::ReadOnly);
    return versionOf(buffer);
}

bool isRestrictedProjectFile(const QString &path, const std::optional<QString> &theQgisFileName)
{
    if (isQgisProjectFile(path))
        return true;
    if (!theQgisFileName)
        return false;
    const QFileInfo qgis(*theQgisFileName);
    const QString dir = qgis.path() == u"." ? QString() : qgis.path() + u'/';
    const QString stem = dir + qgis.completeBaseName();
    return path == stem + u".qgd"_qs || path == stem + u".qml"_qs
        || path == stem + u"_attachments.zip"_qs;
}

} // namespace qfc::files
