#pragma once

#include <QByteArray>
#include <QHash>
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

    // Copies <QFC_TEST_UPSTREAM_DATA>/<source> to files/<target> (default: the same relative path).
    bool addUpstreamFile(const QString &source, const QString &target = QString());
    // Copies every file of <QFC_TEST_UPSTREAM_DATA>/<sourceDir> (not recursive) to
    // files/<targetDir>.
    bool addUpstreamDirectory(const QString &sourceDir, const QString &targetDir);
    bool addFixture(const QString &name, const QString &target);
    bool writeFile(const QString &target, const QByteArray &content);
    // As the runner passes the project's pgservice secrets (libqfc/jobs/jobrun.cpp): a copy of
    // `source` as <workdir>/pg_service.conf (0600), named by PGSERVICEFILE.
    bool usePgServiceFile(const QString &source);

    QProcessEnvironment &environment() { return m_environment; }

    WorkerResult run(const QStringList &arguments, int timeoutMs = 180000);
    WorkerResult runProcessProjectfile(const QString &projectFile);

    static QString workerPath();
    static QString upstreamDir();
    static QString fixturesDir();
    static QString expectedQgisVersion();

private:
    // With QFC_TEST_CONFINE (the qfc-confine tool, tests/jobs/confine.cpp) the worker runs
    // confined as the job runner confines it: only its work directory, no network, or outbound
    // network when the job talks to the PostGIS fixture. QFC_TEST_UNCONFINED=1 runs it bare.
    void confine(QString &program, QStringList &arguments) const;
    bool talksToPostgisFixture() const;

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_workdir;
    QProcessEnvironment m_environment;
};

// The PostGIS of the `postgis` CTest fixture (tests/scripts/postgis.sh, tests/data/postgis/):
// QFC_TEST_PGSERVICEFILE names its pg_service.conf (services geodb1, geodb2, qfctestci,
// qfc_test_delta), QFC_TEST_POSTGIS_ENV its env file (QFC_POSTGIS_* assignments: HOST, PORT,
// USER, PASSWORD, EFFECTIVE_USER, DB_<FAMILY>).
class PostgisFixture
{
public:
    PostgisFixture();

    // False only when neither variable is set: a run by hand, outside CTest (the cases skip).
    bool configured() const { return m_configured; }
    // Empty, or why the fixture cannot be used (CTest set the variables but the fixture did not
    // start): the cases fail then.
    QString problem() const { return m_problem; }
    QString serviceFile() const { return m_serviceFile; }
    QString value(const QString &name) const; // QFC_POSTGIS_<name>, "" when absent
    // The libpq connection of a plain-text datasource reaching `database` on the fixture:
    // "dbname='<database>' host=<host> port=<port> user='<user>' password='<password>'".
    QString connectionInfo(const QString &database) const;

private:
    bool m_configured = false;
    QString m_problem;
    QString m_serviceFile;
    QHash<QString, QString> m_values;
};

// Points the plain-text connection of an upstream PostGIS test project (core/delta/project2.qgs,
// subscription/project_plaintext.qgs: "dbname='test_postgis_db_name' host=test_postgis_db
// port=5432 user='test_postgis_db_user' password='test_postgis_db_password'", host quoted or not,
// the password left out where QGIS repeats the source in the layer tree) at `connectionInfo`.
// Returns the number of occurrences rewritten (0 on any error).
int rewritePostgisConnection(const QString &projectPath, const QString &connectionInfo);

// Skips when the PostGIS fixture is not configured (run by hand), fails when it is configured but
// unusable. For test functions (QSKIP/QVERIFY2 return from the caller).
#define QFC_REQUIRE_POSTGIS(fixture)                                                             \
    do {                                                                                         \
        if (!(fixture).configured())                                                             \
            QSKIP("needs the PostGIS of the `postgis` fixture: run through CTest, or set "       \
                  "QFC_TEST_PGSERVICEFILE and QFC_TEST_POSTGIS_ENV (tests/scripts/postgis.sh)"); \
        QVERIFY2((fixture).problem().isEmpty(), qPrintable((fixture).problem()));                \
    } while (false)
