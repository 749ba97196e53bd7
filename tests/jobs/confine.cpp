// qfc-confine: runs one program confined exactly as the job runner confines qfc-worker
// (libqfc/platform/sandbox), so that the worker tests (tests/worker, Qt 5, which cannot link the
// Qt 6 sandbox) run the real worker under the real confinement.
//
//   qfc-confine --workdir DIR [--read-only PATH]... [--network] -- PROGRAM [ARGUMENTS...]
//
// The program inherits this process's environment, working directory, standard output and
// standard error. --network gives it outbound network (jobs/network=outbound). The exit code is
// the program's; a program killed by a signal kills this process with the same signal. Exit code
// 125 (platform::SandboxSetupFailedExitCode) or 126: confinement could not be set up (the reason
// is on standard error).
#include "platform/sandbox.h"

#include <QCoreApplication>
#include <QProcess>

#include <csignal>
#include <cstdio>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments().mid(1);
    qfc::platform::SandboxOptions options;
    while (!args.isEmpty() && args.first() != u"--") {
        const QString option = args.takeFirst();
        if (option == u"--workdir" && !args.isEmpty()) {
            options.workDir = args.takeFirst();
        } else if (option == u"--read-only" && !args.isEmpty()) {
            options.readOnlyPaths << args.takeFirst();
        } else if (option == u"--network") {
            options.allowNetwork = true;
        } else {
            std::fprintf(stderr, "qfc-confine: unknown option %s\n", qPrintable(option));
            return 126;
        }
    }
    if (args.size() < 2 || options.workDir.isEmpty()) {
        std::fprintf(stderr,
                     "usage: qfc-confine --workdir DIR [--read-only PATH]... [--network] "
                     "-- PROGRAM [ARGUMENTS...]\n");
        return 126;
    }
    args.removeFirst(); // "--"
    const QString program = args.takeFirst();
    QProcess child;
    child.setProcessChannelMode(QProcess::ForwardedChannels);
    child.setInputChannelMode(QProcess::ForwardedInputChannel);
    try {
        qfc::platform::confine(child, program, args, options);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "qfc-confine: %s\n", e.what());
        return 126;
    }
    child.start();
    if (!child.waitForStarted(30000)) {
        std::fprintf(stderr, "qfc-confine: cannot start %s: %s\n", qPrintable(program),
                     qPrintable(child.errorString()));
        return 126;
    }
    std::unique_ptr<QObject> network;
    if (options.allowNetwork) {
        try {
            network = qfc::platform::attachNetwork(child.processId(), options);
        } catch (const std::exception &e) {
            std::fprintf(stderr, "qfc-confine: no network for the program: %s\n", e.what());
            child.kill();
            child.waitForFinished(-1);
            return 126;
        }
    }
    child.waitForFinished(-1);
    network.reset();
    if (child.exitStatus() == QProcess::CrashExit) {
        const int signal = child.exitCode();
        std::fflush(stdout);
        std::signal(signal, SIG_DFL);
        std::raise(signal);
        return 128 + signal;
    }
    return child.exitCode();
}
