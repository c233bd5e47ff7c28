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
pub mod checkpoint;
mod sql;
mod time;
mod writer;

pub use sql::stmt;
pub use time::now_ms;
pub use writer::{begin_write, write_turn, BeginWrite, WriteTurn, WriteTxn};

use crate::config::DatabaseConfig;
use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, TransactionTrait};
use std::time::Duration;

/// Who checkpoints SQLite's write-ahead log (moves committed pages into the database file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checkpoints {
    /// SQLite itself, inside whichever commit passes 1,000 WAL pages (tools, tests).
    Automatic,
    /// Never a commit: `wal_autocheckpoint=0` on every connection, and the caller runs
    /// [`checkpoint::run`] (the service does), so no writer waits for a checkpoint.
    Background,
}

/// Opens the pool. SQLite runs in WAL mode with a busy timeout so several tasks can write;
/// checkpoints are SQLite's own (see [`connect_with`]).
pub async fn connect(cfg: &DatabaseConfig) -> Result<DatabaseConnection, DbErr> {
    connect_with(cfg, Checkpoints::Automatic).await
}

/// Opens the pool, choosing who checkpoints the SQLite WAL (no effect on PostgreSQL).
pub async fn connect_with(cfg: &DatabaseConfig, checkpoints: Checkpoints) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(cfg.url.clone());
    opts.max_connections(cfg.max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(move |o| {
            let o = o
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(15))
                .create_if_missing(true);
            match checkpoints {
                Checkpoints::Automatic => o,
                Checkpoints::Background => o.pragma("wal_autocheckpoint", "0"),
            }
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

/// A cheap round trip for readiness checks.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.ping().await
}
