#pragma once

#include "feedback.h"

#include <QJsonValue>
#include <QString>

// The feedback the runner (qfc-server's job runner, not the worker) records itself. Byte-exact
// texts from spec/worker.md §1.1, §1.3, §2.1 and spec/api.md §19.7.
namespace qfc::contract::RunnerFeedback {

// A worker that exited with `exitCode` after writing `feedback`: adds error_origin "container"
// when the feedback has an error, and container_exit_code in all cases.
Feedback completed(Feedback feedback, int exitCode);

// The worker did not finish within the time limit: {"error": "Worker timeout error.",
// "error_type": "TIMEOUT", "error_class": "", "error_origin": "container", "error_stack": "",
// "container_exit_code": -1}.
Feedback timeout();
// Appended to the job output on timeout: "\nTimeout error! The job failed to finish within
// <seconds> seconds!\n".
QString timeoutOutputSuffix(int seconds);

// The job was cancelled (project deleted, operator cancel, shutdown), spec/api.md §19.7:
// {"error": "Job was cancelled.", "error_origin": "worker_wrapper", "container_exit_code": 137,
// "error_stack": ""}.
Feedback cancelled();

// A job left queued/started by a dead runner (watchdog): {"error": "Job unexpectedly
// terminated.", "error_origin": "worker_wrapper", "error_stack": "", "container_exit_code": -2};
// the job output is unexpectedlyTerminatedOutput().
Feedback unexpectedlyTerminated();
QString unexpectedlyTerminatedOutput();

// feedback.json missing or unreadable: {"error": <reason>, "error_origin": "worker_wrapper",
// "error_class": <errorClass>, "error_stack": "", "container_exit_code": <exitCode>} plus
// "error_feedback": <partial> when part of it could be read.
Feedback unreadable(const QString &reason, const QString &errorClass, int exitCode,
                    const QJsonValue &partial = QJsonValue(QJsonValue::Undefined));

} // namespace qfc::contract::RunnerFeedback
