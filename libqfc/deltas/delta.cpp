#include "delta.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace qfc::deltas {

QString apiStatus(const QString &lastStatus)
{
    static const QHash<QString, QString> names{{status::Pending, u"STATUS_PENDING"_qs},
                                               {status::Started, u"STATUS_BUSY"_qs},
                                               {status::Applied, u"STATUS_APPLIED"_qs},
                                               {status::Conflict, u"STATUS_CONFLICT"_qs},
                                               {status::NotApplied, u"STATUS_NOT_APPLIED"_qs},
                                               {status::Error, u"STATUS_ERROR"_qs},
                                               {status::Ignored, u"STATUS_IGNORED"_qs},
                                               {status::Unpermitted, u"STATUS_UNPERMITTED"_qs}};
    return names.value(lastStatus, u"STATUS_ERROR"_qs);
}

QString statusFromWorker(const QString &workerStatus)
{
    if (workerStatus == u"status_applied")
        return status::Applied;
    if (workerStatus == u"status_conflict")
        return status::Conflict;
    if (workerStatus == u"status_apply_failed")
        return status::NotApplied;
    return status::Error;
}

std::optional<QString> outputText(const std::optional<QJsonObject> &feedback)
{
    if (!feedback)
        return std::nullopt;
    const QJsonValue msg = feedback->value(u"msg"_qs);
    if (!msg.isString())
        return QString::fromUtf8(QJsonDocument(*feedback).toJson(QJsonDocument::Compact));
    QStringList lines{msg.toString()};
    for (const QString &key : {u"conflicts"_qs, u"provider_errors"_qs}) {
        const QJsonArray list = feedback->value(key).toArray();
        for (const QJsonValue &v : list)
            lines << (v.isString()
                          ? v.toString()
                          : QString::fromUtf8(
                              QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact)));
    }
    return lines.join(u'\n');
}

QJsonObject Delta::contentObject() const
{
    return QJsonDocument::fromJson(content.toUtf8()).object();
}

} // namespace qfc::deltas
