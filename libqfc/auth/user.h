#pragma once

#include <QString>

#include <optional>

namespace qfc {

// An account row: a person (type 1), an organization (2) or a team (3).
struct User
{
    enum Type { Person = 1, Organization = 2, Team = 3 };

    qint64 id = 0;
    QString username;
    int type = Person;
    QString email;
    QString firstName;
    QString lastName;
    QString password; // encoded hash
    bool isActive = true;
    bool isStaff = false;
    bool isSuperuser = false;
    qint64 dateJoined = 0;
    std::optional<qint64> lastLogin;

    QString fullName() const { return QString(firstName + u' ' + lastName).trimmed(); }
    bool isPerson() const { return type == Person; }
};

} // namespace qfc
