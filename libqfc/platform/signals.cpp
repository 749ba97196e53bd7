#include "signals.h"

#include <QCoreApplication>
#include <QMetaObject>

#ifdef Q_OS_WIN
#include <windows.h>
#else
#include <QSocketNotifier>

#include <csignal>
#include <sys/socket.h>
#include <unistd.h>
#endif

namespace qfc::platform {

namespace {
std::function<void()> g_onStop;

void requestStop()
{
    QMetaObject::invokeMethod(
        QCoreApplication::instance(),
        [] {
            if (g_onStop)
                g_onStop();
        },
        Qt::QueuedConnection);
}

#ifdef Q_OS_WIN
BOOL WINAPI consoleHandler(DWORD)
{
    requestStop();
    return TRUE;
}
#else
int g_pipe[2] = {-1, -1};

void signalHandler(int)
{
    const char c = 1;
    [[maybe_unused]] const auto n = ::write(g_pipe[0], &c, 1);
}
#endif
} // namespace

void onTerminationRequest(std::function<void()> onStop)
{
    g_onStop = std::move(onStop);
#ifdef Q_OS_WIN
    SetConsoleCtrlHandler(consoleHandler, TRUE);
#else
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_pipe) != 0)
        return;
    auto *notifier =
        new QSocketNotifier(g_pipe[1], QSocketNotifier::Read, QCoreApplication::instance());
    QObject::connect(notifier, &QSocketNotifier::activated, notifier, [] {
        char c = 0;
        [[maybe_unused]] const auto n = ::read(g_pipe[1], &c, 1);
        requestStop();
    });
    struct sigaction sa
    { };
    sa.sa_handler = signalHandler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
#endif
}

} // namespace qfc::platform
