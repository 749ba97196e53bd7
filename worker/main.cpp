// qfc-worker: runs one QFC job with QGIS and exits (spec/worker.md §2).
//
//   qfc-worker <command> --project-id <uuid> --project-file <relative path> --workdir <dir> ...
//
// --help and --version answer without starting QGIS. Otherwise QgsApplication is created once,
// the job's workflow runs from the event loop, <workdir>/feedback.json is written and the process
// exits 0 (the outcome is in the feedback), 64 for bad arguments, 74 when the feedback could not
// be written.

#include "contract/logredactor.h"
#include "contract/workerarguments.h"
#include "job.h"
#include "jobregistry.h"
#include "qgisapp.h"
#include "workerlog.h"
#include "workflowrunner.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QProcessEnvironment>
#include <QSaveFile>
#include <QTextCodec>
#include <QTimer>
#include <qgis.h>
#include <qgsapplication.h>

#include <cstdio>
#include <memory>

#ifndef QFC_VERSION
#define QFC_VERSION "0.0.0"
#endif

namespace {

constexpr int ExitFeedbackNotWritten = 74; // EX_IOERR

void print(FILE *stream, const QString &text)
{
    const QByteArray bytes = text.toLocal8Bit();
    std::fwrite(bytes.constData(), 1, std::size_t(bytes.size()), stream);
    std::fflush(stream);
}

int badArguments(const QString &message)
{
    print(stderr,
          QStringLiteral("qfc-worker: %1\nTry 'qfc-worker --help' for more information.\n")
              .arg(message));
    return qfc::contract::WorkerExitBadArguments;
}

bool writeFeedback(const QString &path, const QByteArray &bytes)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
        qfc::worker::logError(
            QStringLiteral("Unable to write \"%1\": %2").arg(path, file.errorString()));
        return false;
    }
    return true;
}

} // namespace

int main(int argc, char **argv)
{
    using namespace qfc;

    // Paths and arguments are UTF-8 whatever the runner's locale (Qt 6 does this by itself).
    QTextCodec::setCodecForLocale(QTextCodec::codecForName("UTF-8"));
    QStringList arguments;
    for (int i = 1; i < argc; ++i)
        arguments.append(QString::fromLocal8Bit(argv[i]));
    const contract::WorkerArgumentsParseResult parsed = contract::parseWorkerArguments(arguments);
    switch (parsed.action) {
    case contract::WorkerArgumentsParseResult::Action::ShowHelp:
        print(stdout, contract::workerUsage());
        return contract::WorkerExitSuccess;
    case contract::WorkerArgumentsParseResult::Action::ShowVersion:
        print(stdout,
              QStringLiteral("qfc-worker %1 (QGIS %2, Qt %3)\n")
                  .arg(QStringLiteral(QFC_VERSION), Qgis::version(),
                       QString::fromLatin1(qVersion())));
        return contract::WorkerExitSuccess;
    case contract::WorkerArgumentsParseResult::Action::Error:
        return badArguments(parsed.error);
    case contract::WorkerArgumentsParseResult::Action::Run:
        break;
    }

    const QFileInfo workdir(parsed.arguments.workdir);
    if (!workdir.isDir())
        return badArguments(QStringLiteral("the work directory \"%1\" does not exist")
                                .arg(parsed.arguments.workdir));
    if (!workdir.isWritable())
        return badArguments(QStringLiteral("the work directory \"%1\" is not writable")
                                .arg(parsed.arguments.workdir));

    worker::JobContext context;
    context.arguments = parsed.arguments;
    context.arguments.workdir = workdir.canonicalFilePath();
    context.workDir = contract::WorkDir(context.arguments.workdir);
    context.projectFilePath = context.workDir.projectFile(context.arguments.projectFile);

    contract::LogRedactor redactor;
    QString environmentError;
    const bool secretsRead = redactor.addSecretsFromEnvironment(
        QProcessEnvironment::systemEnvironment(), &environmentError);
    worker::WorkerLog::instance().setRedactor(redactor);
    worker::WorkerLog::installQtMessageHandler();

    std::unique_ptr<worker::Job> job =
        worker::JobRegistry::instance().create(context.arguments.jobType);
    static int applicationArgc = 1;
    static char *applicationArgv[] = {argv[0], nullptr}; // keep our options away from Qt
    std::unique_ptr<QCoreApplication> application;
    if (job->needsQgis()) {
        worker::QgisApp::prepareEnvironment(context.workDir);
        application = std::make_unique<QgsApplication>(applicationArgc, applicationArgv, false);
        worker::WorkerLog::installQtMessageHandler();
    } else {
        application = std::make_unique<QCoreApplication>(applicationArgc, applicationArgv);
    }

    QTimer::singleShot(0, application.get(), [&] {
        worker::logInfo(QStringLiteral("qfc-worker %1 runs %2 of project %3, project file \"%4\", "
                                       "work directory \"%5\"")
                            .arg(QStringLiteral(QFC_VERSION),
                                 contract::workerCommand(context.arguments.jobType),
                                 context.arguments.projectId, context.arguments.projectFile,
                                 context.workDir.root()));
        if (!secretsRead)
            worker::logWarning(environmentError);
        const contract::Feedback feedback = worker::WorkflowRunner::run(*job, context);
        const bool written = writeFeedback(context.workDir.feedbackFile(), feedback.toBytes());
        job->finish();
        if (feedback.hasError())
            worker::logInfo(QStringLiteral("The job failed."));
        else
            worker::logInfo(QStringLiteral("The job finished."));
        QCoreApplication::exit(written ? contract::WorkerExitSuccess : ExitFeedbackNotWritten);
    });
    const int exitCode = application->exec();
    job.reset();
    application.reset();
    return exitCode;
}
