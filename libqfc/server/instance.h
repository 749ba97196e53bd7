#pragma once

#include "api/services.h"
#include "auth/authservice.h"
#include "core/settings.h"

#include <QLockFile>
#include <QObject>
#include <QThread>
#include <QTimer>

#include <memory>
#include <optional>

namespace qfc {

namespace db {
class Database;
}
namespace http {
class Server;
}
namespace api {
class Api;
}
namespace files {
class FileStore;
class ProjectFiles;
} // namespace files
namespace jobs {
class JobService;
class Scheduler;
} // namespace jobs
namespace secrets {
class KeyRing;
}

// One running QFC node: settings, database, services and the HTTP server, wired together.
// Used by `qfc-server serve` and by the tests' in-process fixture alike.
class Instance : public QObject
{
    Q_OBJECT
public:
    explicit Instance(Settings settings, QObject *parent = nullptr);
    ~Instance() override;

    // Prepares the data directory, opens and migrates the database (`migrate` false: refuses an
    // unmigrated one), creates the first administrator on an empty database and starts serving.
    // Throws SettingsError / db::DbError / std::runtime_error with an operator-readable text.
    void start(bool migrate = true);
    void stop();

    // The port actually bound (for listen port 0).
    quint16 port() const;
    // Set when start() created the first administrator: the password to show once.
    const std::optional<QString> &createdAdminPassword() const { return m_adminPassword; }

    const Settings &settings() const { return m_settings; }
    db::Database &database() { return *m_database; }
    AuthService &auth() { return *m_auth; }
    files::FileStore &store() { return *m_store; }
    files::ProjectFiles &projectFiles() { return *m_projectFiles; }
    jobs::JobService &jobs() { return *m_jobs; }
    // This node's scheduler (null when it runs no jobs).
    jobs::Scheduler *scheduler() { return m_scheduler; }
    QString nodeId() const { return m_nodeId; }
    // The qfc-worker executable this node runs (setting, else next to qfc-server, else PATH).
    static QString findWorkerBinary(const Settings &settings);
    // The key that encrypts secrets (DATA/secret.key, created on first use).
    static std::shared_ptr<secrets::KeyRing> openKeyRing(const Settings &settings);
    Services services();

    // Opens the database for one-off commands (no HTTP).
    static std::unique_ptr<db::Database> openDatabase(const Settings &settings);
    // Creates the first administrator when the database has no superuser yet; returns the
    // generated password.
    static std::optional<QString> ensureAdministrator(db::Database &database, AuthService &auth,
                                                      const QString &username);
    static AuthService::Options authOptions(const Settings &settings);

private:
    void resolveNodeId();
    void prepareDataDir();
    void maintenance();
    void collectGarbage();
    void startScheduler();
    void stopScheduler();

    Settings m_settings;
    std::unique_ptr<db::Database> m_database;
    std::unique_ptr<AuthService> m_auth;
    std::unique_ptr<files::FileStore> m_store;
    std::unique_ptr<files::ProjectFiles> m_projectFiles;
    std::unique_ptr<jobs::JobService> m_jobs;
    std::shared_ptr<secrets::KeyRing> m_keys;
    jobs::Scheduler *m_scheduler = nullptr; // lives on m_jobsThread
    QThread *m_jobsThread = nullptr;
    QString m_nodeId;
    std::unique_ptr<QLockFile> m_nodeIdLock; // held while this process uses DATA/node-id
    std::unique_ptr<api::Api> m_api;
    std::unique_ptr<http::Server> m_http;
    std::optional<QString> m_adminPassword;
    QTimer m_maintenance;
};

} // namespace qfc
