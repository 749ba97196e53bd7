#pragma once

#include "httpclient.h"

#include <QHash>
#include <QProcess>
#include <QTemporaryDir>

#include <memory>

namespace qfc {
class Instance;
}

namespace qfc::test {

// A real QFC instance in this process, on an ephemeral port of 127.0.0.1, over a fresh database of
// the selected backend and a temporary data directory. Passwords are hashed with few iterations to
// keep the suite fast (overridable).
class TestServer
{
public:
    explicit TestServer(const QHash<QString, QString> &settings = {});
    ~TestServer();

    quint16 port() const;
    QUrl baseUrl() const; // http://127.0.0.1:<port>/api/v1/
    Instance &instance() { return *m_instance; }
    QString dataDir() const { return m_dir.path(); }
    QString databaseUrl() const { return m_databaseUrl; }
    const QString &adminPassword() const { return m_adminPassword; }

    // A person created directly in the database; returns its id.
    qint64 createUser(const QString &username, const QString &password, const QString &email = {});
    // Logs in over HTTP and returns the token (fails the test otherwise).
    QString login(const QString &username, const QString &password,
                  const QByteArray &userAgent = "qfc-tests");
    // A client for this server, optionally carrying `token`.
    std::unique_ptr<HttpClient> client(const QString &token = {}) const;

private:
    QTemporaryDir m_dir;
    QString m_databaseUrl;
    std::unique_ptr<Instance> m_instance;
    QString m_adminPassword;
};

// One qfc-server command (createuser, secret, ...) run to its end as an operator would: the
// QFC_* settings of the test's own environment removed, few password iterations, `env` added,
// `stdinData` written to its standard input.
struct CommandRun
{
    int exitCode = -1;
    QString out;
    QString err;
};
CommandRun runServerCommand(const QStringList &args, const QByteArray &stdinData = {},
                            const QHash<QString, QString> &env = {});

// A real qfc-server process (the README's command path): `serve` on a free port of 127.0.0.1.
class ServerProcess
{
public:
    ServerProcess(const QString &dataDir, const QString &databaseUrl,
                  const QStringList &extraArgs = {}, const QHash<QString, QString> &env = {});
    ~ServerProcess();

    // Starts and waits until the server announces its port; false on failure (see output()).
    bool start(int timeoutMs = 60000);
    // SIGTERM and wait, or SIGKILL.
    int stop(int timeoutMs = 30000);
    void kill();
    quint16 port() const { return m_port; }
    QUrl baseUrl() const;
    qint64 pid() const { return m_process.processId(); }
    QString output(); // everything printed so far
    // Resident set size of the process in KiB (Linux /proc), -1 when unknown.
    qint64 rssKiB() const;

private:
    QProcess m_process;
    QString m_dataDir;
    quint16 m_port = 0;
    QByteArray m_output;
};

} // namespace qfc::test
