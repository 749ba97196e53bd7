#include "clisupport.h"

#include "core/logging.h"

#include <QCoreApplication>
#include <QFile>

#include <cstdio>

namespace qfc::cli {

const QSet<QString> kCommonOptions{u"--data-dir"_qs, u"--database-url"_qs, u"--config"_qs};

QString tr(const char *text)
{
    // lupdate files these calls under the namespace, "qfc::cli".
    return QCoreApplication::translate("qfc::cli", text);
}

void out(const QString &text)
{
    std::fputs(text.toLocal8Bit().constData(), stdout);
    std::fputs("\n", stdout);
    std::fflush(stdout);
}

void err(const QString &text)
{
    std::fputs(text.toLocal8Bit().constData(), stderr);
    std::fputs("\n", stderr);
    std::fflush(stderr);
}

Options parse(const QStringList &args, const QSet<QString> &valueOptions,
              const QSet<QString> &flagOptions, int maxPositional)
{
    Options o;
    const QSet<QString> values = valueOptions + kCommonOptions;
    for (qsizetype i = 0; i < args.size(); ++i) {
        QString a = args[i];
        if (!a.startsWith(u"--")) {
            if (o.positional.size() >= maxPositional) {
                o.error = tr("unexpected argument %1").arg(a);
                return o;
            }
            o.positional << a;
            continue;
        }
        QString inlineValue;
        const qsizetype eq = a.indexOf(u'=');
        if (eq > 0) {
            inlineValue = a.mid(eq + 1);
            a = a.left(eq);
        }
        if (values.contains(a)) {
            if (eq > 0) {
                o.values.insert(a, inlineValue);
            } else if (i + 1 < args.size()) {
                o.values.insert(a, args[++i]);
            } else {
                o.error = tr("%1 needs a value").arg(a);
                return o;
            }
        } else if (flagOptions.contains(a) && eq < 0) {
            o.flags.insert(a);
        } else {
            o.error = tr("unknown option %1").arg(args[i]);
            return o;
        }
    }
    return o;
}

Settings loadSettings(const Options &o, QHash<QString, QString> overrides)
{
    if (o.values.contains(u"--data-dir"_qs))
        overrides.insert(u"storage/data_dir"_qs, o.values.value(u"--data-dir"_qs));
    if (o.values.contains(u"--database-url"_qs))
        overrides.insert(u"database/url"_qs, o.values.value(u"--database-url"_qs));
    const QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    QString config = o.values.value(u"--config"_qs, env.value(u"QFC_CONFIG"_qs));
    if (config.isEmpty()) {
        // The default file lives in the data directory, which the file cannot move.
        const Settings probe = Settings::load(QString(), env, overrides);
        const QString candidate = probe.dataDir() + u"/qfc.ini"_qs;
        if (QFile::exists(candidate))
            config = candidate;
    }
    return Settings::load(config, env, overrides);
}

void setUpLogging(const Settings &s)
{
    logging::Level level = logging::Level::Info;
    logging::parseLevel(s.text(u"log/level"_qs), &level);
    logging::install(level, s.logFile());
}

} // namespace qfc::cli
