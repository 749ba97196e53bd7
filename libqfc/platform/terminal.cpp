#include "terminal.h"

#include <cstdio>
#include <iostream>
#include <string>

#ifdef Q_OS_WIN
#include <io.h>
#include <windows.h>
#else
#include <termios.h>
#include <unistd.h>
#endif

namespace qfc::platform {

bool stdinIsTerminal()
{
#ifdef Q_OS_WIN
    return _isatty(_fileno(stdin)) != 0;
#else
    return isatty(STDIN_FILENO) != 0;
#endif
}

std::optional<QString> readSecretLine(const QString &prompt)
{
    const bool tty = stdinIsTerminal();
    if (tty) {
        std::fputs(prompt.toLocal8Bit().constData(), stderr);
        std::fflush(stderr);
    }
#ifdef Q_OS_WIN
    HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
    DWORD mode = 0;
    if (tty) {
        GetConsoleMode(in, &mode);
        SetConsoleMode(in, mode & ~ENABLE_ECHO_INPUT);
    }
#else
    termios saved{};
    if (tty) {
        tcgetattr(STDIN_FILENO, &saved);
        termios silent = saved;
        silent.c_lflag &= ~tcflag_t(ECHO);
        tcsetattr(STDIN_FILENO, TCSANOW, &silent);
    }
#endif
    std::string line;
    const bool ok = static_cast<bool>(std::getline(std::cin, line));
#ifdef Q_OS_WIN
    if (tty)
        SetConsoleMode(in, mode);
#else
    if (tty)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
#endif
    if (tty)
        std::fputs("\n", stderr);
    if (!ok)
        return std::nullopt;
    if (!line.empty() && line.back() == '\r')
        line.pop_back();
    return QString::fromLocal8Bit(line.data(), qsizetype(line.size()));
}

} // namespace qfc::platform
