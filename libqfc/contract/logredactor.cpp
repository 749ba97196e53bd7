#include "logredactor.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QRegularExpression>

#include <algorithm>

namespace qfc::contract {

void LogRedactor::addSecretValue(const QString &value)
{
    if (value.isEmpty() || m_secrets.contains(value))
        return;
    m_secrets.append(value);
    std::stable_sort(m_secrets.begin(), m_secrets.end(),
                     [](const QString &a, const QString &b) { return a.size() > b.size(); });
}

bool LogRedactor::addSecretsFromEnvironment(const QProcessEnvironment &environment, QString *error)
{
    const QString names = environment.value(ExtraEnvvarsVariable);
    if (names.trimmed().isEmpty())
        return true;
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(names.toUtf8(), &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isArray()) {
        if (error)
            *error = QStringLiteral("%1 is not a JSON array").arg(ExtraEnvvarsVariable);
        return false;
    }
    const QJsonArray array = document.array();
    QStringList values;
    for (const QJsonValue &name : array) {
        if (!name.isString()) {
            if (error)
                *error = QStringLiteral("%1 holds a non-string name").arg(ExtraEnvvarsVariable);
            return false;
        }
        values.append(environment.value(name.toString()));
    }
    for (const QString &value : std::as_const(values))
        addSecretValue(value);
    return true;
}

QString LogRedactor::redactPasswords(const QString &text)
{
    static const QRegularExpression password(QStringLiteral("(?:password=')(.*?)(?:')"),
                                             QRegularExpression::CaseInsensitiveOption);
    QString result = text;
    result.replace(password, Replacement);
    return result;
}

QString LogRedactor::redact(const QString &text) const
{
    QString result = text;
    for (const QString &secret : m_secrets)
        result.replace(secret, Replacement);
    return redactPasswords(result);
}

} // namespace qfc::contract
