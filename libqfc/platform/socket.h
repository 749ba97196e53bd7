#pragma once

#include <QtGlobal>

namespace qfc::platform {

// Half-closes a connected socket: no more sends, receiving goes on (lingering close after an
// early error response, so the client reads the response instead of a reset).
bool shutdownSend(qintptr descriptor);

} // namespace qfc::platform
