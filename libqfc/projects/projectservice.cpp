#include "projectservice.h"

#include "auth/userrepository.h"
#include "collaborators.h"
#include "core/apierror.h"
#include "core/names.h"
#include "db/database.h"
#include "plans.h"
#include "projectrepository.h"

#include <QJsonArray>

namespace qfc::projectservice {

namespace {

const QString kSharedDatasets = u"shared_datasets"_qs;

ApiError fieldError(const QString &field, const QString &problem)
{
    return ApiError::apiError(400, QJsonObject{{field, QJsonArray{problem}}});
}

void apply(Project &p, const Input &in)
{
    if (in.name)
        p.name = *in.name;
    if (in.description)
        p.description = *in.description;
    if (in.projectType)
        p.projectType = *in.projectType;
    if (in.isPublic)
        p.isPublic = *in.isPublic;
    if (in.isFeatured)
        p.isFeatured = *in.isFeatured;
    if (in.isAttachmentDownloadOnDemand)
        p.isAttachmentDownloadOnDemand = *in.isAttachmentDownloadOnDemand;
    if (in.hasRestrictedProjectfiles)
        p.hasRestrictedProjectfiles = *in.hasRestrictedProjectfiles;
    if (in.overwriteConflicts)
        p.overwriteConflicts = *in.overwriteConflicts;
    // The name shared_datasets makes the project the owner's shared datasets project (§1.7).
    if (p.name == kSharedDatasets)
        p.projectType = kSharedDatasets;
}

void checkType(const Input &in)
{
    if (in.projectType && *in.projectType != u"regular" && *in.projectType != u"template")
        throw fieldError(u"project_type"_qs, u"Must be regular or template."_qs);
}

User resolveOwner(const QSqlDatabase &db, const Permissions &permissions, const QString &name)
{
    const std::optional<User> owner = users::byUsername(db, name);
    if (!owner || owner->type == User::Team)
        throw ApiError::objectNotFound();
    if (!permissions.mayOwnAs(*owner))
        throw ApiError::permissionDenied();
    return *owner;
}

// Inserting or renaming onto an existing name: the unique index is the final word.
template<typename F>
void guardDuplicate(F &&write)
{
    try {
        write();
    } catch (const db::DbError &e) {
        if (e.isUniqueViolation())
            throw ApiError::projectAlreadyExists();
        throw;
    }
}

} // namespace

void checkName(const QString &name)
{
    if (const QString why = names::checkProjectName(name); !why.isEmpty())
        throw fieldError(u"name"_qs, why);
}

ProjectAccess create(const QSqlDatabase &db, const Permissions &permissions, const Input &in)
{
    if (!in.name || in.name->isEmpty())
        throw fieldError(u"name"_qs, u"This field is required."_qs);
    checkName(*in.name);
    checkType(in);
    const User &caller = *permissions.caller();
    const User owner =
        in.owner && !in.owner->isEmpty() ? resolveOwner(db, permissions, *in.owner) : caller;
    if (projects::byOwnerAndName(db, owner.id, *in.name))
        throw ApiError::projectAlreadyExists();

    Project p;
    p.ownerId = owner.id;
    p.ownerName = owner.username;
    p.ownerType = owner.type;
    apply(p, in);
    if (p.isSharedDatasets() && projects::sharedDatasetsId(db, owner.id))
        throw ApiError::projectAlreadyExists();
    guardDuplicate([&] { p = projects::insert(db, p); });

    // A creator (not an admin) gets an explicit admin role on what it creates (§7.3).
    if (owner.type == User::Organization) {
        const orgs::Standing s = orgs::standing(db, owner.id, caller.id);
        if (!s.isAdmin())
            collaborators::add(db, p.id, caller.id, ProjectRole::Admin, caller.id);
    }
    const Access access = Access::forPerson(db, caller.id);
    return {p, access.roleOn(p).value_or(EffectiveRole{})};
}

ProjectAccess update(const QSqlDatabase &db, const Permissions &permissions,
                     const ProjectAccess &current, const Input &in, bool put)
{
    if (put && (!in.name || in.name->isEmpty()))
        throw fieldError(u"name"_qs, u"This field is required."_qs);
    if (in.name)
        checkName(*in.name);
    checkType(in);
    Project p = current.project;
    const qint64 previousOwner = p.ownerId;
    if (in.owner && *in.owner != p.ownerName) {
        const User owner = resolveOwner(db, permissions, *in.owner);
        p.ownerId = owner.id;
        p.ownerName = owner.username;
        p.ownerType = owner.type;
    }
    apply(p, in);
    // A name (or shared datasets project) the owner already has: the unique indexes decide.
    guardDuplicate([&] { projects::updateSettings(db, p); });
    // The new owner must have room for the project's files (§17).
    if (p.ownerId != previousOwner && plans::freeBytes(db, p.ownerId) < 0)
        throw ApiError::overQuota();
    const Access access = Access::forPerson(db, permissions.caller()->id);
    const std::optional<Project> saved = projects::byId(db, p.id);
    return {*saved, access.roleOn(*saved).value_or(current.role)};
}

} // namespace qfc::projectservice
