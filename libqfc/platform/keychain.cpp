#include "keychain.h"

#include <QEventLoop>
#include <qt6keychain/keychain.h>

namespace qfc::platform {

namespace {

// Runs a QtKeychain job to its end (it reports through a queued signal) and returns it.
void runJob(QKeychain::Job &job)
{
    job.setAutoDelete(false);
    QEventLoop loop;
    QObject::connect(&job, &QKeychain::Job::finished, &loop, &QEventLoop::quit);
    job.start();
    loop.exec();
}

QString describe(const QKeychain::Job &job)
{
    return job.errorString().isEmpty() ? QStringLiteral("error %1").arg(int(job.error()))
                                       : job.errorString();
}

} // namespace

std::optional<QByteArray> readKeychain(const QString &service, const QString &key)
{
    QKeychain::ReadPasswordJob job(service);
    job.setInsecureFallback(false);
    job.setKey(key);
    runJob(job);
    if (job.error() == QKeychain::EntryNotFound)
        return std::nullopt;
    if (job.error() != QKeychain::NoError)
        throw KeychainError("the OS keychain cannot be read (" + describe(job).toStdString() + ")");
    return job.binaryData();
}

void writeKeychain(const QString &service, const QString &key, const QByteArray &data)
{
    QKeychain::WritePasswordJob job(service);
    job.setInsecureFallback(false);
    job.setKey(key);
    job.setBinaryData(data);
    runJob(job);
    if (job.error() != QKeychain::NoError)
        throw KeychainError("the OS keychain cannot store the key (" + describe(job).toStdString()
                            + ")");
}

} // namespace qfc::platform
