#include "workererror.h"

#include <utility>

namespace qfc::worker {

WorkerError::WorkerError(QString message, QString errorType, QString errorClass)
    : m_message(std::move(message))
    , m_errorType(std::move(errorType))
    , m_errorClass(std::move(errorClass))
    , m_what(m_message.toUtf8())
{ }

} // namespace qfc::worker
