#include "bodysink.h"

#include "core/logging.h"

#include <QDir>
#include <QUuid>

namespace qfc::http {

bool BodySink::fail(Failure failure, QString text)
{
    if (m_failure == Failure::None) {
        m_failure = failure;
        m_failureText = std::move(text);
    }
    return false;
}

bool MemorySink::write(const char *data, qint64 size)
{
    if (m_body.size() + size > m_limit)
        return fail(Failure::TooLarge, u"body over the limit"_qs);
    m_body.append(data, size);
    return true;
}

UploadedFile::UploadedFile(QString fieldName, QString fileName, QString tempPath,
                           ContentDigest digest)
    : m_fieldName(std::move(fieldName))
    , m_fileName(std::move(fileName))
    , m_tempPath(std::move(tempPath))
    , m_digest(std::move(digest))
{ }

UploadedFile::~UploadedFile()
{
    if (!m_released)
        QFile::remove(m_tempPath);
}

MultipartSink::MultipartSink(const QByteArray &boundary, QString spoolDir,
                             QByteArrayList fileFields, qint64 fieldLimit)
    : m_spoolDir(std::move(spoolDir)), m_fileFields(std::move(fileFields)), m_fieldLimit(fieldLimit)
{
    MultipartParser::Callbacks cb;
    cb.partBegin = [this](const MultipartParser::PartHeaders &h) {
        return partBegin(h);
    };
    cb.partData = [this](const char *d, qint64 n) {
        return partData(d, n);
    };
    cb.partEnd = [this] {
        return partEnd();
    };
    m_parser = std::make_unique<MultipartParser>(boundary, std::move(cb));
}

MultipartSink::~MultipartSink()
{
    if (m_file) {
        m_file->close();
        m_file->remove();
    }
}

bool MultipartSink::write(const char *data, qint64 size)
{
    if (m_failure != Failure::None)
        return false;
    if (!m_parser->feed(data, size))
        return m_failure != Failure::None ? false
                                          : fail(Failure::BadRequest, m_parser->errorString());
    return true;
}

bool MultipartSink::finish()
{
    if (m_failure != Failure::None)
        return false;
    if (!m_parser->finish())
        return fail(Failure::BadRequest, u"incomplete multipart body"_qs);
    return true;
}

void MultipartSink::moveInto(Request &request)
{
    request.isMultipart = true;
    request.formFields = std::move(m_fields);
    request.files = std::move(m_files);
}

bool MultipartSink::partBegin(const MultipartParser::PartHeaders &headers)
{
    m_partName = QString::fromUtf8(headers.name);
    m_partFileName = QString::fromUtf8(headers.filename);
    m_partIsFile = headers.hasFilename || m_fileFields.contains(headers.name);
    m_fieldValue.clear();
    if (!m_partIsFile)
        return true;
    const QString path =
        QDir(m_spoolDir)
            .filePath(u"upload-"_qs + QUuid::createUuid().toString(QUuid::WithoutBraces)
                      + u".part"_qs);
    m_file = std::make_unique<QFile>(path);
    if (!m_file->open(QIODevice::WriteOnly | QIODevice::NewOnly)) {
        qCCritical(lcHttp) << "cannot create upload spool file" << path << m_file->errorString();
        m_file.reset();
        return fail(Failure::Storage, u"cannot create a temporary file"_qs);
    }
    m_hasher = std::make_unique<StreamHasher>();
    return true;
}

bool MultipartSink::partData(const char *data, qint64 size)
{
    if (!m_partIsFile) {
        m_fieldBytes += size;
        if (m_fieldBytes > m_fieldLimit)
            return fail(Failure::TooLarge, u"form fields over the limit"_qs);
        m_fieldValue.append(data, size);
        return true;
    }
    m_hasher->addData(data, size);
    if (m_file->write(data, size) != size) {
        qCCritical(lcHttp) << "cannot write upload spool file" << m_file->fileName()
                           << m_file->errorString();
        return fail(Failure::Storage, m_file->errorString());
    }
    return true;
}

bool MultipartSink::partEnd()
{
    if (!m_partIsFile) {
        m_fields.append({m_partName, std::move(m_fieldValue)});
        m_fieldValue = {};
        return true;
    }
    if (!m_file->flush()) {
        qCCritical(lcHttp) << "cannot write upload spool file" << m_file->fileName()
                           << m_file->errorString();
        return fail(Failure::Storage, m_file->errorString());
    }
    const QString path = m_file->fileName();
    m_file->close();
    m_file.reset();
    m_files.append(
        std::make_shared<UploadedFile>(m_partName, m_partFileName, path, m_hasher->finish()));
    m_hasher.reset();
    return true;
}

} // namespace qfc::http
