#pragma once

#include <QList>
#include <QSqlDatabase>
#include <QString>

#include <optional>

namespace qfc::plans {

// A plan's limits (spec/api.md §17). -1 means unlimited where noted.
struct Plan
{
    qint64 id = 0;
    QString code;
    QString displayName;
    bool isPremium = false;
    bool isDefault = false;
    qint64 storageMb = 0; // 1 MB = 1 000 000 bytes
    int keepVersions = 10;
    qint64 warningMb = 0;
    qint64 criticalMb = 0;
    int maxOrganizationMembers = -1;
    int maxCollaboratorsPerPrivateProject = -1;
    bool externalDbSupported = true;

    qint64 storageBytes() const { return storageMb * 1000000; }
};

struct Subscription
{
    QString id; // uuid
    qint64 accountId = 0;
    Plan plan;
    QString status; // active_paid | active_past_due | inactive_... (§5.6)
    std::optional<qint64> activeSince;
    std::optional<qint64> activeUntil;

    // Active status and now within active_since..active_until (§17).
    bool isActive(qint64 nowUs) const;
};

QList<Plan> all(const QSqlDatabase &db);
std::optional<Plan> byCode(const QSqlDatabase &db, const QString &code);
Plan defaultPlan(const QSqlDatabase &db);
Plan create(const QSqlDatabase &db, Plan plan);
void update(const QSqlDatabase &db, const Plan &plan);
// Makes `code` the plan of new accounts.
void setDefault(const QSqlDatabase &db, const QString &code);

// The account's subscription; an account without one gets one on the default plan, active.
Subscription subscriptionOf(const QSqlDatabase &db, qint64 accountId);
void assign(const QSqlDatabase &db, qint64 accountId, qint64 planId);
void setStatus(const QSqlDatabase &db, qint64 accountId, const QString &status,
               std::optional<qint64> activeSince, std::optional<qint64> activeUntil);
bool isValidStatus(const QString &status);

// Plan storage minus what the account's projects use (may be negative).
qint64 freeBytes(const QSqlDatabase &db, qint64 accountId);

} // namespace qfc::plans
