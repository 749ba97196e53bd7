#pragma once

#include "jobtype.h"

#include <QString>
#include <QStringList>

#include <optional>

namespace qfc::contract {

// Exit codes of qfc-worker (spec/worker.md §2.1). Anything else, or a crash, is a failure.
// 0: feedback.json was written (inspect its "error"); 64: bad argv or an unusable work
// directory, no feedback.
inline constexpr int WorkerExitSuccess = 0;
inline constexpr int WorkerExitBadArguments = 64;

// The packaging offliner of a package job (spec/worker.md §4.5, §4.6).
enum class Offliner {
    PythonMini,
    QgisCore,
};

QString offlinerName(Offliner offliner); // "pythonmini" | "qgiscore"
std::optional<Offliner> offlinerFromName(const QString &name);

// The command line of one worker run (spec/worker.md §2.1):
//   qfc-worker <command> --project-id <uuid> --project-file <relative path> --workdir <dir>
//              [--offliner pythonmini|qgiscore] [--overwrite-conflicts] [--deltafile <path>]
// --offliner is accepted by package only, --overwrite-conflicts and --deltafile by apply_deltas
// only.
struct WorkerArguments
{
    JobType jobType = JobType::ProcessProjectfile;
    QString projectId; // a UUID in its 36-character form, e.g. 7b4ff1d8-5e4e-4a5c-9d5a-3f1c2f0e9b11
    QString projectFile; // the project-relative path of the .qgs/.qgz, '/'-separated
    QString workdir; // the job's work directory (files/, feedback.json, ...)
    std::optional<Offliner> offliner; // package only; absent means the default (pythonmini)
    bool overwriteConflicts = false; // apply_deltas only
    QString deltafile; // apply_deltas only; empty means <workdir>/deltafile.json

    Offliner effectiveOffliner() const;
    QString effectiveDeltafile() const;

    // An empty string when the arguments are valid, else what is wrong (English, one line).
    QString validate() const;

    // argv after the program name, in canonical order. parse(toArguments()) gives back an equal
    // value for valid arguments.
    QStringList toArguments() const;

    bool operator==(const WorkerArguments &other) const;
    bool operator!=(const WorkerArguments &other) const { return !(*this == other); }
};

struct WorkerArgumentsParseResult
{
    enum class Action {
        Run, // `arguments` are valid
        ShowHelp, // --help or -h was given (wins over errors)
        ShowVersion, // --version was given (wins over errors, not over --help)
        Error, // `error` says what is wrong; exit with WorkerExitBadArguments
    };

    Action action = Action::Error;
    WorkerArguments arguments;
    QString error;
};

// Parses argv WITHOUT the program name. Options may come in any order, before or after the
// command, as "--name value" or "--name=value"; each at most once.
WorkerArgumentsParseResult parseWorkerArguments(const QStringList &arguments);

// The --help text.
QString workerUsage(const QString &program = QStringLiteral("qfc-worker"));

// Whether `path` is acceptable as --project-file: relative, '/'-separated, no empty, "." or ".."
// segment, no NUL. Spaces and sub-directories are fine.
bool isValidProjectFilePath(const QString &path, QString *error = nullptr);

// Whether `id` is a UUID in its 36-character 8-4-4-4-12 hexadecimal form (either case).
bool isValidProjectId(const QString &id);

} // namespace qfc::contract
