#pragma once

#include "database.h"

namespace qfc::db {

// A transaction that rolls back unless committed.
//   Transaction tx(db, Transaction::Write);
//   ... queries on tx.connection() ...
//   tx.commit();
// Write transactions take SQLite's write lock up front (BEGIN IMMEDIATE), so two writers never
// deadlock on a lock upgrade; on PostgreSQL both kinds are plain READ COMMITTED transactions.
class Transaction
{
public:
    enum Mode { Read, Write };

    Transaction(Database &database, Mode mode = Write);
    ~Transaction();
    Transaction(const Transaction &) = delete;
    Transaction &operator=(const Transaction &) = delete;

    const QSqlDatabase &connection() const { return m_db; }
    Dialect dialect() const { return m_dialect; }
    void commit();
    void rollback();

private:
    QSqlDatabase m_db;
    Dialect m_dialect;
    bool m_active = false;
};

} // namespace qfc::db
