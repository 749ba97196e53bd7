#include "fileshandler.h"

#include "auth/clienttype.h"
#include "context.h"
#include "core/apierror.h"
#include "core/clock.h"
#include "db/database.h"
#include "db/transaction.h"
#include "download.h"
#include "files/filestore.h"
#include "files/imageinfo.h"
#include "files/projectfiles.h"
#include "pagination.h"
#include "projects/permissions.h"
#include "projects/projectrepository.h"

#include <QFile>
#include <QJsonArray>
#include <QTimeZone>

namespace qfc::api {

namespace {

constexpr qint64 kThumbnailMaxBytes = 5 * 1024 * 1024;
constexpr int kThumbnailMaxSide = 10000;

QString display(qint64 uploadedAt)
{
    return u'v' + clock::toDateTime(uploadedAt).toString(u"yyyyMMddHHmmss"_qs);
}

// The version of ?version=<id> (or the latest); 400 validation_error when malformed, 404 when
// unknown.
const files::Version &pickVersion(const files::File &file, const QString &versionId)
{
    if (versionId.isEmpty())
        return file.latest();
    if (!isCanonicalUuid(versionId.toLower()))
        throw ApiError::validationField(u"version"_qs, u"Must be a valid UUID."_qs);
    for (const files::Version &v : file.versions)
        if (v.id == versionId.toLower())
            return v;
    throw ApiError::objectNotFound();
}

ProjectAccess projectFor(Context &ctx, ProjectAction action)
{
    Permissions permissions(ctx.services.database.connection(), &ctx.user());
    return permissions.requireProject(ctx.param(u"project_id"_qs), action);
}

} // namespace

QJsonObject FilesHandler::fileJson(const Project &project, const files::File &file,
                                   bool withVersions)
{
    const files::Version &latest = file.latest();
    QJsonObject o{{u"name"_qs, file.name},
                  {u"size"_qs, latest.size},
                  {u"uploaded_at"_qs, clock::formatApi(file.createdAt)},
                  {u"is_attachment"_qs, files::ProjectFiles::isAttachment(project, file.name)},
                  {u"md5sum"_qs, latest.etag},
                  {u"last_modified"_qs, clock::formatLegacy(latest.uploadedAt)},
                  {u"sha256"_qs, latest.sha256}};
    if (withVersions) {
        QJsonArray versions;
        for (const files::Version &v : file.versions)
            versions.append(QJsonObject{{u"version_id"_qs, v.id},
                                        {u"md5sum"_qs, v.etag},
                                        {u"size"_qs, v.size},
                                        {u"uploaded_at"_qs, clock::formatApi(v.uploadedAt)},
                                        {u"display"_qs, display(v.uploadedAt)},
                                        {u"is_latest"_qs, v.id == latest.id},
                                        {u"last_modified"_qs, clock::formatLegacy(v.uploadedAt)},
                                        {u"sha256"_qs, v.sha256}});
        o.insert(u"versions"_qs, versions);
    }
    return o;
}

http::Response FilesHandler::list(Context &ctx)
{
    const ProjectAccess pa = projectFor(ctx, ProjectAction::View);
    QJsonArray out;
    const QList<files::File> all =
        files::ofProject(ctx.services.database.connection(), pa.project.id);
    for (const files::File &f : all)
        out.append(fileJson(pa.project, f, true));
    return Pagination(ctx.request).respond(out);
}

http::Response FilesHandler::metadata(Context &ctx)
{
    const ProjectAccess pa = projectFor(ctx, ProjectAction::View);
    const auto file =
        files::byName(ctx.services.database.connection(), pa.project.id, ctx.param(u"path"_qs));
    if (!file)
        throw ApiError::objectNotFound();
    return http::Response::json(fileJson(pa.project, *file, true));
}

http::Response FilesHandler::download(Context &ctx)
{
    const ProjectAccess pa = projectFor(ctx, ProjectAction::View);
    const QString path = ctx.param(u"path"_qs);
    const auto file = files::byName(ctx.services.database.connection(), pa.project.id, path);
    if (!file)
        throw ApiError::objectNotFound();
    const files::Version &v = pickVersion(*file, ctx.query(u"version"_qs));
    return serveBlob(ctx.request, ctx.services.store, Blob{v.sha256, v.etag, v.size}, path,
                     "application/octet-stream");
}

http::Response FilesHandler::upload(Context &ctx)
{
    Permissions permissions(ctx.services.database.connection(), &ctx.user());
    const ProjectAccess pa =
        permissions.requireProject(ctx.param(u"project_id"_qs), ProjectAction::UploadFiles);
    // Exactly one part named "file"; other parts (QField's "text", QFieldSync's "json") ignored.
    std::shared_ptr<http::UploadedFile> part;
    for (const auto &f : std::as_const(ctx.request.files)) {
        if (f->fieldName() != u"file")
            continue;
        if (part)
            throw ApiError::multipleContents();
        part = f;
    }
    if (!part)
        throw ApiError::emptyContent();
    const QString path = ctx.param(u"path"_qs);
    const ClientType clientType = ctx.auth ? ctx.auth->clientType : ClientType::Unknown;
    ctx.services.projectFiles.upload(pa, permissions, path,
                                     {part->tempPath(), part->digest(),
                                      [part] {
                                          part->release();
                                      }},
                                     clientType, ctx.user().id);
    http::Response r = http::Response::json(QJsonObject{}, 201);
    QString location = u"/api/v1/files/"_qs + pa.project.id + u'/' + path + u'/';
    r.headers.set("Location", QUrl(location).toEncoded());
    return r;
}

http::Response FilesHandler::remove(Context &ctx)
{
    const ProjectAccess pa = projectFor(ctx, ProjectAction::DeleteFiles);
    QString version = ctx.query(u"version"_qs);
    if (version.isEmpty())
        version = QString::fromLatin1(ctx.request.header("X-File-Version"));
    if (!version.isEmpty() && !isCanonicalUuid(version.toLower()))
        throw ApiError::validationField(u"version"_qs, u"Must be a valid UUID."_qs);
    ctx.services.projectFiles.remove(pa, ctx.param(u"path"_qs),
                                     version.isEmpty() ? std::nullopt
                                                       : std::optional<QString>(version.toLower()));
    return http::Response::empty(204);
}

http::Response FilesHandler::thumbnail(Context &ctx)
{
    const ProjectAccess pa = projectFor(ctx, ProjectAction::View);
    if (!pa.project.thumbnailSha256)
        throw ApiError::objectNotFound();
    std::unique_ptr<QIODevice> device = ctx.services.store.open(*pa.project.thumbnailSha256);
    if (!device)
        throw ApiError::objectNotFound();
    http::Response r;
    r.headers.set("Content-Type", pa.project.thumbnailType.toLatin1());
    r.streamLength = device->size();
    r.stream = std::move(device);
    return r;
}

http::Response FilesHandler::uploadThumbnail(Context &ctx)
{
    Permissions permissions(ctx.services.database.connection(), &ctx.user());
    const ProjectAccess pa =
        permissions.requireProject(ctx.param(u"project_id"_qs), ProjectAction::UploadFiles);
    if (!ctx.request.isMultipart)
        throw ApiError::apiError(415);
    std::shared_ptr<http::UploadedFile> part;
    for (const auto &f : std::as_const(ctx.request.files))
        if (f->fieldName() == u"thumbnail")
            part = f;
    auto invalid = [](const QString &why) {
        return ApiError::apiError(400, QJsonObject{{u"thumbnail"_qs, QJsonArray{why}}});
    };
    if (!part)
        throw invalid(u"No file was submitted."_qs);
    if (part->digest().size > kThumbnailMaxBytes)
        throw invalid(u"The image is larger than 5 MiB."_qs);
    QFile image(part->tempPath());
    if (!image.open(QIODevice::ReadOnly))
        throw ApiError::unknown();
    const std::optional<files::ImageInfo> info = files::readImageInfo(image);
    image.close();
    if (!info)
        throw invalid(u"Only PNG and JPEG images are accepted."_qs);
    if (info->width > kThumbnailMaxSide || info->height > kThumbnailMaxSide)
        throw invalid(u"The image is larger than 10000 pixels on a side."_qs);
    part->release();
    ctx.services.store.putFromUpload(part->tempPath(), part->digest());
    db::Transaction tx(ctx.services.database);
    projects::setThumbnail(tx.connection(), pa.project.id, part->digest().sha256,
                           QString::fromLatin1(info->mimeType));
    tx.commit();
    return http::Response::empty(204);
}

} // namespace qfc::api
