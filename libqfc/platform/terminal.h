#pragma once

#include <QString>

#include <optional>

namespace qfc::platform {

// True when standard input is an interactive terminal.
bool stdinIsTerminal();
// Reads one line from standard input without echoing it when it is a terminal (passwords).
// std::nullopt at end of input.
std::optional<QString> readSecretLine(const QString &prompt);

} // namespace qfc::platform
