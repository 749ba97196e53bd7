#include "transaction.h"

#include "core/logging.h"

#include <QSqlError>
#include <QSqlQuery>

namespace qfc::db {

namespace {

void execute(QSqlDatabase &db, const QString &sql)
{
    QSqlQuery q(db);
    if (!q.exec(sql)) {
        throw DbError(sql + u": "_qs + q.lastError().text(), q.lastError().nativeErrorCode());
    }
}

} // namespace

Transaction::Transaction(Database &database, Mode mode)
    : m_db(database.connection()), m_dialect(database.dialect())
{
    execute(m_db,
            m_dialect == Dialect::Sqlite && mode == Write ? u"BEGIN IMMEDIATE"_qs : u"BEGIN"_qs);
    m_active = true;
}

Transaction::~Transaction()
{
    if (!m_active)
        return;
    try {
        rollback();
    } catch (const DbError &e) {
        qCWarning(lcDb) << "rollback failed:" << e.what();
    }
}

void Transaction::commit()
{
    Q_ASSERT(m_active);
    m_active = false;
    try {
        execute(m_db, u"COMMIT"_qs);
    } catch (const DbError &) {
        // SQLite may leave the transaction open after a failed COMMIT; PostgreSQL ends it.
        QSqlQuery q(m_db);
        q.exec(u"ROLLBACK"_qs);
        throw;
    }
}

void Transaction::rollback()
{
    if (!m_active)
        return;
    m_active = false;
    execute(m_db, u"ROLLBACK"_qs);
}

} // namespace qfc::db
