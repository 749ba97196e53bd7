#include "applyjob.h"

#include "contract/workdir.h"
#include "core/clock.h"
#include "core/hashing.h"
#include "core/logging.h"
#include "datafiles.h"
#include "db/database.h"
#include "db/transaction.h"
#include "deltarepository.h"
#include "files/filerepository.h"
#include "files/filestore.h"
#include "jobs/jobrepository.h"
#include "projects/plans.h"
#include "projects/projectrepository.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>
#include <QSet>
#include <QUuid>

#include <cmath>

namespace qfc::deltas {

namespace {

QStringList projectFileNames(const QSqlDatabase &db, const QString &projectId)
{
    QStringList names;
    const QList<files::File> all = files::ofProject(db, projectId);
    for (const files::File &f : all)
        names << f.name;
    return names;
}

QString compact(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

// worker.md §5.2: the deltas (their uploaded text, in the job's order) and the clientPks map.
void writeDeltafile(const QString &path, const Project &project, const QStringList &contents,
                    const QHash<QString, QString> &pks)
{
    QJsonObject map;
    for (auto it = pks.cbegin(); it != pks.cend(); ++it)
        map.insert(it.key(), it.value());
    const QString text = u"{\"clientPks\":"_qs + compact(map) + u",\"deltas\":["_qs
        + contents.join(u',') + u"],\"files\":[],\"id\":\""_qs
        + QUuid::createUuid().toString(QUuid::WithoutBraces) + u"\",\"project\":\""_qs + project.id
        + u"\",\"version\":\"1.0\"}"_qs;
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(text.toUtf8()) < 0 || !f.commit())
        throw std::runtime_error("cannot write " + path.toStdString());
}

// modified_pk as text: numbers without a fraction as integers.
std::optional<QString> pkText(const QJsonValue &v)
{
    if (v.isString())
        return v.toString();
    if (v.isDouble()) {
        const double d = v.toDouble();
        if (std::floor(d) == d && std::abs(d) < 9007199254740992.0)
            return QString::number(qint64(d));
        return QString::number(d, 'g', 17);
    }
    if (v.isBool())
        return v.toBool() ? u"true"_qs : u"false"_qs;
    return std::nullopt;
}

void prepare(jobs::JobService &service, const Job &job, const Project &project, const QDir &workdir)
{
    db::Database &database = service.database();
    const contract::WorkDir layout(workdir.absolutePath());
    const QStringList names = projectFileNames(database.connection(), project.id);
    // The data files these deltas may change, and what the work directory holds of them (hashed
    // outside the transaction).
    QSet<QString> dataFiles;
    const QList<Attached> before = attachedTo(database.connection(), job.id);
    for (const Attached &a : before) {
        const LayerFile lf = layerFile(project, layerIdOf(a.delta.contentObject()), names);
        if (lf.kind == LayerFile::ProjectFile)
            dataFiles.insert(lf.name);
    }
    QHash<QString, QString> copied;
    for (const QString &name : std::as_const(dataFiles)) {
        bool ok = false;
        const ContentDigest digest = digestFile(QDir(layout.filesDir()).filePath(name), &ok);
        if (ok)
            copied.insert(name, digest.sha256);
    }

    db::Transaction tx(database);
    const QSqlDatabase &db = tx.connection();
    projects::lockForUpdate(db, project.id);
    const qint64 now = clock::nowUs();
    QStringList contents;
    QStringList clientIds;
    const QList<Attached> attached = attachedTo(db, job.id);
    for (const Attached &a : attached) {
        // Ignored or re-applied elsewhere since the job was created: not this job's any more.
        if (a.delta.lastStatus != status::Pending) {
            detach(db, job.id, a.deltaId);
            continue;
        }
        setStatus(db, a.deltaId, status::Started, a.delta.lastFeedback, a.delta.lastModifiedPk,
                  now);
        setAttachment(db, job.id, a.deltaId, status::Started, std::nullopt, std::nullopt);
        contents << a.delta.content;
        if (!clientIds.contains(a.delta.clientId))
            clientIds << a.delta.clientId;
    }
    for (const QString &name : std::as_const(dataFiles)) {
        const std::optional<files::File> file = files::byName(db, project.id, name);
        const bool current = file && copied.value(name) == file->latest().sha256;
        recordFileVersion(db, job.id, name,
                          current ? std::optional<QString>(file->latest().id) : std::nullopt);
    }
    const QHash<QString, QString> pks = clientPks(db, project.id, clientIds);
    tx.commit();
    writeDeltafile(layout.deltafile(), project, contents, pks);
    qCInfo(lcJobs).noquote() << QStringLiteral("delta_apply job %1: %2 deltas, %3 known client "
                                               "primary keys")
                                    .arg(job.id)
                                    .arg(contents.size())
                                    .arg(pks.size());
}

// One delta's outcome of a run.
struct Outcome
{
    QString deltaId;
    QJsonObject content;
    QString status;
    std::optional<QJsonObject> feedback;
    std::optional<QString> modifiedPk;
    QString layerId;

    void notStored(const QString &why)
    {
        status = status::Error;
        QJsonObject f = feedback.value_or(QJsonObject());
        f.insert(u"msg"_qs, why);
        f.insert(u"e_type"_qs, u"ERROR"_qs);
        f.insert(u"modified_pk"_qs, QJsonValue::Null);
        feedback = f;
        modifiedPk.reset();
    }
};

// A data file to store back.
struct WriteBack
{
    QString name;
    QString recordedVersion; // "" when the copy was not the latest version
    QList<int> outcomes; // indexes of the applied deltas it holds
    std::optional<ContentDigest> digest; // stored blob; unset when unchanged
};

void succeeded(jobs::JobService &service, const Job &job, const Project &project,
               const QDir &workdir, const QJsonObject &feedback)
{
    db::Database &database = service.database();
    const QSqlDatabase &conn = database.connection();
    const contract::WorkDir layout(workdir.absolutePath());
    const QJsonArray entries = feedback.value(u"outputs"_qs)
                                   .toObject()
                                   .value(u"apply_deltas"_qs)
                                   .toObject()
                                   .value(u"delta_feedback"_qs)
                                   .toArray();
    QHash<QString, QJsonObject> byDelta;
    for (const QJsonValue &e : entries)
        byDelta.insert(e.toObject().value(u"delta_id"_qs).toString().toLower(), e.toObject());

    QList<Outcome> outcomes;
    const QList<Attached> attached = attachedTo(conn, job.id);
    for (const Attached &a : attached) {
        if (a.status != status::Started)
            continue;
        Outcome o;
        o.deltaId = a.deltaId;
        o.content = a.delta.contentObject();
        o.layerId = layerIdOf(o.content);
        const auto it = byDelta.constFind(a.deltaId);
        if (it == byDelta.cend()) {
            o.status = status::Error;
            o.feedback =
                QJsonObject{{u"msg"_qs, u"The worker reported no result for this delta."_qs}};
        } else {
            o.status = statusFromWorker(it->value(u"status"_qs).toString());
            o.feedback = *it;
            o.modifiedPk = pkText(it->value(u"modified_pk"_qs));
            if (it->value(u"layer_id"_qs).isString())
                o.layerId = it->value(u"layer_id"_qs).toString();
        }
        outcomes.append(o);
    }

    // Write-back (worker.md §7.7): only the files behind layers with an applied delta.
    const QStringList names = projectFileNames(conn, project.id);
    const QHash<QString, QString> recorded = fileVersions(conn, job.id);
    QMap<QString, WriteBack> writeBacks;
    for (int i = 0; i < outcomes.size(); ++i) {
        Outcome &o = outcomes[i];
        if (o.status != status::Applied)
            continue;
        const LayerFile lf = layerFile(project, o.layerId, names);
        if (lf.kind == LayerFile::NotAFile)
            continue; // written to its database directly
        if (lf.kind != LayerFile::ProjectFile) {
            o.notStored(QStringLiteral("Not stored: the server does not know which project file "
                                       "holds layer \"%1\" (process the project again, then "
                                       "re-apply this delta).")
                            .arg(o.layerId));
            continue;
        }
        WriteBack &w = writeBacks[lf.name];
        w.name = lf.name;
        w.recordedVersion = recorded.value(lf.name);
        w.outcomes << i;
    }
    auto fail = [&outcomes](const WriteBack &w, const QString &why) {
        for (int i : w.outcomes)
            outcomes[i].notStored(why);
    };
    auto changedMeanwhile = [](const WriteBack &w) {
        return QStringLiteral("Not stored: \"%1\" changed on the server while this delta was "
                              "being applied (a newer version was uploaded, and kept). Re-apply "
                              "the delta to apply it to the current data.")
            .arg(w.name);
    };
    QList<WriteBack> toStore;
    for (WriteBack &w : writeBacks) {
        const QString path = QDir(layout.filesDir()).filePath(w.name);
        const std::optional<files::File> file = files::byName(conn, project.id, w.name);
        if (!file || w.recordedVersion.isEmpty() || file->latest().id != w.recordedVersion) {
            fail(w, changedMeanwhile(w));
            continue;
        }
        if (const QString why = settleSqliteFile(path); !why.isEmpty()) {
            fail(w,
                 QStringLiteral("Not stored: \"%1\" could not be read back completely (%2).")
                     .arg(w.name, why));
            continue;
        }
        QFile data(path);
        if (!data.open(QIODevice::ReadOnly)) {
            fail(w, QStringLiteral("Not stored: \"%1\" is missing after the run.").arg(w.name));
            continue;
        }
        const files::PutResult put = service.store().putFromDevice(data);
        if (put.digest.sha256 != file->latest().sha256)
            w.digest = put.digest;
        toStore.append(w);
    }

    db::Transaction tx(database);
    const QSqlDatabase &db = tx.connection();
    projects::lockForUpdate(db, project.id);
    const qint64 now = clock::nowUs();
    const std::optional<Job> row = jobs::byId(db, job.id);
    const std::optional<qint64> attemptAt = row ? row->startedAt : std::nullopt;
    QStringList written;
    for (const WriteBack &w : std::as_const(toStore)) {
        // Again under the lock: an upload may have committed since the check above.
        const std::optional<files::File> file = files::byName(db, project.id, w.name);
        if (!file || file->latest().id != w.recordedVersion) {
            fail(w, changedMeanwhile(w));
            continue;
        }
        if (!w.digest)
            continue;
        files::addVersion(db, project.id, w.name, *w.digest, job.createdBy.value_or(0), now);
        const std::optional<Project> current = projects::byId(db, project.id);
        const int keep = current && current->storageKeepVersions
            ? *current->storageKeepVersions
            : plans::subscriptionOf(db, project.ownerId).plan.keepVersions;
        files::pruneVersions(db, file->id, std::max(1, keep));
        written << w.name;
    }
    bool dataChanged = false;
    for (const Outcome &o : std::as_const(outcomes)) {
        setAttachment(db, job.id, o.deltaId, o.status, o.feedback, o.modifiedPk);
        setAttempt(db, o.deltaId, o.status, o.feedback, o.modifiedPk, attemptAt, job.createdBy,
                   now);
        if (o.status == status::Applied || o.status == status::Error)
            dataChanged = true;
        if (o.status == status::Applied && o.modifiedPk
            && o.content.value(u"method"_qs).toString() == u"create") {
            const QString clientId = o.content.value(u"clientId"_qs).toString().toLower();
            setClientPk(db, project.id,
                        clientPkKey(clientId, o.content.value(u"localLayerId"_qs).toString(),
                                    o.content.value(u"localPk"_qs).toString()),
                        clientId, *o.modifiedPk, o.deltaId, now);
        }
    }
    if (!written.isEmpty())
        projects::filesChanged(db, project.id, std::nullopt, now, false,
                               files::storageBytes(db, project.id));
    else if (dataChanged)
        touchProjectData(db, project.id, now);
    tx.commit();
    qCInfo(lcJobs).noquote() << QStringLiteral("delta_apply job %1: %2 results, stored back: %3")
                                    .arg(job.id)
                                    .arg(outcomes.size())
                                    .arg(written.isEmpty() ? u"nothing"_qs
                                                           : written.join(u", "_qs));
    // Stored back like an upload (api.md §15.1): the project is processed again.
    if (!written.isEmpty() && job.createdBy)
        service.onProjectFileUploaded(project, *job.createdBy);
}

void failed(jobs::JobService &service, const Job &job)
{
    db::Transaction tx(service.database());
    const QSqlDatabase &db = tx.connection();
    projects::lockForUpdate(db, job.projectId);
    const qint64 now = clock::nowUs();
    const std::optional<Job> row = jobs::byId(db, job.id);
    const QList<Attached> attached = attachedTo(db, job.id);
    int count = 0;
    for (const Attached &a : attached) {
        if (a.status != status::Pending && a.status != status::Started)
            continue; // the job's result was stored already
        setAttachment(db, job.id, a.deltaId, status::Error, std::nullopt, std::nullopt);
        if (a.delta.lastStatus == status::Pending || a.delta.lastStatus == status::Started) {
            setAttempt(db, a.deltaId, status::Error, std::nullopt, std::nullopt,
                       row ? row->startedAt : std::nullopt, job.createdBy, now);
            ++count;
        }
    }
    tx.commit();
    if (count > 0)
        qCInfo(lcJobs).noquote() << QStringLiteral(
                                        "delta_apply job %1 failed: %2 deltas set to error")
                                        .arg(job.id)
                                        .arg(count);
}

} // namespace

jobs::Hooks deltaApplyHooks(jobs::JobService &service)
{
    jobs::Hooks h;
    h.prepare = [&service](const Job &job, const Project &project, const QDir &workdir) {
        prepare(service, job, project, workdir);
    };
    h.succeeded = [&service](const Job &job, const Project &project, const QDir &workdir,
                             const QJsonObject &feedback) {
        succeeded(service, job, project, workdir, feedback);
    };
    h.failed = [&service](const Job &job) {
        failed(service, job);
    };
    return h;
}

} // namespace qfc::deltas
