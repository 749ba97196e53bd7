// Unit tests of libqfc/contract, built twice: tst_contract_qt6 against qfc_contract_qt6 and
// tst_contract_qt5 against qfc_contract_qt5. Expected values are typed from spec/worker.md (and,
// for the JSON layout, from Python's json.dumps(indent=2, sort_keys=True)), never computed by the
// code under test.

#include "contract/feedback.h"
#include "contract/feedbackbuilder.h"
#include "contract/jobtype.h"
#include "contract/jsonwriter.h"
#include "contract/logformat.h"
#include "contract/logredactor.h"
#include "contract/runnerfeedback.h"
#include "contract/workdir.h"
#include "contract/workerarguments.h"
#include "contract/workflow.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QTest>
#include <QTime>

#include <cmath>
#include <limits>

using namespace qfc::contract;

namespace {

const QString Uuid = QStringLiteral("7b4ff1d8-5e4e-4a5c-9d5a-3f1c2f0e9b11");

// Python: json.dumps(value, indent=2, sort_keys=True)
QByteArray py(const char *text)
{
    return QByteArray(text);
}

QJsonObject parseObject(const QByteArray &json)
{
    return QJsonDocument::fromJson(json).object();
}

} // namespace

class tst_Contract final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void jobTypes();

    void parseArguments_data();
    void parseArguments();
    void parseArgumentsErrors_data();
    void parseArgumentsErrors();
    void parseArgumentsHelpVersion_data();
    void parseArgumentsHelpVersion();
    void buildArguments_data();
    void buildArguments();
    void argumentDefaults();
    void projectFilePaths_data();
    void projectFilePaths();
    void workDirLayout();
    void usageText();

    void workflows_data();
    void workflows();

    void jsonLayout();
    void jsonKeyOrderByCodePoint();
    void jsonNumbers_data();
    void jsonNumbers();

    void feedbackSuccess();
    void feedbackFailure();
    void feedbackExactBytes();
    void feedbackReturnsFiltered();
    void feedbackParse();
    void feedbackParseErrors_data();
    void feedbackParseErrors();
    void feedbackRoundTrip();

    void logLine_data();
    void logLine();
    void logLevelMapping();
    void stepMarkers();

    void redactPasswords_data();
    void redactPasswords();
    void redactSecrets();
    void redactSecretsEnvironmentErrors_data();
    void redactSecretsEnvironmentErrors();

    void runnerFeedback();
};

void tst_Contract::jobTypes()
{
    QCOMPARE(allJobTypes().size(), 3);
    QCOMPARE(workerCommand(JobType::ProcessProjectfile), QStringLiteral("process_projectfile"));
    QCOMPARE(workerCommand(JobType::Package), QStringLiteral("package"));
    QCOMPARE(workerCommand(JobType::DeltaApply), QStringLiteral("apply_deltas"));
    QCOMPARE(jobTypeName(JobType::ProcessProjectfile), QStringLiteral("process_projectfile"));
    QCOMPARE(jobTypeName(JobType::Package), QStringLiteral("package"));
    QCOMPARE(jobTypeName(JobType::DeltaApply), QStringLiteral("delta_apply"));

    QVERIFY(jobTypeFromWorkerCommand(QStringLiteral("apply_deltas")) == JobType::DeltaApply);
    QVERIFY(jobTypeFromWorkerCommand(QStringLiteral("package")) == JobType::Package);
    QVERIFY(jobTypeFromWorkerCommand(QStringLiteral("process_projectfile"))
            == JobType::ProcessProjectfile);
    QVERIFY(!jobTypeFromWorkerCommand(QStringLiteral("delta_apply")).has_value());
    QVERIFY(jobTypeFromName(QStringLiteral("delta_apply")) == JobType::DeltaApply);
    QVERIFY(!jobTypeFromName(QStringLiteral("apply_deltas")).has_value());
    QVERIFY(!jobTypeFromName(QStringLiteral("create_project")).has_value());
    QVERIFY(!jobTypeFromWorkerCommand(QStringLiteral("Package")).has_value());
}

void tst_Contract::parseArguments_data()
{
    QTest::addColumn<QStringList>("argv");
    QTest::addColumn<int>("jobType");
    QTest::addColumn<QString>("projectFile");
    QTest::addColumn<QString>("workdir");
    QTest::addColumn<QString>("offliner"); // "" = not given
    QTest::addColumn<bool>("overwrite");
    QTest::addColumn<QString>("deltafile");

    QTest::newRow("process-minimal→run")
        << QStringList{"process_projectfile", "--project-id", Uuid,    "--project-file",
                       "project.qgs",         "--workdir",    "/tmp/w"}
        << int(JobType::ProcessProjectfile) << "project.qgs"
        << "/tmp/w"
        << "" << false << "";
    QTest::newRow("options-before-command→run")
        << QStringList{"--workdir",    "/tmp/w", "--project-file",     "p.qgz",
                       "--project-id", Uuid,     "process_projectfile"}
        << int(JobType::ProcessProjectfile) << "p.qgz"
        << "/tmp/w"
        << "" << false << "";
    QTest::newRow("equals-form→run")
        << QStringList{"package", "--project-id=" + Uuid, "--project-file=a=b.qgs",
                       "--workdir=/tmp/w x", "--offliner=qgiscore"}
        << int(JobType::Package) << "a=b.qgs"
        << "/tmp/w x"
        << "qgiscore" << false << "";
    QTest::newRow("package-pythonmini→run")
        << QStringList{"package",   "--project-id", Uuid, "--project-file",
                       "p.qgs",     "--workdir",    "w",  "--offliner",
                       "pythonmini"}
        << int(JobType::Package) << "p.qgs"
        << "w"
        << "pythonmini" << false << "";
    QTest::newRow("apply-all-options→run")
        << QStringList{"apply_deltas", "--project-id", Uuid, "--project-file",
                       "p.qgs",        "--workdir",    "/w", "--overwrite-conflicts",
                       "--deltafile",  "/w/d.json"}
        << int(JobType::DeltaApply) << "p.qgs"
        << "/w"
        << "" << true << "/w/d.json";
    QTest::newRow("spaces-and-subdirectory→run")
        << QStringList{"process_projectfile",          "--project-id", Uuid,    "--project-file",
                       "aaa bbb/project qgis 1.2.qgs", "--workdir",    "/tmp/w"}
        << int(JobType::ProcessProjectfile) << "aaa bbb/project qgis 1.2.qgs"
        << "/tmp/w"
        << "" << false << "";
    QTest::newRow("value-looking-like-option→run")
        << QStringList{"process_projectfile", "--project-id", Uuid,    "--project-file",
                       "--weird.qgs",         "--workdir",    "/tmp/w"}
        << int(JobType::ProcessProjectfile) << "--weird.qgs"
        << "/tmp/w"
        << "" << false << "";
    QTest::newRow("upper-case-uuid→run") << QStringList{"process_projectfile",
                                                        "--project-id",
                                                        Uuid.toUpper(),
                                                        "--project-file",
                                                        "p.qgs",
                                                        "--workdir",
                                                        "/tmp/w"}
                                         << int(JobType::ProcessProjectfile) << "p.qgs"
                                         << "/tmp/w"
                                         << "" << false << "";
}

void tst_Contract::parseArguments()
{
    QFETCH(QStringList, argv);
    QFETCH(int, jobType);
    QFETCH(QString, projectFile);
    QFETCH(QString, workdir);
    QFETCH(QString, offliner);
    QFETCH(bool, overwrite);
    QFETCH(QString, deltafile);

    const WorkerArgumentsParseResult result = parseWorkerArguments(argv);
    QCOMPARE(result.error, QString());
    QCOMPARE(result.action, WorkerArgumentsParseResult::Action::Run);
    QCOMPARE(int(result.arguments.jobType), jobType);
    QCOMPARE(result.arguments.projectId.toLower(), Uuid);
    QCOMPARE(result.arguments.projectFile, projectFile);
    QCOMPARE(result.arguments.workdir, workdir);
    QCOMPARE(result.arguments.offliner.has_value() ? offlinerName(*result.arguments.offliner)
                                                   : QString(),
             offliner);
    QCOMPARE(result.arguments.overwriteConflicts, overwrite);
    QCOMPARE(result.arguments.deltafile, deltafile);
    QCOMPARE(result.arguments.validate(), QString());
}

void tst_Contract::parseArgumentsErrors_data()
{
    QTest::addColumn<QStringList>("argv");
    QTest::addColumn<QString>("errorPart");

    const QStringList base{"--project-id", Uuid, "--project-file", "p.qgs", "--workdir", "/w"};
    QTest::newRow("no-arguments→error") << QStringList{} << "missing command";
    QTest::newRow("unknown-command→error")
        << (QStringList{"delta_apply"} + base) << "unknown command \"delta_apply\"";
    QTest::newRow("missing-project-id→error")
        << QStringList{"package", "--project-file", "p.qgs", "--workdir", "/w"}
        << "missing option --project-id";
    QTest::newRow("missing-project-file→error")
        << QStringList{"package", "--project-id", Uuid, "--workdir", "/w"}
        << "missing option --project-file";
    QTest::newRow("missing-workdir→error")
        << QStringList{"package", "--project-id", Uuid, "--project-file", "p.qgs"}
        << "missing option --workdir";
    QTest::newRow("braced-uuid→error") << QStringList{"package",
                                                      "--project-id",
                                                      "{" + Uuid + "}",
                                                      "--project-file",
                                                      "p.qgs",
                                                      "--workdir",
                                                      "/w"}
                                       << "--project-id must be a UUID";
    QTest::newRow("not-a-uuid→error")
        << QStringList{"package", "--project-id", "1234", "--project-file",
                       "p.qgs",   "--workdir",    "/w"}
        << "--project-id must be a UUID";
    QTest::newRow("absolute-project-file→error")
        << QStringList{"package",    "--project-id", Uuid, "--project-file",
                       "/etc/p.qgs", "--workdir",    "/w"}
        << "must be relative";
    QTest::newRow("dotdot-project-file→error")
        << QStringList{"package",  "--project-id", Uuid, "--project-file",
                       "../p.qgs", "--workdir",    "/w"}
        << "segments";
    QTest::newRow("empty-project-file→error")
        << QStringList{"package", "--project-id", Uuid, "--project-file", "", "--workdir", "/w"}
        << "empty";
    QTest::newRow("empty-workdir→error")
        << QStringList{"package", "--project-id", Uuid, "--project-file", "p.qgs", "--workdir", ""}
        << "--workdir must not be empty";
    QTest::newRow("offliner-on-process→error")
        << (QStringList{"process_projectfile"} + base + QStringList{"--offliner", "qgiscore"})
        << "--offliner is only accepted by the package command";
    QTest::newRow("bad-offliner→error")
        << (QStringList{"package"} + base + QStringList{"--offliner", "libqfieldsync"})
        << "--offliner must be pythonmini or qgiscore";
    QTest::newRow("overwrite-on-package→error")
        << (QStringList{"package"} + base + QStringList{"--overwrite-conflicts"})
        << "--overwrite-conflicts is only accepted by the apply_deltas command";
    QTest::newRow("deltafile-on-process→error")
        << (QStringList{"process_projectfile"} + base + QStringList{"--deltafile", "/w/d.json"})
        << "--deltafile is only accepted by the apply_deltas command";
    QTest::newRow("empty-deltafile→error")
        << (QStringList{"apply_deltas"} + base + QStringList{"--deltafile="})
        << "--deltafile must not be empty";
    QTest::newRow("duplicate-option→error")
        << (QStringList{"package"} + base + QStringList{"--workdir", "/x"})
        << "option --workdir given more than once";
    QTest::newRow("duplicate-flag→error")
        << (QStringList{"apply_deltas"} + base
            + QStringList{"--overwrite-conflicts", "--overwrite-conflicts"})
        << "option --overwrite-conflicts given more than once";
    QTest::newRow("flag-with-value→error")
        << (QStringList{"apply_deltas"} + base + QStringList{"--overwrite-conflicts=yes"})
        << "option --overwrite-conflicts takes no value";
    QTest::newRow("unknown-option→error")
        << (QStringList{"package"} + base + QStringList{"--inverse"})
        << "unknown option \"--inverse\"";
    QTest::newRow("short-unknown-option→error")
        << (QStringList{"package"} + base + QStringList{"-x"}) << "unknown option \"-x\"";
    QTest::newRow("missing-value→error")
        << QStringList{"package", "--project-id", Uuid, "--project-file", "p.qgs", "--workdir"}
        << "option --workdir needs a value";
    QTest::newRow("two-commands→error") << (QStringList{"package", "process_projectfile"} + base)
                                        << "unexpected argument \"process_projectfile\"";
    QTest::newRow("legacy-upstream-positional→error")
        << QStringList{"process_projectfile", Uuid, "project.qgs"} << "unexpected argument";
}

void tst_Contract::parseArgumentsErrors()
{
    QFETCH(QStringList, argv);
    QFETCH(QString, errorPart);

    const WorkerArgumentsParseResult result = parseWorkerArguments(argv);
    QCOMPARE(result.action, WorkerArgumentsParseResult::Action::Error);
    QVERIFY2(result.error.contains(errorPart), qPrintable(result.error));
    QVERIFY(!result.error.contains(QLatin1Char('\n')));
}

void tst_Contract::parseArgumentsHelpVersion_data()
{
    QTest::addColumn<QStringList>("argv");
    QTest::addColumn<int>("action");

    const int help = int(WorkerArgumentsParseResult::Action::ShowHelp);
    const int version = int(WorkerArgumentsParseResult::Action::ShowVersion);
    QTest::newRow("help→help") << QStringList{"--help"} << help;
    QTest::newRow("short-help→help") << QStringList{"-h"} << help;
    QTest::newRow("help-with-garbage→help") << QStringList{"bogus", "--nope", "--help"} << help;
    QTest::newRow("version→version") << QStringList{"--version"} << version;
    QTest::newRow("help-wins-over-version→help") << QStringList{"--version", "--help"} << help;
    QTest::newRow("help-as-a-value→error")
        << QStringList{"package", "--project-id", Uuid, "--project-file", "--help"}
        << int(WorkerArgumentsParseResult::Action::Error);
}

void tst_Contract::parseArgumentsHelpVersion()
{
    QFETCH(QStringList, argv);
    QFETCH(int, action);
    QCOMPARE(int(parseWorkerArguments(argv).action), action);
}

void tst_Contract::buildArguments_data()
{
    QTest::addColumn<int>("jobType");
    QTest::addColumn<QString>("offliner");
    QTest::addColumn<bool>("overwrite");
    QTest::addColumn<QString>("deltafile");
    QTest::addColumn<QStringList>("expected");

    const QStringList base{"--project-id",    Uuid,        "--project-file",
                           "dir one/p q.qgs", "--workdir", "/var/tmp/job 1"};
    QTest::newRow("process") << int(JobType::ProcessProjectfile) << "" << false << ""
                             << (QStringList{"process_projectfile"} + base);
    QTest::newRow("package-default")
        << int(JobType::Package) << "" << false << "" << (QStringList{"package"} + base);
    QTest::newRow("package-qgiscore")
        << int(JobType::Package) << "qgiscore" << false << ""
        << (QStringList{"package"} + base + QStringList{"--offliner", "qgiscore"});
    QTest::newRow("apply-plain") << int(JobType::DeltaApply) << "" << false << ""
                                 << (QStringList{"apply_deltas"} + base);
    QTest::newRow("apply-overwrite-deltafile")
        << int(JobType::DeltaApply) << "" << true << "/d.json"
        << (QStringList{"apply_deltas"} + base
            + QStringList{"--overwrite-conflicts", "--deltafile", "/d.json"});
}

void tst_Contract::buildArguments()
{
    QFETCH(int, jobType);
    QFETCH(QString, offliner);
    QFETCH(bool, overwrite);
    QFETCH(QString, deltafile);
    QFETCH(QStringList, expected);

    WorkerArguments args;
    args.jobType = JobType(jobType);
    args.projectId = Uuid;
    args.projectFile = QStringLiteral("dir one/p q.qgs");
    args.workdir = QStringLiteral("/var/tmp/job 1");
    if (!offliner.isEmpty())
        args.offliner = offlinerFromName(offliner);
    args.overwriteConflicts = overwrite;
    args.deltafile = deltafile;

    QCOMPARE(args.validate(), QString());
    QCOMPARE(args.toArguments(), expected);
    const WorkerArgumentsParseResult parsed = parseWorkerArguments(args.toArguments());
    QCOMPARE(parsed.action, WorkerArgumentsParseResult::Action::Run);
    QVERIFY(parsed.arguments == args);
}

void tst_Contract::argumentDefaults()
{
    WorkerArguments args;
    args.jobType = JobType::DeltaApply;
    args.workdir = QStringLiteral("/w/job/");
    QCOMPARE(args.effectiveDeltafile(), QStringLiteral("/w/job/deltafile.json"));
    args.deltafile = QStringLiteral("/elsewhere/d.json");
    QCOMPARE(args.effectiveDeltafile(), QStringLiteral("/elsewhere/d.json"));
    QCOMPARE(args.effectiveOffliner(), Offliner::PythonMini);
    args.offliner = Offliner::QgisCore;
    QCOMPARE(args.effectiveOffliner(), Offliner::QgisCore);
    QCOMPARE(offlinerName(Offliner::PythonMini), QStringLiteral("pythonmini"));
    QCOMPARE(offlinerName(Offliner::QgisCore), QStringLiteral("qgiscore"));
    QVERIFY(!offlinerFromName(QStringLiteral("PythonMini")).has_value());
    QVERIFY(offlinerFromName(QStringLiteral("qgiscore")) == Offliner::QgisCore);
    QCOMPARE(WorkerExitSuccess, 0);
    QCOMPARE(WorkerExitBadArguments, 64);
}

void tst_Contract::projectFilePaths_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<bool>("valid");
    QTest::newRow("plain") << "project.qgs" << true;
    QTest::newRow("subdir-spaces") << "aaa bbb/project qgis 1.2.qgs" << true;
    QTest::newRow("unicode") << QStringLiteral("prójekt/ü.qgz") << true;
    QTest::newRow("dot-in-name") << "..hidden.qgs" << true;
    QTest::newRow("empty") << "" << false;
    QTest::newRow("absolute") << "/p.qgs" << false;
    QTest::newRow("windows-drive") << "C:/p.qgs" << false;
    QTest::newRow("backslash-root") << "\\p.qgs" << false;
    QTest::newRow("dotdot") << "a/../p.qgs" << false;
    QTest::newRow("dot") << "./p.qgs" << false;
    QTest::newRow("double-slash") << "a//p.qgs" << false;
    QTest::newRow("trailing-slash") << "a/" << false;
    QTest::newRow("nul") << QString(QStringLiteral("a") + QChar(0) + QStringLiteral(".qgs"))
                         << false;
}

void tst_Contract::projectFilePaths()
{
    QFETCH(QString, path);
    QFETCH(bool, valid);
    QString error;
    QCOMPARE(isValidProjectFilePath(path, &error), valid);
    QCOMPARE(error.isEmpty(), valid);
}

void tst_Contract::workDirLayout()
{
    const WorkDir dir(QStringLiteral("/tmp/job/"));
    QCOMPARE(dir.root(), QStringLiteral("/tmp/job"));
    QCOMPARE(dir.filesDir(), QStringLiteral("/tmp/job/files"));
    QCOMPARE(dir.exportDir(), QStringLiteral("/tmp/job/export"));
    QCOMPARE(dir.feedbackFile(), QStringLiteral("/tmp/job/feedback.json"));
    QCOMPARE(dir.thumbnailFile(), QStringLiteral("/tmp/job/thumbnail.png"));
    QCOMPARE(dir.deltafile(), QStringLiteral("/tmp/job/deltafile.json"));
    QCOMPARE(dir.projectFile(QStringLiteral("aaa bbb/p.qgs")),
             QStringLiteral("/tmp/job/files/aaa bbb/p.qgs"));
    QCOMPARE(WorkDir(QStringLiteral("/")).feedbackFile(), QStringLiteral("/feedback.json"));
}

void tst_Contract::usageText()
{
    const QString usage = workerUsage();
    QVERIFY(usage.startsWith(QStringLiteral("Usage: qfc-worker <command> --project-id <uuid> "
                                            "--project-file <relative path> --workdir <dir>")));
    for (const char *word : {"process_projectfile", "package", "apply_deltas", "--offliner",
                             "--overwrite-conflicts", "--deltafile", "64"})
        QVERIFY2(usage.contains(QLatin1String(word)), word);
}

void tst_Contract::workflows_data()
{
    QTest::addColumn<int>("jobType");
    QTest::addColumn<QString>("id");
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("version");
    QTest::addColumn<QStringList>("stepIds");
    QTest::addColumn<QStringList>("stepNames");
    QTest::addColumn<QStringList>("returns"); // "step:return" pairs
    QTest::addColumn<QStringList>("outputs"); // "step:output" pairs

    // spec/worker.md §1.5
    QTest::newRow("process_projectfile")
        << int(JobType::ProcessProjectfile) << "process_projectfile"
        << "Process Projectfile"
        << "2.0" << QStringList{"start_qgis_app",         "download_project_directory",
                                "project_validity_check", "opening_check",
                                "project_details",        "generate_thumbnail_image",
                                "upload_thumbnail",       "stop_qgis_app"}
        << QStringList{"Start QGIS Application", "Download Project Directory",
                       "Project Validity Check", "Opening Check",
                       "Project Details",        "Generate Thumbnail Image",
                       "Upload Thumbnail Image", "Stop QGIS Application"}
        << QStringList{"start_qgis_app:qgis_version", "download_project_directory:tmp_project_dir",
                       "opening_check:project", "project_details:project_details",
                       "generate_thumbnail_image:thumbnail_filename"}
        << QStringList{"project_details:project_details"};
    QTest::newRow("package") << int(JobType::Package) << "package_project"
                             << "Package Project"
                             << "2.0"
                             << QStringList{"start_qgis_app",         "download_project_directory",
                                            "qgis_layers_data",       "package_project",
                                            "qfield_layer_data",      "stop_qgis_app",
                                            "upload_packaged_project"}
                             << QStringList{"Start QGIS Application", "Download Project Directory",
                                            "QGIS Layers Data",       "Package Project",
                                            "Packaged Layers Data",   "Stop QGIS Application",
                                            "Upload Packaged Project"}
                             << QStringList{"start_qgis_app:qgis_version",
                                            "download_project_directory:tmp_project_dir",
                                            "qgis_layers_data:layers_by_id",
                                            "package_project:the_qgis_file_name_in_qfield",
                                            "qfield_layer_data:layers_by_id"}
                             << QStringList{"qgis_layers_data:layers_by_id",
                                            "qfield_layer_data:layers_by_id"};
    QTest::newRow("delta_apply") << int(JobType::DeltaApply) << "apply_changes"
                                 << "Apply Changes"
                                 << "3.0"
                                 << QStringList{"start_qgis_app", "download_project_directory",
                                                "apply_deltas", "stop_qgis_app",
                                                "upload_project_directory"}
                                 << QStringList{"Start QGIS Application",
                                                "Download Project Directory", "Apply Deltas",
                                                "Stop QGIS Application", "Upload Project"}
                                 << QStringList{"start_qgis_app:qgis_version",
                                                "download_project_directory:tmp_project_dir",
                                                "apply_deltas:delta_feedback"}
                                 << QStringList{"apply_deltas:delta_feedback"};
}

void tst_Contract::workflows()
{
    QFETCH(int, jobType);
    QFETCH(QString, id);
    QFETCH(QString, name);
    QFETCH(QString, version);
    QFETCH(QStringList, stepIds);
    QFETCH(QStringList, stepNames);
    QFETCH(QStringList, returns);
    QFETCH(QStringList, outputs);

    const WorkflowDefinition workflow = workflowDefinition(JobType(jobType));
    QCOMPARE(workflow.id, id);
    QCOMPARE(workflow.name, name);
    QCOMPARE(workflow.version, version);
    QStringList actualIds, actualNames, actualReturns, actualOutputs;
    for (const StepDefinition &step : workflow.steps) {
        actualIds << step.id;
        actualNames << step.name;
        for (const QString &r : step.returnNames)
            actualReturns << step.id + QLatin1Char(':') + r;
        for (const QString &o : step.outputNames)
            actualOutputs << step.id + QLatin1Char(':') + o;
    }
    QCOMPARE(actualIds, stepIds);
    QCOMPARE(actualNames, stepNames);
    QCOMPARE(actualReturns, returns);
    QCOMPARE(actualOutputs, outputs);
    QCOMPARE(workflow.indexOfStep(stepIds.last()), int(stepIds.size()) - 1);
    QCOMPARE(workflow.indexOfStep(QStringLiteral("nope")), -1);
    QVERIFY(workflow.step(QStringLiteral("nope")) == nullptr);
    QCOMPARE(workflow.step(stepIds.first())->name, stepNames.first());
}

void tst_Contract::jsonLayout()
{
    QJsonObject inner{{"z", QJsonArray()}, {"y", QJsonValue::Null}, {"x", true}};
    QJsonObject object{
        {"b", QJsonArray{1, 2, QJsonObject()}},
        {"a", inner},
        {QStringLiteral("é"),
         QString(QStringLiteral("héllo \"q\" \\ \n\t") + QChar(1) + QChar(0x7f)
                 + QString::fromUtf8("\xF0\x9F\x98\x80"))},
    };
    QCOMPARE(serializeJson(object),
             py("{\n  \"a\": {\n    \"x\": true,\n    \"y\": null,\n    \"z\": []\n  },\n  \"b\": "
                "[\n    1,\n    2,\n    {}\n  ],\n  \"\\u00e9\": \"h\\u00e9llo \\\"q\\\" \\\\ "
                "\\n\\t\\u0001\\u007f\\ud83d\\ude00\"\n}"));
    QCOMPARE(serializeJson(QJsonObject()), py("{}"));
    QCOMPARE(serializeJson(QJsonArray()), py("[]"));
    QCOMPARE(serializeJson(QJsonValue(QStringLiteral("x"))), py("\"x\""));
    QCOMPARE(serializeJson(QJsonArray{QJsonValue(QJsonArray{1})}, 4),
             py("[\n    [\n        1\n    ]\n]"));
    // what QJsonDocument would do differently: 4-space indentation, ": " vs ":"
    QVERIFY(serializeJson(object) != QJsonDocument(object).toJson(QJsonDocument::Indented));
    // and it reads back to the same value
    QCOMPARE(QJsonDocument::fromJson(serializeJson(object)).object(), object);
}

void tst_Contract::jsonKeyOrderByCodePoint()
{
    const QJsonObject object{{QString(QChar(0xe000)), 1},
                             {QString::fromUtf8("\xF0\x9F\x98\x80"), 2},
                             {QStringLiteral("a"), 3}};
    QCOMPARE(serializeJson(object),
             py("{\n  \"a\": 3,\n  \"\\ue000\": 1,\n  \"\\ud83d\\ude00\": 2\n}"));
}

void tst_Contract::jsonNumbers_data()
{
    QTest::addColumn<double>("value");
    QTest::addColumn<QByteArray>("expected");
    // Python: json.dumps(float) except integral values below 2^53, which Qt cannot tell apart
    // from integers and are written as integers.
    QTest::newRow("zero") << 0.0 << QByteArray("0");
    QTest::newRow("int") << 2.0 << QByteArray("2");
    QTest::newRow("negative-int") << -17.0 << QByteArray("-17");
    QTest::newRow("1e15-integral") << 1e15 << QByteArray("1000000000000000");
    QTest::newRow("2^53") << 9007199254740992.0 << QByteArray("9007199254740992.0");
    QTest::newRow("0.1") << 0.1 << QByteArray("0.1");
    QTest::newRow("1e-05") << 1e-05 << QByteArray("1e-05");
    QTest::newRow("0.0001") << 0.0001 << QByteArray("0.0001");
    QTest::newRow("1e16") << 1e16 << QByteArray("1e+16");
    QTest::newRow("123.456") << 123.456 << QByteArray("123.456");
    QTest::newRow("-2.5") << -2.5 << QByteArray("-2.5");
    QTest::newRow("1.5e-07") << 1.5e-07 << QByteArray("1.5e-07");
    QTest::newRow("1e100") << 1e100 << QByteArray("1e+100");
    QTest::newRow("denormal") << 5e-324 << QByteArray("5e-324");
    QTest::newRow("max") << 1.7976931348623157e308 << QByteArray("1.7976931348623157e+308");
    QTest::newRow("0.30000000000000004") << (0.1 + 0.2) << QByteArray("0.30000000000000004");
    QTest::newRow("-0.0001234") << -0.0001234 << QByteArray("-0.0001234");
    QTest::newRow("nan") << std::numeric_limits<double>::quiet_NaN() << QByteArray("NaN");
    QTest::newRow("inf") << std::numeric_limits<double>::infinity() << QByteArray("Infinity");
    QTest::newRow("-inf") << -std::numeric_limits<double>::infinity() << QByteArray("-Infinity");
}

void tst_Contract::jsonNumbers()
{
    QFETCH(double, value);
    QFETCH(QByteArray, expected);
    QCOMPARE(formatJsonNumber(value), expected);
    if (std::isfinite(value))
        QCOMPARE(serializeJson(QJsonArray{value}), QByteArray("[\n  " + expected + "\n]"));
}

void tst_Contract::feedbackSuccess()
{
    FeedbackBuilder builder(workflowDefinition(JobType::ProcessProjectfile));
    const QJsonObject details{{"crs", "EPSG:2056"}};
    const QStringList ids{
        "start_qgis_app",  "download_project_directory", "project_validity_check", "opening_check",
        "project_details", "generate_thumbnail_image",   "upload_thumbnail",       "stop_qgis_app"};
    for (const QString &id : ids) {
        QVERIFY(builder.startStep(id));
        QCOMPARE(builder.stage(id), StepStage::Failed);
        QJsonObject returns;
        if (id == QLatin1String("start_qgis_app"))
            returns.insert(QStringLiteral("qgis_version"), QStringLiteral("3.22.16-Białowieża"));
        if (id == QLatin1String("project_details"))
            returns.insert(QStringLiteral("project_details"), details);
        if (id == QLatin1String("generate_thumbnail_image"))
            returns.insert(QStringLiteral("thumbnail_filename"), QJsonValue::Null);
        QVERIFY(builder.completeStep(id, returns));
    }
    const Feedback feedback = builder.feedback();
    const QJsonObject json = parseObject(feedback.toBytes());

    QCOMPARE(json.value("feedback_version").toString(), QStringLiteral("2.0"));
    QCOMPARE(json.value("workflow_id").toString(), QStringLiteral("process_projectfile"));
    QCOMPARE(json.value("workflow_name").toString(), QStringLiteral("Process Projectfile"));
    QCOMPARE(json.value("workflow_version").toString(), QStringLiteral("2.0"));
    QVERIFY(!json.contains("error"));
    QVERIFY(!json.contains("error_type"));
    QVERIFY(!json.contains("error_class"));
    QVERIFY(!json.contains("error_stack"));
    const QJsonArray steps = json.value("steps").toArray();
    QCOMPARE(steps.size(), 8);
    for (int i = 0; i < steps.size(); ++i) {
        const QJsonObject step = steps.at(i).toObject();
        QCOMPARE(step.keys(), (QStringList{"id", "name", "returns", "stage"}));
        QCOMPARE(step.value("id").toString(), ids.at(i));
        QCOMPARE(step.value("stage").toInt(), 2);
    }
    QCOMPARE(steps.at(0).toObject().value("returns").toObject(),
             (QJsonObject{{"qgis_version", QStringLiteral("3.22.16-Białowieża")}}));
    QCOMPARE(steps.at(5).toObject().value("returns").toObject(),
             (QJsonObject{{"thumbnail_filename", QJsonValue::Null}}));
    QCOMPARE(steps.at(2).toObject().value("returns").toObject(), QJsonObject());

    // outputs: every completed step, holding only its declared outputs
    const QJsonObject outputs = json.value("outputs").toObject();
    QCOMPARE(outputs.keys().size(), 8);
    for (const QString &id : ids) {
        if (id == QLatin1String("project_details"))
            QCOMPARE(outputs.value(id).toObject(), (QJsonObject{{"project_details", details}}));
        else
            QCOMPARE(outputs.value(id).toObject(), QJsonObject());
    }
    QCOMPARE(feedback.qgisVersion(), QStringLiteral("3.22.16-Białowieża"));
    QCOMPARE(feedback.projectDetails(), details);
}

void tst_Contract::feedbackFailure()
{
    FeedbackBuilder builder(workflowDefinition(JobType::ProcessProjectfile));
    QVERIFY(builder.startStep(QStringLiteral("start_qgis_app")));
    QVERIFY(builder.completeStep(QStringLiteral("start_qgis_app"),
                                 {{"qgis_version", QStringLiteral("3.22.16")}}));
    QVERIFY(builder.startStep(QStringLiteral("download_project_directory")));
    QVERIFY(builder.completeStep(QStringLiteral("download_project_directory"),
                                 {{"tmp_project_dir", QStringLiteral("/w")}}));
    QVERIFY(builder.startStep(QStringLiteral("project_validity_check")));
    builder.setError(QStringLiteral("Project file is an invalid XML document:\nx"),
                     ErrorTypes::InvalidProjectFile, QStringLiteral("InvalidXmlFileError"),
                     QStringLiteral("ctx"));
    builder.setError(QStringLiteral("second error is ignored"), ErrorTypes::Unknown,
                     QStringLiteral("X"), QString());
    QVERIFY(!builder.startStep(QStringLiteral("no_such_step")));
    QVERIFY(!builder.completeStep(QStringLiteral("no_such_step")));

    const QJsonObject json = parseObject(builder.feedback().toBytes());
    QCOMPARE(json.value("error").toString(),
             QStringLiteral("Project file is an invalid XML document:\nx"));
    QCOMPARE(json.value("error_type").toString(), QStringLiteral("INVALID_PROJECT_FILE"));
    QCOMPARE(json.value("error_class").toString(), QStringLiteral("InvalidXmlFileError"));
    QCOMPARE(json.value("error_stack").toString(), QStringLiteral("ctx"));
    QList<int> stages;
    for (const QJsonValue &step : json.value("steps").toArray())
        stages << step.toObject().value("stage").toInt();
    QCOMPARE(stages, (QList<int>{2, 2, 1, 0, 0, 0, 0, 0}));
    QCOMPARE(json.value("steps").toArray().at(2).toObject().value("returns").toObject(),
             QJsonObject());
    QCOMPARE(json.value("outputs").toObject(),
             (QJsonObject{{"start_qgis_app", QJsonObject()},
                          {"download_project_directory", QJsonObject()}}));
}

void tst_Contract::feedbackExactBytes()
{
    // An apply job that failed in its third step, byte for byte as upstream's
    // json.dump(feedback, indent=2, sort_keys=True) writes it.
    FeedbackBuilder builder(workflowDefinition(JobType::DeltaApply));
    builder.startStep(QStringLiteral("start_qgis_app"));
    builder.completeStep(QStringLiteral("start_qgis_app"),
                         {{"qgis_version", QStringLiteral("3.22.16-Białowieża")}});
    builder.startStep(QStringLiteral("download_project_directory"));
    builder.completeStep(QStringLiteral("download_project_directory"),
                         {{"tmp_project_dir", QStringLiteral("/tmp/job")}});
    builder.startStep(QStringLiteral("apply_deltas"));
    builder.setError(QStringLiteral("boom"), ErrorTypes::Unknown, QStringLiteral("Exception"),
                     QStringLiteral("apply_deltas"));
    QCOMPARE(builder.feedback().toBytes(), py(R"({
  "error": "boom",
  "error_class": "Exception",
  "error_stack": "apply_deltas",
  "error_type": "UNKNOWN",
  "feedback_version": "2.0",
  "outputs": {
    "download_project_directory": {},
    "start_qgis_app": {}
  },
  "steps": [
    {
      "id": "start_qgis_app",
      "name": "Start QGIS Application",
      "returns": {
        "qgis_version": "3.22.16-Bia\u0142owie\u017ca"
      },
      "stage": 2
    },
    {
      "id": "download_project_directory",
      "name": "Download Project Directory",
      "returns": {
        "tmp_project_dir": "/tmp/job"
      },
      "stage": 2
    },
    {
      "id": "apply_deltas",
      "name": "Apply Deltas",
      "returns": {},
      "stage": 1
    },
    {
      "id": "stop_qgis_app",
      "name": "Stop QGIS Application",
      "returns": {},
      "stage": 0
    },
    {
      "id": "upload_project_directory",
      "name": "Upload Project",
      "returns": {},
      "stage": 0
    }
  ],
  "workflow_id": "apply_changes",
  "workflow_name": "Apply Changes",
  "workflow_version": "3.0"
})"));
}

void tst_Contract::feedbackReturnsFiltered()
{
    FeedbackBuilder builder(workflowDefinition(JobType::Package));
    builder.startStep(QStringLiteral("qgis_layers_data"));
    builder.completeStep(
        QStringLiteral("qgis_layers_data"),
        {{"layers_by_id", QJsonObject{{"l1", QJsonObject{{"id", "l1"}}}}}, {"undeclared", 42}});
    builder.startStep(QStringLiteral("opening_check")); // not a package step
    const Feedback feedback = builder.feedback();
    const StepFeedback *step = feedback.step(QStringLiteral("qgis_layers_data"));
    QVERIFY(step);
    QCOMPARE(step->returns.keys(), QStringList{"layers_by_id"});
    QCOMPARE(feedback.qgisLayersData(), (QJsonObject{{"l1", QJsonObject{{"id", "l1"}}}}));
    QCOMPARE(feedback.qfieldLayerData(), QJsonObject());
    QVERIFY(feedback.output(QStringLiteral("qfield_layer_data"), QStringLiteral("layers_by_id"))
                .isUndefined());
    QVERIFY(feedback.step(QStringLiteral("opening_check")) == nullptr);
    QCOMPARE(feedback.qgisVersion(), QString());

    // a declared return left out (e.g. the QgsProject of opening_check) is simply absent
    FeedbackBuilder process(workflowDefinition(JobType::ProcessProjectfile));
    process.startStep(QStringLiteral("opening_check"));
    process.completeStep(QStringLiteral("opening_check"));
    QCOMPARE(process.feedback().step(QStringLiteral("opening_check"))->returns, QJsonObject());
    QCOMPARE(process.feedback().outputs.value("opening_check").toObject(), QJsonObject());
}

void tst_Contract::feedbackParse()
{
    // shaped like an upstream process_projectfile feedback plus the runner's additions
    const QByteArray json = R"({
      "container_exit_code": 0, "error_origin": "container",
      "error": "Unable to open project with QGIS file: /io/files/p.qgs",
      "error_class": "Exception", "error_stack": ["  File \"x.py\", line 1\n"],
      "error_type": "UNKNOWN", "feedback_version": "2.0",
      "outputs": {"start_qgis_app": {}},
      "steps": [
        {"id": "start_qgis_app", "name": "Start QGIS Application", "stage": 2,
         "returns": {"qgis_version": "3.40.4-Bratislava"}},
        {"id": "opening_check", "name": "Opening Check", "stage": 1, "returns": {},
         "future_key": "kept"}],
      "workflow_id": "process_projectfile", "workflow_name": "Process Projectfile",
      "workflow_version": "2.0", "something_new": [1]})";
    QString error;
    const std::optional<Feedback> feedback = Feedback::fromBytes(json, &error);
    QVERIFY2(feedback.has_value(), qPrintable(error));
    QCOMPARE(feedback->workflowId, QStringLiteral("process_projectfile"));
    QCOMPARE(feedback->qgisVersion(), QStringLiteral("3.40.4-Bratislava"));
    QCOMPARE(feedback->steps.size(), 2);
    QCOMPARE(feedback->steps.at(1).stage, StepStage::Failed);
    QCOMPARE(feedback->steps.at(1).extra.value("future_key").toString(), QStringLiteral("kept"));
    QVERIFY(feedback->hasError());
    QCOMPARE(*feedback->error,
             QStringLiteral("Unable to open project with QGIS file: /io/files/p.qgs"));
    QCOMPARE(*feedback->errorType, QStringLiteral("UNKNOWN"));
    QVERIFY(feedback->errorStack.isArray());
    QCOMPARE(*feedback->errorOrigin, QStringLiteral("container"));
    QCOMPARE(*feedback->containerExitCode, 0);
    QCOMPARE(feedback->extra.keys(), QStringList{"something_new"});
    QCOMPARE(feedback->projectDetails(), QJsonObject());
    // nothing lost on the way back
    QCOMPARE(feedback->toJson(), QJsonDocument::fromJson(json).object());
}

void tst_Contract::feedbackParseErrors_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::newRow("not-json") << QByteArray("{");
    QTest::newRow("array") << QByteArray("[]");
    QTest::newRow("steps-not-array") << QByteArray(R"({"steps": {}})");
    QTest::newRow("step-not-object") << QByteArray(R"({"steps": [1]})");
    QTest::newRow("stage-out-of-range") << QByteArray(R"({"steps": [{"id": "a", "stage": 3}]})");
    QTest::newRow("stage-fractional") << QByteArray(R"({"steps": [{"id": "a", "stage": 1.5}]})");
    QTest::newRow("returns-not-object") << QByteArray(R"({"steps": [{"id": "a", "returns": []}]})");
    QTest::newRow("outputs-not-object") << QByteArray(R"({"outputs": []})");
    QTest::newRow("error-not-string") << QByteArray(R"({"error": 1})");
    QTest::newRow("workflow-id-not-string") << QByteArray(R"({"workflow_id": null})");
    QTest::newRow("exit-code-not-int") << QByteArray(R"({"container_exit_code": "1"})");
}

void tst_Contract::feedbackParseErrors()
{
    QFETCH(QByteArray, json);
    QString error;
    QVERIFY(!Feedback::fromBytes(json, &error).has_value());
    QVERIFY(!error.isEmpty());
}

void tst_Contract::feedbackRoundTrip()
{
    FeedbackBuilder builder(workflowDefinition(JobType::Package));
    for (const StepDefinition &step : builder.workflow().steps) {
        builder.startStep(step.id);
        builder.completeStep(step.id,
                             {{"layers_by_id", QJsonObject{{"x", 1.5}}}, {"qgis_version", "v"}});
    }
    const QByteArray bytes = builder.feedback().toBytes();
    const std::optional<Feedback> parsed = Feedback::fromBytes(bytes);
    QVERIFY(parsed.has_value());
    QCOMPARE(parsed->toBytes(), bytes);

    // a runner-made feedback without a workflow stays as it is
    const QByteArray runner = RunnerFeedback::unexpectedlyTerminated().toBytes();
    QCOMPARE(Feedback::fromBytes(runner)->toBytes(), runner);
}

void tst_Contract::logLine_data()
{
    QTest::addColumn<QTime>("time");
    QTest::addColumn<QString>("logger");
    QTest::addColumn<int>("level");
    QTest::addColumn<QString>("message");
    QTest::addColumn<QString>("expected");

    QTest::newRow("qgsstderr-warning")
        << QTime(1, 2, 3, 45) << "QGSSTDERR" << int(LogLevel::Warning) << "hello"
        << "01:02:03.045 QGSSTDERR WARNING  hello";
    QTest::newRow("qgsmsglog-critical")
        << QTime(23, 59, 59, 999) << "QGSMSGLOG" << int(LogLevel::Critical) << "x"
        << "23:59:59.999 QGSMSGLOG CRITICAL x";
    QTest::newRow("short-logger-info")
        << QTime(0, 0, 0, 0) << "root" << int(LogLevel::Info) << "a b"
        << "00:00:00.000 root      INFO     a b";
    QTest::newRow("long-logger-not-cut")
        << QTime(12, 0, 0, 7) << "qfc_worker" << int(LogLevel::Debug) << "m"
        << "12:00:00.007 qfc_worker DEBUG    m";
    QTest::newRow("error-multiline")
        << QTime(9, 8, 7, 600) << "QGSSTDERR" << int(LogLevel::Error) << "one\ntwo"
        << "09:08:07.600 QGSSTDERR ERROR    one\ntwo";
}

void tst_Contract::logLine()
{
    QFETCH(QTime, time);
    QFETCH(QString, logger);
    QFETCH(int, level);
    QFETCH(QString, message);
    QFETCH(QString, expected);
    QCOMPARE(formatLogLine(time, logger, LogLevel(level), message), expected);
}

void tst_Contract::logLevelMapping()
{
    QCOMPARE(logLevelForQtMessage(QtDebugMsg), LogLevel::Debug);
    QCOMPARE(logLevelForQtMessage(QtInfoMsg), LogLevel::Info);
    QCOMPARE(logLevelForQtMessage(QtWarningMsg), LogLevel::Warning);
    QCOMPARE(logLevelForQtMessage(QtCriticalMsg), LogLevel::Critical);
    QCOMPARE(logLevelForQtMessage(QtFatalMsg), LogLevel::Critical);
    QCOMPARE(logLevelForQgisMessageLevel(0), LogLevel::Info);
    QCOMPARE(logLevelForQgisMessageLevel(1), LogLevel::Warning);
    QCOMPARE(logLevelForQgisMessageLevel(2), LogLevel::Critical);
    QCOMPARE(logLevelForQgisMessageLevel(3), LogLevel::Info);
    QCOMPARE(logLevelForQgisMessageLevel(4), LogLevel::Debug);
    QCOMPARE(LoggerNames::QgsStderr, QLatin1String("QGSSTDERR"));
    QCOMPARE(LoggerNames::QgsMsgLog, QLatin1String("QGSMSGLOG"));
}

void tst_Contract::stepMarkers()
{
    const QString id = QStringLiteral("0b5a3f4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b");
    QCOMPARE(stepStartMarker(id, QStringLiteral("Start QGIS Application")),
             QStringLiteral("::<<<::0b5a3f4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b Start QGIS Application"));
    QCOMPARE(stepEndMarker(id, StepStage::Completed),
             QStringLiteral("::>>>::0b5a3f4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b 2"));
    QCOMPARE(stepEndMarker(id, StepStage::Failed),
             QStringLiteral("::>>>::0b5a3f4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b 1"));

    const std::optional<StepMarker> start =
        parseStepMarker(QStringLiteral("::<<<::abc Upload Thumbnail Image"));
    QVERIFY(start.has_value());
    QCOMPARE(start->kind, StepMarker::Kind::Start);
    QCOMPARE(start->markerId, QStringLiteral("abc"));
    QCOMPARE(start->stepName, QStringLiteral("Upload Thumbnail Image"));
    const std::optional<StepMarker> end = parseStepMarker(QStringLiteral("::>>>::abc 1"));
    QVERIFY(end.has_value());
    QCOMPARE(end->kind, StepMarker::Kind::End);
    QCOMPARE(end->stage, 1);
    QVERIFY(!parseStepMarker(QStringLiteral("12:00:00.000 root      INFO     ::<<<::x y")));
    QVERIFY(!parseStepMarker(QStringLiteral("::>>>::abc two")));

    static const QRegularExpression uuid(QStringLiteral(
        "\\A[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\\z"));
    const QString a = newStepMarkerId();
    const QString b = newStepMarkerId();
    QVERIFY2(uuid.match(a).hasMatch(), qPrintable(a));
    QVERIFY(a != b);
}

void tst_Contract::redactPasswords_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("expected");
    // upstream: re.sub(r"(?:password=')(.*?)(?:')", "***", text, flags=re.IGNORECASE)
    QTest::newRow("plain") << "password='secret'"
                           << "***";
    QTest::newRow("in-uri")
        << "dbname='db' host=h port=5432 user='u' password='s3cr3t' sslmode=disable"
        << "dbname='db' host=h port=5432 user='u' *** sslmode=disable";
    QTest::newRow("upper-case") << "PASSWORD='x' Password='y'"
                                << "*** ***";
    QTest::newRow("empty-value") << "password=''"
                                 << "***";
    QTest::newRow("two-in-a-line") << "a password='1' b password='2' c"
                                   << "a *** b *** c";
    QTest::newRow("lazy") << "password='a' b='c'"
                          << "*** b='c'";
    QTest::newRow("unterminated") << "password='abc"
                                  << "password='abc";
    QTest::newRow("no-line-crossing") << "password='a\nb'"
                                      << "password='a\nb'";
    QTest::newRow("double-quotes-untouched") << "password=\"x\""
                                             << "password=\"x\"";
    QTest::newRow("no-quote-untouched") << "password=x"
                                        << "password=x";
}

void tst_Contract::redactPasswords()
{
    QFETCH(QString, input);
    QFETCH(QString, expected);
    QCOMPARE(LogRedactor::redactPasswords(input), expected);
    QCOMPARE(LogRedactor().redact(input), expected);
}

void tst_Contract::redactSecrets()
{
    QProcessEnvironment env;
    env.insert(QStringLiteral("QFIELDCLOUD_EXTRA_ENVVARS"),
               QStringLiteral("[\"API_KEY\", \"EMPTY\", \"MISSING\", \"TOKEN\"]"));
    env.insert(QStringLiteral("API_KEY"), QStringLiteral("abc"));
    env.insert(QStringLiteral("TOKEN"), QStringLiteral("abcdef"));
    env.insert(QStringLiteral("EMPTY"), QString());
    env.insert(QStringLiteral("NOT_LISTED"), QStringLiteral("visible"));

    LogRedactor redactor;
    QString error;
    QVERIFY(redactor.addSecretsFromEnvironment(env, &error));
    QCOMPARE(redactor.secretValues(), (QStringList{"abcdef", "abc"}));
    QCOMPARE(redactor.redact(QStringLiteral("token abcdef key abc visible password='abc'")),
             QStringLiteral("token *** key *** visible ***"));
    QCOMPARE(redactor.redact(QStringLiteral("xabcdefabcx")), QStringLiteral("x******x"));

    // unset or empty list: nothing to add
    LogRedactor none;
    QVERIFY(none.addSecretsFromEnvironment(QProcessEnvironment()));
    QVERIFY(none.secretValues().isEmpty());
    none.addSecretValue(QString());
    QVERIFY(none.secretValues().isEmpty());
}

void tst_Contract::redactSecretsEnvironmentErrors_data()
{
    QTest::addColumn<QString>("names");
    QTest::newRow("not-json") << "API_KEY";
    QTest::newRow("object") << "{\"a\": 1}";
    QTest::newRow("non-string-name") << "[\"A\", 1]";
}

void tst_Contract::redactSecretsEnvironmentErrors()
{
    QFETCH(QString, names);
    QProcessEnvironment env;
    env.insert(QStringLiteral("QFIELDCLOUD_EXTRA_ENVVARS"), names);
    env.insert(QStringLiteral("A"), QStringLiteral("value"));
    LogRedactor redactor;
    QString error;
    QVERIFY(!redactor.addSecretsFromEnvironment(env, &error));
    QVERIFY(error.contains(QStringLiteral("QFIELDCLOUD_EXTRA_ENVVARS")));
    QVERIFY(redactor.secretValues().isEmpty());
}

void tst_Contract::runnerFeedback()
{
    QCOMPARE(RunnerFeedback::timeout().toBytes(), py(R"({
  "container_exit_code": -1,
  "error": "Worker timeout error.",
  "error_class": "",
  "error_origin": "container",
  "error_stack": "",
  "error_type": "TIMEOUT"
})"));
    QCOMPARE(RunnerFeedback::timeoutOutputSuffix(600),
             QStringLiteral("\nTimeout error! The job failed to finish within 600 seconds!\n"));
    QCOMPARE(RunnerFeedback::cancelled().toJson(),
             parseObject(R"({"error": "Job was cancelled.", "error_origin": "worker_wrapper",
                            "container_exit_code": 137, "error_stack": ""})"));
    QCOMPARE(RunnerFeedback::unexpectedlyTerminated().toJson(),
             parseObject(R"({"error": "Job unexpectedly terminated.",
                            "error_origin": "worker_wrapper", "error_stack": "",
                            "container_exit_code": -2})"));
    QCOMPARE(RunnerFeedback::unexpectedlyTerminatedOutput(),
             QStringLiteral("Job unexpectedly terminated."));
    QCOMPARE(RunnerFeedback::unreadable(QStringLiteral("feedback.json is missing"),
                                        QStringLiteral("FileNotFoundError"), 139)
                 .toJson(),
             parseObject(R"({"error": "feedback.json is missing", "error_origin": "worker_wrapper",
                            "error_class": "FileNotFoundError", "error_stack": "",
                            "container_exit_code": 139})"));
    QCOMPARE(RunnerFeedback::unreadable(QStringLiteral("bad"), QStringLiteral("JSONDecodeError"), 0,
                                        QJsonObject{{"steps", QJsonArray()}})
                 .toJson()
                 .value("error_feedback")
                 .toObject(),
             (QJsonObject{{"steps", QJsonArray()}}));

    // a worker feedback: origin only with an error, exit code always
    FeedbackBuilder ok(workflowDefinition(JobType::ProcessProjectfile));
    const QJsonObject okJson = RunnerFeedback::completed(ok.feedback(), 0).toJson();
    QCOMPARE(okJson.value("container_exit_code").toInt(-99), 0);
    QVERIFY(!okJson.contains("error_origin"));
    FeedbackBuilder failed(workflowDefinition(JobType::ProcessProjectfile));
    failed.setError(QStringLiteral("e"), ErrorTypes::Unknown, QStringLiteral("c"), QString());
    const QJsonObject failedJson = RunnerFeedback::completed(failed.feedback(), 0).toJson();
    QCOMPARE(failedJson.value("error_origin").toString(), QStringLiteral("container"));
    QCOMPARE(failedJson.value("workflow_id").toString(), QStringLiteral("process_projectfile"));
}

QTEST_GUILESS_MAIN(tst_Contract)
#include "tst_contract.moc"
