#include "workerjob.h"

#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

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
    if (qEnvironmentVariableIntValue("QFC_TEST_KEEP_WORKDIRS") > 0)
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

bool WorkerJob::usePgServiceFile(const QString &source)
{
    QFile in(source);
    if (!in.open(QIODevice::ReadOnly))
        return false;
    const QByteArray content = in.readAll();
    const QString path = m_workdir + QStringLiteral("/pg_service.conf");
    QFile out(path);
    if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate)
        || out.write(content) != content.size()
        || !out.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner))
        return false;
    m_environment.insert(QStringLiteral("PGSERVICEFILE"), path);
    return true;
}

bool WorkerJob::talksToPostgisFixture() const
{
    if (m_environment.contains(QStringLiteral("PGSERVICEFILE")))
        return true;
    const PostgisFixture fixture;
    const QString host = fixture.value(QStringLiteral("HOST"));
    if (!fixture.configured() || host.isEmpty())
        return false;
    QDirIterator it(filesDir(), {QStringLiteral("*.qgs")}, QDir::Files,
                    QDirIterator::Subdirectories);
    while (it.hasNext()) {
        QFile f(it.next());
        if (f.open(QIODevice::ReadOnly) && f.readAll().contains(host.toUtf8()))
            return true;
    }
    return false;
}

void WorkerJob::confine(QString &program, QStringList &arguments) const
{
    const QString tool = qEnvironmentVariable("QFC_TEST_CONFINE");
    if (tool.isEmpty() || qEnvironmentVariableIntValue("QFC_TEST_UNCONFINED") > 0)
        return;
    QStringList wrapped{QStringLiteral("--workdir"), m_workdir, QStringLiteral("--read-only"),
                        QFileInfo(program).absolutePath()};
    if (talksToPostgisFixture()) {
        // As an operator enables jobs/network=outbound for projects with online layers. The
        // fixture's loopback mode (without root) is not reachable from a confined worker.
        if (PostgisFixture().value(QStringLiteral("MODE")) != QLatin1String("netns"))
            return;
        wrapped << QStringLiteral("--network");
    }
    wrapped << QStringLiteral("--") << program << arguments;
    program = tool;
    arguments = wrapped;
}

WorkerResult WorkerJob::run(const QStringList &arguments, int timeoutMs)
{
    WorkerResult result;
    QProcess process;
    process.setProcessEnvironment(m_environment);
    process.setWorkingDirectory(scratchDir());
    QElapsedTimer timer;
    timer.start();
    QString program = workerPath();
    QStringList programArguments = arguments;
    confine(program, programArguments);
    process.start(program, programArguments);
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
    return qEnvironmentVariable("QFC_TEST_WORKER_BINARY");
}

QString WorkerJob::upstreamDir()
{
    return qEnvironmentVariable("QFC_TEST_UPSTREAM_DATA");
}

QString WorkerJob::fixturesDir()
{
    return qEnvironmentVariable("QFC_TEST_WORKER_FIXTURES");
}

QString WorkerJob::expectedQgisVersion()
{
    return qEnvironmentVariable("QFC_TEST_QGIS_VERSION");
}

PostgisFixture::PostgisFixture()
{
    m_serviceFile = qEnvironmentVariable("QFC_TEST_PGSERVICEFILE");
    const QString envFile = qEnvironmentVariable("QFC_TEST_POSTGIS_ENV");
    m_configured = !m_serviceFile.isEmpty() || !envFile.isEmpty();
    if (!m_configured)
        return;
    const QString notStarted =
        QStringLiteral(": the PostGIS of the `postgis` fixture (tests/scripts/postgis.sh) did not "
                       "start, or QFC_TEST_PGSERVICEFILE/QFC_TEST_POSTGIS_ENV are wrong");
    if (m_serviceFile.isEmpty() || !QFileInfo(m_serviceFile).isReadable()) {
        m_problem =
            QStringLiteral("no readable pg_service.conf \"%1\"").arg(m_serviceFile) + notStarted;
        return;
    }
    QFile env(envFile);
    if (envFile.isEmpty() || !env.open(QIODevice::ReadOnly)) {
        m_problem = QStringLiteral("no readable env file \"%1\"").arg(envFile) + notStarted;
        return;
    }
    const QStringList lines = QString::fromUtf8(env.readAll()).split(QLatin1Char('\n'));
    for (const QString &line : lines) {
        const qsizetype equals = line.indexOf(QLatin1Char('='));
        if (line.startsWith(QLatin1String("QFC_POSTGIS_")) && equals > 0)
            m_values.insert(line.left(equals).mid(12), line.mid(equals + 1));
    }
    for (const char *name : {"MODE", "HOST", "PORT", "USER", "PASSWORD"}) {
        if (value(QLatin1String(name)).isEmpty()) {
            m_problem =
                QStringLiteral("QFC_POSTGIS_%1 missing in %2").arg(QLatin1String(name), envFile)
                + notStarted;
            return;
        }
    }
}

QString PostgisFixture::value(const QString &name) const
{
    return m_values.value(name);
}

QString PostgisFixture::connectionInfo(const QString &database) const
{
    return QStringLiteral("dbname='%1' host=%2 port=%3 user='%4' password='%5'")
        .arg(database, value(QStringLiteral("HOST")), value(QStringLiteral("PORT")),
             value(QStringLiteral("USER")), value(QStringLiteral("PASSWORD")));
}

int rewritePostgisConnection(const QString &projectPath, const QString &connectionInfo)
{
    QFile file(projectPath);
    if (!file.open(QIODevice::ReadOnly))
        return 0;
    QString project = QString::fromUtf8(file.readAll());
    file.close();
    static const QRegularExpression upstream(
        QStringLiteral("dbname='test_postgis_db_name' host='?test_postgis_db'? port=5432 "
                       "user='test_postgis_db_user'( password='test_postgis_db_password')?"));
    const int count = int(project.count(upstream));
    if (count == 0)
        return 0;
    project.replace(upstream, connectionInfo);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return 0;
    const QByteArray bytes = project.toUtf8();
    return file.write(bytes) == bytes.size() ? count : 0;
}
