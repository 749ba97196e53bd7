#include "apierror.h"

#include <QJsonArray>

namespace qfc {

ApiError::ApiError(int status, QString code, QString message, QJsonObject details)
    : m_status(status)
    , m_code(std::move(code))
    , m_message(std::move(message))
    , m_details(std::move(details))
    , m_what(QString(m_code + u": "_qs + m_message).toUtf8())
{ }

QJsonObject ApiError::toJson() const
{
    QJsonObject body{{u"code"_qs, m_code}, {u"message"_qs, m_message}};
    if (!m_details.isEmpty())
        body.insert(u"details"_qs, m_details);
    return body;
}

ApiError ApiError::unknown()
{
    return {500, u"unknown_error"_qs, u"QFieldcloud Unknown Error"_qs};
}
ApiError ApiError::apiError(int status, QJsonObject details)
{
    return {status, u"api_error"_qs, u"API Error"_qs, std::move(details)};
}
ApiError ApiError::authenticationFailed()
{
    return {401, u"authentication_failed"_qs, u"Authentication failed"_qs};
}
ApiError ApiError::tokenAuthenticationFailed()
{
    return {401, u"token_authentication_failed"_qs, u"Token authentication failed"_qs};
}
ApiError ApiError::notAuthenticated()
{
    return {401, u"not_authenticated"_qs, u"Not authenticated"_qs};
}
ApiError ApiError::tooManyFailedLoginAttempts()
{
    return {401, u"too_many_failed_login_attempts"_qs, u"Too many failed login attempts!"_qs};
}
ApiError ApiError::permissionDenied()
{
    return {403, u"permission_denied"_qs, u"Permission denied"_qs};
}
ApiError ApiError::objectNotFound()
{
    return {404, u"object_not_found"_qs, u"Object not found"_qs};
}
ApiError ApiError::validation(QJsonObject details)
{
    return {400, u"validation_error"_qs, u"Validation error"_qs, std::move(details)};
}
ApiError ApiError::validationField(const QString &field, const QString &problem)
{
    return validation(QJsonObject{{field, QJsonArray{problem}}});
}
ApiError ApiError::emptyContent()
{
    return {400, u"empty_content"_qs, u"Empty content"_qs};
}
ApiError ApiError::multipleContents()
{
    return {400, u"multiple_contents"_qs, u"Multiple contents"_qs};
}
ApiError ApiError::explicitDeletionOfLastVersion()
{
    return {400, u"explicit_deletion_of_last_version"_qs,
            u"Explicit deletion of last file version is not allowed!"_qs};
}
ApiError ApiError::invalidQgisProjectFile()
{
    return {400, u"invalid_qgis_project_file"_qs, u"Invalid QGIS project file"_qs};
}
ApiError ApiError::multipleProjects()
{
    return {400, u"multiple_projects"_qs, u"Multiple projects"_qs};
}
ApiError ApiError::restrictedProjectModification()
{
    return {403, u"restricted_project_modification"_qs, u"Restricted project modification"_qs};
}
ApiError ApiError::qgisProjectFileNotAllowed()
{
    return {400, u"qgis_project_file_not_allowed"_qs,
            u"QGIS project files are not allowed in this project."_qs};
}
ApiError ApiError::invalidDeltafile(const QString &message)
{
    return {400, u"invalid_deltafile"_qs, message};
}
ApiError ApiError::noQgisProject()
{
    return {400, u"no_qgis_project"_qs,
            u"The project does not contain a valid QGIS project file"_qs};
}
ApiError ApiError::invalidJob()
{
    return {400, u"invalid_job"_qs, u"Invalid job"_qs};
}
ApiError ApiError::projectAlreadyExists()
{
    return {400, u"project_already_exists"_qs,
            u"This user already owns a project with the same name."_qs};
}
ApiError ApiError::notCloneableProject()
{
    return {400, u"not_cloneable_project"_qs, u"This project cannot be cloned."_qs};
}
ApiError ApiError::operationNotAllowedForTemplateProject()
{
    return {400, u"operation_not_allowed_for_template_project"_qs,
            u"This operation is not allowed on a template project."_qs};
}
ApiError ApiError::invalidHttpRange()
{
    return {416, u"invalid_http_range"_qs, u"The provided HTTP range header is invalid."_qs};
}
ApiError ApiError::overQuota()
{
    return {402, u"over_quota"_qs, u"Quota error"_qs};
}
ApiError ApiError::inactiveSubscription()
{
    return {403, u"inactive_subscription"_qs,
            u"Permission denied because the subscription is inactive"_qs};
}
ApiError ApiError::planInsufficient()
{
    return {403, u"permission_denied_plan_insufficient"_qs,
            u"Permission denied because the useraccount's plan is insufficient"_qs};
}
ApiError ApiError::accountInactive()
{
    return {403, u"permission_denied_inactive"_qs,
            u"Permission denied because the useraccount is inactive"_qs};
}
ApiError ApiError::organizationHasMaxNumberOfMembers()
{
    return {403, u"organization_has_max_number_of_members"_qs,
            u"Cannot add new organization members, account limit has been reached."_qs};
}
ApiError ApiError::notFound()
{
    return {404, u"not_found"_qs, u"Not found"_qs};
}
ApiError ApiError::methodNotAllowed()
{
    return apiError(405);
}
ApiError ApiError::payloadTooLarge()
{
    return {413, u"payload_too_large"_qs, u"Request body too large"_qs};
}
ApiError ApiError::notSupported(const QString &message)
{
    return {400, u"not_supported"_qs, message};
}

} // namespace qfc
