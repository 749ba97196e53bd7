#include "packageshandler.h"

#include "auth/clienttype.h"
#include "context.h"
#include "core/apierror.h"
#include "core/clock.h"
#include "db/database.h"
#include "db/transaction.h"
#include "download.h"
#include "files/filerepository.h"
#include "files/filestore.h"
#include "files/projectfiles.h"
#include "fileshandler.h"
#include "jobs/jobrepository.h"
#include "packages/packages.h"
#include "projects/permissions.h"

#include <QJsonArray>
#include <QUrl>

namespace qfc::api {

namespace {

// The caller's latest package (400 invalid_job when there is none).
std::pair<ProjectAccess, Job> latestPackage(Context &ctx)
{
    QSqlDatabase db = ctx.services.database.connection();
    Permissions permissions(db, &ctx.user());
    const ProjectAccess pa =
        permissions.requireProject(ctx.param(u"project_id"_qs), ProjectAction::View);
    const std::optional<Job> job = packages::latestFor(db, pa.project, ctx.user().id);
    if (!job)
        throw ApiError::invalidJob();
    return {pa, *job};
}

QJsonObject fileObject(const packages::PackageFile &f)
{
    return {{u"name"_qs, f.name},
            {u"size"_qs, f.size},
            {u"uploaded_at"_qs, clock::formatApi(f.createdAt)},
            {u"is_attachment"_qs, false},
            {u"md5sum"_qs, f.etag},
            {u"last_modified"_qs, clock::formatLegacy(f.createdAt)},
            {u"sha256"_qs, f.sha256}};
}

} // namespace

http::Response PackagesHandler::latest(Context &ctx)
{
    const auto [pa, job] = latestPackage(ctx);
    QSqlDatabase db = ctx.services.database.connection();
    QJsonArray list;
    const QList<packages::PackageFile> files = packages::filesOf(db, job.id);
    for (const auto &f : files)
        list.append(fileObject(f));
    // Attachments come from the project files (§10.1), once the QGIS project is processed.
    if (pa.project.projectDetails) {
        const QList<files::File> projectFiles = files::ofProject(db, pa.project.id);
        for (const files::File &f : projectFiles)
            if (files::ProjectFiles::isAttachment(pa.project, f.name))
                list.append(FilesHandler::fileJson(pa.project, f, false));
    }
    if (list.isEmpty())
        throw ApiError::invalidJob();
    const QJsonValue layers = job.feedback ? job.feedback->value(u"outputs"_qs)
                                                 .toObject()
                                                 .value(u"qgis_layers_data"_qs)
                                                 .toObject()
                                                 .value(u"layers_by_id"_qs)
                                           : QJsonValue();
    auto time = [](const std::optional<qint64> &t) {
        return t ? QJsonValue(clock::formatApi(*t)) : QJsonValue(QJsonValue::Null);
    };
    return http::Response::json(QJsonObject{
        {u"files"_qs, list},
        {u"layers"_qs, layers.isObject() ? layers : QJsonValue(QJsonValue::Null)},
        {u"status"_qs, job.status},
        {u"package_id"_qs, job.id},
        {u"packaged_at"_qs, time(pa.project.dataLastPackagedAt)},
        {u"data_last_updated_at"_qs, time(pa.project.dataLastUpdatedAt)},
    });
}

http::Response PackagesHandler::download(Context &ctx)
{
    const auto [pa, job] = latestPackage(ctx);
    QSqlDatabase db = ctx.services.database.connection();
    const QString path = ctx.param(u"path"_qs);
    // Attachments are served from the project files (§10.2).
    if (files::ProjectFiles::isAttachment(pa.project, path)) {
        const std::optional<files::File> file = files::byName(db, pa.project.id, path);
        if (!file)
            throw ApiError::objectNotFound();
        const files::Version &v = file->latest();
        return serveBlob(ctx.request, ctx.services.store, Blob{v.sha256, v.etag, v.size}, path,
                         "application/octet-stream");
    }
    const std::optional<packages::PackageFile> f = packages::fileOf(db, job.id, path);
    if (!f)
        throw ApiError::objectNotFound();
    return serveBlob(ctx.request, ctx.services.store, Blob{f->sha256, f->etag, f->size}, path,
                     "application/octet-stream");
}

// Only worker tokens may upload package files, for a started package job of the project (§10.3).
// QFC's runner collects a package from the work directory itself and never issues such tokens,
// so this answers 403 unless a worker token exists.
http::Response PackagesHandler::upload(Context &ctx)
{
    if (!ctx.auth || ctx.auth->clientType != ClientType::Worker)
        throw ApiError::permissionDenied();
    QSqlDatabase db = ctx.services.database.connection();
    Permissions permissions(db, &ctx.user());
    const ProjectAccess pa =
        permissions.requireProject(ctx.param(u"project_id"_qs), ProjectAction::View);
    const std::optional<Job> job = jobs::byId(db, ctx.param(u"job_id"_qs));
    if (!job || job->projectId != pa.project.id || job->type != jobtypes::Package
        || job->status != u"started")
        throw ApiError::permissionDenied();
    std::shared_ptr<http::UploadedFile> part;
    for (const auto &f : std::as_const(ctx.request.files))
        if (f->fieldName() == u"file")
            part = f;
    if (!part)
        throw ApiError::emptyContent();
    const QString path = ctx.param(u"path"_qs);
    part->release();
    ctx.services.store.putFromUpload(part->tempPath(), part->digest());
    db::Transaction tx(ctx.services.database);
    packages::addFile(tx.connection(), job->id, path, part->digest());
    tx.commit();
    http::Response r = http::Response::json(QJsonObject{{u"name"_qs, path},
                                                        {u"size"_qs, part->digest().size},
                                                        {u"sha256"_qs, part->digest().sha256},
                                                        {u"md5sum"_qs, part->digest().md5}},
                                            201);
    r.headers.set(
        "Location",
        QUrl(u"/api/v1/packages/"_qs + pa.project.id + u'/' + job->id + u"/files/"_qs + path + u'/')
            .toEncoded());
    return r;
}

} // namespace qfc::api
