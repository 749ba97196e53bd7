#pragma once

#include <functional>

namespace qfc::platform {

// Calls `onStop` on the Qt event loop when the process is asked to stop (SIGINT/SIGTERM on POSIX,
// Ctrl+C / close / shutdown on Windows). Call once, after the QCoreApplication exists.
void onTerminationRequest(std::function<void()> onStop);

} // namespace qfc::platform
