#pragma once

#include "core/settings.h"

#include <QHash>
#include <QSet>
#include <QStringList>

namespace qfc::cli {

// A user-facing message of the command line, translated (context "qfc::cli").
QString tr(const char *text);
void out(const QString &text);
void err(const QString &text);

// `--name value` (or --name=value) options, `--flag`s and positional arguments after a command.
struct Options
{
    QHash<QString, QString> values;
    QSet<QString> flags;
    QStringList positional;
    QString error;

    QString value(const QString &name) const { return values.value(name); }
    bool has(const QString &name) const { return values.contains(name) || flags.contains(name); }
};

// The options every command takes: --data-dir, --database-url, --config.
extern const QSet<QString> kCommonOptions;

Options parse(const QStringList &args, const QSet<QString> &valueOptions,
              const QSet<QString> &flagOptions, int maxPositional = 0);
// Settings from the command line's common options, the environment and the configuration file.
Settings loadSettings(const Options &o, QHash<QString, QString> overrides = {});
void setUpLogging(const Settings &s);

} // namespace qfc::cli
