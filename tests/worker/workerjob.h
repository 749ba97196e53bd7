#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <memory>

// What a qfc-worker run left behind, as the runner would see it.
struct WorkerResult
{
    int exitCode = -1;
    QProcess::ExitStatus exitStatus = QProcess::CrashExit;
    bool finished = false; // false when it had to be killed
    QByteArray standardOutput;
    QByteArray standardError;
    qint64 elapsedMs = 0;
    bool hasFeedback = false;
    QByteArray feedbackBytes;
    QJsonObject feedback;

    QString log() const { return QString::fromUtf8(standardError); }
    QStringList logLines() const;
    QList<int> stages() const;
    QJsonObject projectDetails() const;
    QJsonObject layer(const QString &id) const;
    QJsonObject stepReturns(const QString &stepId) const;
};

// A work directory laid out as the runner lays it out (spec/worker.md §2.1) in a QTemporaryDir
// (<tmp>/work/files/...), the runner-like environment of the child (minimal, not inherited: PATH,
// LANG, HOME, TMPDIR, XDG_RUNTIME_DIR and QGIS_CUSTOM_CONFIG_PATH in <workdir>/{home,tmp,runtime,
// qgis-config}, JOB_ID, QFIELDCLOUD_EXTRA_ENVVARS=[], QT_QPA_PLATFORM=offscreen), and runs of the
// real qfc-worker binary.
class WorkerJob
{
public:
    static inline const QString ProjectId = QStringLiteral("3d0e8b3e-4a6f-4f7c-9b52-0b6c1f4e2a17");

    WorkerJob();
    ~WorkerJob();

    bool isValid() const;
    QString workdir() const; // canonical
    QString filesDir() const;
    QString scratchDir() const; // the QTemporaryDir around the work directory

    // Copies <QFC_UPSTREAM_TESTDATA>/<source> to files/<target> (default: the same relative path).
    bool addUpstreamFile(const QString &source, const QString &target = QString());
    // Copies every file of <QFC_UPSTREAM_TESTDATA>/<sourceDir> (not recursive) to
    // files/<targetDir>.
    bool addUpstreamDirectory(const QString &sourceDir, const QString &targetDir);
    bool addFixture(const QString &name, const QString &target);
    bool writeFile(const QString &target, const QByteArray &content);

    QProcessEnvironment &environment() { return m_environment; }

    WorkerResult run(const QStringList &arguments, int timeoutMs = 180000);
    WorkerResult runProcessProjectfile(const QString &projectFile);

    static QString workerPath();
    static QString upstreamDir();
    static QString fixturesDir();
    static QString expectedQgisVersion();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_workdir;
    QProcessEnvironment m_environment;
};
