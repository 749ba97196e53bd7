#pragma once

#include <QLatin1String>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace qfc::contract {

// The environment variable that lists the names of the secret variables the runner passes
// (spec/worker.md §1.2, §2.1): a JSON array of names, sorted.
inline constexpr QLatin1String ExtraEnvvarsVariable("QFIELDCLOUD_EXTRA_ENVVARS");

// Redacts log text before it is written (spec/worker.md §1.3, §2.1):
// - upstream's rule: every match of the case-insensitive pattern (?:password=')(.*?)(?:') — the
//   whole `password='…'`, key included — becomes "***";
// - QFC's addition: every occurrence of the value of a secret environment variable (the names
//   listed in QFIELDCLOUD_EXTRA_ENVVARS) becomes "***". Longer values are replaced first.
class LogRedactor
{
public:
    static inline const QString Replacement = QStringLiteral("***");

    LogRedactor() = default;

    // Adds a secret value; empty values are ignored.
    void addSecretValue(const QString &value);
    // Adds the values of the variables named in QFIELDCLOUD_EXTRA_ENVVARS. Returns false (and
    // adds nothing) when the variable is set but is not a JSON array of strings; unset or
    // empty means no secrets. Names whose variable is unset or empty are skipped.
    bool addSecretsFromEnvironment(const QProcessEnvironment &environment,
                                   QString *error = nullptr);

    const QStringList &secretValues() const { return m_secrets; }

    QString redact(const QString &text) const;

    // Only upstream's password rule.
    static QString redactPasswords(const QString &text);

private:
    QStringList m_secrets; // longest first
};

} // namespace qfc::contract
