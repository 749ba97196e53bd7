// qfc-worker's command-line contract (spec/worker.md §2.1), exercised on the real binary:
// --help/--version answer at once without starting QGIS, bad arguments exit 64 without
// feedback, and job types this build does not implement fail cleanly through feedback.json.

#include "workerjob.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QRegularExpression>
#include <QTest>

namespace {

bool isEmptyDirectory(const QString &path)
{
    return QDir(path).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot).isEmpty();
}

bool hasStepMarker(const QByteArray &output)
{
    return output.contains("::<<<::") || output.contains("::>>>::");
}

} // namespace

class tst_WorkerCli final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void help_data();
    void help();
    void version();
    void badArguments_data();
    void badArguments();
    void cleanupTestCase();

private:
    QList<QPair<QString, qint64>> m_timings;
};

void tst_WorkerCli::initTestCase()
{
    QVERIFY2(QFileInfo(WorkerJob::workerPath()).isExecutable(),
             qPrintable("QFC_TEST_WORKER_BINARY is not an executable: " + WorkerJob::workerPath()));
    QVERIFY2(!WorkerJob::expectedQgisVersion().isEmpty(), "QFC_TEST_QGIS_VERSION is not set");
}

void tst_WorkerCli::help_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::newRow("--help") << QStringList{"--help"};
    QTest::newRow("-h") << QStringList{"-h"};
    QTest::newRow("--help-with-a-job")
        << QStringList{"process_projectfile", "--project-id", WorkerJob::ProjectId, "--help"};
}

void tst_WorkerCli::help()
{
    QFETCH(QStringList, arguments);
    WorkerJob job;
    QVERIFY(job.isValid());
    const QString qgisConfig = job.environment().value(QStringLiteral("QGIS_CUSTOM_CONFIG_PATH"));
    job.environment().remove(QStringLiteral("QT_QPA_PLATFORM"));

    const WorkerResult result = job.run(arguments);
    m_timings.append(
        {QStringLiteral("help %1").arg(arguments.join(QLatin1Char(' '))), result.elapsedMs});
    QVERIFY(result.finished);
    QCOMPARE(result.exitStatus, QProcess::NormalExit);
    QCOMPARE(result.exitCode, 0);
    const QString usage = QString::fromUtf8(result.standardOutput);
    QVERIFY2(usage.startsWith(QStringLiteral("Usage: qfc-worker <command> --project-id <uuid> "
                                             "--project-file <relative path> --workdir <dir>")),
             qPrintable(usage));
    for (const char *word : {"process_projectfile", "package", "apply_deltas", "--offliner",
                             "--overwrite-conflicts", "--deltafile"})
        QVERIFY2(usage.contains(QLatin1String(word)), word);
    QCOMPARE(result.standardError, QByteArray());
    QVERIFY(!result.hasFeedback);
    // QGIS never started: it would have created its profile below QGIS_CUSTOM_CONFIG_PATH
    QVERIFY(isEmptyDirectory(qgisConfig));
    QVERIFY2(result.elapsedMs < 3000, qPrintable(QString::number(result.elapsedMs)));
}

void tst_WorkerCli::version()
{
    WorkerJob job;
    QVERIFY(job.isValid());
    const QString qgisConfig = job.environment().value(QStringLiteral("QGIS_CUSTOM_CONFIG_PATH"));
    const WorkerResult result = job.run({QStringLiteral("--version")});
    m_timings.append({QStringLiteral("version"), result.elapsedMs});
    QCOMPARE(result.exitCode, 0);
    const QString text = QString::fromUtf8(result.standardOutput);
    const QRegularExpression line(
        QStringLiteral("\\Aqfc-worker \\S+ \\(QGIS %1, Qt 5\\.15\\.\\d+\\)\n\\z")
            .arg(QRegularExpression::escape(WorkerJob::expectedQgisVersion())));
    QVERIFY2(line.match(text).hasMatch(), qPrintable(text));
    QCOMPARE(result.standardError, QByteArray());
    QVERIFY(!result.hasFeedback);
    QVERIFY(isEmptyDirectory(qgisConfig));
    QVERIFY2(result.elapsedMs < 3000, qPrintable(QString::number(result.elapsedMs)));
}

void tst_WorkerCli::badArguments_data()
{
    QTest::addColumn<QStringList>("arguments"); // "@W" stands for the work directory
    QTest::addColumn<QString>("errorPart");

    const QString id = WorkerJob::ProjectId;
    QTest::newRow("no-arguments→64") << QStringList{} << "missing command";
    QTest::newRow("unknown-command→64")
        << QStringList{"delta_apply", "--project-id", id,  "--project-file",
                       "p.qgs",       "--workdir",    "@W"}
        << "unknown command";
    QTest::newRow("upstream-positional-argv→64")
        << QStringList{"process_projectfile", id, "p.qgs"} << "unexpected argument";
    QTest::newRow("missing-workdir→64")
        << QStringList{"process_projectfile", "--project-id", id, "--project-file", "p.qgs"}
        << "missing option --workdir";
    QTest::newRow("bad-project-id→64") << QStringList{"process_projectfile",
                                                      "--project-id",
                                                      "42",
                                                      "--project-file",
                                                      "p.qgs",
                                                      "--workdir",
                                                      "@W"}
                                       << "--project-id";
    QTest::newRow("absolute-project-file→64")
        << QStringList{"process_projectfile", "--project-id", id,  "--project-file",
                       "/etc/p.qgs",          "--workdir",    "@W"}
        << "relative";
    QTest::newRow("escaping-project-file→64") << QStringList{"process_projectfile",
                                                             "--project-id",
                                                             id,
                                                             "--project-file",
                                                             "../p.qgs",
                                                             "--workdir",
                                                             "@W"}
                                              << "--project-file";
    QTest::newRow("offliner-on-process→64") << QStringList{"process_projectfile",
                                                           "--project-id",
                                                           id,
                                                           "--project-file",
                                                           "p.qgs",
                                                           "--workdir",
                                                           "@W",
                                                           "--offliner",
                                                           "qgiscore"}
                                            << "--offliner";
    QTest::newRow("duplicate-option→64")
        << QStringList{"package", "--project-id", id,  "--project-id", id, "--project-file",
                       "p.qgs",   "--workdir",    "@W"}
        << "more than once";
    QTest::newRow("unknown-option→64")
        << QStringList{"apply_deltas", "--project-id", id,   "--project-file",
                       "p.qgs",        "--workdir",    "@W", "--inverse"}
        << "unknown option";
    QTest::newRow("workdir-does-not-exist→64")
        << QStringList{"process_projectfile", "--project-id", id, "--project-file", "p.qgs",
                       "--workdir",           "@W/missing"}
        << "does not exist";
}

void tst_WorkerCli::badArguments()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, errorPart);

    WorkerJob job;
    QVERIFY(job.isValid());
    QVERIFY(
        job.addUpstreamFile(QStringLiteral("core/self_contained.qgs"), QStringLiteral("p.qgs")));
    const QString qgisConfig = job.environment().value(QStringLiteral("QGIS_CUSTOM_CONFIG_PATH"));
    for (QString &argument : arguments)
        argument.replace(QLatin1String("@W"), job.workdir());

    const WorkerResult result = job.run(arguments);
    m_timings.append({QStringLiteral("bad arguments"), result.elapsedMs});
    QVERIFY(result.finished);
    QCOMPARE(result.exitStatus, QProcess::NormalExit);
    QCOMPARE(result.exitCode, 64);
    QVERIFY(!result.hasFeedback);
    QVERIFY(!QFileInfo::exists(job.workdir() + QStringLiteral("/feedback.json")));
    QCOMPARE(result.standardOutput, QByteArray());
    const QString error = result.log();
    QVERIFY2(error.startsWith(QStringLiteral("qfc-worker: ")), qPrintable(error));
    QVERIFY2(error.contains(errorPart), qPrintable(error));
    QVERIFY(!hasStepMarker(result.standardError));
    QVERIFY(isEmptyDirectory(qgisConfig));
}

void tst_WorkerCli::cleanupTestCase()
{
    for (const auto &timing : std::as_const(m_timings))
        qInfo("%-40s %6lld ms", qPrintable(timing.first), timing.second);
}

QTEST_GUILESS_MAIN(tst_WorkerCli)
#include "tst_workercli.moc"
