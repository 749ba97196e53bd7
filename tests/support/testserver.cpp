#include "testserver.h"

#include "auth/authservice.h"
#include "auth/userrepository.h"
#include "core/settings.h"
#include "db/database.h"
#include "server/instance.h"
#include "testenv.h"

#include <QElapsedTimer>
#include <QFile>
#include <QRegularExpression>
#include <QTest>

namespace qfc::test {

namespace {

// The environment of a qfc-server process started by a test: the QFC_* settings of the test's
// own environment removed (QFC_TEST_* kept), few password iterations, the English messages the
// tests read, then `env`.
QProcessEnvironment serverEnvironment(const QHash<QString, QString> &env)
{
    QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
    const QStringList keys = e.keys();
    for (const QString &k : keys)
        if (k.startsWith(u"QFC_") && !k.startsWith(u"QFC_TEST_"))
            e.remove(k);
    e.insert(u"QFC_PASSWORD_ITERATIONS"_qs, u"1000"_qs);
    e.insert(u"LANG"_qs, u"C.UTF-8"_qs);
    e.remove(u"LC_ALL"_qs);
    e.remove(u"LANGUAGE"_qs);
    for (auto it = env.cbegin(); it != env.cend(); ++it)
        e.insert(it.key(), it.value());
    return e;
}

} // namespace

CommandRun runServerCommand(const QStringList &args, const QByteArray &stdinData,
                            const QHash<QString, QString> &env)
{
    QProcess p;
    p.setProcessEnvironment(serverEnvironment(env));
    p.start(serverBinary(), args);
    p.waitForStarted();
    p.write(stdinData);
    p.closeWriteChannel();
    p.waitForFinished(120000);
    return {p.exitCode(), QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

TestServer::TestServer(const QHash<QString, QString> &settings)
{
    QHash<QString, QString> s{
        {u"storage/data_dir"_qs, m_dir.path()},       {u"server/listen"_qs, u"127.0.0.1:0"_qs},
        {u"auth/password_iterations"_qs, u"1000"_qs}, {u"log/file"_qs, u"none"_qs},
        {u"server/io_threads"_qs, u"2"_qs},           {u"server/handler_threads"_qs, u"4"_qs}};
    for (auto it = settings.cbegin(); it != settings.cend(); ++it)
        s.insert(it.key(), it.value());
    if (!s.contains(u"database/url"_qs))
        s.insert(u"database/url"_qs, freshDatabaseUrl(m_dir.path()));
    m_databaseUrl = s.value(u"database/url"_qs);
    m_instance = std::make_unique<Instance>(Settings::fromOverrides(s));
    m_instance->start();
    m_adminPassword = m_instance->createdAdminPassword().value_or(QString());
}

TestServer::~TestServer()
{
    m_instance->stop();
}

quint16 TestServer::port() const
{
    return m_instance->port();
}

QUrl TestServer::baseUrl() const
{
    return QUrl(QStringLiteral("http://127.0.0.1:%1/api/v1/").arg(port()));
}

qint64 TestServer::createUser(const QString &username, const QString &password,
                              const QString &email)
{
    User u;
    u.username = username;
    u.email = email.isEmpty() ? username + u"@example.com"_qs : email;
    u.password = m_instance->auth().hashPassword(password);
    return users::insert(m_instance->database().connection(), u).id;
}

QString TestServer::login(const QString &username, const QString &password,
                          const QByteArray &userAgent)
{
    auto c = client();
    c->setUserAgent(userAgent);
    const Reply r =
        c->postJson(u"auth/token/"_qs, {{u"username"_qs, username}, {u"password"_qs, password}});
    if (r.status != 200)
        qWarning() << "login of" << username << "failed:" << r.status << r.body;
    return r.object().value(u"token"_qs).toString();
}

std::unique_ptr<HttpClient> TestServer::client(const QString &token) const
{
    auto c = std::make_unique<HttpClient>(baseUrl());
    c->setToken(token);
    return c;
}

ServerProcess::ServerProcess(const QString &dataDir, const QString &databaseUrl,
                             const QStringList &extraArgs, const QHash<QString, QString> &env)
    : m_dataDir(dataDir)
{
    QStringList args{u"serve"_qs, u"--listen"_qs, u"127.0.0.1:0"_qs, u"--data-dir"_qs, dataDir};
    if (!databaseUrl.isEmpty())
        args << u"--database-url"_qs << databaseUrl;
    args << extraArgs;
    m_process.setProgram(serverBinary());
    m_process.setArguments(args);
    m_process.setProcessChannelMode(QProcess::MergedChannels);
    m_process.setProcessEnvironment(serverEnvironment(env));
}

ServerProcess::~ServerProcess()
{
    if (m_process.state() != QProcess::NotRunning)
        stop();
}

bool ServerProcess::start(int timeoutMs)
{
    m_port = 0;
    m_process.start();
    if (!m_process.waitForStarted(timeoutMs))
        return false;
    static const QRegularExpression re(u"\\(port (\\d+)\\)"_qs);
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeoutMs) {
        const auto m = re.match(output());
        if (m.hasMatch()) {
            m_port = quint16(m.captured(1).toUInt());
            return true;
        }
        if (m_process.state() == QProcess::NotRunning)
            return false;
        m_process.waitForReadyRead(200);
    }
    return false;
}

QString ServerProcess::output()
{
    m_output += m_process.readAll();
    return QString::fromUtf8(m_output);
}

int ServerProcess::stop(int timeoutMs)
{
    m_process.terminate();
    if (!m_process.waitForFinished(timeoutMs)) {
        m_process.kill();
        m_process.waitForFinished();
    }
    output();
    return m_process.exitCode();
}

void ServerProcess::kill()
{
    m_process.kill();
    m_process.waitForFinished();
    output();
}

QUrl ServerProcess::baseUrl() const
{
    return QUrl(QStringLiteral("http://127.0.0.1:%1/api/v1/").arg(m_port));
}

qint64 ServerProcess::rssKiB() const
{
    QFile f(QStringLiteral("/proc/%1/status").arg(m_process.processId()));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QList<QByteArray> lines = f.readAll().split('\n');
    for (const QByteArray &line : lines)
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong();
    return -1;
}

} // namespace qfc::test
