#include "cli.h"

#include "auth/authservice.h"
#include "auth/userrepository.h"
#include "core/logging.h"
#include "core/names.h"
#include "core/settings.h"
#include "db/database.h"
#include "db/migrator.h"
#include "db/transaction.h"
#include "instance.h"
#include "platform/signals.h"
#include "platform/terminal.h"

#include <QCoreApplication>
#include <QFile>
#include <QSet>
#include <QTextStream>

#include <cstdio>

namespace qfc::cli {

namespace {

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

QString usage()
{
    return tr(
        "Usage: qfc-server <command> [options]\n"
        "\n"
        "Commands:\n"
        "  serve        Run the server.\n"
        "               [--listen HOST:PORT] [--public-url URL] [--no-migrate]\n"
        "  migrate      Bring the database schema up to date. [--dry-run]\n"
        "  createuser   Create a person; the password is read from standard input.\n"
        "               --username NAME --email ADDRESS [--superuser] [--staff]\n"
        "  createsuperuser  The same as createuser --superuser.\n"
        "\n"
        "Options of every command:\n"
        "  --data-dir DIR       Data directory (SQLite database, files, logs).\n"
        "  --database-url URL   sqlite:PATH or postgresql://USER:PASSWORD@HOST:PORT/NAME\n"
        "  --config FILE        Configuration file (INI); default DIR/qfc.ini if present.\n"
        "\n"
        "  --help               This text.\n"
        "  --help-settings      Every setting with its key, environment variable and default.\n"
        "  --version            The version.");
}

// Parsed `--name value` / `--flag` options after the command.
struct Options
{
    QHash<QString, QString> values;
    QSet<QString> flags;
    QString error;
};

Options parse(const QStringList &args, const QSet<QString> &valueOptions,
              const QSet<QString> &flagOptions)
{
    Options o;
    for (qsizetype i = 0; i < args.size(); ++i) {
        QString a = args[i];
        QString inlineValue;
        const qsizetype eq = a.indexOf(u'=');
        if (a.startsWith(u"--") && eq > 0) {
            inlineValue = a.mid(eq + 1);
            a = a.left(eq);
        }
        if (valueOptions.contains(a)) {
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

const QSet<QString> kCommon{u"--data-dir"_qs, u"--database-url"_qs, u"--config"_qs};

Settings loadSettings(const Options &o, QHash<QString, QString> overrides = {})
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

int serve(const QStringList &args)
{
    const Options o = parse(args, kCommon + QSet<QString>{u"--listen"_qs, u"--public-url"_qs},
                            {u"--no-migrate"_qs});
    if (!o.error.isEmpty()) {
        err(o.error);
        return 2;
    }
    QHash<QString, QString> overrides;
    if (o.values.contains(u"--listen"_qs))
        overrides.insert(u"server/listen"_qs, o.values.value(u"--listen"_qs));
    if (o.values.contains(u"--public-url"_qs))
        overrides.insert(u"server/public_url"_qs, o.values.value(u"--public-url"_qs));
    const Settings settings = loadSettings(o, overrides);
    setUpLogging(settings);
    qCInfo(lcServer).noquote() << "qfc-server" << QFC_VERSION << "starting";
    const QStringList summary = settings.summary();
    for (const QString &line : summary)
        qCInfo(lcServer).noquote() << "setting" << line;

    Instance instance(settings);
    instance.start(!o.flags.contains(u"--no-migrate"_qs));
    if (const auto &password = instance.createdAdminPassword()) {
        out(tr("Created the administrator account.\n"
               "  username: %1\n"
               "  password: %2\n"
               "This password is shown only once: keep it safe.")
                .arg(settings.text(u"auth/admin_username"_qs), *password));
    }
    out(tr("QFC is listening on %1 (port %2). Stop it with Ctrl+C.")
            .arg(settings.listenAddress().toString())
            .arg(instance.port()));
    platform::onTerminationRequest([&instance] {
        qCInfo(lcServer) << "stopping";
        instance.stop();
        QCoreApplication::quit();
    });
    return QCoreApplication::exec();
}

int migrate(const QStringList &args)
{
    const Options o = parse(args, kCommon, {u"--dry-run"_qs});
    if (!o.error.isEmpty()) {
        err(o.error);
        return 2;
    }
    const Settings settings = loadSettings(o);
    setUpLogging(settings);
    auto database = Instance::openDatabase(settings);
    db::Migrator migrator(*database);
    const bool dryRun = o.flags.contains(u"--dry-run"_qs);
    const int before = migrator.currentVersion();
    const QList<db::Migrator::Migration> steps = migrator.migrate(dryRun);
    if (steps.isEmpty()) {
        out(tr("The database schema is up to date (version %1).").arg(before));
        return 0;
    }
    for (const auto &m : steps)
        out((dryRun ? tr("would apply %1_%2") : tr("applied %1_%2"))
                .arg(m.version, 4, 10, QChar(u'0'))
                .arg(m.name));
    return 0;
}

int createUser(const QStringList &args, bool superuser)
{
    const Options o = parse(args, kCommon + QSet<QString>{u"--username"_qs, u"--email"_qs},
                            {u"--superuser"_qs, u"--staff"_qs});
    if (!o.error.isEmpty()) {
        err(o.error);
        return 2;
    }
    const QString username = o.values.value(u"--username"_qs);
    const QString email = o.values.value(u"--email"_qs);
    if (username.isEmpty() || email.isEmpty()) {
        err(tr("createuser needs --username and --email"));
        return 2;
    }
    if (const QString why = names::checkUsername(username); !why.isEmpty()) {
        err(tr("invalid username: %1").arg(why));
        return 2;
    }
    if (!email.contains(u'@')) {
        err(tr("invalid e-mail address: %1").arg(email));
        return 2;
    }
    const Settings settings = loadSettings(o);
    setUpLogging(settings);
    auto database = Instance::openDatabase(settings);
    db::Migrator(*database).migrate();

    const std::optional<QString> password = platform::readSecretLine(tr("Password: "));
    if (!password || password->isEmpty()) {
        err(tr("no password given on standard input"));
        return 2;
    }
    if (platform::stdinIsTerminal()) {
        const std::optional<QString> again = platform::readSecretLine(tr("Password (again): "));
        if (!again || *again != *password) {
            err(tr("the passwords do not match"));
            return 2;
        }
    }
    AuthService auth(*database, Instance::authOptions(settings));
    User user;
    user.username = username;
    user.email = email;
    user.isSuperuser = superuser || o.flags.contains(u"--superuser"_qs);
    user.isStaff = user.isSuperuser || o.flags.contains(u"--staff"_qs);
    user.password = auth.hashPassword(*password);
    db::Transaction tx(*database, db::Transaction::Write);
    if (users::usernameTaken(tx.connection(), username)) {
        err(tr("the username %1 is taken").arg(username));
        return 1;
    }
    if (users::emailTaken(tx.connection(), email)) {
        err(tr("the e-mail address %1 is already in use").arg(email));
        return 1;
    }
    users::insert(tx.connection(), user);
    tx.commit();
    out(tr("Created user %1.").arg(username));
    return 0;
}

} // namespace

int run(const QStringList &arguments)
{
    const QStringList args = arguments.mid(1);
    if (args.isEmpty() || args.first() == u"--help" || args.first() == u"-h"
        || args.first() == u"help") {
        out(usage());
        return args.isEmpty() ? 2 : 0;
    }
    if (args.first() == u"--version") {
        out(u"qfc-server "_qs + QStringLiteral(QFC_VERSION));
        return 0;
    }
    if (args.first() == u"--help-settings") {
        out(tr("Settings: config-file key (in its [section]), environment variable, default.")
            + Settings::documentation());
        return 0;
    }
    const QString command = args.first();
    const QStringList rest = args.mid(1);
    if (rest.contains(u"--help"_qs)) {
        out(usage());
        return 0;
    }
    try {
        if (command == u"serve")
            return serve(rest);
        if (command == u"migrate")
            return migrate(rest);
        if (command == u"createuser")
            return createUser(rest, false);
        if (command == u"createsuperuser")
            return createUser(rest, true);
    } catch (const SettingsError &e) {
        err(tr("configuration error: %1").arg(QString::fromUtf8(e.what())));
        return 2;
    } catch (const std::exception &e) {
        err(tr("error: %1").arg(QString::fromUtf8(e.what())));
        return 1;
    }
    err(tr("unknown command %1").arg(command));
    err(usage());
    return 2;
}

} // namespace qfc::cli
