#include "localfiles.h"

#include "contract/feedback.h"
#include "contract/workflow.h"
#include "texttable.h"
#include "workererror.h"
#include "workerlog.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>

#include <algorithm>

namespace qfc::worker::LocalFiles {

QJsonObject downloadProjectDirectory(const JobContext &context)
{
    const QString filesDir = context.workDir.filesDir();
    logInfo(QStringLiteral("Checking the project files in \"%1\"…").arg(filesDir));
    if (!QFileInfo(filesDir).isDir())
        throw WorkerError(QStringLiteral("Project directory \"%1\" does not exist.").arg(filesDir),
                          contract::ErrorTypes::FileNotFound, QStringLiteral("FileNotFoundError"));
    logFilesTable(context.arguments.projectId, filesDir, listFiles(filesDir));
    return {{contract::ReturnNames::TmpProjectDir, context.workDir.root()}};
}

QStringList listFiles(const QString &directory)
{
    QStringList names;
    const QDir root(directory);
    QDirIterator it(directory, QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot,
                    QDirIterator::Subdirectories);
    while (it.hasNext())
        names.append(root.relativeFilePath(it.next()));
    std::sort(names.begin(), names.end());
    return names;
}

QString md5Hex(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    QCryptographicHash hash(QCryptographicHash::Md5);
    hash.addData(&file);
    return QString::fromLatin1(hash.result().toHex());
}

void logFilesTable(const QString &projectId, const QString &directory,
                   const QStringList &relativeNames)
{
    if (relativeNames.isEmpty()) {
        logInfo(QStringLiteral("Local files list for project \"%1\": empty!").arg(projectId));
        return;
    }
    QList<QStringList> rows;
    for (const QString &name : relativeNames) {
        const QString path = directory + QLatin1Char('/') + name;
        rows.append({name, QString::number(QFileInfo(path).size()), md5Hex(path)});
    }
    logInfo(QStringLiteral("Local files list for project \"%1\":\n%2")
                .arg(projectId,
                     formatTextTable({QStringLiteral("Name"), QStringLiteral("Size"),
                                      QStringLiteral("MD5 Checksum")},
                                     rows, {false, true, false})));
}

} // namespace qfc::worker::LocalFiles
