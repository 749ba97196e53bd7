#include "settings.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QThread>

namespace qfc {

namespace {

using T = Settings::Type;

QString cores(int minimum, int factor = 1)
{
    return QString::number(std::max(minimum, QThread::idealThreadCount() * factor));
}

#ifdef Q_OS_WIN
const QString kDefaultKeyStore = QStringLiteral("keychain");
#else
const QString kDefaultKeyStore = QStringLiteral("file");
#endif

QList<Settings::Definition> makeDefinitions()
{
    // clang-format off
    return {
        {u"server/listen"_qs, u"QFC_LISTEN"_qs, T::HostPort, u"0.0.0.0:8080"_qs,
         u"Address and port to listen on (HOST:PORT; [::]:PORT for IPv6)."_qs},
        {u"server/public_url"_qs, u"QFC_PUBLIC_URL"_qs, T::Url, QString(),
         u"Externally visible base URL (e.g. https://qfc.example.org). Empty: taken from the request's Host header (and X-Forwarded-Proto/-Host from trusted proxies)."_qs},
        {u"server/trusted_proxies"_qs, u"QFC_TRUSTED_PROXIES"_qs, T::SubnetList, QString(),
         u"Comma-separated addresses or CIDR networks of reverse proxies whose X-Forwarded-For/-Proto/-Host headers are believed."_qs},
        {u"server/max_body_bytes"_qs, u"QFC_MAX_BODY_BYTES"_qs, T::Bytes, u"4MiB"_qs,
         u"Largest request body for ordinary requests; larger ones get 413 before the body is read."_qs, 1024},
        {u"server/max_upload_bytes"_qs, u"QFC_MAX_UPLOAD_BYTES"_qs, T::Bytes, u"20GiB"_qs,
         u"Largest request body for the multipart upload endpoints (streamed to disk, never held in memory)."_qs, 1024},
        {u"server/max_header_bytes"_qs, u"QFC_MAX_HEADER_BYTES"_qs, T::Bytes, u"64KiB"_qs,
         u"Largest request head (request line and headers); larger ones get 431."_qs, 4096, 16 << 20},
        {u"server/io_threads"_qs, u"QFC_IO_THREADS"_qs, T::Int, cores(2),
         u"Threads that read and write client connections (default: the number of cores, at least 2)."_qs, 1, 256},
        {u"server/handler_threads"_qs, u"QFC_HANDLER_THREADS"_qs, T::Int, cores(4, 2),
         u"Threads that run request handlers, each with its own database connection (default: 2 per core, at least 4)."_qs, 1, 512},
        {u"server/idle_timeout_seconds"_qs, u"QFC_IDLE_TIMEOUT_SECONDS"_qs, T::Int, u"75"_qs,
         u"A kept-alive connection without a new request is closed after this many seconds."_qs, 1, 86400},
        {u"server/read_timeout_seconds"_qs, u"QFC_READ_TIMEOUT_SECONDS"_qs, T::Int, u"120"_qs,
         u"A request whose head or body makes no progress for this many seconds is dropped."_qs, 1, 86400},
        {u"server/tls_certificate"_qs, u"QFC_TLS_CERTIFICATE"_qs, T::Path, QString(),
         u"PEM certificate (chain) for HTTPS. Empty: plain HTTP (put a reverse proxy in front)."_qs},
        {u"server/tls_private_key"_qs, u"QFC_TLS_PRIVATE_KEY"_qs, T::Path, QString(),
         u"PEM private key for HTTPS."_qs},
        {u"server/site_title"_qs, u"QFC_SITE_TITLE"_qs, T::String, u"QFC"_qs,
         u"Site title reported in server/info."_qs},
        {u"server/signup_url"_qs, u"QFC_SIGNUP_URL"_qs, T::String, QString(),
         u"Sign-up page reported in server/info (empty: none)."_qs},
        {u"storage/data_dir"_qs, u"QFC_DATA_DIR"_qs, T::Path, u"qfc-data"_qs,
         u"Data directory: the SQLite database, stored files, temporary uploads and logs live here."_qs},
        {u"database/url"_qs, u"QFC_DATABASE_URL"_qs, T::String, QString(),
         u"Database: sqlite:PATH (relative to the data directory) or postgresql://USER:PASSWORD@HOST:PORT/NAME. Empty: sqlite:qfc.sqlite3."_qs, 0, 0, true},
        {u"database/busy_timeout_ms"_qs, u"QFC_DATABASE_BUSY_TIMEOUT_MS"_qs, T::Int, u"15000"_qs,
         u"How long a SQLite writer waits for a lock before failing."_qs, 0, 600000},
        {u"auth/token_lifetime_hours"_qs, u"QFC_TOKEN_LIFETIME_HOURS"_qs, T::Int, u"720"_qs,
         u"Lifetime of a login token (not sliding)."_qs, 1, 24 * 365 * 10},
        {u"auth/password_iterations"_qs, u"QFC_PASSWORD_ITERATIONS"_qs, T::Int, u"600000"_qs,
         u"PBKDF2-SHA256 iterations for new password hashes; older hashes are re-hashed on login."_qs, 1000, 100000000},
        {u"auth/throttle_user_failures"_qs, u"QFC_THROTTLE_USER_FAILURES"_qs, T::Int, u"5"_qs,
         u"Failed logins for one username from one address before further attempts are refused."_qs, 1, 1000000},
        {u"auth/throttle_user_window_seconds"_qs, u"QFC_THROTTLE_USER_WINDOW_SECONDS"_qs, T::Int, u"1800"_qs,
         u"Window (and cool-off) of the per-username-and-address login throttle."_qs, 1, 86400 * 30},
        {u"auth/throttle_address_failures"_qs, u"QFC_THROTTLE_ADDRESS_FAILURES"_qs, T::Int, u"30"_qs,
         u"Failed logins from one address, over all usernames, before further attempts are refused."_qs, 1, 1000000},
        {u"auth/throttle_address_window_seconds"_qs, u"QFC_THROTTLE_ADDRESS_WINDOW_SECONDS"_qs, T::Int, u"1800"_qs,
         u"Window (and cool-off) of the per-address login throttle."_qs, 1, 86400 * 30},
        {u"auth/admin_username"_qs, u"QFC_ADMIN_USERNAME"_qs, T::String, u"admin"_qs,
         u"Username of the administrator created on first start of an empty database."_qs},
        {u"jobs/workers"_qs, u"QFC_JOB_WORKERS"_qs, T::Int, QString::number(std::max(1, QThread::idealThreadCount() - 1)),
         u"Jobs this node runs at the same time (default: cores - 1, at least 1); 0 makes the node run none (an API-only node)."_qs, 0, 256},
        {u"jobs/timeout_seconds"_qs, u"QFC_JOB_TIMEOUT_SECONDS"_qs, T::Int, u"600"_qs,
         u"Wall-clock limit of a worker run; then it is terminated, and killed after the grace period."_qs, 1, 86400 * 7},
        {u"jobs/timeout_process_projectfile_seconds"_qs, u"QFC_JOB_TIMEOUT_PROCESS_PROJECTFILE_SECONDS"_qs, T::Int, u"0"_qs,
         u"Limit for process_projectfile jobs (0: jobs/timeout_seconds)."_qs, 0, 86400 * 7},
        {u"jobs/timeout_package_seconds"_qs, u"QFC_JOB_TIMEOUT_PACKAGE_SECONDS"_qs, T::Int, u"0"_qs,
         u"Limit for package jobs (0: jobs/timeout_seconds)."_qs, 0, 86400 * 7},
        {u"jobs/timeout_delta_apply_seconds"_qs, u"QFC_JOB_TIMEOUT_DELTA_APPLY_SECONDS"_qs, T::Int, u"0"_qs,
         u"Limit for delta_apply jobs (0: jobs/timeout_seconds)."_qs, 0, 86400 * 7},
        {u"jobs/kill_grace_seconds"_qs, u"QFC_JOB_KILL_GRACE_SECONDS"_qs, T::Int, u"5"_qs,
         u"Seconds between terminating a worker and killing it."_qs, 0, 3600},
        {u"jobs/output_limit_bytes"_qs, u"QFC_JOB_OUTPUT_LIMIT_BYTES"_qs, T::Bytes, u"10MiB"_qs,
         u"Largest worker log kept per job (the tail is kept)."_qs, 4096},
        {u"jobs/memory_limit_bytes"_qs, u"QFC_JOB_MEMORY_LIMIT_BYTES"_qs, T::Bytes, u"4GiB"_qs,
         u"Address-space limit of a worker (QGIS needs more than 2 GiB)."_qs, 64 << 20},
        {u"jobs/cpu_limit_seconds"_qs, u"QFC_JOB_CPU_LIMIT_SECONDS"_qs, T::Int, u"0"_qs,
         u"CPU-time limit of a worker (0: none)."_qs, 0, 86400 * 7},
        {u"jobs/open_files_limit"_qs, u"QFC_JOB_OPEN_FILES_LIMIT"_qs, T::Int, u"1024"_qs,
         u"Open-file limit of a worker."_qs, 64, 1 << 20},
        {u"jobs/network"_qs, u"QFC_JOB_NETWORK"_qs, T::String, u"none"_qs,
         u"Network of confined workers: none, or outbound (other hosts, for online layers; never this host's loopback or link-local addresses)."_qs},
        {u"jobs/sandbox"_qs, u"QFC_JOB_SANDBOX"_qs, T::String, u"required"_qs,
         u"Worker confinement: required (jobs fail when it is unavailable), auto (confine when possible), off."_qs},
        {u"jobs/keep_failed_workdirs"_qs, u"QFC_JOB_KEEP_FAILED_WORKDIRS"_qs, T::Bool, u"false"_qs,
         u"Keep the work directory of a failed job (under DATA/jobs/) for inspection."_qs},
        {u"jobs/worker_binary"_qs, u"QFC_WORKER_BINARY"_qs, T::String, QString(),
         u"The qfc-worker executable. Empty: next to qfc-server (or ../worker/ in a build tree), then PATH."_qs},
        {u"jobs/poll_interval_ms"_qs, u"QFC_JOB_POLL_INTERVAL_MS"_qs, T::Int, u"2000"_qs,
         u"How often a node looks for jobs other nodes created (its own start at once)."_qs, 50, 600000},
        {u"jobs/lease_seconds"_qs, u"QFC_JOB_LEASE_SECONDS"_qs, T::Int, u"60"_qs,
         u"A node whose heartbeat is older than this is dead: its queued and started jobs fail."_qs, 5, 86400},
        {u"jobs/node_id"_qs, u"QFC_NODE_ID"_qs, T::String, QString(),
         u"This node's name in the job queue. Empty: a generated id kept in DATA/node-id."_qs},
        {u"deltas/max_deltafile_bytes"_qs, u"QFC_MAX_DELTAFILE_BYTES"_qs, T::Bytes, u"64MiB"_qs,
         u"Largest request body for a deltafile push (POST deltas/<project_id>/); larger ones get 413 before the body is read."_qs, 1024},
        {u"secrets/key_store"_qs, u"QFC_SECRETS_KEY_STORE"_qs, T::String, kDefaultKeyStore,
         u"Where the key that encrypts secrets lives: file (secrets/key_file), or keychain (the OS keychain through QtKeychain: Windows Credential Manager, macOS Keychain, a desktop Secret Service; a headless Linux server has none). Nodes sharing one database need the same key."_qs},
        {u"secrets/key_file"_qs, u"QFC_SECRETS_KEY_FILE"_qs, T::String, u"secret.key"_qs,
         u"With key_store=file: the key file, relative to the data directory unless absolute; created with mode 0600 on first use."_qs},
        {u"log/level"_qs, u"QFC_LOG_LEVEL"_qs, T::LogLevel, u"info"_qs,
         u"debug, info, warning or error."_qs},
        {u"log/file"_qs, u"QFC_LOG_FILE"_qs, T::String, u"logs/qfc.log"_qs,
         u"Log file (relative to the data directory), besides stderr. \"none\": stderr only."_qs},
        {u"log/access_log"_qs, u"QFC_ACCESS_LOG"_qs, T::Bool, u"true"_qs,
         u"Write one access-log line per request (category qfc.http)."_qs},
        {u"status/status_page_url"_qs, u"QFC_STATUS_PAGE_URL"_qs, T::String, QString(),
         u"status_page_url reported by status/."_qs},
        {u"status/incident_message"_qs, u"QFC_INCIDENT_MESSAGE"_qs, T::String, QString(),
         u"Incident banner text reported by status/ (empty: none)."_qs},
        {u"status/incident_timestamp"_qs, u"QFC_INCIDENT_TIMESTAMP"_qs, T::String, QString(),
         u"ISO 8601 time of the incident (UTC)."_qs},
        {u"status/maintenance_message"_qs, u"QFC_MAINTENANCE_MESSAGE"_qs, T::String, QString(),
         u"Maintenance banner text reported by status/ (empty: none)."_qs},
        {u"status/maintenance_start"_qs, u"QFC_MAINTENANCE_START"_qs, T::String, QString(),
         u"ISO 8601 start of the maintenance window (UTC)."_qs},
        {u"status/maintenance_end"_qs, u"QFC_MAINTENANCE_END"_qs, T::String, QString(),
         u"ISO 8601 end of the maintenance window (UTC)."_qs},
    };
    // clang-format on
}

bool parseBool(const QString &text, bool *ok)
{
    const QString t = text.trimmed().toLower();
    *ok = true;
    if (t == u"1" || t == u"true" || t == u"yes" || t == u"on")
        return true;
    if (t == u"0" || t == u"false" || t == u"no" || t == u"off")
        return false;
    *ok = false;
    return false;
}

// "4MiB", "20 GiB", "512k", "1000000" → bytes.
qint64 parseBytes(const QString &text, bool *ok)
{
    static const QRegularExpression re(u"^\\s*(\\d+)\\s*([kmgt]?)(i?)b?\\s*$"_qs,
                                       QRegularExpression::CaseInsensitiveOption);
    const auto m = re.match(text);
    *ok = m.hasMatch();
    if (!*ok)
        return 0;
    qint64 value = m.captured(1).toLongLong(ok);
    const QString unit = m.captured(2).toLower();
    const qint64 base = m.captured(3).isEmpty() && !unit.isEmpty() ? 1000 : 1024;
    const int power = unit.isEmpty() ? 0 : QStringLiteral("kmgt").indexOf(unit) + 1;
    for (int i = 0; i < power; ++i) {
        if (value > std::numeric_limits<qint64>::max() / base) {
            *ok = false;
            return 0;
        }
        value *= base;
    }
    return value;
}

bool parseHostPort(const QString &text, QHostAddress *address, quint16 *port)
{
    static const QRegularExpression re(u"^(?:\\[([0-9a-fA-F:.]+)\\]|([^:\\[\\]]+)):(\\d{1,5})$"_qs);
    const auto m = re.match(text.trimmed());
    if (!m.hasMatch())
        return false;
    const QString host = m.captured(1).isEmpty() ? m.captured(2) : m.captured(1);
    const int p = m.captured(3).toInt();
    if (p > 65535)
        return false;
    if (host == u"localhost")
        *address = QHostAddress(QHostAddress::LocalHost);
    else if (!address->setAddress(host))
        return false;
    *port = static_cast<quint16>(p);
    return true;
}

bool parseSubnets(const QString &text, QList<Subnet> *out)
{
    out->clear();
    const QStringList parts = text.split(u',', Qt::SkipEmptyParts);
    for (const QString &raw : parts) {
        const QString part = raw.trimmed();
        if (part.isEmpty())
            continue;
        Subnet s;
        if (part.contains(u'/')) {
            const auto pair = QHostAddress::parseSubnet(part);
            if (pair.first.isNull())
                return false;
            s.address = pair.first;
            s.prefix = pair.second;
        } else {
            if (!s.address.setAddress(part))
                return false;
            s.prefix = s.address.protocol() == QAbstractSocket::IPv6Protocol ? 128 : 32;
        }
        out->append(s);
    }
    return true;
}

// Minimal INI reader with line numbers in its errors: [section], key = value, # or ; comments.
QHash<QString, QPair<QString, int>> readIni(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        throw SettingsError(QStringLiteral("cannot read configuration file %1: %2")
                                .arg(path, file.errorString())
                                .toStdString());
    QHash<QString, QPair<QString, int>> values;
    QString section;
    int lineNo = 0;
    while (!file.atEnd()) {
        ++lineNo;
        const QString line = QString::fromUtf8(file.readLine()).trimmed();
        if (line.isEmpty() || line.startsWith(u'#') || line.startsWith(u';'))
            continue;
        if (line.startsWith(u'[')) {
            if (!line.endsWith(u']'))
                throw SettingsError(QStringLiteral("%1:%2: malformed section header")
                                        .arg(path)
                                        .arg(lineNo)
                                        .toStdString());
            section = line.mid(1, line.size() - 2).trimmed();
            continue;
        }
        const qsizetype eq = line.indexOf(u'=');
        if (eq <= 0)
            throw SettingsError(QStringLiteral("%1:%2: expected 'key = value'")
                                    .arg(path)
                                    .arg(lineNo)
                                    .toStdString());
        if (section.isEmpty())
            throw SettingsError(QStringLiteral("%1:%2: key outside of a [section]")
                                    .arg(path)
                                    .arg(lineNo)
                                    .toStdString());
        QString value = line.mid(eq + 1).trimmed();
        if (value.size() >= 2 && value.startsWith(u'"') && value.endsWith(u'"'))
            value = value.mid(1, value.size() - 2);
        values.insert(section + u'/' + line.left(eq).trimmed(), {value, lineNo});
    }
    return values;
}

} // namespace

const QList<Settings::Definition> &Settings::definitions()
{
    static const QList<Definition> defs = makeDefinitions();
    return defs;
}

void Settings::set(const Definition &def, const QString &text, const QString &origin)
{
    auto fail = [&](const QString &why) {
        throw SettingsError(QStringLiteral("invalid value for %1 (%2) from %3: %4")
                                .arg(def.key, def.env, origin, why)
                                .toStdString());
    };
    QVariant value;
    bool ok = true;
    switch (def.type) {
    case Type::String:
    case Type::Path:
        value = text;
        break;
    case Type::Int: {
        const qint64 v = text.trimmed().toLongLong(&ok);
        if (!ok)
            fail(QStringLiteral("'%1' is not an integer").arg(text));
        if (v < def.minimum || v > def.maximum)
            fail(QStringLiteral("%1 is outside %2..%3").arg(v).arg(def.minimum).arg(def.maximum));
        value = v;
        break;
    }
    case Type::Bytes: {
        const qint64 v = parseBytes(text, &ok);
        if (!ok)
            fail(QStringLiteral("'%1' is not a size (e.g. 4194304, 4MiB, 20GiB)").arg(text));
        if (v < def.minimum || v > def.maximum)
            fail(QStringLiteral("%1 bytes is outside %2..%3")
                     .arg(v)
                     .arg(def.minimum)
                     .arg(def.maximum));
        value = v;
        break;
    }
    case Type::Bool: {
        const bool v = parseBool(text, &ok);
        if (!ok)
            fail(QStringLiteral("'%1' is not a boolean (true/false, yes/no, on/off, 1/0)")
                     .arg(text));
        value = v;
        break;
    }
    case Type::HostPort: {
        QHostAddress a;
        quint16 p = 0;
        if (!parseHostPort(text, &a, &p))
            fail(QStringLiteral("'%1' is not HOST:PORT").arg(text));
        value = text.trimmed();
        break;
    }
    case Type::Url: {
        if (text.trimmed().isEmpty()) {
            value = QUrl();
            break;
        }
        const QUrl url(text.trimmed(), QUrl::StrictMode);
        if (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https")
            || url.host().isEmpty() || url.hasQuery() || url.hasFragment())
            fail(QStringLiteral("'%1' is not an http(s) base URL").arg(text));
        value = url;
        break;
    }
    case Type::SubnetList: {
        QList<Subnet> subnets;
        if (!parseSubnets(text, &subnets))
            fail(QStringLiteral("'%1' is not a comma-separated list of addresses or networks")
                     .arg(text));
        value = text.trimmed();
        break;
    }
    case Type::LogLevel: {
        const QString t = text.trimmed().toLower();
        if (t != u"debug" && t != u"info" && t != u"warning" && t != u"error")
            fail(QStringLiteral("'%1' is not one of debug, info, warning, error").arg(text));
        value = t;
        break;
    }
    }
    m_values.insert(def.key, value);
    m_origins.insert(def.key, origin);
}

Settings Settings::load(const QString &configFile, const QProcessEnvironment &env,
                        const QHash<QString, QString> &overrides)
{
    Settings s;
    QHash<QString, const Definition *> byKey;
    QHash<QString, const Definition *> byEnv;
    for (const Definition &d : definitions()) {
        byKey.insert(d.key, &d);
        byEnv.insert(d.env, &d);
        s.set(d, d.defaultValue, u"default"_qs);
    }
    if (!configFile.isEmpty()) {
        const auto ini = readIni(configFile);
        for (auto it = ini.cbegin(); it != ini.cend(); ++it) {
            const Definition *d = byKey.value(it.key());
            if (!d)
                throw SettingsError(QStringLiteral("%1:%2: unknown setting '%3' (see qfc-server "
                                                   "--help-settings)")
                                        .arg(configFile)
                                        .arg(it.value().second)
                                        .arg(it.key())
                                        .toStdString());
            s.set(*d, it.value().first,
                  QStringLiteral("%1:%2").arg(configFile).arg(it.value().second));
        }
    }
    // QFC_CONFIG names the file itself; QFC_TEST_* belong to the test suite.
    const QStringList names = env.keys();
    for (const QString &name : names) {
        if (!name.startsWith(u"QFC_") || name == u"QFC_CONFIG" || name.startsWith(u"QFC_TEST_"))
            continue;
        const Definition *d = byEnv.value(name);
        if (!d)
            throw SettingsError(QStringLiteral("unknown environment variable %1 (see qfc-server "
                                               "--help-settings)")
                                    .arg(name)
                                    .toStdString());
        s.set(*d, env.value(name), u"environment"_qs);
    }
    for (auto it = overrides.cbegin(); it != overrides.cend(); ++it) {
        const Definition *d = byKey.value(it.key());
        if (!d)
            throw SettingsError(QStringLiteral("unknown setting '%1'").arg(it.key()).toStdString());
        s.set(*d, it.value(), u"command line"_qs);
    }
    // Paths: the data directory against the working directory, the rest against the data dir.
    const QString dataDir = QDir::cleanPath(QDir::current().absoluteFilePath(s.dataDir()));
    s.m_values.insert(u"storage/data_dir"_qs, dataDir);
    for (const Definition &d : definitions()) {
        if (d.type != Type::Path || d.key == u"storage/data_dir")
            continue;
        const QString p = s.text(d.key);
        if (!p.isEmpty())
            s.m_values.insert(d.key, QDir::cleanPath(QDir(dataDir).absoluteFilePath(p)));
    }
    if (s.text(u"server/tls_certificate"_qs).isEmpty()
        != s.text(u"server/tls_private_key"_qs).isEmpty())
        throw SettingsError(
            "server/tls_certificate and server/tls_private_key must be set together");
    return s;
}

Settings Settings::fromOverrides(const QHash<QString, QString> &overrides)
{
    return load(QString(), QProcessEnvironment(), overrides);
}

QVariant Settings::value(const QString &key) const
{
    Q_ASSERT_X(m_values.contains(key), "Settings::value", qPrintable(key));
    return m_values.value(key);
}

QString Settings::databaseUrl() const
{
    const QString url = text(u"database/url"_qs);
    return url.isEmpty() ? u"sqlite:qfc.sqlite3"_qs : url;
}

QHostAddress Settings::listenAddress() const
{
    QHostAddress a;
    quint16 p = 0;
    parseHostPort(text(u"server/listen"_qs), &a, &p);
    return a;
}

quint16 Settings::listenPort() const
{
    QHostAddress a;
    quint16 p = 0;
    parseHostPort(text(u"server/listen"_qs), &a, &p);
    return p;
}

QList<Subnet> Settings::trustedProxies() const
{
    QList<Subnet> out;
    parseSubnets(text(u"server/trusted_proxies"_qs), &out);
    return out;
}

QString Settings::logFile() const
{
    const QString f = text(u"log/file"_qs);
    if (f.isEmpty() || f == u"none")
        return {};
    return QDir::cleanPath(QDir(dataDir()).absoluteFilePath(f));
}

QStringList Settings::summary() const
{
    QStringList lines;
    for (const Definition &d : definitions()) {
        QString v = value(d.key).toString();
        if (d.secret && !v.isEmpty()) {
            // Keep the scheme and host of a database URL, hide credentials.
            const QUrl url(v);
            v = url.isValid() && !url.scheme().isEmpty() && !url.host().isEmpty()
                ? url.adjusted(QUrl::RemoveUserInfo).toString()
                : u"***"_qs;
        }
        lines << QStringLiteral("%1 = %2 (%3)").arg(d.key, v, m_origins.value(d.key));
    }
    return lines;
}

QString Settings::documentation()
{
    QString out;
    QString section;
    for (const Definition &d : definitions()) {
        const QString sec = d.key.section(u'/', 0, 0);
        if (sec != section) {
            out += u"\n["_qs + sec + u"]\n"_qs;
            section = sec;
        }
        out += QStringLiteral("  %1 (env %2, default \"%3\")\n      %4\n")
                   .arg(d.key.section(u'/', 1), d.env, d.defaultValue, d.description);
    }
    return out;
}

} // namespace qfc
