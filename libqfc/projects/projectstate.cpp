#include "projectstate.h"

#include "db/query.h"
#include "jobs/jobrepository.h"
#include "plans.h"
#include "projectrepository.h"

#include <QJsonArray>

namespace qfc::projectstate {

namespace {

bool collaboratorsOverPlan(const QSqlDatabase &db, const Project &p)
{
    if (p.isPublic)
        return false;
    const int cap = plans::subscriptionOf(db, p.ownerId).plan.maxCollaboratorsPerPrivateProject;
    return cap >= 0 && projects::personCollaboratorCount(db, p.id) > cap;
}

// The finish time of the caller's newest package job (§15.4 with the per-user rule of §10: a
// caller with a secret assigned to them on the project or its organization only counts their own).
std::optional<qint64> newestPackageFinishedAt(const QSqlDatabase &db, const Project &p,
                                              qint64 caller)
{
    const bool perUser =
        db::Query::scalar(db,
                          u"SELECT count(*) FROM secrets WHERE assigned_to = :u AND "
                          "(project_id = :p OR organization_id = :o)"_qs,
                          {{u":u"_qs, caller}, {u":p"_qs, p.id}, {u":o"_qs, p.ownerId}})
            .value_or(0)
            .toInt()
        > 0;
    const std::optional<Job> job =
        jobs::newestPackage(db, p.id, perUser ? std::optional<qint64>(caller) : std::nullopt);
    return job ? job->finishedAt : std::nullopt;
}

} // namespace

QString status(const QSqlDatabase &db, const Project &p)
{
    if (jobs::hasActiveJobs(db, p.id))
        return u"busy"_qs;
    if (!p.projectDetails && !p.isSharedDatasets())
        return u"failed"_qs;
    if (collaboratorsOverPlan(db, p))
        return u"failed"_qs;
    return u"ok"_qs;
}

bool hasOnlineVectorLayers(const Project &p)
{
    if (!p.projectDetails)
        return false;
    const QJsonObject layers = p.projectDetails->value(u"layers_by_id"_qs).toObject();
    for (auto it = layers.constBegin(); it != layers.constEnd(); ++it) {
        const QJsonObject layer = it.value().toObject();
        // Vector layers (QGIS type 0) without a file behind them, except memory layers and
        // virtual layers without embedded layers.
        if (layer.value(u"type"_qs).toInt(-1) != 0)
            continue;
        if (!layer.value(u"filename"_qs).toString().isEmpty())
            continue;
        const QString provider = layer.value(u"provider_name"_qs).toString();
        if (provider == u"memory")
            continue;
        if (provider == u"virtual"
            && !layer.value(u"datasource"_qs).toString().contains(u"layer="_qs))
            continue;
        return true;
    }
    return false;
}

bool needsRepackaging(const QSqlDatabase &db, const Project &p, qint64 callerId)
{
    if (!p.projectDetails || hasOnlineVectorLayers(p))
        return true;
    if (!p.dataLastUpdatedAt || !p.dataLastPackagedAt)
        return true;
    const std::optional<qint64> finished = newestPackageFinishedAt(db, p, callerId);
    return !finished || *finished < *p.dataLastUpdatedAt;
}

} // namespace qfc::projectstate
