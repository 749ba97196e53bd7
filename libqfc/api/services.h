#pragma once

namespace qfc {

class Settings;
class AuthService;
namespace db {
class Database;
}

// The domain services a running instance offers its handlers (the composition root fills it).
struct Services
{
    const Settings &settings;
    db::Database &database;
    AuthService &auth;
};

} // namespace qfc
