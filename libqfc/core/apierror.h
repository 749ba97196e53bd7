#pragma once

#include <QJsonObject>
#include <QString>

#include <exception>

namespace qfc {

// The one error type of QFC's API: services throw it, the HTTP layer renders it once as
// {"code", "message"[, "details"]} with its status (spec/api.md §1.10, §19.1, §19.2).
// `message` is the fixed English text of the code; only a few codes carry a variable one.
class ApiError : public std::exception
{
public:
    ApiError(int status, QString code, QString message, QJsonObject details = {});

    int status() const { return m_status; }
    const QString &code() const { return m_code; }
    const QString &message() const { return m_message; }
    const QJsonObject &details() const { return m_details; }
    const char *what() const noexcept override { return m_what.constData(); }

    // The JSON body clients see.
    QJsonObject toJson() const;

    // One factory per code of spec/api.md §1.10 with its fixed message.
    static ApiError unknown();
    static ApiError apiError(int status, QJsonObject details = {});
    static ApiError authenticationFailed();
    static ApiError tokenAuthenticationFailed();
    static ApiError notAuthenticated();
    static ApiError tooManyFailedLoginAttempts();
    static ApiError permissionDenied();
    static ApiError objectNotFound();
    static ApiError validation(QJsonObject details = {});
    static ApiError validationField(const QString &field, const QString &problem);
    static ApiError emptyContent();
    static ApiError multipleContents();
    static ApiError explicitDeletionOfLastVersion();
    static ApiError invalidQgisProjectFile();
    static ApiError multipleProjects();
    static ApiError restrictedProjectModification();
    static ApiError qgisProjectFileNotAllowed();
    static ApiError invalidDeltafile(const QString &message);
    static ApiError noQgisProject();
    static ApiError invalidJob();
    static ApiError projectAlreadyExists();
    static ApiError notCloneableProject();
    static ApiError operationNotAllowedForTemplateProject();
    static ApiError invalidHttpRange();
    static ApiError overQuota();
    static ApiError inactiveSubscription();
    static ApiError planInsufficient();
    static ApiError accountInactive();
    static ApiError organizationHasMaxNumberOfMembers();
    // QFC additions (§19.1, §19.4, §19.12).
    static ApiError notFound();
    static ApiError methodNotAllowed();
    static ApiError payloadTooLarge();
    static ApiError notSupported(const QString &message);

private:
    int m_status;
    QString m_code;
    QString m_message;
    QJsonObject m_details;
    QByteArray m_what;
};

} // namespace qfc
