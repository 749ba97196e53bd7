// Runs the hand-written permission matrix (tests/data/permissions/matrix.txt): every row against
// a fresh world of accounts, organizations and projects, over real HTTP.
#include "auth/tokens.h"
#include "auth/userrepository.h"
#include "core/clock.h"
#include "db/database.h"
#include "db/transaction.h"
#include "deltas/deltarepository.h"
#include "files/filerepository.h"
#include "files/filestore.h"
#include "projects/collaborators.h"
#include "projects/organizations.h"
#include "projects/projectrepository.h"
#include "server/instance.h"
#include "testenv.h"
#include "testserver.h"

#include <QBuffer>
#include <QFile>
#include <QRegularExpression>
#include <QTest>
#include <QUuid>

using namespace qfc;
using namespace qfc::test;

namespace {

const QString kMissing = u"00000000-0000-4000-8000-000000000000"_qs;

struct Row
{
    int line = 0;
    QByteArray method;
    QString path;
    QString role;
    QString expectPrivate;
    QString expectPublic;
};

QList<Row> readMatrix()
{
    QFile f(qEnvironmentVariable("QFC_TEST_TESTS_DIR") + u"/data/permissions/matrix.txt"_qs);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read the permission matrix");
    QList<Row> rows;
    int line = 0;
    static const QRegularExpression space(u"\\s+"_qs);
    while (!f.atEnd()) {
        ++line;
        const QString text = QString::fromUtf8(f.readLine()).trimmed();
        if (text.isEmpty() || text.startsWith(u'#'))
            continue;
        const QStringList c = text.split(space);
        if (c.size() != 5)
            qFatal("matrix.txt:%d: expected 5 columns", line);
        rows.append({line, c[0].toLatin1(), c[1], c[2], c[3], c[4]});
    }
    return rows;
}

// One isolated world per row: all names carry the row's suffix.
struct World
{
    QString suffix;
    QHash<QString, qint64> ids; // role → person id
    QHash<QString, QString> names;
    QString org;
    QString personalProject;
    QString orgProject;
    QString deltafile; // the deltafile id of each project's delta
    QHash<QString, QString> deltas; // project id → its delta (status error)

    QString name(const QString &role) const { return names.value(role); }
};

World buildWorld(Instance &instance, int row, bool isPublic)
{
    World w;
    w.suffix = QString::number(row) + (isPublic ? u"p"_qs : u"q"_qs);
    db::Transaction tx(instance.database());
    QSqlDatabase db = tx.connection();
    const QStringList people{
        u"owner"_qs,     u"stranger"_qs,    u"reader"_qs,     u"reporter"_qs,
        u"editor"_qs,    u"manager"_qs,     u"admin"_qs,      u"org_owner"_qs,
        u"org_admin"_qs, u"org_creator"_qs, u"org_member"_qs, u"team_member"_qs,
        u"staff"_qs,     u"other"_qs,       u"candidate"_qs,  u"newcomer"_qs};
    for (const QString &role : people) {
        User u;
        u.username = QString(role).remove(u'_') + w.suffix;
        u.email = u.username + u"@example.com"_qs;
        u.isStaff = role == u"staff";
        u = users::insert(db, u);
        w.ids.insert(role, u.id);
        w.names.insert(role, u.username);
    }
    w.org = u"org"_qs + w.suffix;
    const orgs::Organization org = orgs::create(db, w.org, QString(), w.ids[u"org_owner"_qs]);
    orgs::addMember(db, org.account.id, w.ids[u"org_admin"_qs], OrganizationRole::Admin, false);
    orgs::addMember(db, org.account.id, w.ids[u"org_creator"_qs], OrganizationRole::Creator, false);
    orgs::addMember(db, org.account.id, w.ids[u"org_member"_qs], OrganizationRole::Member, true);
    orgs::addMember(db, org.account.id, w.ids[u"team_member"_qs], OrganizationRole::Member, false);
    orgs::addMember(db, org.account.id, w.ids[u"candidate"_qs], OrganizationRole::Member, false);
    const orgs::Team team = orgs::createTeam(db, org, u"field"_qs);
    orgs::addTeamMember(db, team.id, w.ids[u"team_member"_qs]);

    Project personal;
    personal.ownerId = w.ids[u"owner"_qs];
    personal.name = u"survey"_qs;
    personal.isPublic = isPublic;
    w.personalProject = projects::insert(db, personal).id;
    const std::pair<const char *, ProjectRole> roles[] = {{"reader", ProjectRole::Reader},
                                                          {"reporter", ProjectRole::Reporter},
                                                          {"editor", ProjectRole::Editor},
                                                          {"manager", ProjectRole::Manager},
                                                          {"admin", ProjectRole::Admin}};
    for (const auto &[role, projectRole] : roles)
        collaborators::add(db, w.personalProject, w.ids[QString::fromLatin1(role)], projectRole,
                           w.ids[u"owner"_qs]);
    Project orgProject;
    orgProject.ownerId = org.account.id;
    orgProject.name = u"network"_qs;
    orgProject.isPublic = isPublic;
    w.orgProject = projects::insert(db, orgProject).id;
    collaborators::add(db, w.orgProject, team.id, ProjectRole::Editor, w.ids[u"org_owner"_qs]);
    // Every project holds data.gpkg.
    QBuffer content;
    content.setData("matrix data");
    content.open(QIODevice::ReadOnly);
    const ContentDigest digest = instance.store().putFromDevice(content).digest;
    for (const QString &pid : {w.personalProject, w.orgProject})
        files::addVersion(db, pid, u"data.gpkg"_qs, digest, w.ids[u"owner"_qs], clock::nowUs());
    // ... and a QGIS file, with one delta pushed before (spec/api.md §11).
    w.deltafile = QUuid::createUuid().toString(QUuid::WithoutBraces);
    for (const QString &pid : {w.personalProject, w.orgProject}) {
        files::addVersion(db, pid, u"project.qgs"_qs, digest, w.ids[u"owner"_qs], clock::nowUs());
        projects::filesChanged(db, pid, u"project.qgs"_qs, clock::nowUs(), false, 0);
        deltas::Delta d;
        d.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
        d.deltafileId = w.deltafile;
        d.projectId = pid;
        d.clientId = QUuid::createUuid().toString(QUuid::WithoutBraces);
        d.content = u"{}"_qs;
        d.createdBy = w.ids[u"owner"_qs];
        d.createdAt = d.updatedAt = clock::nowUs();
        d.lastStatus = u"error"_qs;
        deltas::insertIfNew(db, d);
        w.deltas.insert(pid, d.id);
    }
    tx.commit();
    return w;
}

bool usesOrgProject(const QString &role)
{
    return role.startsWith(u"org_") || role == u"team_member";
}

} // namespace

class tst_Permissions final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<TestServer> m_server;

private Q_SLOTS:
    void initTestCase() { m_server = std::make_unique<TestServer>(); }

    void cleanupTestCase()
    {
        m_server.reset();
        dropCreatedDatabases();
    }

    void matrix_data()
    {
        QTest::addColumn<int>("line");
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("role");
        QTest::addColumn<bool>("isPublic");
        QTest::addColumn<QString>("expected");
        const QList<Row> rows = readMatrix();
        for (const Row &r : rows) {
            const QString label =
                QStringLiteral("%1 %2 as %3").arg(QString::fromLatin1(r.method), r.path, r.role);
            QTest::addRow("%s (private)", qPrintable(label))
                << r.line << r.method << r.path << r.role << false << r.expectPrivate;
            if (r.expectPublic != u"-")
                QTest::addRow("%s (public)", qPrintable(label))
                    << r.line << r.method << r.path << r.role << true << r.expectPublic;
        }
    }

    void matrix()
    {
        QFETCH(int, line);
        QFETCH(QByteArray, method);
        QFETCH(QString, path);
        QFETCH(QString, role);
        QFETCH(bool, isPublic);
        QFETCH(QString, expected);

        const World w = buildWorld(m_server->instance(), line, isPublic);
        const bool orgSide = usesOrgProject(role);
        const QString pid = orgSide ? w.orgProject : w.personalProject;
        QString p = path;
        p.replace(u"{pid}"_qs, pid)
            .replace(u"{missing}"_qs, kMissing)
            .replace(u"{collab}"_qs,
                     orgSide ? u"@"_qs + w.org + u"/field"_qs : w.name(u"reader"_qs))
            .replace(u"{org}"_qs, w.org)
            .replace(u"{member}"_qs, w.name(u"org_member"_qs))
            .replace(u"{team}"_qs, u"field"_qs)
            .replace(u"{teammember}"_qs, w.name(u"team_member"_qs))
            .replace(u"{self}"_qs, role == u"anonymous" ? w.name(u"stranger"_qs) : w.name(role))
            .replace(u"{other}"_qs, w.name(u"other"_qs))
            .replace(u"{deltafile}"_qs, w.deltafile);

        // The request bodies (what clients send for these calls).
        QJsonObject body;
        if (p.startsWith(u"projects/?owner="_qs)) {
            const QString owner = p.mid(16);
            p = u"projects/"_qs;
            body = {{u"name"_qs, u"created"_qs},
                    {u"owner"_qs, owner == u"org" ? w.org : u"nosuchowner"_qs}};
        } else if (method == "POST" && p == u"projects/") {
            body = {{u"name"_qs, u"created"_qs}};
        } else if (p.startsWith(u"projects/") && method == "PATCH") {
            body = {{u"description"_qs, u"changed"_qs}};
        } else if (p.startsWith(u"projects/") && method == "PUT") {
            body = {{u"name"_qs, orgSide ? u"network"_qs : u"survey"_qs},
                    {u"description"_qs, u"put"_qs}};
        } else if (p.startsWith(u"collaborators/") && method == "POST") {
            body = {{u"collaborator"_qs, w.name(u"candidate"_qs)}, {u"role"_qs, u"reader"_qs}};
        } else if (p.startsWith(u"collaborators/") && method == "PATCH") {
            body = {{u"role"_qs, u"reporter"_qs}};
        } else if (p.startsWith(u"members/") && method == "POST") {
            body = {{u"member"_qs, w.name(u"newcomer"_qs)}};
        } else if (p.startsWith(u"members/") && method == "PATCH") {
            body = {{u"role"_qs, u"creator"_qs}};
        } else if (p.endsWith(u"/teams/") && method == "POST") {
            body = {{u"team"_qs, u"newteam"_qs}};
        } else if (p.contains(u"/teams/"_qs) && !p.contains(u"/members/"_qs)
                   && (method == "PUT" || method == "PATCH")) {
            body = {{u"team"_qs, u"renamed"_qs}};
        } else if (p.endsWith(u"/members/") && method == "POST") {
            body = {{u"member"_qs, w.name(u"candidate"_qs)}};
        } else if (p == u"users/" && method == "POST") {
            const QString made = u"made"_qs + w.suffix;
            body = {{u"username"_qs, made},
                    {u"password"_qs, u"pw-123456"_qs},
                    {u"email"_qs, QString(made + u"@example.com"_qs)}};
        } else if (p.startsWith(u"users/") && method == "PATCH") {
            body = {{u"first_name"_qs, u"Changed"_qs}};
        } else if (p.startsWith(u"deltas/")
                   && (p.endsWith(u"/reapply/") || p.endsWith(u"/ignore/"))) {
            body = {{u"delta_ids"_qs, QJsonArray{w.deltas.value(pid)}}};
        }

        QString token;
        if (role != u"anonymous") {
            const tokens::Issued issued =
                tokens::issue(m_server->instance().database().connection(), w.ids.value(role),
                              ClientType::Sdk, u"matrix"_qs, 3600LL * 1000000);
            token = issued.key;
        }
        auto client = m_server->client(token);
        Reply r;
        // Uploads are multipart: a file part, or the thumbnail image.
        if (method == "POST" && p.startsWith(u"files/")) {
            r = client->uploadFile(p, "uploaded");
        } else if (method == "POST" && p == u"deltas/"_qs + pid + u'/') {
            // A deltafile as QField pushes it: one create delta for the project.
            const QJsonObject delta{
                {u"uuid"_qs, QUuid::createUuid().toString(QUuid::WithoutBraces)},
                {u"clientId"_qs, QUuid::createUuid().toString(QUuid::WithoutBraces)},
                {u"localPk"_qs, u"1"_qs},
                {u"sourcePk"_qs, u""_qs},
                {u"localLayerId"_qs, u"layer"_qs},
                {u"sourceLayerId"_qs, u"layer"_qs},
                {u"method"_qs, u"create"_qs},
                {u"new"_qs,
                 QJsonObject{{u"geometry"_qs, QJsonValue::Null},
                             {u"attributes"_qs, QJsonObject{}}}}};
            const QJsonObject file{{u"version"_qs, u"1.0"_qs},
                                   {u"project"_qs, pid},
                                   {u"id"_qs, QUuid::createUuid().toString(QUuid::WithoutBraces)},
                                   {u"deltas"_qs, QJsonArray{delta}},
                                   {u"files"_qs, QJsonArray{}}};
            r = client->postMultipart(p,
                                      {{"text", {}, "{}", nullptr, {}},
                                       {"file", "deltafile.json", QJsonDocument(file).toJson(),
                                        nullptr, "application/json"}});
        } else if (method == "POST" && p.endsWith(u"/thumbnail/")) {
            const QByteArray png =
                QByteArray("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x10\0\0\0\x10", 24)
                + QByteArray(40, '\0');
            r = client->postMultipart(p, {{"thumbnail", "t.png", png, nullptr, "image/png"}});
        } else {
            r = client->send(method, p,
                             body.isEmpty() ? QByteArray()
                                            : QJsonDocument(body).toJson(QJsonDocument::Compact),
                             body.isEmpty() ? QByteArray() : QByteArray("application/json"));
        }
        const QString got = r.status >= 400 ? QString::number(r.status) + u':' + r.code()
                                            : QString::number(r.status);
        QVERIFY2(got == expected,
                 qPrintable(QStringLiteral("matrix.txt:%1: %2 %3 as %4 → %5, expected %6 (%7)")
                                .arg(line)
                                .arg(QString::fromLatin1(method), p, role, got, expected,
                                     QString::fromUtf8(r.body.left(300)))));
    }
};

QTEST_GUILESS_MAIN(tst_Permissions)
#include "tst_permissions.moc"
