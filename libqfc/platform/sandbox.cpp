#include "sandbox.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>
#include <QTemporaryDir>

#include <algorithm>
#include <array>
#include <csignal>
#include <stdexcept>
#include <utility>

#ifdef Q_OS_LINUX
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/landlock.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/securebits.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>
#ifdef QFC_HAVE_SECCOMP
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#endif
#endif

namespace qfc::platform {

namespace {

constexpr qint64 MiB = 1024 * 1024;

QString describeBytes(qint64 bytes)
{
    if (bytes % MiB == 0)
        return QString::number(bytes / MiB) + u" MiB"_qs;
    return QString::number(bytes) + u" bytes"_qs;
}

[[noreturn]] void fail(const QString &message)
{
    throw std::runtime_error(message.toStdString());
}

} // namespace

QString limitHit(QProcess::ExitStatus status, int exitCode, const SandboxOptions &options,
                 qint64 peakVirtualBytes)
{
    if (status == QProcess::NormalExit && exitCode == 0)
        return {};
    const QString cpu =
        u"CPU time limit of "_qs + QString::number(options.cpuSeconds) + u" s exceeded"_qs;
#ifdef Q_OS_UNIX
    if (status == QProcess::CrashExit) {
        if (exitCode == SIGXCPU && options.cpuSeconds > 0)
            return cpu;
        if (exitCode == SIGXFSZ && options.fileSizeBytes > 0)
            return u"file size limit of "_qs + describeBytes(options.fileSizeBytes)
                + u" exceeded"_qs;
    }
#endif
    // A refused allocation never shows in VmPeak: count the limit as hit when the peak came within
    // an eighth of it (at least 64 MiB), the size of a large allocation.
    if (options.memoryBytes > 0 && peakVirtualBytes >= 0
        && peakVirtualBytes >= options.memoryBytes - std::max(options.memoryBytes / 8, 64 * MiB))
        return u"memory limit of "_qs + describeBytes(options.memoryBytes) + u" exceeded"_qs;
#ifdef Q_OS_UNIX
    // RLIMIT_CPU's hard limit (one second past the soft one) kills with SIGKILL.
    if (status == QProcess::CrashExit && exitCode == SIGKILL && options.cpuSeconds > 0)
        return cpu;
#endif
    return {};
}

QString limitHit(QProcess::ExitStatus status, int exitCode, const SandboxOptions &options,
                 qint64 peakVirtualBytes, QByteArrayView outputTail)
{
    const QString hit = limitHit(status, exitCode, options, peakVirtualBytes);
    if (!hit.isEmpty() || (status == QProcess::NormalExit && exitCode == 0)
        || options.memoryBytes <= 0)
        return hit;
    const QByteArray tail = outputTail.toByteArray().toLower();
    for (const char *message : {"bad_alloc", "out of memory", "cannot allocate memory"}) {
        if (tail.contains(message))
            return u"memory limit of "_qs + describeBytes(options.memoryBytes) + u" exceeded"_qs;
    }
    return {};
}

#ifdef Q_OS_LINUX

namespace {

// Landlock definitions newer than Debian 12's kernel headers (6.1, ABI 2).
constexpr quint64 LandlockFsTruncate = 1ULL << 14; // ABI 3
constexpr quint64 LandlockFsIoctlDev = 1ULL << 15; // ABI 5
constexpr quint64 LandlockScopeAbstractUnixSocket = 1ULL << 0; // ABI 6
constexpr quint64 LandlockScopeSignal = 1ULL << 1; // ABI 6

struct LandlockRulesetAttr
{
    quint64 handledAccessFs = 0;
    quint64 handledAccessNet = 0; // ABI 4
    quint64 scoped = 0; // ABI 6
};

constexpr quint64 FsRead = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
constexpr quint64 FsReadExec = FsRead | LANDLOCK_ACCESS_FS_EXECUTE;
// The rights that make sense on a file (the others apply to directories only).
constexpr quint64 FsFileRights = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE
    | LANDLOCK_ACCESS_FS_READ_FILE | LandlockFsTruncate | LandlockFsIoctlDev;

int landlockAbi()
{
    const long abi =
        syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
    return abi < 0 ? 0 : int(abi);
}

// Every file-system right the kernel's Landlock ABI knows: all of them are handled (denied unless
// a rule grants them).
quint64 handledFsRights(int abi)
{
    quint64 rights = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; // ABI 1: bits 0..12
    if (abi >= 2)
        rights |= LANDLOCK_ACCESS_FS_REFER;
    if (abi >= 3)
        rights |= LandlockFsTruncate;
    if (abi >= 5)
        rights |= LandlockFsIoctlDev;
    return rights;
}

// Debian's system directories: programs and libraries, merged /usr or not; /usr/share holds the
// data of QGIS, GDAL, PROJ, Qt and the fonts.
constexpr const char *SystemExecutable[] = {"/usr",    "/lib", "/lib32", "/lib64",
                                            "/libx32", "/bin", "/sbin"};
// From /etc only what the loader, user and name lookups, TLS (certificates, not /etc/ssl/private),
// time zones, locales, fonts, Qt's logging rules and the GIS libraries read: no shadow, no SSH or
// TLS keys, no pg_service.conf. Then the fontconfig cache, /proc (other processes' environment,
// memory and descriptors stay out of reach: Landlock denies ptrace access across its domain) and
// the CPU and NUMA topology.
constexpr const char *SystemReadable[] = {"/etc/ld.so.cache",
                                          "/etc/ld.so.preload",
                                          "/etc/passwd",
                                          "/etc/group",
                                          "/etc/nsswitch.conf",
                                          "/etc/hosts",
                                          "/etc/host.conf",
                                          "/etc/resolv.conf",
                                          "/etc/gai.conf",
                                          "/etc/services",
                                          "/etc/protocols",
                                          "/etc/localtime",
                                          "/etc/timezone",
                                          "/etc/locale.alias",
                                          "/etc/os-release",
                                          "/etc/mime.types",
                                          "/etc/fonts",
                                          "/etc/ssl/certs",
                                          "/etc/ssl/openssl.cnf",
                                          "/etc/proj",
                                          "/etc/gdal",
                                          "/etc/xdg/QtProject",
                                          "/var/cache/fontconfig",
                                          "/proc",
                                          "/sys/devices/system/cpu",
                                          "/sys/devices/system/node"};

struct PathRule
{
    QByteArray path;
    quint64 access = 0;
    bool required = false;
};

// Everything the child does between fork and exec, computed before the fork: the child only
// reads this and makes system calls (async-signal-safe).
struct ChildPlan
{
    pid_t parentPid = 0;
    bool asRoot = false;
    QByteArray uidMap;
    QByteArray gidMap;
    rlim_t memoryBytes = 0;
    rlim_t cpuSeconds = 0;
    rlim_t openFiles = 0;
    rlim_t fileSizeBytes = 0;
    QByteArray unreachableRoute; // an rtnetlink RTM_NEWROUTE request, or empty
    LandlockRulesetAttr landlock;
    size_t landlockAttrSize = 0;
    std::vector<PathRule> rules;
    QByteArray seccompProgram; // BPF instructions
    struct sock_fprog seccomp = {};
    // Written by the child (off its small stack): the kernel's answer to unreachableRoute.
    alignas(struct nlmsghdr) mutable std::array<char, 512> netlinkReply = {};
};

// ---- the child side: async-signal-safe only (no allocation, no locks, no stdio) ----
//
// Qt 6.4's QProcess runs the child-process modifier in a vfork-style child (clone with CLONE_VM |
// CLONE_VFORK): it shares the server's memory while the parent waits, and its stack is a 4 KiB
// buffer inside the parent's own stack frame. Overflowing it overwrites the parent's return
// address. So the child side keeps its frames small (buffers live in the ChildPlan, allocated
// by the parent) and is never instrumented by a sanitizer, whose redzones would triple them.
#define QFC_CHILD_SIDE __attribute__((no_sanitize("address,undefined")))

QFC_CHILD_SIDE void writeAll(int fd, const char *data, size_t size)
{
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        data += n;
        size -= size_t(n);
    }
}

QFC_CHILD_SIDE void writeText(int fd, const char *text)
{
    writeAll(fd, text, std::strlen(text));
}

[[noreturn]] QFC_CHILD_SIDE void childFail(const char *step, const char *detail = nullptr)
{
    const int error = errno;
    char number[16];
    int length = 0;
    int value = error;
    do {
        number[sizeof number - 1 - length++] = char('0' + value % 10);
        value /= 10;
    } while (value > 0 && length < 15);
    writeText(2, "qfc sandbox: ");
    writeText(2, step);
    if (detail) {
        writeText(2, " ");
        writeText(2, detail);
    }
    writeText(2, " failed (errno ");
    writeAll(2, number + sizeof number - length, size_t(length));
    writeText(2, "); the job did not run\n");
    ::_exit(SandboxSetupFailedExitCode);
}

QFC_CHILD_SIDE bool writeProcFile(const char *path, const char *data, size_t size)
{
    const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    const bool ok = ::write(fd, data, size) == ssize_t(size);
    ::close(fd);
    return ok;
}

QFC_CHILD_SIDE void enterNamespaces(const ChildPlan &plan)
{
    if (plan.asRoot && ::unshare(CLONE_NEWNET) == 0)
        return;
    // An ordinary user (or a root without CAP_SYS_ADMIN): a user namespace, owning the network
    // namespace, in which the caller's uid and gid are 0 and no other id exists. The child is
    // root there without any capability (dropCapabilities); slirp4netns, joining the namespace
    // for its own sandbox, needs the 0.
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0)
        childFail("unshare(CLONE_NEWUSER|CLONE_NEWNET)");
    if (!writeProcFile("/proc/self/setgroups", "deny", 4) && errno != ENOENT)
        childFail("writing", "/proc/self/setgroups");
    if (!writeProcFile("/proc/self/uid_map", plan.uidMap.constData(), size_t(plan.uidMap.size())))
        childFail("writing", "/proc/self/uid_map");
    if (!writeProcFile("/proc/self/gid_map", plan.gidMap.constData(), size_t(plan.gidMap.size())))
        childFail("writing", "/proc/self/gid_map");
}

// Brings up the namespace's own loopback: 127.0.0.1 and ::1 then stay inside the namespace (and
// are never routed to slirp4netns's tap device).
QFC_CHILD_SIDE void loopbackUp()
{
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        childFail("socket(AF_INET)");
    struct ifreq request;
    std::memset(&request, 0, sizeof request);
    std::memcpy(request.ifr_name, "lo", 3);
    if (::ioctl(fd, SIOCGIFFLAGS, &request) != 0)
        childFail("SIOCGIFFLAGS", "lo");
    request.ifr_flags = short(request.ifr_flags | IFF_UP);
    if (::ioctl(fd, SIOCSIFFLAGS, &request) != 0)
        childFail("SIOCSIFFLAGS", "lo");
    ::close(fd);
}

QFC_CHILD_SIDE void addRoute(const QByteArray &request, char *reply, size_t replySize)
{
    const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        childFail("socket(AF_NETLINK)");
    struct sockaddr_nl kernel;
    std::memset(&kernel, 0, sizeof kernel);
    kernel.nl_family = AF_NETLINK;
    if (::sendto(fd, request.constData(), size_t(request.size()), 0,
                 reinterpret_cast<const struct sockaddr *>(&kernel), sizeof kernel)
        != request.size())
        childFail("RTM_NEWROUTE");
    const ssize_t n = ::recv(fd, reply, replySize, 0);
    const auto *header = reinterpret_cast<const struct nlmsghdr *>(reply);
    if (n < ssize_t(NLMSG_LENGTH(sizeof(struct nlmsgerr))) || header->nlmsg_type != NLMSG_ERROR)
        childFail("RTM_NEWROUTE", "(no acknowledgement)");
    const auto *error = static_cast<const struct nlmsgerr *>(NLMSG_DATA(header));
    if (error->error != 0) {
        errno = -error->error;
        childFail("RTM_NEWROUTE", "unreachable 169.254.0.0/16");
    }
    ::close(fd);
}

QFC_CHILD_SIDE void setLimit(int resource, rlim_t soft, rlim_t hard, const char *name)
{
    const struct rlimit limit = {soft, hard};
    if (::setrlimit(resource, &limit) != 0)
        childFail("setrlimit", name);
}

// Drops every capability for good: a root child (or the root of the new user namespace) keeps
// none across exec, so it cannot change its routes, join another namespace or raise its limits.
QFC_CHILD_SIDE void dropCapabilities()
{
    ::prctl(PR_SET_SECUREBITS,
            SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP
                | SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED
                | SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED,
            0, 0, 0);
    ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    for (unsigned long capability = 0; capability < 64; ++capability) {
        if (::prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0) {
            if (errno == EINVAL) // past CAP_LAST_CAP
                break;
            childFail("PR_CAPBSET_DROP");
        }
    }
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    std::memset(data, 0, sizeof data);
    if (::syscall(SYS_capset, &header, data) != 0)
        childFail("capset");
}

QFC_CHILD_SIDE void restrictFileSystem(const ChildPlan &plan)
{
    const int ruleset =
        int(::syscall(SYS_landlock_create_ruleset, &plan.landlock, plan.landlockAttrSize, 0));
    if (ruleset < 0)
        childFail("landlock_create_ruleset");
    for (const PathRule &rule : plan.rules) {
        struct landlock_path_beneath_attr beneath;
        std::memset(&beneath, 0, sizeof beneath);
        beneath.allowed_access = rule.access;
        beneath.parent_fd = ::open(rule.path.constData(), O_PATH | O_CLOEXEC);
        if (beneath.parent_fd < 0) {
            if (!rule.required)
                continue;
            childFail("opening", rule.path.constData());
        }
        if (::syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &beneath, 0) != 0)
            childFail("landlock_add_rule", rule.path.constData());
        ::close(beneath.parent_fd);
    }
    if (::syscall(SYS_landlock_restrict_self, ruleset, 0) != 0)
        childFail("landlock_restrict_self");
    ::close(ruleset);
}

QFC_CHILD_SIDE void setParentDeathSignal(const ChildPlan &plan)
{
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
        childFail("PR_SET_PDEATHSIG");
    if (::getppid() != plan.parentPid) // the parent died before the signal was armed
        ::_exit(SandboxSetupFailedExitCode);
}

QFC_CHILD_SIDE void runChild(const ChildPlan &plan)
{
    setParentDeathSignal(plan);
    ::setsid(); // no controlling terminal, own process group
    // Only stdin, stdout and stderr survive the exec (Qt 6.4 passes every inherited descriptor).
    if (::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
        struct rlimit files = {};
        ::getrlimit(RLIMIT_NOFILE, &files);
        const rlim_t last = std::min<rlim_t>(files.rlim_cur, 1 << 16);
        for (rlim_t fd = 3; fd < last; ++fd)
            ::fcntl(int(fd), F_SETFD, FD_CLOEXEC);
    }

    enterNamespaces(plan);
    loopbackUp();
    if (!plan.unreachableRoute.isEmpty())
        addRoute(plan.unreachableRoute, plan.netlinkReply.data(), plan.netlinkReply.size());

    if (plan.memoryBytes)
        setLimit(RLIMIT_AS, plan.memoryBytes, plan.memoryBytes, "RLIMIT_AS");
    if (plan.cpuSeconds)
        setLimit(RLIMIT_CPU, plan.cpuSeconds, plan.cpuSeconds + 1, "RLIMIT_CPU");
    if (plan.openFiles)
        setLimit(RLIMIT_NOFILE, plan.openFiles, plan.openFiles, "RLIMIT_NOFILE");
    if (plan.fileSizeBytes)
        setLimit(RLIMIT_FSIZE, plan.fileSizeBytes, plan.fileSizeBytes, "RLIMIT_FSIZE");
    setLimit(RLIMIT_CORE, 0, 0, "RLIMIT_CORE"); // a QGIS core dump would fill the work directory

    dropCapabilities();
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        childFail("PR_SET_NO_NEW_PRIVS");
    restrictFileSystem(plan);
#ifdef QFC_HAVE_SECCOMP
    if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &plan.seccomp, 0, 0) != 0)
        childFail("PR_SET_SECCOMP");
#endif
    setParentDeathSignal(plan); // again: credential changes may have reset it
}

// ---- the parent side ----

#ifdef QFC_HAVE_SECCOMP
// The system-call filter: what the namespace, the dropped capabilities and Landlock leave open.
QByteArray buildSeccompProgram(int landlockAbi)
{
    scmp_filter_ctx filter = seccomp_init(SCMP_ACT_ALLOW);
    if (!filter)
        fail(u"seccomp_init failed"_qs);
    bool ok = true;
    auto deny = [&](int syscallNumber, int error) {
        ok = ok && seccomp_rule_add(filter, SCMP_ACT_ERRNO(error), syscallNumber, 0) == 0;
    };
    // Sockets: IPv4, IPv6 (confined by the network namespace) and netlink (getaddrinfo) only.
    // AF_UNIX path sockets (PostgreSQL's, Docker's, D-Bus) are outside both the namespace and
    // Landlock; AF_VSOCK reaches the hypervisor. socketpair() stays allowed.
    for (int family = 0; family < 64; ++family) {
        if (family == AF_INET || family == AF_INET6 || family == AF_NETLINK)
            continue;
        ok = ok
            && seccomp_rule_add(filter, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
                                SCMP_A0_32(SCMP_CMP_EQ, uint32_t(family)))
                == 0;
    }
    ok = ok
        && seccomp_rule_add(filter, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
                            SCMP_A0_32(SCMP_CMP_GE, 64U))
            == 0;
    // io_uring would open sockets and files past the filter; clone3's flags cannot be inspected
    // (glibc falls back to clone on ENOSYS).
    for (int number : {SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter),
                       SCMP_SYS(io_uring_register), SCMP_SYS(clone3)})
        deny(number, ENOSYS);
    for (unsigned long flag : {CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID,
                               CLONE_NEWNET, CLONE_NEWCGROUP}) {
        ok = ok
            && seccomp_rule_add(filter, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                                SCMP_A0_64(SCMP_CMP_MASKED_EQ, flag, flag))
                == 0;
    }
    for (int number : {SCMP_SYS(unshare),
                       SCMP_SYS(setns),
                       SCMP_SYS(mount),
                       SCMP_SYS(umount2),
                       SCMP_SYS(pivot_root),
                       SCMP_SYS(chroot),
                       SCMP_SYS(open_tree),
                       SCMP_SYS(move_mount),
                       SCMP_SYS(fsopen),
                       SCMP_SYS(fsconfig),
                       SCMP_SYS(fsmount),
                       SCMP_SYS(fspick),
                       SCMP_SYS(mount_setattr),
                       SCMP_SYS(keyctl),
                       SCMP_SYS(add_key),
                       SCMP_SYS(request_key),
                       SCMP_SYS(bpf),
                       SCMP_SYS(perf_event_open),
                       SCMP_SYS(userfaultfd),
                       SCMP_SYS(ptrace),
                       SCMP_SYS(process_vm_readv),
                       SCMP_SYS(process_vm_writev),
                       SCMP_SYS(kexec_load),
                       SCMP_SYS(kexec_file_load),
                       SCMP_SYS(init_module),
                       SCMP_SYS(finit_module),
                       SCMP_SYS(delete_module),
                       SCMP_SYS(reboot),
                       SCMP_SYS(swapon),
                       SCMP_SYS(swapoff),
                       SCMP_SYS(syslog),
                       SCMP_SYS(acct),
                       SCMP_SYS(open_by_handle_at)})
        deny(number, EPERM);
    // Landlock handles truncate(2) from ABI 3 (Linux 6.2) on; before, a root child could
    // truncate any root-owned file by path. ftruncate(2) needs a descriptor open for writing,
    // which Landlock grants in the work directory only.
    if (landlockAbi < 3)
        deny(SCMP_SYS(truncate), EPERM);
    if (!ok) {
        seccomp_release(filter);
        fail(u"building the seccomp filter failed"_qs);
    }
    // libseccomp 2.5 exports to a file descriptor only.
    const int memory = ::memfd_create("qfc-seccomp", MFD_CLOEXEC);
    QByteArray program;
    if (memory >= 0 && seccomp_export_bpf(filter, memory) == 0) {
        const off_t size = ::lseek(memory, 0, SEEK_END);
        program.resize(qsizetype(size));
        if (size <= 0 || ::pread(memory, program.data(), size_t(size), 0) != size)
            program.clear();
    }
    if (memory >= 0)
        ::close(memory);
    seccomp_release(filter);
    if (program.isEmpty() || program.size() % qsizetype(sizeof(struct sock_filter)) != 0)
        fail(u"exporting the seccomp filter failed"_qs);
    return program;
}
#endif

// RTM_NEWROUTE "unreachable 169.254.0.0/16": link-local addresses (cloud metadata services among
// them) are never forwarded by slirp4netns.
QByteArray unreachableLinkLocalRoute()
{
    struct Request
    {
        struct nlmsghdr header;
        struct rtmsg route;
        char attributes[32];
    } request;
    std::memset(&request, 0, sizeof request);
    request.header.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
    request.header.nlmsg_type = RTM_NEWROUTE;
    request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
    request.header.nlmsg_seq = 1;
    request.route.rtm_family = AF_INET;
    request.route.rtm_dst_len = 16;
    request.route.rtm_table = RT_TABLE_MAIN;
    request.route.rtm_protocol = RTPROT_STATIC;
    request.route.rtm_scope = RT_SCOPE_UNIVERSE;
    request.route.rtm_type = RTN_UNREACHABLE;
    auto *attribute = reinterpret_cast<struct rtattr *>(reinterpret_cast<char *>(&request)
                                                        + NLMSG_ALIGN(request.header.nlmsg_len));
    attribute->rta_type = RTA_DST;
    attribute->rta_len = RTA_LENGTH(sizeof(struct in_addr));
    struct in_addr destination = {};
    ::inet_pton(AF_INET, "169.254.0.0", &destination);
    std::memcpy(RTA_DATA(attribute), &destination, sizeof destination);
    request.header.nlmsg_len =
        NLMSG_ALIGN(request.header.nlmsg_len) + RTA_ALIGN(attribute->rta_len);
    return QByteArray(reinterpret_cast<const char *>(&request), request.header.nlmsg_len);
}

void addPathRule(ChildPlan &plan, const QString &path, quint64 access, bool required)
{
    const QFileInfo info(path);
    if (!info.exists()) {
        if (required)
            fail(u"sandbox: "_qs + path + u" does not exist"_qs);
        return;
    }
    if (!info.isDir())
        access &= FsFileRights;
    access &= plan.landlock.handledAccessFs;
    if (access == 0)
        return;
    plan.rules.push_back({QFile::encodeName(path), access, required});
}

QString resolveProgram(const QString &program)
{
    QString path = program;
    if (!program.contains(u'/'))
        path = QStandardPaths::findExecutable(program);
    const QFileInfo info(path);
    if (path.isEmpty() || !info.isFile() || !info.isExecutable())
        fail(u"sandbox: program "_qs + program + u" not found or not executable"_qs);
    return info.canonicalFilePath();
}

std::shared_ptr<ChildPlan> buildPlan(const QString &program, const SandboxOptions &options)
{
    auto plan = std::make_shared<ChildPlan>();
    plan->parentPid = ::getpid();
    plan->asRoot = ::geteuid() == 0;
    plan->uidMap = "0 " + QByteArray::number(::getuid()) + " 1\n";
    plan->gidMap = "0 " + QByteArray::number(::getgid()) + " 1\n";
    plan->memoryBytes = rlim_t(std::max<qint64>(options.memoryBytes, 0));
    plan->cpuSeconds = rlim_t(std::max(options.cpuSeconds, 0));
    plan->openFiles = rlim_t(std::max(options.openFiles, 0));
    plan->fileSizeBytes = rlim_t(std::max<qint64>(options.fileSizeBytes, 0));
    if (options.allowNetwork)
        plan->unreachableRoute = unreachableLinkLocalRoute();

    const int abi = landlockAbi();
    if (abi < 1)
        fail(u"sandbox: Landlock is not available"_qs);
    plan->landlock.handledAccessFs = handledFsRights(abi);
    plan->landlockAttrSize = sizeof(quint64);
    if (abi >= 6) {
        plan->landlock.scoped = LandlockScopeAbstractUnixSocket | LandlockScopeSignal;
        plan->landlockAttrSize = sizeof(LandlockRulesetAttr);
    }

    const QFileInfo workDir(options.workDir);
    if (options.workDir.isEmpty() || !workDir.isDir())
        fail(u"sandbox: work directory "_qs + options.workDir + u" does not exist"_qs);
    // The work directory: everything but executing files and creating devices.
    const quint64 workAccess = plan->landlock.handledAccessFs
        & ~(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_MAKE_CHAR
            | LANDLOCK_ACCESS_FS_MAKE_BLOCK | LandlockFsIoctlDev);
    addPathRule(*plan, workDir.canonicalFilePath(), workAccess, true);
    addPathRule(*plan, program, FsReadExec, true);
    for (const QString &path : options.readOnlyPaths)
        addPathRule(*plan, QFileInfo(path).absoluteFilePath(), FsReadExec, true);
    for (const char *path : SystemExecutable)
        addPathRule(*plan, QString::fromLatin1(path), FsReadExec, false);
    for (const char *path : SystemReadable)
        addPathRule(*plan, QString::fromLatin1(path), FsRead, false);
    const quint64 readWriteDevice =
        LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE | LandlockFsTruncate;
    for (const char *path : {"/dev/null", "/dev/zero", "/dev/full"})
        addPathRule(*plan, QString::fromLatin1(path), readWriteDevice, false);
    for (const char *path : {"/dev/random", "/dev/urandom"})
        addPathRule(*plan, QString::fromLatin1(path), LANDLOCK_ACCESS_FS_READ_FILE, false);

#ifdef QFC_HAVE_SECCOMP
    plan->seccompProgram = buildSeccompProgram(abi);
    plan->seccomp.len = static_cast<unsigned short>(plan->seccompProgram.size()
                                                    / qsizetype(sizeof(struct sock_filter)));
    plan->seccomp.filter = reinterpret_cast<struct sock_filter *>(plan->seccompProgram.data());
#endif
    return plan;
}

void applyPlan(QProcess &process, const QString &program, const QStringList &arguments,
               const SandboxOptions &options)
{
    const QString resolved = resolveProgram(program);
    std::shared_ptr<const ChildPlan> plan = buildPlan(resolved, options);
    process.setProgram(resolved);
    process.setArguments(arguments);
    process.setChildProcessModifier([plan] { runChild(*plan); });
}

struct Probe
{
    bool available = false;
    QString why;
};

Probe probe()
{
#ifndef QFC_HAVE_SECCOMP
    return {false, u"QFC was built without libseccomp"_qs};
#else
    const int abi = landlockAbi();
    if (abi < 1)
        return {false,
                u"the kernel has no Landlock (Linux 5.13 or later with landlock in the "
                "lsm= boot parameter is needed)"_qs};
    QTemporaryDir dir;
    if (!dir.isValid())
        return {false, u"no temporary directory for the probe"_qs};
    QProcess process;
    try {
        SandboxOptions options;
        options.workDir = dir.path();
        applyPlan(process,
                  QFileInfo::exists(u"/usr/bin/true"_qs) ? u"/usr/bin/true"_qs : u"true"_qs, {},
                  options);
    } catch (const std::exception &error) {
        return {false, QString::fromLocal8Bit(error.what())};
    }
    process.start();
    if (!process.waitForFinished(10000)) {
        process.kill();
        process.waitForFinished();
        return {false, u"the probe did not start or finish: "_qs + process.errorString()};
    }
    if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0) {
        const QString output = QString::fromLocal8Bit(process.readAllStandardError()).trimmed();
        return {false,
                output.isEmpty() ? u"the confined probe failed with exit code "_qs
                        + QString::number(process.exitCode())
                                 : output};
    }
    return {true, u"Landlock ABI "_qs + QString::number(abi)};
#endif
}

QString slirp4netnsPath()
{
    QString path = QStandardPaths::findExecutable(u"slirp4netns"_qs);
    if (path.isEmpty())
        path = QStandardPaths::findExecutable(u"slirp4netns"_qs, {u"/usr/bin"_qs, u"/bin"_qs});
    return path;
}

// slirp4netns on the child's network namespace; stopping it closes the namespace's only route out.
class NetworkHelper final : public QObject
{
public:
    NetworkHelper(int exitFd) : m_exitFd(exitFd) { }
    ~NetworkHelper() override
    {
        ::close(m_exitFd); // slirp4netns exits when its exit descriptor reaches end-of-file
        if (!process.waitForFinished(2000)) {
            process.kill();
            process.waitForFinished(2000);
        }
    }

    QProcess process;

private:
    int m_exitFd;
};

// A descriptor, closed with its owner.
class Descriptor
{
public:
    explicit Descriptor(int fd = -1) : m_fd(fd) { }
    ~Descriptor() { reset(); }
    Descriptor(const Descriptor &) = delete;
    Descriptor &operator=(const Descriptor &) = delete;
    Descriptor &operator=(Descriptor &&other) noexcept
    {
        if (this != &other) {
            reset();
            m_fd = other.release();
        }
        return *this;
    }

    bool isValid() const { return m_fd >= 0; }
    int get() const { return m_fd; }
    int release() { return std::exchange(m_fd, -1); }
    void reset()
    {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = -1;
    }

private:
    int m_fd;
};

bool sameFile(const Descriptor &a, const Descriptor &b)
{
    struct stat first = {};
    struct stat second = {};
    return a.isValid() && b.isValid() && ::fstat(a.get(), &first) == 0
        && ::fstat(b.get(), &second) == 0 && first.st_dev == second.st_dev
        && first.st_ino == second.st_ino;
}

bool makePipe(Descriptor fds[2])
{
    int raw[2];
    if (::pipe2(raw, O_CLOEXEC) != 0)
        return false;
    fds[0] = Descriptor(raw[0]);
    fds[1] = Descriptor(raw[1]);
    return true;
}

} // namespace

bool sandboxAvailable(QString *why)
{
    static const Probe result = probe();
    if (why)
        *why = result.why;
    return result.available;
}

bool networkHelperAvailable(QString *why)
{
    QString reason;
    if (slirp4netnsPath().isEmpty())
        reason = u"slirp4netns is not installed"_qs;
    else if (::geteuid() != 0 && ::access("/dev/net/tun", R_OK | W_OK) != 0)
        reason = u"/dev/net/tun is not readable and writable by this user"_qs;
    if (why)
        *why = reason;
    return reason.isEmpty();
}

void confine(QProcess &process, const QString &program, const QStringList &arguments,
             const SandboxOptions &options)
{
    QString why;
    if (!sandboxAvailable(&why))
        fail(u"process confinement is not available: "_qs + why);
    if (options.allowNetwork && !networkHelperAvailable(&why))
        fail(u"network access for a confined process is not available: "_qs + why);
    applyPlan(process, program, arguments, options);
}

qint64 peakVirtualMemory(qint64 pid)
{
    QFile status(u"/proc/"_qs + QString::number(pid) + u"/status"_qs);
    if (pid <= 0 || !status.open(QIODevice::ReadOnly))
        return -1;
    // QFile::readLine() does not work on /proc files of unknown size: read them whole.
    const QByteArray content = status.readAll();
    const qsizetype start = content.indexOf("\nVmPeak:");
    if (start < 0)
        return -1;
    const qsizetype end = content.indexOf('\n', start + 1);
    QByteArray value = content.mid(start + 8, end < 0 ? -1 : end - start - 8).trimmed();
    if (!value.endsWith(" kB"))
        return -1;
    value.chop(3);
    bool ok = false;
    const qint64 kib = value.trimmed().toLongLong(&ok);
    return ok ? kib * 1024 : -1;
}

namespace {

// slirp4netns's side between fork and exec (the child side rules above apply).
QFC_CHILD_SIDE void runNetworkHelperChild(pid_t parent, const std::array<int, 3> &inherited,
                                          int userNamespace)
{
    ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (::getppid() != parent)
        ::_exit(1);
    for (int fd : inherited)
        ::fcntl(fd, F_SETFD, 0); // passed to slirp4netns by number
    // An unprivileged child's namespaces belong to its user namespace: slirp4netns joins it (as
    // its uid 0) to configure the tap device and to build its own sandbox, and keeps the host's
    // network namespace for the outside connections.
    if (userNamespace >= 0 && ::setns(userNamespace, CLONE_NEWUSER) != 0) {
        writeText(2, "setns(CLONE_NEWUSER) failed\n");
        ::_exit(1);
    }
}

} // namespace

std::unique_ptr<QObject> attachNetwork(qint64 childPid, const SandboxOptions &options)
{
    if (!options.allowNetwork)
        return nullptr;
    const QString program = slirp4netnsPath();
    if (program.isEmpty())
        fail(u"slirp4netns is not installed"_qs);

    // The namespaces are opened here and handed to slirp4netns as descriptors: the pid of an
    // unreaped child cannot be reused, a path given to slirp4netns could be by the time it looks.
    const QByteArray namespaces = "/proc/" + QByteArray::number(childPid) + "/ns/";
    Descriptor network(::open(QByteArray(namespaces + "net").constData(), O_RDONLY | O_CLOEXEC));
    if (!network.isValid()) {
        if (errno == ENOENT || errno == ESRCH) // the child is gone already: nothing to attach
            return nullptr;
        fail(u"cannot open the network namespace of process "_qs + QString::number(childPid)
             + u": "_qs + QString::fromLocal8Bit(std::strerror(errno)));
    }
    if (sameFile(network, Descriptor(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC))))
        fail(u"process "_qs + QString::number(childPid)
             + u" has no network namespace of its own: it was not confined"_qs);
    Descriptor user(::open(QByteArray(namespaces + "user").constData(), O_RDONLY | O_CLOEXEC));
    if (user.isValid()
        && sameFile(user, Descriptor(::open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC))))
        user = Descriptor();

    Descriptor ready[2];
    Descriptor exitPipe[2];
    if (!makePipe(ready) || !makePipe(exitPipe))
        fail(u"pipe: "_qs + QString::fromLocal8Bit(std::strerror(errno)));
    auto helper = std::make_unique<NetworkHelper>(exitPipe[1].release());
    QProcess &process = helper->process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.setProgram(program);
    QStringList arguments = {u"--configure"_qs,
                             u"--mtu=65520"_qs,
                             u"--disable-host-loopback"_qs,
                             u"--enable-sandbox"_qs,
                             u"--enable-seccomp"_qs,
                             u"--ready-fd="_qs + QString::number(ready[1].get()),
                             u"--exit-fd="_qs + QString::number(exitPipe[0].get()),
                             u"--netns-type=path"_qs};
    arguments.append(u"/proc/self/fd/"_qs + QString::number(network.get()));
    arguments.append(u"tap0"_qs);
    process.setArguments(arguments);
    const pid_t parent = ::getpid();
    const std::array<int, 3> inherited = {ready[1].get(), exitPipe[0].get(), network.get()};
    const int userNamespace = user.get();
    process.setChildProcessModifier([parent, inherited, userNamespace] {
        runNetworkHelperChild(parent, inherited, userNamespace);
    });
    process.start();
    ready[1] = Descriptor();
    exitPipe[0] = Descriptor();
    const bool started = process.waitForStarted(5000);

    // Wait for "1" on the ready descriptor; end-of-file means slirp4netns gave up.
    bool isReady = false;
    QElapsedTimer timer;
    timer.start();
    while (started && !isReady && timer.elapsed() < 5000) {
        struct pollfd poller = {ready[0].get(), POLLIN, 0};
        const int n = ::poll(&poller, 1, int(5000 - timer.elapsed()));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        char byte = 0;
        const ssize_t got = ::read(ready[0].get(), &byte, 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        isReady = byte == '1';
    }
    if (!isReady) {
        process.kill();
        process.waitForFinished(2000);
        const QString output = QString::fromLocal8Bit(process.readAll()).trimmed();
        fail(u"slirp4netns did not configure the network of process "_qs + QString::number(childPid)
             + u": "_qs + (output.isEmpty() ? process.errorString() : output));
    }
    return helper;
}

#else // !Q_OS_LINUX

bool sandboxAvailable(QString *why)
{
    if (why)
        *why = u"process confinement is implemented for Linux only"_qs;
    return false;
}

bool networkHelperAvailable(QString *why)
{
    if (why)
        *why = u"process confinement is implemented for Linux only"_qs;
    return false;
}

void confine(QProcess &, const QString &, const QStringList &, const SandboxOptions &)
{
    fail(u"process confinement is implemented for Linux only"_qs);
}

qint64 peakVirtualMemory(qint64)
{
    return -1;
}

std::unique_ptr<QObject> attachNetwork(qint64, const SandboxOptions &options)
{
    if (options.allowNetwork)
        fail(u"process confinement is implemented for Linux only"_qs);
    return nullptr;
}

#endif

} // namespace qfc::platform
