#include "workerarguments.h"

#include "workdir.h"

#include <QRegularExpression>

namespace qfc::contract {

namespace {

constexpr QLatin1String OptionProjectId("--project-id");
constexpr QLatin1String OptionProjectFile("--project-file");
constexpr QLatin1String OptionWorkdir("--workdir");
constexpr QLatin1String OptionOffliner("--offliner");
constexpr QLatin1String OptionOverwriteConflicts("--overwrite-conflicts");
constexpr QLatin1String OptionDeltafile("--deltafile");
constexpr QLatin1String OptionHelp("--help");
constexpr QLatin1String OptionHelpShort("-h");
constexpr QLatin1String OptionVersion("--version");

QString commandList()
{
    QStringList commands;
    for (const JobType type : allJobTypes())
        commands.append(workerCommand(type));
    return commands.join(QStringLiteral(", "));
}

} // namespace

QString offlinerName(Offliner offliner)
{
    switch (offliner) {
    case Offliner::PythonMini:
        return QStringLiteral("pythonmini");
    case Offliner::QgisCore:
        return QStringLiteral("qgiscore");
    }
    return {};
}

std::optional<Offliner> offlinerFromName(const QString &name)
{
    for (const Offliner offliner : {Offliner::PythonMini, Offliner::QgisCore}) {
        if (offlinerName(offliner) == name)
            return offliner;
    }
    return std::nullopt;
}

bool isValidProjectId(const QString &id)
{
    static const QRegularExpression re(QStringLiteral(
        "\\A[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\\z"));
    return re.match(id).hasMatch();
}

bool isValidProjectFilePath(const QString &path, QString *error)
{
    auto fail = [error](const QString &message) {
        if (error)
            *error = message;
        return false;
    };
    if (path.isEmpty())
        return fail(QStringLiteral("the project file path is empty"));
    if (path.contains(QChar(0)))
        return fail(QStringLiteral("the project file path contains a NUL character"));
    if (path.startsWith(QLatin1Char('/')) || path.startsWith(QLatin1Char('\\'))
        || (path.size() >= 2 && path.at(1) == QLatin1Char(':') && path.at(0).isLetter()))
        return fail(QStringLiteral("the project file path must be relative"));
    const QStringList segments = path.split(QLatin1Char('/'));
    for (const QString &segment : segments) {
        if (segment.isEmpty() || segment == QLatin1String(".") || segment == QLatin1String(".."))
            return fail(QStringLiteral("the project file path must not contain empty, \".\" or "
                                       "\"..\" segments"));
    }
    return true;
}

Offliner WorkerArguments::effectiveOffliner() const
{
    return offliner.value_or(Offliner::PythonMini);
}

QString WorkerArguments::effectiveDeltafile() const
{
    return deltafile.isEmpty() ? WorkDir(workdir).deltafile() : deltafile;
}

QString WorkerArguments::validate() const
{
    if (!isValidProjectId(projectId))
        return QStringLiteral("--project-id must be a UUID, got \"%1\"").arg(projectId);
    QString pathError;
    if (!isValidProjectFilePath(projectFile, &pathError))
        return QStringLiteral("--project-file: %1").arg(pathError);
    if (workdir.isEmpty())
        return QStringLiteral("--workdir must not be empty");
    if (offliner.has_value() && jobType != JobType::Package)
        return QStringLiteral("--offliner is only accepted by the package command");
    if (overwriteConflicts && jobType != JobType::DeltaApply)
        return QStringLiteral("--overwrite-conflicts is only accepted by the apply_deltas command");
    if (!deltafile.isEmpty() && jobType != JobType::DeltaApply)
        return QStringLiteral("--deltafile is only accepted by the apply_deltas command");
    return {};
}

QStringList WorkerArguments::toArguments() const
{
    QStringList argv{
        workerCommand(jobType), OptionProjectId, projectId, OptionProjectFile, projectFile,
        OptionWorkdir,          workdir};
    if (offliner.has_value())
        argv << OptionOffliner << offlinerName(*offliner);
    if (overwriteConflicts)
        argv << OptionOverwriteConflicts;
    if (!deltafile.isEmpty())
        argv << OptionDeltafile << deltafile;
    return argv;
}

bool WorkerArguments::operator==(const WorkerArguments &other) const
{
    return jobType == other.jobType && projectId == other.projectId
        && projectFile == other.projectFile && workdir == other.workdir
        && offliner == other.offliner && overwriteConflicts == other.overwriteConflicts
        && deltafile == other.deltafile;
}

WorkerArgumentsParseResult parseWorkerArguments(const QStringList &arguments)
{
    WorkerArgumentsParseResult result;
    bool help = false;
    bool version = false;
    QString error;
    auto setError = [&error](const QString &message) {
        if (error.isEmpty())
            error = message;
    };

    std::optional<QString> command;
    std::optional<QString> projectId;
    std::optional<QString> projectFile;
    std::optional<QString> workdir;
    std::optional<QString> offliner;
    std::optional<QString> deltafile;
    bool overwriteConflicts = false;

    const QList<std::pair<QLatin1String, std::optional<QString> *>> valueOptions{
        {OptionProjectId, &projectId}, {OptionProjectFile, &projectFile}, {OptionWorkdir, &workdir},
        {OptionOffliner, &offliner},   {OptionDeltafile, &deltafile},
    };

    for (qsizetype i = 0; i < arguments.size(); ++i) {
        const QString &token = arguments.at(i);
        if (token == OptionHelp || token == OptionHelpShort) {
            help = true;
            continue;
        }
        if (token == OptionVersion) {
            version = true;
            continue;
        }
        if (!token.startsWith(QLatin1Char('-')) || token == QLatin1String("-")) {
            if (command.has_value())
                setError(QStringLiteral("unexpected argument \"%1\"").arg(token));
            else
                command = token;
            continue;
        }

        const qsizetype equals = token.indexOf(QLatin1Char('='));
        const QString name = equals >= 0 ? token.left(equals) : token;
        if (name == OptionOverwriteConflicts) {
            if (equals >= 0)
                setError(QStringLiteral("option %1 takes no value").arg(name));
            else if (overwriteConflicts)
                setError(QStringLiteral("option %1 given more than once").arg(name));
            overwriteConflicts = true;
            continue;
        }

        std::optional<QString> *target = nullptr;
        for (const auto &option : valueOptions) {
            if (option.first == name)
                target = option.second;
        }
        if (!target) {
            setError(QStringLiteral("unknown option \"%1\"").arg(name));
            continue;
        }

        QString value;
        if (equals >= 0) {
            value = token.mid(equals + 1);
        } else if (i + 1 < arguments.size()) {
            value = arguments.at(++i);
        } else {
            setError(QStringLiteral("option %1 needs a value").arg(name));
            continue;
        }
        if (target->has_value())
            setError(QStringLiteral("option %1 given more than once").arg(name));
        *target = value;
    }

    if (help) {
        result.action = WorkerArgumentsParseResult::Action::ShowHelp;
        return result;
    }
    if (version) {
        result.action = WorkerArgumentsParseResult::Action::ShowVersion;
        return result;
    }

    WorkerArguments &args = result.arguments;
    if (!command.has_value()) {
        setError(QStringLiteral("missing command (one of %1)").arg(commandList()));
    } else if (const auto type = jobTypeFromWorkerCommand(*command)) {
        args.jobType = *type;
    } else {
        setError(QStringLiteral("unknown command \"%1\" (expected one of %2)")
                     .arg(*command, commandList()));
    }
    if (!projectId.has_value())
        setError(QStringLiteral("missing option %1").arg(OptionProjectId));
    if (!projectFile.has_value())
        setError(QStringLiteral("missing option %1").arg(OptionProjectFile));
    if (!workdir.has_value())
        setError(QStringLiteral("missing option %1").arg(OptionWorkdir));

    args.projectId = projectId.value_or(QString());
    args.projectFile = projectFile.value_or(QString());
    args.workdir = workdir.value_or(QString());
    args.overwriteConflicts = overwriteConflicts;
    if (offliner.has_value()) {
        args.offliner = offlinerFromName(*offliner);
        if (!args.offliner.has_value())
            setError(QStringLiteral("--offliner must be pythonmini or qgiscore, got \"%1\"")
                         .arg(*offliner));
    }
    if (deltafile.has_value()) {
        if (deltafile->isEmpty())
            setError(QStringLiteral("--deltafile must not be empty"));
        args.deltafile = *deltafile;
    }
    if (error.isEmpty())
        setError(args.validate());

    if (error.isEmpty()) {
        result.action = WorkerArgumentsParseResult::Action::Run;
    } else {
        result.action = WorkerArgumentsParseResult::Action::Error;
        result.error = error;
    }
    return result;
}

QString workerUsage(const QString &program)
{
    return QStringLiteral(
               "Usage: %1 <command> --project-id <uuid> --project-file <relative path> --workdir "
               "<dir>\n"
               "          [--offliner pythonmini|qgiscore] [--overwrite-conflicts] [--deltafile "
               "<path>]\n"
               "       %1 --help | --version\n"
               "\n"
               "Runs one QFC job with QGIS and exits.\n"
               "\n"
               "Commands:\n"
               "  process_projectfile  validate a project, extract its details, render a "
               "thumbnail\n"
               "  package              package a project for QField (--offliner)\n"
               "  apply_deltas         apply <workdir>/deltafile.json (--overwrite-conflicts, "
               "--deltafile)\n"
               "\n"
               "The work directory holds files/ (the project files, read from and, for "
               "apply_deltas,\n"
               "written to), export/ (package output) and receives feedback.json and, for\n"
               "process_projectfile, thumbnail.png. The log goes to stderr.\n"
               "\n"
               "Exit codes: 0 feedback.json written (see its \"error\"), 64 bad arguments (no "
               "feedback),\n"
               "anything else a failure.\n")
        .arg(program);
}

} // namespace qfc::contract
