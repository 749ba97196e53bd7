#include "deltafile.h"

#include "core/apierror.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QRegularExpression>
#include <QSet>
#include <QStringDecoder>

namespace qfc::deltas {

namespace {

// A value as Python's repr() prints it (the wording of jsonschema's messages).
QString repr(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        return u"None"_qs;
    case QJsonValue::Bool:
        return value.toBool() ? u"True"_qs : u"False"_qs;
    case QJsonValue::Double:
        return QString::fromUtf8(QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact))
            .mid(1)
            .chopped(1);
    case QJsonValue::String: {
        QString text = value.toString();
        text.replace(u'\\', u"\\\\"_qs).replace(u'\'', u"\\'"_qs);
        return u'\'' + text + u'\'';
    }
    case QJsonValue::Array: {
        QStringList items;
        const QJsonArray array = value.toArray();
        for (const QJsonValue &v : array)
            items << repr(v);
        return u'[' + items.join(u", "_qs) + u']';
    }
    case QJsonValue::Object: {
        QStringList items;
        const QJsonObject object = value.toObject();
        for (auto it = object.constBegin(); it != object.constEnd(); ++it)
            items << repr(QJsonValue(it.key())) + u": "_qs + repr(it.value());
        return u'{' + items.join(u", "_qs) + u'}';
    }
    }
    return {};
}

QString typeName(QJsonValue::Type type)
{
    switch (type) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        return u"null"_qs;
    case QJsonValue::Bool:
        return u"boolean"_qs;
    case QJsonValue::Double:
        return u"number"_qs;
    case QJsonValue::String:
        return u"string"_qs;
    case QJsonValue::Array:
        return u"array"_qs;
    case QJsonValue::Object:
        return u"object"_qs;
    }
    return {};
}

bool isUuid(const QString &text)
{
    static const QRegularExpression re(
        u"\\A[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\\z"_qs);
    return re.match(text).hasMatch();
}

// The schema of spec/api.md §11.1 / worker.md §5.2, walked in document order; the first
// violation is thrown as "<path>: <message>" ("<message>" at the top level).
class Validator
{
public:
    static void validate(const QJsonValue &document)
    {
        type({}, document, QJsonValue::Object);
        const QJsonObject root = document.toObject();
        required({}, root, {u"version"_qs, u"project"_qs, u"id"_qs, u"deltas"_qs, u"files"_qs});
        oneOf(u"version"_qs, root.value(u"version"_qs), {u"1.0"_qs});
        uuid(u"project"_qs, root.value(u"project"_qs));
        uuid(u"id"_qs, root.value(u"id"_qs));
        const QJsonValue files = root.value(u"files"_qs);
        type(u"files"_qs, files, QJsonValue::Array);
        QSet<QString> seen;
        const QJsonArray fileList = files.toArray();
        for (qsizetype i = 0; i < fileList.size(); ++i) {
            type(item(u"files"_qs, i), fileList.at(i), QJsonValue::String);
            if (seen.contains(fileList.at(i).toString()))
                fail(u"files"_qs, repr(files) + u" has non-unique elements"_qs);
            seen.insert(fileList.at(i).toString());
        }
        const QJsonValue deltas = root.value(u"deltas"_qs);
        type(u"deltas"_qs, deltas, QJsonValue::Array);
        const QJsonArray deltaList = deltas.toArray();
        for (qsizetype i = 0; i < deltaList.size(); ++i)
            delta(item(u"deltas"_qs, i), deltaList.at(i));
    }

    [[noreturn]] static void fail(const QString &path, const QString &message)
    {
        throw ApiError::invalidDeltafile(path.isEmpty() ? message : path + u": "_qs + message);
    }

private:
    static QString child(const QString &path, const QString &key)
    {
        return path.isEmpty() ? key : path + u'.' + key;
    }
    static QString item(const QString &path, qsizetype index)
    {
        return path + u'[' + QString::number(index) + u']';
    }
    static void type(const QString &path, const QJsonValue &value, QJsonValue::Type expected)
    {
        if (value.type() != expected)
            fail(path, repr(value) + u" is not of type '"_qs + typeName(expected) + u'\'');
    }
    static void required(const QString &path, const QJsonObject &object, const QStringList &names)
    {
        for (const QString &name : names)
            if (!object.contains(name))
                fail(path, u'\'' + name + u"' is a required property"_qs);
    }
    static void uuid(const QString &path, const QJsonValue &value)
    {
        type(path, value, QJsonValue::String);
        if (!isUuid(value.toString()))
            fail(path, repr(value) + u" is not a 'uuid'"_qs);
    }
    static void oneOf(const QString &path, const QJsonValue &value, const QStringList &allowed)
    {
        if (value.isString() && allowed.contains(value.toString()))
            return;
        QStringList reprs;
        for (const QString &a : allowed)
            reprs << repr(QJsonValue(a));
        fail(path, repr(value) + u" is not one of ["_qs + reprs.join(u", "_qs) + u']');
    }
    static void stringOrNull(const QString &path, const QJsonValue &value)
    {
        if (!value.isNull() && !value.isString())
            fail(path, repr(value) + u" is not of type 'string', 'null'"_qs);
    }

    // "old" / "new": no other keys than these four.
    static void feature(const QString &path, const QJsonValue &value)
    {
        type(path, value, QJsonValue::Object);
        const QJsonObject object = value.toObject();
        static const QStringList known{u"attributes"_qs, u"files_sha256"_qs, u"geometry"_qs,
                                       u"is_snapshot"_qs};
        QStringList unexpected;
        for (auto it = object.constBegin(); it != object.constEnd(); ++it)
            if (!known.contains(it.key()))
                unexpected << repr(QJsonValue(it.key()));
        if (!unexpected.isEmpty())
            fail(path,
                 u"Additional properties are not allowed ("_qs + unexpected.join(u", "_qs)
                     + (unexpected.size() == 1 ? u" was unexpected)"_qs : u" were unexpected)"_qs));
        if (object.contains(u"geometry"_qs))
            stringOrNull(child(path, u"geometry"_qs), object.value(u"geometry"_qs));
        if (object.contains(u"attributes"_qs))
            type(child(path, u"attributes"_qs), object.value(u"attributes"_qs), QJsonValue::Object);
        if (object.contains(u"files_sha256"_qs)) {
            const QString filesPath = child(path, u"files_sha256"_qs);
            type(filesPath, object.value(u"files_sha256"_qs), QJsonValue::Object);
            const QJsonObject files = object.value(u"files_sha256"_qs).toObject();
            for (auto it = files.constBegin(); it != files.constEnd(); ++it)
                stringOrNull(child(filesPath, it.key()), it.value());
        }
        if (object.contains(u"is_snapshot"_qs))
            type(child(path, u"is_snapshot"_qs), object.value(u"is_snapshot"_qs), QJsonValue::Bool);
    }

    static void delta(const QString &path, const QJsonValue &value)
    {
        type(path, value, QJsonValue::Object);
        const QJsonObject d = value.toObject();
        required(path, d,
                 {u"uuid"_qs, u"localPk"_qs, u"sourcePk"_qs, u"localLayerId"_qs,
                  u"sourceLayerId"_qs, u"method"_qs});
        uuid(child(path, u"uuid"_qs), d.value(u"uuid"_qs));
        for (const QString &name :
             {u"localPk"_qs, u"sourcePk"_qs, u"localLayerId"_qs, u"sourceLayerId"_qs})
            type(child(path, name), d.value(name), QJsonValue::String);
        oneOf(child(path, u"method"_qs), d.value(u"method"_qs),
              {u"create"_qs, u"patch"_qs, u"delete"_qs});
        for (const QString &name : {u"clientId"_qs, u"exportId"_qs})
            if (d.contains(name))
                uuid(child(path, name), d.value(name));
        for (const QString &name : {u"localLayerCrs"_qs, u"localLayerName"_qs})
            if (d.contains(name))
                type(child(path, name), d.value(name), QJsonValue::String);
        for (const QString &name : {u"old"_qs, u"new"_qs})
            if (d.contains(name))
                feature(child(path, name), d.value(name));
    }
};

// Finds the text of each element of the top-level "deltas" array in a document that is known to
// be valid JSON, so that every delta is stored exactly as it was sent (key order, number
// spellings). The last "deltas" member wins, as in QJsonDocument.
class Spans
{
public:
    explicit Spans(QStringView text) : m_text(text) { }

    QStringList deltaTexts()
    {
        QStringList found;
        m_at = 0;
        ws();
        if (peek() != u'{')
            return {};
        ++m_at;
        ws();
        if (peek() == u'}')
            return {};
        while (m_at < m_text.size()) {
            ws();
            const qsizetype keyStart = m_at;
            string();
            const QString key = decodeString(m_text.mid(keyStart, m_at - keyStart));
            ws();
            ++m_at; // ':'
            ws();
            if (key == u"deltas" && peek() == u'[') {
                found = elements();
            } else {
                value();
            }
            ws();
            if (peek() == u',') {
                ++m_at;
                continue;
            }
            break;
        }
        return found;
    }

private:
    QChar peek() const { return m_at < m_text.size() ? m_text[m_at] : QChar(); }
    void ws()
    {
        while (m_at < m_text.size()
               && (m_text[m_at] == u' ' || m_text[m_at] == u'\t' || m_text[m_at] == u'\n'
                   || m_text[m_at] == u'\r'))
            ++m_at;
    }
    void string()
    {
        ++m_at; // opening quote
        while (m_at < m_text.size() && m_text[m_at] != u'"')
            m_at += m_text[m_at] == u'\\' ? 2 : 1;
        ++m_at; // closing quote
    }
    static QString decodeString(QStringView quoted)
    {
        if (!quoted.contains(u'\\'))
            return quoted.mid(1, quoted.size() - 2).toString();
        const QString array = u'[' + quoted.toString() + u']';
        return QJsonDocument::fromJson(array.toUtf8()).array().at(0).toString();
    }
    QStringList elements()
    {
        QStringList out;
        ++m_at; // '['
        ws();
        if (peek() == u']') {
            ++m_at;
            return out;
        }
        while (m_at < m_text.size()) {
            ws();
            const qsizetype start = m_at;
            value();
            out << m_text.mid(start, m_at - start).toString();
            ws();
            if (peek() == u',') {
                ++m_at;
                continue;
            }
            ++m_at; // ']'
            break;
        }
        return out;
    }
    void value()
    {
        const QChar c = peek();
        if (c == u'"') {
            string();
        } else if (c == u'{' || c == u'[') {
            const QChar close = c == u'{' ? u'}' : u']';
            ++m_at;
            ws();
            if (peek() == close) {
                ++m_at;
                return;
            }
            while (m_at < m_text.size()) {
                ws();
                value(); // a key is a string value too
                ws();
                if (peek() == u':') {
                    ++m_at;
                    ws();
                    value();
                    ws();
                }
                if (peek() == u',') {
                    ++m_at;
                    continue;
                }
                ++m_at; // the closing bracket
                break;
            }
        } else {
            while (m_at < m_text.size() && m_text[m_at] != u',' && m_text[m_at] != u'}'
                   && m_text[m_at] != u']' && m_text[m_at] != u' ' && m_text[m_at] != u'\t'
                   && m_text[m_at] != u'\n' && m_text[m_at] != u'\r')
                ++m_at;
        }
    }

    QStringView m_text;
    qsizetype m_at = 0;
};

} // namespace

Deltafile Deltafile::parse(const QByteArray &raw)
{
    QStringDecoder utf8(QStringDecoder::Utf8);
    QString text = utf8.decode(raw);
    if (utf8.hasError())
        throw ApiError::invalidDeltafile(u"The deltafile is not valid UTF-8."_qs);
    text.replace(u"\\u0000"_qs, QString());

    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(text.toUtf8(), &error);
    if (error.error != QJsonParseError::NoError)
        throw ApiError::invalidDeltafile(
            QStringLiteral("The deltafile is not valid JSON: %1 at offset %2.")
                .arg(error.errorString())
                .arg(error.offset));
    const QJsonValue root =
        document.isObject() ? QJsonValue(document.object()) : QJsonValue(document.array());
    Validator::validate(root);

    const QJsonObject object = root.toObject();
    const QJsonArray deltas = object.value(u"deltas"_qs).toArray();
    for (qsizetype i = 0; i < deltas.size(); ++i)
        if (!deltas.at(i).toObject().contains(u"clientId"_qs))
            Validator::fail(u"deltas["_qs + QString::number(i) + u']',
                            u"'clientId' is a required property"_qs);

    Deltafile out;
    out.id = object.value(u"id"_qs).toString().toLower();
    out.projectId = object.value(u"project"_qs).toString();
    QStringList texts = Spans(text).deltaTexts();
    if (texts.size() != deltas.size()) { // cannot happen with valid JSON; never store a wrong one
        texts.clear();
        for (const QJsonValue &d : deltas)
            texts << QString::fromUtf8(QJsonDocument(d.toObject()).toJson(QJsonDocument::Compact));
    }
    for (qsizetype i = 0; i < deltas.size(); ++i) {
        const QJsonObject d = deltas.at(i).toObject();
        // The span must be the same object (e.g. with a repeated "deltas" key).
        if (QJsonDocument::fromJson(texts.at(i).toUtf8()).object() != d)
            texts[i] = QString::fromUtf8(QJsonDocument(d).toJson(QJsonDocument::Compact));
        out.deltas.append({d.value(u"uuid"_qs).toString().toLower(),
                           d.value(u"clientId"_qs).toString().toLower(),
                           d.value(u"method"_qs).toString(), texts.at(i)});
    }
    return out;
}

} // namespace qfc::deltas
