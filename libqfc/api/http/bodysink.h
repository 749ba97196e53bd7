#pragma once

#include "core/hashing.h"
#include "multipartparser.h"
#include "request.h"

#include <QFile>

#include <memory>

namespace qfc::http {

// Where the connection layer puts a request body while it arrives.
class BodySink
{
public:
    enum class Failure { None, TooLarge, BadRequest, Storage };

    virtual ~BodySink() = default;
    virtual bool write(const char *data, qint64 size) = 0;
    virtual bool finish() = 0;
    // Hands the received body to the request.
    virtual void moveInto(Request &request) = 0;
    Failure failure() const { return m_failure; }
    const QString &failureText() const { return m_failureText; }

protected:
    bool fail(Failure failure, QString text);
    Failure m_failure = Failure::None;
    QString m_failureText;
};

// The body in memory, up to `limit` bytes.
class MemorySink final : public BodySink
{
public:
    explicit MemorySink(qint64 limit) : m_limit(limit) { }
    bool write(const char *data, qint64 size) override;
    bool finish() override { return true; }
    void moveInto(Request &request) override { request.body = std::move(m_body); }

private:
    qint64 m_limit;
    QByteArray m_body;
};

// A multipart/form-data body: file parts stream into temporary files in `spoolDir` and are hashed
// on the way; other parts stay in memory up to `fieldLimit` bytes in total.
class MultipartSink final : public BodySink
{
public:
    MultipartSink(const QByteArray &boundary, QString spoolDir, QByteArrayList fileFields,
                  qint64 fieldLimit);
    ~MultipartSink() override;
    bool write(const char *data, qint64 size) override;
    bool finish() override;
    void moveInto(Request &request) override;

private:
    bool partBegin(const MultipartParser::PartHeaders &headers);
    bool partData(const char *data, qint64 size);
    bool partEnd();

    QString m_spoolDir;
    QByteArrayList m_fileFields;
    qint64 m_fieldLimit;
    qint64 m_fieldBytes = 0;
    std::unique_ptr<MultipartParser> m_parser;

    // The part being received.
    QString m_partName;
    QString m_partFileName;
    bool m_partIsFile = false;
    QByteArray m_fieldValue;
    std::unique_ptr<QFile> m_file;
    std::unique_ptr<StreamHasher> m_hasher;

    QList<QPair<QString, QByteArray>> m_fields;
    QList<std::shared_ptr<UploadedFile>> m_files;
};

} // namespace qfc::http
