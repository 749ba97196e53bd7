#pragma once

#include <QByteArrayView>
#include <QObject>
#include <QProcess>
#include <QString>
#include <QStringList>

#include <memory>

// Confinement of the job worker (spec/worker.md §2.1 and §7.8): the child reads only its work
// directory and the system directories, writes only its work directory, never reaches the host's
// loopback or link-local addresses, and runs under resource limits.
//
// Linux, all inside QProcess's child-process modifier (no wrapper process, so the pid QProcess
// reports is the worker's own and /proc sampling works):
//  - a network namespace of its own (as root CLONE_NEWNET, otherwise CLONE_NEWUSER|CLONE_NEWNET
//    mapping the caller to uid/gid 0 there and nothing else), with `lo` up: 127.0.0.1 and ::1
//    are the namespace's own;
//  - with allowNetwork, attachNetwork() runs slirp4netns (--disable-host-loopback) on that
//    namespace, and the namespace gets an "unreachable 169.254.0.0/16" route;
//  - every capability dropped (bounding set, inheritable, ambient, securebits NOROOT), so even a
//    root worker cannot change its routes, join another namespace or raise its limits;
//  - setrlimit AS/CPU/NOFILE/FSIZE (and CORE = 0), PR_SET_PDEATHSIG(SIGKILL), setsid,
//    every inherited descriptor but stdin/stdout/stderr closed at exec, PR_SET_NO_NEW_PRIVS;
//  - Landlock (every right of the kernel's ABI handled): read+exec on the system directories,
//    read on a list of /etc files, /proc, /sys/devices/system/{cpu,node} and the fontconfig
//    cache, everything but exec on workDir, nothing elsewhere; from ABI 6 also no signals to and
//    no abstract sockets of processes outside the sandbox;
//  - a seccomp filter (libseccomp): no AF_UNIX/AF_VSOCK/... sockets (a path socket such as
//    PostgreSQL's or Docker's would bypass both the namespace and Landlock), no io_uring, no new
//    namespaces, no keyrings, bpf, ptrace, perf or module loading.
// What stays exposed: /proc lists the host's processes and their command lines (their
// environment, memory and descriptors are protected by Landlock's ptrace scoping); with
// allowNetwork everything the host itself reaches except its loopback and 169.254.0.0/16 (its own
// non-loopback addresses included, the host's DNS resolver through slirp4netns's 10.0.2.3), IPv4
// only, and 10.0.2.0/24 is slirp4netns's own network; before Landlock ABI 6 (Linux 6.12) the child
// can signal processes of its own uid. Before ABI 3 (Linux 6.2) seccomp refuses truncate(2), and
// an ABI 1 kernel refuses renames across directories of the work directory.
// Other systems: sandboxAvailable() is false and confine() throws.
namespace qfc::platform {

struct SandboxOptions
{
    QString workDir; // the only place the child may write (and read besides the system)
    // extra read-only (and executable) paths, e.g. the worker binary's directory
    QStringList readOnlyPaths;
    // outbound network for online layers; never the host's loopback or link-local
    bool allowNetwork = false;
    qint64 memoryBytes = 4LL << 30; // RLIMIT_AS (QGIS segfaults below 2 GiB); 0 = unlimited
    int cpuSeconds = 0; // RLIMIT_CPU, 0 = unlimited
    int openFiles = 1024; // RLIMIT_NOFILE
    qint64 fileSizeBytes = 0; // RLIMIT_FSIZE, 0 = unlimited
};

// The exit code of a child whose confinement could not be set up between fork and exec (the
// reason is written to its stderr). The program itself never ran.
inline constexpr int SandboxSetupFailedExitCode = 125;

// Whether full confinement works on this machine; `why` says what is missing otherwise (or the
// Landlock ABI in use). Probes once (runs /usr/bin/true confined) and caches the answer.
bool sandboxAvailable(QString *why = nullptr);

// Whether confine() can give a child outbound network (allowNetwork): slirp4netns installed and
// /dev/net/tun usable by this user.
bool networkHelperAvailable(QString *why = nullptr);

// Makes `process` run `program arguments` confined by `options` when started: sets the program
// and arguments and a child-process modifier (QProcess::setChildProcessModifier) that applies the
// limits, PR_SET_PDEATHSIG(SIGKILL), the file-system restriction and the network isolation. The
// program file itself is always readable and executable. Throws std::runtime_error when
// confinement is unavailable (callers decide whether to run unconfined), when workDir does not
// exist, or when allowNetwork is set and networkHelperAvailable() is false. Replaces any child
// process modifier set before. Start the process from a thread that outlives it: the parent-death
// signal fires when the *thread* that forked the child ends.
void confine(QProcess &process, const QString &program, const QStringList &arguments,
             const SandboxOptions &options);

// Called by the runner after the child exited abnormally: the limit it most likely hit, in words
// naming it ("memory limit of 4096 MiB exceeded", "CPU time limit of 60 s exceeded", "file size
// limit of 10 MiB exceeded"), or an empty string. `peakVirtualBytes` is the child's largest VmPeak
// the runner sampled (-1 unknown). A child killed by SIGKILL is blamed on the CPU limit only when
// one is set (the kernel sends SIGKILL one second after SIGXCPU); the runner knows when it killed
// the child itself and should not ask then.
QString limitHit(QProcess::ExitStatus status, int exitCode, const SandboxOptions &options,
                 qint64 peakVirtualBytes);
// The same, also reading the tail of the child's output for the out-of-memory messages of C++
// (std::bad_alloc), GDAL and the C library ("Cannot allocate memory"): a child that dies right
// after a large refused allocation is gone before a sampler sees its peak.
QString limitHit(QProcess::ExitStatus status, int exitCode, const SandboxOptions &options,
                 qint64 peakVirtualBytes, QByteArrayView outputTail);

// The child's VmPeak in bytes from /proc (-1 when unknown): the runner samples it while the job
// runs (it is gone once the child exited).
qint64 peakVirtualMemory(qint64 pid);

// Starts the helper that gives a confined child with allowNetwork outbound access: slirp4netns
// attached to the child's network namespace (--configure --disable-host-loopback, its own
// sandbox and seccomp), 10.0.2.100/24 via 10.0.2.2 in the child, DNS on 10.0.2.3. Waits (up to 5 s)
// until the interface is configured. Returns an object whose destruction stops the helper, or
// nullptr when options.allowNetwork is false or the child has exited already. Call after
// QProcess::started (the child may already run, so a job should not expect the network in its first
// milliseconds). Throws std::runtime_error when the helper cannot start. The helper also exits when
// this process dies.
std::unique_ptr<QObject> attachNetwork(qint64 childPid, const SandboxOptions &options);

} // namespace qfc::platform
