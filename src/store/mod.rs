//! Persistence: connection, migrations, entities, the job queue, exceptions, cursors, audit.
pub mod audit;
pub mod cursors;
pub mod dispatches;
pub mod entities;
pub mod exceptions;
pub mod finance;
pub mod inbox;
pub mod jobs;
pub mod mapping;
pub mod orders;
pub mod stock;
mod sql;
mod time;

pub use sql::stmt;
pub use time::now_ms;

use crate::config::DatabaseConfig;
use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, TransactionTrait};
use std::time::Duration;

/// Opens the pool. SQLite runs in WAL mode with a busy timeout so several tasks can write.
pub async fn connect(cfg: &DatabaseConfig) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(cfg.url.clone());
    opts.max_connections(cfg.max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(15))
                .create_if_missing(true)
        });
    Database::connect(opts).await
}

/// Applies every pending migration. On PostgreSQL an advisory lock keeps replicas that
/// start together from migrating twice.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() == DbBackend::Postgres {
        let txn = db.begin().await?;
        txn.execute(stmt(DbBackend::Postgres, "SELECT pg_advisory_xact_lock(727001)", [])).await?;
        Migrator::up(&txn, None).await?;
        txn.commit().await
    } else {
        Migrator::up(db, None).await
    }
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once (a tiny
/// no-op write), so a transaction that reads and then writes waits in the busy handler instead
/// of failing with "database is locked" when another writer committed in between. Use it for
/// every transaction that writes.
pub async fn begin_write<C: TransactionTrait + ConnectionTrait>(db: &C) -> Result<DatabaseTransaction, DbErr> {
    let txn = db.begin().await?;
    if txn.get_database_backend() == DbBackend::Sqlite {
        txn.execute(stmt(
            DbBackend::Sqlite,
            "INSERT INTO sync_cursors (name, value, updated_at) VALUES ('store.write_lock', '', 0) ON CONFLICT (name) DO NOTHING",
            [],
        ))
        .await?;
    }
    Ok(txn)
}

/// A cheap round trip for readiness checks.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.ping().await
}
