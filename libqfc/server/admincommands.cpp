#include "admincommands.h"

#include "auth/authservice.h"
#include "auth/userrepository.h"
#include "clisupport.h"
#include "core/names.h"
#include "db/database.h"
#include "db/migrator.h"
#include "db/transaction.h"
#include "instance.h"
#include "jobs/secrets.h"
#include "platform/terminal.h"
#include "projects/organizations.h"
#include "projects/plans.h"
#include "projects/projectrepository.h"

#include <QRegularExpression>

namespace qfc::cli {

namespace {

// A failure the operator has to fix; exits 1 (2 for usage errors) with the message.
struct CommandError
{
    QString message;
    int code = 1;
};

std::optional<bool> parseYesNo(const QString &text)
{
    const QString t = text.toLower();
    if (t == u"yes" || t == u"true" || t == u"1" || t == u"on")
        return true;
    if (t == u"no" || t == u"false" || t == u"0" || t == u"off")
        return false;
    return std::nullopt;
}

bool yesNo(const Options &o, const QString &name, bool fallback)
{
    if (!o.values.contains(name))
        return fallback;
    const auto v = parseYesNo(o.value(name));
    if (!v)
        throw CommandError{tr("%1 takes yes or no").arg(name), 2};
    return *v;
}

qint64 number(const Options &o, const QString &name, qint64 fallback, qint64 minimum)
{
    if (!o.values.contains(name))
        return fallback;
    bool ok = false;
    const qint64 v = o.value(name).toLongLong(&ok);
    if (!ok || v < minimum)
        throw CommandError{tr("%1 takes a number from %2").arg(name).arg(minimum), 2};
    return v;
}

User person(const QSqlDatabase &db, const QString &name)
{
    const auto u = users::byUsername(db, name);
    if (!u || !u->isPerson())
        throw CommandError{tr("no person named %1").arg(name)};
    return *u;
}

orgs::Organization organization(const QSqlDatabase &db, const QString &name)
{
    const auto o = orgs::byName(db, name);
    if (!o)
        throw CommandError{tr("no organization named %1").arg(name)};
    return *o;
}

// Everything a command needs: settings, a migrated database.
struct Session
{
    Settings settings;
    std::unique_ptr<db::Database> database;
};

Session open(const Options &o)
{
    Session s{loadSettings(o), nullptr};
    setUpLogging(s.settings);
    s.database = Instance::openDatabase(s.settings);
    db::Migrator(*s.database).migrate();
    return s;
}

void need(const Options &o, int positional, const char *usage)
{
    if (!o.error.isEmpty())
        throw CommandError{o.error, 2};
    if (o.positional.size() != positional)
        throw CommandError{tr("usage: qfc-server %1").arg(QString::fromLatin1(usage)), 2};
}

int userCommand(const QStringList &args)
{
    const QString sub = args.value(0);
    if (sub == u"list") {
        const Options o = parse(args.mid(1), {}, {});
        need(o, 0, "user list");
        Session s = open(o);
        users::Search all;
        all.personsOnly = true;
        const QList<User> people = users::search(s.database->connection(), all);
        for (const User &u : people)
            out(QStringLiteral("%1\t%2\t%3%4%5")
                    .arg(u.username, u.email, u.isActive ? u"active"_qs : u"inactive"_qs,
                         u.isStaff ? u" staff"_qs : QString(),
                         u.isSuperuser ? u" superuser"_qs : QString()));
        return 0;
    }
    if (sub == u"set") {
        const Options o = parse(args.mid(1),
                                {u"--active"_qs, u"--staff"_qs, u"--superuser"_qs, u"--email"_qs,
                                 u"--first-name"_qs, u"--last-name"_qs},
                                {u"--password-stdin"_qs}, 1);
        need(o, 1,
             "user set USERNAME [--password-stdin] [--active yes|no] [--staff yes|no] "
             "[--superuser yes|no] [--email ADDRESS] [--first-name NAME] [--last-name NAME]");
        Session s = open(o);
        AuthService auth(*s.database, Instance::authOptions(s.settings));
        QString hash;
        if (o.flags.contains(u"--password-stdin"_qs)) {
            const auto password = platform::readSecretLine(tr("Password: "));
            if (!password || password->isEmpty())
                throw CommandError{tr("no password given on standard input"), 2};
            hash = auth.hashPassword(*password);
        }
        db::Transaction tx(*s.database);
        User u = person(tx.connection(), o.positional[0]);
        u.isActive = yesNo(o, u"--active"_qs, u.isActive);
        u.isStaff = yesNo(o, u"--staff"_qs, u.isStaff);
        u.isSuperuser = yesNo(o, u"--superuser"_qs, u.isSuperuser);
        if (o.values.contains(u"--email"_qs)) {
            for (const User &other :
                 users::personsByEmailCi(tx.connection(), o.value(u"--email"_qs)))
                if (other.id != u.id)
                    throw CommandError{
                        tr("the e-mail address %1 is already in use").arg(o.value(u"--email"_qs))};
            u.email = o.value(u"--email"_qs);
        }
        if (o.values.contains(u"--first-name"_qs))
            u.firstName = o.value(u"--first-name"_qs);
        if (o.values.contains(u"--last-name"_qs))
            u.lastName = o.value(u"--last-name"_qs);
        users::update(tx.connection(), u);
        if (!hash.isEmpty())
            users::setPassword(tx.connection(), u.id, hash);
        // A deactivated person, or a new password, ends the sessions.
        if (!u.isActive || !hash.isEmpty())
            tokens::expireAll(tx.connection(), u.id);
        tx.commit();
        out(tr("Updated %1.").arg(u.username));
        return 0;
    }
    throw CommandError{tr("usage: qfc-server user list|set ..."), 2};
}

int orgCommand(const QStringList &args)
{
    const QString sub = args.value(0);
    if (sub == u"create") {
        const Options o = parse(args.mid(1), {u"--owner"_qs, u"--email"_qs}, {}, 1);
        need(o, 1, "org create NAME --owner USERNAME [--email ADDRESS]");
        const QString name = o.positional[0];
        if (const QString why = names::checkUsername(name); !why.isEmpty())
            throw CommandError{tr("invalid organization name: %1").arg(why), 2};
        Session s = open(o);
        db::Transaction tx(*s.database);
        const User owner = person(tx.connection(), o.value(u"--owner"_qs));
        if (users::usernameTaken(tx.connection(), name))
            throw CommandError{tr("the username %1 is taken").arg(name)};
        orgs::create(tx.connection(), name, o.value(u"--email"_qs), owner.id);
        tx.commit();
        out(tr("Created organization %1 owned by %2.").arg(name, owner.username));
        return 0;
    }
    if (sub == u"set") {
        const Options o = parse(args.mid(1), {u"--owner"_qs, u"--default-member-role"_qs}, {}, 1);
        need(o, 1, "org set NAME [--owner USERNAME] [--default-member-role ROLE|none]");
        Session s = open(o);
        db::Transaction tx(*s.database);
        const orgs::Organization org = organization(tx.connection(), o.positional[0]);
        if (o.values.contains(u"--owner"_qs))
            orgs::setOwner(tx.connection(), org.account.id,
                           person(tx.connection(), o.value(u"--owner"_qs)).id);
        if (o.values.contains(u"--default-member-role"_qs)) {
            const QString r = o.value(u"--default-member-role"_qs);
            const auto role = projectRoleFromName(r);
            if (!role && r != u"none")
                throw CommandError{tr("roles: reader, reporter, editor, manager, admin, none"), 2};
            orgs::setDefaultMemberRole(tx.connection(), org.account.id, role);
        }
        tx.commit();
        out(tr("Updated %1.").arg(org.account.username));
        return 0;
    }
    if (sub == u"show") {
        const Options o = parse(args.mid(1), {}, {}, 1);
        need(o, 1, "org show NAME");
        Session s = open(o);
        QSqlDatabase db = s.database->connection();
        const orgs::Organization org = organization(db, o.positional[0]);
        out(tr("owner: %1").arg(org.ownerName));
        for (const orgs::Member &m : orgs::members(db, org.account.id))
            out(QStringLiteral("member: %1\t%2%3")
                    .arg(m.username, organizationRoleName(m.role),
                         m.isPublic ? u"\tpublic"_qs : QString()));
        for (const orgs::Team &t : orgs::teams(db, org.account.id))
            out(QStringLiteral("team: %1\t%2")
                    .arg(t.name, orgs::teamMembers(db, t.id).join(u", "_qs)));
        return 0;
    }
    if (sub == u"member") {
        const QString action = args.value(1);
        const Options o = parse(args.mid(2), {u"--role"_qs, u"--public"_qs}, {}, 2);
        need(o, 2,
             "org member add|set|remove ORGANIZATION USERNAME [--role admin|creator|member] "
             "[--public yes|no]");
        Session s = open(o);
        db::Transaction tx(*s.database);
        QSqlDatabase db = tx.connection();
        const orgs::Organization org = organization(db, o.positional[0]);
        const User p = person(db, o.positional[1]);
        const auto existing = orgs::member(db, org.account.id, p.id);
        std::optional<OrganizationRole> role;
        if (o.values.contains(u"--role"_qs)) {
            role = organizationRoleFromName(o.value(u"--role"_qs));
            if (!role)
                throw CommandError{tr("roles: admin, creator, member"), 2};
        }
        if (action == u"add") {
            if (p.id == org.ownerId || existing)
                throw CommandError{
                    tr("%1 already belongs to %2").arg(p.username, org.account.username)};
            orgs::addMember(db, org.account.id, p.id, role.value_or(OrganizationRole::Member),
                            yesNo(o, u"--public"_qs, false));
        } else if (action == u"set" || action == u"remove") {
            if (!existing)
                throw CommandError{
                    tr("%1 is not a member of %2").arg(p.username, org.account.username)};
            if (action == u"set")
                orgs::updateMember(db, org.account.id, p.id, role.value_or(existing->role),
                                   yesNo(o, u"--public"_qs, existing->isPublic));
            else
                orgs::removeMember(db, org.account.id, p.id);
        } else {
            throw CommandError{tr("usage: qfc-server org member add|set|remove ..."), 2};
        }
        tx.commit();
        out(tr("Updated %1.").arg(org.account.username));
        return 0;
    }
    throw CommandError{tr("usage: qfc-server org create|set|show|member ..."), 2};
}

int teamCommand(const QStringList &args)
{
    const QString sub = args.value(0);
    const bool member = sub == u"member";
    const QString action = member ? args.value(1) : sub;
    const Options o = parse(args.mid(member ? 2 : 1), {}, {}, member ? 3 : 2);
    if (member)
        need(o, 3, "team member add|remove ORGANIZATION TEAM USERNAME");
    else
        need(o, 2, "team create|delete ORGANIZATION TEAM");
    static const QRegularExpression teamName(u"^[-a-zA-Z0-9_]{1,100}$"_qs);
    Session s = open(o);
    db::Transaction tx(*s.database);
    QSqlDatabase db = tx.connection();
    const orgs::Organization org = organization(db, o.positional[0]);
    const QString name = o.positional[1];
    const auto team = orgs::team(db, org.account.id, name);
    if (!member && action == u"create") {
        if (!teamName.match(name).hasMatch())
            throw CommandError{tr("team names use letters, digits, - and _"), 2};
        if (team)
            throw CommandError{tr("the team %1 exists").arg(name)};
        orgs::createTeam(db, org, name);
    } else if (!team) {
        throw CommandError{tr("no team %1 in %2").arg(name, org.account.username)};
    } else if (!member && action == u"delete") {
        orgs::deleteTeam(db, team->id);
    } else if (member && (action == u"add" || action == u"remove")) {
        const User p = person(db, o.positional[2]);
        if (action == u"add") {
            if (!orgs::standing(db, org.account.id, p.id).isMemberOrOwner())
                throw CommandError{
                    tr("%1 is not a member of %2").arg(p.username, org.account.username)};
            if (!orgs::isTeamMember(db, team->id, p.id))
                orgs::addTeamMember(db, team->id, p.id);
        } else {
            orgs::removeTeamMember(db, team->id, p.id);
        }
    } else {
        throw CommandError{tr("usage: qfc-server team create|delete|member ..."), 2};
    }
    tx.commit();
    out(tr("Updated %1.").arg(org.account.username));
    return 0;
}

const QSet<QString> kPlanOptions{
    u"--display-name"_qs,      u"--storage-mb"_qs, u"--keep-versions"_qs, u"--max-members"_qs,
    u"--max-collaborators"_qs, u"--premium"_qs,    u"--external-db"_qs};

void applyPlanOptions(const Options &o, plans::Plan &p)
{
    if (o.values.contains(u"--display-name"_qs))
        p.displayName = o.value(u"--display-name"_qs);
    p.storageMb = number(o, u"--storage-mb"_qs, p.storageMb, 0);
    p.keepVersions = int(number(o, u"--keep-versions"_qs, p.keepVersions, 1));
    p.maxOrganizationMembers = int(number(o, u"--max-members"_qs, p.maxOrganizationMembers, -1));
    p.maxCollaboratorsPerPrivateProject =
        int(number(o, u"--max-collaborators"_qs, p.maxCollaboratorsPerPrivateProject, -1));
    p.isPremium = yesNo(o, u"--premium"_qs, p.isPremium);
    p.externalDbSupported = yesNo(o, u"--external-db"_qs, p.externalDbSupported);
}

int planCommand(const QStringList &args)
{
    const QString sub = args.value(0);
    if (sub == u"list") {
        const Options o = parse(args.mid(1), {}, {});
        need(o, 0, "plan list");
        Session s = open(o);
        for (const plans::Plan &p : plans::all(s.database->connection()))
            out(QStringLiteral("%1\t%2\tstorage %3 MB\tkeep %4 versions\tmembers %5\t"
                               "collaborators %6%7%8")
                    .arg(p.code, p.displayName)
                    .arg(p.storageMb)
                    .arg(p.keepVersions)
                    .arg(p.maxOrganizationMembers)
                    .arg(p.maxCollaboratorsPerPrivateProject)
                    .arg(p.isPremium ? u"\tpremium"_qs : QString(),
                         p.isDefault ? u"\tdefault"_qs : QString()));
        return 0;
    }
    if (sub == u"create" || sub == u"set") {
        const Options o = parse(args.mid(1), kPlanOptions, {u"--default"_qs}, 1);
        need(o, 1,
             "plan create|set CODE [--display-name NAME] [--storage-mb N] [--keep-versions N] "
             "[--max-members N] [--max-collaborators N] [--premium yes|no] "
             "[--external-db yes|no] [--default]");
        Session s = open(o);
        db::Transaction tx(*s.database);
        const QString code = o.positional[0];
        const auto existing = plans::byCode(tx.connection(), code);
        if (sub == u"create" && existing)
            throw CommandError{tr("the plan %1 exists").arg(code)};
        if (sub == u"set" && !existing)
            throw CommandError{tr("no plan %1").arg(code)};
        plans::Plan p = existing.value_or(
            plans::Plan{0, code, code, false, false, 1000, 10, 0, 0, -1, -1, true});
        applyPlanOptions(o, p);
        if (existing)
            plans::update(tx.connection(), p);
        else
            plans::create(tx.connection(), p);
        if (o.flags.contains(u"--default"_qs))
            plans::setDefault(tx.connection(), code);
        tx.commit();
        out(tr("Saved plan %1.").arg(code));
        return 0;
    }
    if (sub == u"assign") {
        const Options o = parse(args.mid(1), {u"--status"_qs}, {}, 2);
        need(o, 2, "plan assign ACCOUNT CODE [--status STATUS]");
        Session s = open(o);
        db::Transaction tx(*s.database);
        const auto account = users::byUsername(tx.connection(), o.positional[0]);
        if (!account || account->type == User::Team)
            throw CommandError{tr("no person or organization named %1").arg(o.positional[0])};
        const auto plan = plans::byCode(tx.connection(), o.positional[1]);
        if (!plan)
            throw CommandError{tr("no plan %1").arg(o.positional[1])};
        plans::assign(tx.connection(), account->id, plan->id);
        if (o.values.contains(u"--status"_qs)) {
            if (!plans::isValidStatus(o.value(u"--status"_qs)))
                throw CommandError{
                    tr("unknown subscription status %1").arg(o.value(u"--status"_qs)), 2};
            const auto sub0 = plans::subscriptionOf(tx.connection(), account->id);
            plans::setStatus(tx.connection(), account->id, o.value(u"--status"_qs),
                             sub0.activeSince, sub0.activeUntil);
        }
        tx.commit();
        out(tr("%1 is on plan %2.").arg(account->username, plan->code));
        return 0;
    }
    throw CommandError{tr("usage: qfc-server plan list|create|set|assign ..."), 2};
}

int secretCommand(const QStringList &args)
{
    const QString sub = args.value(0);
    const Options o =
        parse(args.mid(1), {u"--project"_qs, u"--org"_qs, u"--type"_qs, u"--assigned-to"_qs}, {},
              sub == u"list" ? 0 : 1);
    if (!o.error.isEmpty())
        throw CommandError{o.error, 2};
    if (o.values.contains(u"--project"_qs) == o.values.contains(u"--org"_qs))
        throw CommandError{tr("give either --project PROJECT_ID or --org ORGANIZATION"), 2};
    Session s = open(o);
    std::optional<QString> projectId;
    std::optional<qint64> orgId;
    if (o.values.contains(u"--project"_qs)) {
        const auto project =
            projects::byId(s.database->connection(), o.value(u"--project"_qs).toLower());
        if (!project)
            throw CommandError{tr("no project %1").arg(o.value(u"--project"_qs))};
        projectId = project->id;
    } else {
        orgId = organization(s.database->connection(), o.value(u"--org"_qs)).account.id;
    }
    std::optional<qint64> assigned;
    if (o.values.contains(u"--assigned-to"_qs))
        assigned = person(s.database->connection(), o.value(u"--assigned-to"_qs)).id;
    if (sub == u"list") {
        for (const secrets::Secret &secret :
             secrets::list(s.database->connection(), projectId, orgId)) {
            QString who;
            if (secret.assignedTo)
                if (const auto u = users::byId(s.database->connection(), *secret.assignedTo))
                    who = u"\t"_qs + u->username;
            out(secret.name + u'\t' + secret.type + who);
        }
        return 0;
    }
    if (o.positional.size() != 1)
        throw CommandError{tr("usage: qfc-server secret set|rm NAME (--project ID | --org NAME) "
                              "[--type envvar|pgservice] [--assigned-to USERNAME]"),
                           2};
    const QString name = o.positional[0];
    if (sub == u"rm") {
        if (!secrets::remove(s.database->connection(), name, projectId, orgId, assigned))
            throw CommandError{tr("no secret %1 there").arg(name)};
        out(tr("Removed secret %1.").arg(name));
        return 0;
    }
    if (sub != u"set")
        throw CommandError{tr("usage: qfc-server secret set|list|rm ..."), 2};
    if (!secrets::isValidName(name))
        throw CommandError{
            tr("secret names are upper case letters, digits and _, starting with a letter"), 2};
    const QString type = o.values.value(u"--type"_qs, u"envvar"_qs);
    if (type != u"envvar" && type != u"pgservice")
        throw CommandError{tr("--type is envvar or pgservice"), 2};
    // The value from standard input (a pg_service.conf block spans several lines).
    QString value;
    if (type == u"pgservice") {
        while (const auto line = platform::readSecretLine(QString()))
            value += *line + u'\n';
    } else if (const auto line = platform::readSecretLine(tr("Value: "))) {
        value = *line;
    }
    if (value.trimmed().isEmpty())
        throw CommandError{tr("no value given on standard input"), 2};
    secrets::Secret secret;
    secret.name = name;
    secret.type = type;
    secret.projectId = projectId;
    secret.organizationId = orgId;
    secret.assignedTo = assigned;
    secret.value = value;
    const auto keys = Instance::openKeyRing(s.settings);
    db::Transaction tx(*s.database);
    secrets::set(tx.connection(), *keys, secret);
    tx.commit();
    out(tr("Saved secret %1.").arg(name));
    return 0;
}

} // namespace

QString adminUsage()
{
    return tr(
        "Operator commands:\n"
        "  user list | user set USERNAME [--password-stdin] [--active yes|no]\n"
        "       [--staff yes|no] [--superuser yes|no] [--email A] [--first-name N] [--last-name "
        "N]\n"
        "  org create NAME --owner USERNAME [--email A] | org show NAME\n"
        "  org set NAME [--owner USERNAME] [--default-member-role ROLE|none]\n"
        "  org member add|set|remove ORG USERNAME [--role admin|creator|member] [--public yes|no]\n"
        "  team create|delete ORG TEAM | team member add|remove ORG TEAM USERNAME\n"
        "  plan list | plan create|set CODE [--display-name N] [--storage-mb N]\n"
        "       [--keep-versions N] [--max-members N] [--max-collaborators N]\n"
        "       [--premium yes|no] [--external-db yes|no] [--default]\n"
        "  plan assign ACCOUNT CODE [--status STATUS]\n"
        "  secret list (--project ID | --org NAME)\n"
        "  secret set NAME (--project ID | --org NAME) [--type envvar|pgservice]\n"
        "       [--assigned-to USERNAME]   (the value is read from standard input)\n"
        "  secret rm NAME (--project ID | --org NAME) [--assigned-to USERNAME]");
}

std::optional<int> runAdminCommand(const QString &command, const QStringList &args)
{
    try {
        if (command == u"user")
            return userCommand(args);
        if (command == u"org")
            return orgCommand(args);
        if (command == u"team")
            return teamCommand(args);
        if (command == u"plan")
            return planCommand(args);
        if (command == u"secret")
            return secretCommand(args);
    } catch (const CommandError &e) {
        err(e.message);
        return e.code;
    } catch (const secrets::SecretError &e) {
        err(QString::fromUtf8(e.what()));
        return 1;
    }
    return std::nullopt;
}

} // namespace qfc::cli
