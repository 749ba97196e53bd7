#include "filestore.h"

namespace qfc::files {

StoreError::StoreError(Kind kind, const QString &message)
    : std::runtime_error(message.toStdString()), m_kind(kind)
{ }

FileStore::~FileStore() = default;

bool FileStore::isValidSha256(QStringView sha256)
{
    if (sha256.size() != 64)
        return false;
    for (const QChar c : sha256) {
        if (!((c >= u'0' && c <= u'9') || (c >= u'a' && c <= u'f')))
            return false;
    }
    return true;
}

} // namespace qfc::files
