//! SQLite WAL checkpoints off the commit path. With `Checkpoints::Background` no connection
//! checkpoints on its own (`wal_autocheckpoint=0`); instead [`run`] asks for a PASSIVE
//! checkpoint every `every` (it copies what it can without waiting for anyone, while writers
//! go on). When everything was copied, the next writer starts the log again from its
//! beginning, so the WAL file stops growing by itself. Only when a PASSIVE round had to leave
//! frames behind (a reader still on an older snapshot kept them) and the log is past
//! `truncate_above_bytes` does it take a TRUNCATE (under the write turn: writers queue behind
//! it). A TRUNCATE is not cheap: cutting a large file costs the file system a journal commit
//! (and, mounted with `discard`, a trim) that the next commits' `fsync`s wait for; taking one
//! every round at peak traffic made webhook commits stall for ~50 ms (docs/BENCHMARKS.md).
use super::{stmt, write_turn};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointSettings {
    pub every: Duration,
    pub truncate_above_bytes: u64,
}

impl Default for CheckpointSettings {
    fn default() -> Self {
        CheckpointSettings { every: Duration::from_secs(1), truncate_above_bytes: 64 << 20 }
    }
}

/// What `PRAGMA wal_checkpoint` answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Checkpoint {
    /// It could not finish (a TRUNCATE kept waiting on a reader or writer).
    pub busy: bool,
    /// Pages in the WAL.
    pub log_pages: i64,
    /// Of those, pages now copied into the database file.
    pub checkpointed_pages: i64,
}

async fn pragma(db: &DatabaseConnection, mode: &str) -> Result<Checkpoint, DbErr> {
    let row = db
        .query_one(stmt(DbBackend::Sqlite, &format!("PRAGMA wal_checkpoint({mode})"), []))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("wal_checkpoint".into()))?;
    Ok(Checkpoint {
        busy: row.try_get_by_index::<i32>(0)? != 0,
        log_pages: row.try_get_by_index(1)?,
        checkpointed_pages: row.try_get_by_index(2)?,
    })
}

/// Copies committed pages into the database file without blocking anyone.
pub async fn passive(db: &DatabaseConnection) -> Result<Checkpoint, DbErr> {
    pragma(db, "PASSIVE").await
}

/// Copies everything and empties the WAL file; in-process writers wait for it (one turn).
pub async fn truncate(db: &DatabaseConnection) -> Result<Checkpoint, DbErr> {
    let _turn = write_turn(db).await?;
    pragma(db, "TRUNCATE").await
}

async fn page_size(db: &DatabaseConnection) -> Result<u64, DbErr> {
    let row = db
        .query_one(stmt(DbBackend::Sqlite, "PRAGMA page_size", []))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("page_size".into()))?;
    Ok(row.try_get_by_index::<i64>(0)?.max(512) as u64)
}

/// One round: PASSIVE, then TRUNCATE when it left frames behind and the WAL is larger than
/// the limit.
pub async fn round(db: &DatabaseConnection, settings: &CheckpointSettings, page: u64) -> Result<Checkpoint, DbErr> {
    let done = passive(db).await?;
    let left_behind = done.checkpointed_pages < done.log_pages;
    if left_behind && done.log_pages.max(0) as u64 * page > settings.truncate_above_bytes {
        let t = truncate(db).await?;
        tracing::debug!(log_pages = done.log_pages, busy = t.busy, "WAL truncated");
        return Ok(t);
    }
    Ok(done)
}

/// Checkpoints every `settings.every` until `shutdown`; returns at once on PostgreSQL.
pub async fn run(db: DatabaseConnection, settings: CheckpointSettings, shutdown: CancellationToken) {
    if db.get_database_backend() != DbBackend::Sqlite {
        return;
    }
    let page = page_size(&db).await.unwrap_or(4096);
    let mut failing = false;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(settings.every) => {}
        }
        match round(&db, &settings, page).await {
            Ok(_) => failing = false,
            // Said once per outage, not every second.
            Err(e) if !failing => {
                failing = true;
                tracing::warn!(error = %e, "WAL checkpoint failed; will retry");
            }
            Err(_) => {}
        }
    }
}
