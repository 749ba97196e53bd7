#pragma once

namespace qfc {

class Settings;
class AuthService;
namespace db {
class Database;
}
namespace files {
class FileStore;
class ProjectFiles;
} // namespace files
namespace jobs {
class JobService;
}

// The domain services a running instance offers its handlers (the composition root fills it).
struct Services
{
    const Settings &settings;
    db::Database &database;
    AuthService &auth;
    files::FileStore &store;
    files::ProjectFiles &projectFiles;
    jobs::JobService &jobs;
};

} // namespace qfc
