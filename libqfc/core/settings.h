#pragma once

#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <QUrl>
#include <QVariant>

#include <stdexcept>

namespace qfc {

// Thrown for unknown keys and bad values; the text is meant for the operator as is.
class SettingsError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

// A network in CIDR form, e.g. 10.0.0.0/8 or ::1/128.
struct Subnet
{
    QHostAddress address;
    int prefix = 0;
    bool contains(const QHostAddress &other) const { return other.isInSubnet(address, prefix); }
};

// The one settings class. Every setting has a config-file key ("section/name" = `name` under
// `[section]`), a QFC_* environment variable and a documented default. Precedence: command line >
// environment > config file > default. Unknown keys and bad values throw SettingsError.
class Settings
{
public:
    enum class Type { String, Int, Bool, Bytes, HostPort, Url, SubnetList, LogLevel, Path };

    struct Definition
    {
        QString key; // "server/listen"
        QString env; // "QFC_LISTEN"
        Type type;
        QString defaultValue; // in the same text form the file and environment take
        QString description;
        qint64 minimum = 0; // Int and Bytes
        qint64 maximum = std::numeric_limits<qint64>::max();
        bool secret = false; // redacted in the start-up summary
    };

    static const QList<Definition> &definitions();

    // Builds the settings: defaults, then `configFile` (INI; may be empty), then `env`, then
    // `overrides` (key → text, from the command line). Relative paths resolve against the data
    // directory (which itself resolves against the current directory).
    static Settings load(const QString &configFile, const QProcessEnvironment &env,
                         const QHash<QString, QString> &overrides = {});

    // Defaults plus overrides only (tests).
    static Settings fromOverrides(const QHash<QString, QString> &overrides);

    QVariant value(const QString &key) const;
    QString text(const QString &key) const { return value(key).toString(); }
    qint64 integer(const QString &key) const { return value(key).toLongLong(); }
    bool flag(const QString &key) const { return value(key).toBool(); }

    // Typed accessors for the settings the foundation reads.
    QString dataDir() const { return text(u"storage/data_dir"_qs); }
    QString databaseUrl() const; // the configured URL or sqlite:<data_dir>/qfc.sqlite3
    QHostAddress listenAddress() const;
    quint16 listenPort() const;
    QUrl publicUrl() const { return value(u"server/public_url"_qs).toUrl(); }
    QList<Subnet> trustedProxies() const;
    qint64 maxBodyBytes() const { return integer(u"server/max_body_bytes"_qs); }
    qint64 maxUploadBytes() const { return integer(u"server/max_upload_bytes"_qs); }
    QString logFile() const; // "" when logging to stderr only

    // One line per setting, secrets redacted (logged at start-up).
    QStringList summary() const;
    // The documented list (for --help-settings and docs/configuration.md).
    static QString documentation();

private:
    void set(const Definition &def, const QString &text, const QString &origin);

    QHash<QString, QVariant> m_values;
    QHash<QString, QString> m_origins;
};

} // namespace qfc
