#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

namespace qfc::deltas {

// A deltafile as QField uploads it (spec/api.md §11.1, worker.md §5.2), checked and split into
// its deltas.
struct Deltafile
{
    struct Entry
    {
        QString uuid; // lower case
        QString clientId; // lower case
        QString method; // create | patch | delete
        QString content; // the delta object's JSON text exactly as in the file
    };

    QString id; // lower case
    QString projectId; // as written in the file
    QList<Entry> deltas;

    // Decodes UTF-8, removes every literal `\u0000` escape (as upstream does), parses the JSON and
    // validates it against the schema of §11.1 (draft-07 semantics; messages worded as Python's
    // jsonschema words them, e.g. "'deltas' is a required property"); every delta must also carry
    // a `clientId` (upstream fails without one). Throws ApiError 400 invalid_deltafile with the
    // violation as message (§19.4).
    static Deltafile parse(const QByteArray &raw);
};

} // namespace qfc::deltas
