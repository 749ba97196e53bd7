#include "workerjob.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

QStringList WorkerResult::logLines() const
{
    QString text = log();
    if (text.endsWith(QLatin1Char('\n')))
        text.chop(1);
    return text.split(QLatin1Char('\n'));
}

QList<int> WorkerResult::stages() const
{
    QList<int> stages;
    const QJsonArray steps = feedback.value(QLatin1String("steps")).toArray();
    for (const QJsonValue &step : steps)
        stages.append(step.toObject().value(QLatin1String("stage")).toInt(-1));
    return stages;
}

QJsonObject WorkerResult::projectDetails() const
{
    return feedback.value(QLatin1String("outputs"))
        .toObject()
        .value(QLatin1String("project_details"))
        .toObject()
        .value(QLatin1String("project_details"))
        .toObject();
}

QJsonObject WorkerResult::layer(const QString &id) const
{
    return projectDetails().value(QLatin1String("layers_by_id")).toObject().value(id).toObject();
}

QJsonObject WorkerResult::stepReturns(const QString &stepId) const
{
    const QJsonArray steps = feedback.value(QLatin1String("steps")).toArray();
    for (const QJsonValue &step : steps) {
        if (step.toObject().value(QLatin1String("id")).toString() == stepId)
            return step.toObject().value(QLatin1String("returns")).toObject();
    }
    return {};
}

WorkerJob::WorkerJob() : m_dir(std::make_unique<QTemporaryDir>())
{
    if (!m_dir->isValid())
        return;
    if (qEnvironmentVariableIntValue("QFC_KEEP_WORKDIRS") > 0)
        m_dir->setAutoRemove(false);
    const QDir root(m_dir->path());
    root.mkpath(QStringLiteral("work/files"));
    m_workdir = QFileInfo(root.filePath(QStringLiteral("work"))).canonicalFilePath();
    // as the runner does (spec/worker.md §2.1): HOME, TMPDIR, XDG_RUNTIME_DIR and
    // QGIS_CUSTOM_CONFIG_PATH point into the work directory
    const QDir work(m_workdir);
    for (const char *name : {"home", "tmp", "runtime", "qgis-config"})
        work.mkpath(QLatin1String(name));
    QFile::setPermissions(work.filePath(QStringLiteral("runtime")),
                          QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);

    m_environment.insert(QStringLiteral("PATH"), QStringLiteral("/usr/local/bin:/usr/bin:/bin"));
    m_environment.insert(QStringLiteral("LANG"), QStringLiteral("C.UTF-8"));
    m_environment.insert(QStringLiteral("HOME"), work.filePath(QStringLiteral("home")));
    m_environment.insert(QStringLiteral("TMPDIR"), work.filePath(QStringLiteral("tmp")));
    m_environment.insert(QStringLiteral("XDG_RUNTIME_DIR"),
                         work.filePath(QStringLiteral("runtime")));
    m_environment.insert(QStringLiteral("QGIS_CUSTOM_CONFIG_PATH"),
                         work.filePath(QStringLiteral("qgis-config")));
    m_environment.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    m_environment.insert(QStringLiteral("JOB_ID"),
                         QStringLiteral("0a6f0c52-1b1e-4a53-8a43-6f3d9b1c2e88"));
    m_environment.insert(QStringLiteral("QFIELDCLOUD_EXTRA_ENVVARS"), QStringLiteral("[]"));
}

WorkerJob::~WorkerJob()
{
    if (m_dir && !m_dir->autoRemove())
        qInfo("kept work directory %s", qPrintable(m_dir->path()));
}

bool WorkerJob::isValid() const
{
    return m_dir->isValid() && !m_workdir.isEmpty();
}

QString WorkerJob::workdir() const
{
    return m_workdir;
}

QString WorkerJob::filesDir() const
{
    return m_workdir + QStringLiteral("/files");
}

QString WorkerJob::scratchDir() const
{
    return QFileInfo(m_dir->path()).canonicalFilePath();
}

bool WorkerJob::addUpstreamFile(const QString &source, const QString &target)
{
    const QString destination =
        filesDir() + QLatin1Char('/') + (target.isEmpty() ? source : target);
    QDir().mkpath(QFileInfo(destination).absolutePath());
    return QFile::copy(upstreamDir() + QLatin1Char('/') + source, destination);
}

bool WorkerJob::addUpstreamDirectory(const QString &sourceDir, const QString &targetDir)
{
    const QDir source(upstreamDir() + QLatin1Char('/') + sourceDir);
    const QStringList names = source.entryList(QDir::Files);
    if (names.isEmpty())
        return false;
    for (const QString &name : names) {
        const QString target = targetDir.isEmpty() ? name : targetDir + QLatin1Char('/') + name;
        if (!addUpstreamFile(sourceDir + QLatin1Char('/') + name, target))
            return false;
    }
    return true;
}

bool WorkerJob::addFixture(const QString &name, const QString &target)
{
    const QString destination = filesDir() + QLatin1Char('/') + target;
    QDir().mkpath(QFileInfo(destination).absolutePath());
    return QFile::copy(fixturesDir() + QLatin1Char('/') + name, destination);
}

bool WorkerJob::writeFile(const QString &target, const QByteArray &content)
{
    const QString destination = filesDir() + QLatin1Char('/') + target;
    QDir().mkpath(QFileInfo(destination).absolutePath());
    QFile file(destination);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate)
        && file.write(content) == content.size();
}

WorkerResult WorkerJob::run(const QStringList &arguments, int timeoutMs)
{
    WorkerResult result;
    QProcess process;
    process.setProcessEnvironment(m_environment);
    process.setWorkingDirectory(scratchDir());
    QElapsedTimer timer;
    timer.start();
    process.start(workerPath(), arguments);
    result.finished = process.waitForFinished(timeoutMs);
    if (!result.finished) {
        process.kill();
        process.waitForFinished(5000);
    }
    result.elapsedMs = timer.elapsed();
    result.exitCode = process.exitCode();
    result.exitStatus = process.exitStatus();
    result.standardOutput = process.readAllStandardOutput();
    result.standardError = process.readAllStandardError();

    QFile feedback(m_workdir + QStringLiteral("/feedback.json"));
    if (feedback.open(QIODevice::ReadOnly)) {
        result.hasFeedback = true;
        result.feedbackBytes = feedback.readAll();
        result.feedback = QJsonDocument::fromJson(result.feedbackBytes).object();
    }
    return result;
}

WorkerResult WorkerJob::runProcessProjectfile(const QString &projectFile)
{
    return run({QStringLiteral("process_projectfile"), QStringLiteral("--project-id"), ProjectId,
                QStringLiteral("--project-file"), projectFile, QStringLiteral("--workdir"),
                m_workdir});
}

QString WorkerJob::workerPath()
{
    return qEnvironmentVariable("QFC_WORKER");
}

QString WorkerJob::upstreamDir()
{
    return qEnvironmentVariable("QFC_UPSTREAM_TESTDATA");
}

QString WorkerJob::fixturesDir()
{
    return qEnvironmentVariable("QFC_WORKER_FIXTURES");
}

QString WorkerJob::expectedQgisVersion()
{
    return qEnvironmentVariable("QFC_EXPECTED_QGIS_VERSION");
}
