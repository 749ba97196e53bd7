#include "cli.h"

#include "admincommands.h"
#include "auth/authservice.h"
#include "auth/userrepository.h"
#include "clisupport.h"
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

int serve(const QStringList &args)
{
    const Options o =
        parse(args, QSet<QString>{u"--listen"_qs, u"--public-url"_qs}, {u"--no-migrate"_qs});
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
    // Before the announcement: a supervisor may stop the server as soon as it reads it.
    platform::onTerminationRequest([&instance] {
        qCInfo(lcServer) << "stopping";
        instance.stop();
        QCoreApplication::quit();
    });
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
    return QCoreApplication::exec();
}

int migrate(const QStringList &args)
{
    const Options o = parse(args, {}, {u"--dry-run"_qs});
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
    const Options o = parse(args, QSet<QString>{u"--username"_qs, u"--email"_qs},
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
        out(usage() + u"\n\n"_qs + adminUsage());
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
        out(usage() + u"\n\n"_qs + adminUsage());
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
        if (const std::optional<int> code = runAdminCommand(command, rest))
            return *code;
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
