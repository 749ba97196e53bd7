#pragma once

#include <QJsonObject>
#include <QString>

#include <optional>

namespace qfc {

// A project row (spec/api.md §7.1 holds what the API derives from it).
struct Project
{
    QString id; // uuid
    qint64 ownerId = 0;
    QString ownerName; // the owner's username (joined)
    int ownerType = 1; // 1 person, 2 organization
    QString name;
    QString description;
    QString projectType = u"regular"_qs; // regular | template | shared_datasets
    bool isPublic = false;
    bool isFeatured = false;
    bool isAttachmentDownloadOnDemand = false;
    bool hasRestrictedProjectfiles = false;
    bool overwriteConflicts = true;
    QString packagingOffliner = u"pythonmini"_qs;
    std::optional<int> storageKeepVersions;
    std::optional<QString> theQgisFileName;
    std::optional<QJsonObject> projectDetails; // processed QGIS project details
    std::optional<QString> thumbnailSha256;
    QString thumbnailType;
    qint64 fileStorageBytes = 0;
    qint64 createdAt = 0;
    qint64 updatedAt = 0;
    std::optional<qint64> dataLastPackagedAt;
    std::optional<qint64> dataLastUpdatedAt;
    std::optional<qint64> restrictedDataLastUpdatedAt;

    bool isOrganizationProject() const { return ownerType == 2; }
    bool isTemplate() const { return projectType == u"template"; }
    bool isSharedDatasets() const { return projectType == u"shared_datasets"; }
};

} // namespace qfc
