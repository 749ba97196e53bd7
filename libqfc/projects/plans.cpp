#include "plans.h"

#include "core/clock.h"
#include "db/query.h"
#include "projectrepository.h"

#include <QUuid>

namespace qfc::plans {

namespace {

const QString kColumns = u"id, code, display_name, is_premium, is_default, storage_mb, "
                         "storage_keep_versions, storage_warning_mb, storage_critical_mb, "
                         "max_organization_members, max_premium_collaborators_per_private_project, "
                         "is_external_db_supported"_qs;

Plan read(const db::Query &q, int o = 0)
{
    Plan p;
    p.id = q.integer(o + 0);
    p.code = q.text(o + 1);
    p.displayName = q.text(o + 2);
    p.isPremium = q.flag(o + 3);
    p.isDefault = q.flag(o + 4);
    p.storageMb = q.integer(o + 5);
    p.keepVersions = int(q.integer(o + 6));
    p.warningMb = q.integer(o + 7);
    p.criticalMb = q.integer(o + 8);
    p.maxOrganizationMembers = int(q.integer(o + 9));
    p.maxCollaboratorsPerPrivateProject = int(q.integer(o + 10));
    p.externalDbSupported = q.flag(o + 11);
    return p;
}

void bindPlan(db::Query &q, const Plan &p)
{
    q.bind(u":code"_qs, p.code)
        .bind(u":name"_qs, p.displayName)
        .bind(u":premium"_qs, p.isPremium)
        .bind(u":storage"_qs, p.storageMb)
        .bind(u":keep"_qs, p.keepVersions)
        .bind(u":warning"_qs, p.warningMb)
        .bind(u":critical"_qs, p.criticalMb)
        .bind(u":members"_qs, p.maxOrganizationMembers)
        .bind(u":collaborators"_qs, p.maxCollaboratorsPerPrivateProject)
        .bind(u":externaldb"_qs, p.externalDbSupported);
}

} // namespace

bool Subscription::isActive(qint64 nowUs) const
{
    if (status != u"active_paid" && status != u"active_past_due")
        return false;
    if (activeSince && nowUs < *activeSince)
        return false;
    if (activeUntil && nowUs > *activeUntil)
        return false;
    return true;
}

bool isValidStatus(const QString &status)
{
    static const QStringList valid{u"inactive_draft"_qs,
                                   u"inactive_draft_expired"_qs,
                                   u"inactive_requested_create"_qs,
                                   u"inactive_awaits_payment"_qs,
                                   u"active_paid"_qs,
                                   u"active_past_due"_qs,
                                   u"inactive_cancelled"_qs};
    return valid.contains(status);
}

QList<Plan> all(const QSqlDatabase &db)
{
    db::Query q(db, u"SELECT "_qs + kColumns + u" FROM plans ORDER BY code"_qs);
    q.exec();
    QList<Plan> out;
    while (q.next())
        out.append(read(q));
    return out;
}

std::optional<Plan> byCode(const QSqlDatabase &db, const QString &code)
{
    db::Query q(db, u"SELECT "_qs + kColumns + u" FROM plans WHERE code = :c"_qs);
    q.bind(u":c"_qs, code).exec();
    if (!q.next())
        return std::nullopt;
    return read(q);
}

Plan defaultPlan(const QSqlDatabase &db)
{
    db::Query q(db, u"SELECT "_qs + kColumns + u" FROM plans ORDER BY is_default DESC, id"_qs);
    q.exec();
    if (!q.next())
        throw db::DbError(u"no plan defined"_qs);
    return read(q);
}

Plan create(const QSqlDatabase &db, Plan p)
{
    db::Query q(db,
                u"INSERT INTO plans (code, display_name, is_premium, storage_mb, "
                "storage_keep_versions, storage_warning_mb, storage_critical_mb, "
                "max_organization_members, max_premium_collaborators_per_private_project, "
                "is_external_db_supported) VALUES (:code, :name, :premium, :storage, :keep, "
                ":warning, :critical, :members, :collaborators, :externaldb) RETURNING id"_qs);
    bindPlan(q, p);
    q.exec();
    q.next();
    p.id = q.integer(0);
    return p;
}

void update(const QSqlDatabase &db, const Plan &p)
{
    db::Query q(db,
                u"UPDATE plans SET code = :code, display_name = :name, is_premium = :premium, "
                "storage_mb = :storage, storage_keep_versions = :keep, storage_warning_mb = "
                ":warning, storage_critical_mb = :critical, max_organization_members = "
                ":members, max_premium_collaborators_per_private_project = :collaborators, "
                "is_external_db_supported = :externaldb WHERE id = :id"_qs);
    bindPlan(q, p);
    q.bind(u":id"_qs, p.id).exec();
}

void setDefault(const QSqlDatabase &db, const QString &code)
{
    db::Query::run(db, u"UPDATE plans SET is_default = (code = :c)"_qs, {{u":c"_qs, code}});
}

Subscription subscriptionOf(const QSqlDatabase &db, qint64 accountId)
{
    for (int attempt = 0; attempt < 2; ++attempt) {
        db::Query q(db,
                    u"SELECT s.id, s.status, s.active_since, s.active_until, p."_qs
                        + QString(kColumns).replace(u", "_qs, u", p."_qs)
                        + u" FROM subscriptions s JOIN plans p ON p.id = s.plan_id WHERE "
                          "s.account_id = :a"_qs);
        q.bind(u":a"_qs, accountId).exec();
        if (q.next()) {
            Subscription s;
            s.id = q.text(0);
            s.accountId = accountId;
            s.status = q.text(1);
            s.activeSince = q.optionalInteger(2);
            s.activeUntil = q.optionalInteger(3);
            s.plan = read(q, 4);
            return s;
        }
        // First use: the default plan, active from the account's creation.
        const Plan plan = defaultPlan(db);
        const qint64 joined =
            db::Query::scalar(db, u"SELECT date_joined FROM users WHERE id = :a"_qs,
                              {{u":a"_qs, accountId}})
                .value_or(clock::nowUs())
                .toLongLong();
        // A concurrent first use may win; then this insert does nothing and the row is read.
        db::Query::run(db,
                       u"INSERT INTO subscriptions (id, account_id, plan_id, status, active_since, "
                       "created_at) VALUES (:id, :a, :p, 'active_paid', :s, :t) "
                       "ON CONFLICT (account_id) DO NOTHING"_qs,
                       {{u":id"_qs, QUuid::createUuid().toString(QUuid::WithoutBraces)},
                        {u":a"_qs, accountId},
                        {u":p"_qs, plan.id},
                        {u":s"_qs, joined},
                        {u":t"_qs, clock::nowUs()}});
    }
    throw db::DbError(u"cannot create the subscription"_qs);
}

void assign(const QSqlDatabase &db, qint64 accountId, qint64 planId)
{
    subscriptionOf(db, accountId);
    db::Query::run(db, u"UPDATE subscriptions SET plan_id = :p WHERE account_id = :a"_qs,
                   {{u":p"_qs, planId}, {u":a"_qs, accountId}});
}

void setStatus(const QSqlDatabase &db, qint64 accountId, const QString &status,
               std::optional<qint64> activeSince, std::optional<qint64> activeUntil)
{
    subscriptionOf(db, accountId);
    db::Query::run(db,
                   u"UPDATE subscriptions SET status = :s, active_since = :since, active_until = "
                   ":until WHERE account_id = :a"_qs,
                   {{u":s"_qs, status},
                    {u":since"_qs, activeSince ? QVariant(*activeSince) : db::null()},
                    {u":until"_qs, activeUntil ? QVariant(*activeUntil) : db::null()},
                    {u":a"_qs, accountId}});
}

qint64 freeBytes(const QSqlDatabase &db, qint64 accountId)
{
    return subscriptionOf(db, accountId).plan.storageBytes()
        - projects::storageUsedBy(db, accountId);
}

} // namespace qfc::plans
