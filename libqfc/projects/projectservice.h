#pragma once

#include "permissions.h"

#include <QSqlDatabase>

namespace qfc::projectservice {

// The writable project fields of spec/api.md §7.1, as a request gave them (absent: unchanged).
struct Input
{
    std::optional<QString> name;
    std::optional<QString> owner; // username
    std::optional<QString> description;
    std::optional<QString> projectType;
    std::optional<bool> isPublic;
    std::optional<bool> isFeatured;
    std::optional<bool> isAttachmentDownloadOnDemand;
    std::optional<bool> hasRestrictedProjectfiles;
    std::optional<bool> overwriteConflicts;
};

// POST projects/ (§7.3) without seed or clone: validates, checks the caller may create for the
// owner, inserts; a creator member of the owning organization becomes an explicit admin
// collaborator. Throws ApiError. Runs in the caller's write transaction on `db`.
ProjectAccess create(const QSqlDatabase &db, const Permissions &permissions, const Input &input);

// PUT/PATCH projects/<id>/ (§7.5); `put` requires a name. Owner transfer checks the new owner
// like creation does and refuses it with 402 over_quota when the new owner's free storage would
// become negative.
ProjectAccess update(const QSqlDatabase &db, const Permissions &permissions,
                     const ProjectAccess &current, const Input &input, bool put);

// Throws ApiError 400 api_error unless `name` is a valid project name (§1.7).
void checkName(const QString &name);

} // namespace qfc::projectservice
