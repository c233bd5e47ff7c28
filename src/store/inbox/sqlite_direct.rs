//! The SQLite group commit's own connection: the committer runs a batch's statements itself,
//! on its thread, instead of handing each to the pool's worker thread and waiting to be woken.
//!
//! A batch through the pool is seven statements (`BEGIN`, lock write, two reads, two INSERTs,
//! `COMMIT`), each handed to the pool connection's worker thread and answered back: a wake-up
//! of two threads per statement on a machine whose cores are busy serving requests; that wait, not SQLite's work, was most of a batch's cycle (see
//! docs/BENCHMARKS.md). Here a batch is `BEGIN IMMEDIATE`, the inbox INSERT (a short row count
//! means an id is stored already), the read of the SKUs' last observations, the jobs INSERT and
//! `COMMIT`, run back to back. The statements are the ones the SeaORM path builds
//! (`insert_rows`, `last_observed_stmt`, `insert_jobs`), and the connection is opened on the
//! same file with the pool's settings, through the same SQLite library.
//!
//! What this path does not take (ids stored already, unknown types that open an exception) it
//! leaves, having written nothing, to [`super::store_all`].
use super::{firsts, insert_rows, jobs_of, InboxWrite, Stored, Written, ROWS_PER_INSERT};
use crate::store::jobs::{insert_jobs, NewJob, JOB_ROWS_PER_INSERT};
use crate::store::stock::{last_observed_row, last_observed_stmt, BatchObservations, LAST_OBSERVED_CHUNK};
use crate::store::{now_ms, stmt, write_turn};
use rusqlite::types::{ToSqlOutput, Value as Sql, ValueRef};
use rusqlite::{params_from_iter, Connection, TransactionBehavior};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement, Value};
use std::collections::HashMap;
use std::time::Duration;

/// Statement shapes kept prepared: a batch's INSERTs differ by their row count.
const PREPARED: usize = 256;

/// The committer's connection to the pool's SQLite file.
pub struct SqliteDirect {
    conn: Connection,
}

impl std::fmt::Debug for SqliteDirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteDirect").field("file", &self.conn.path()).finish()
    }
}

impl SqliteDirect {
    /// A connection to the pool's database file with the pool's settings (WAL, `synchronous =
    /// FULL`, its checkpointing, a 15 s busy timeout). `None` on PostgreSQL and for an
    /// in-memory database, which another connection cannot open.
    pub async fn open(db: &DatabaseConnection) -> Result<Option<SqliteDirect>, DbErr> {
        if db.get_database_backend() != DbBackend::Sqlite {
            return Ok(None);
        }
        let setting = |sql: &'static str| async move {
            let row = db.query_one(stmt(DbBackend::Sqlite, sql, [])).await?;
            row.ok_or_else(|| DbErr::Custom(format!("`{sql}` answered nothing")))
        };
        let file: String = setting("SELECT file FROM pragma_database_list WHERE name = 'main'").await?.try_get_by_index(0)?;
        if file.is_empty() {
            return Ok(None);
        }
        let journal: String = setting("PRAGMA journal_mode").await?.try_get_by_index(0)?;
        if !journal.eq_ignore_ascii_case("wal") {
            return Ok(None);
        }
        let autocheckpoint: i64 = setting("PRAGMA wal_autocheckpoint").await?.try_get_by_index(0)?;
        let conn = Connection::open(&file).map_err(err)?;
        conn.busy_timeout(Duration::from_secs(15)).map_err(err)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(err)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(err)?;
        conn.pragma_update(None, "wal_autocheckpoint", autocheckpoint).map_err(err)?;
        conn.set_prepared_statement_cache_capacity(PREPARED);
        Ok(Some(SqliteDirect { conn }))
    }

    /// Stores the batch in one transaction under this process's write turn, like
    /// [`super::store_all`], and answers the same. `Ok(None)`: a write this path leaves to
    /// `store_all` (an id already stored, or an exception to open); nothing was written.
    pub async fn store_all(
        &mut self,
        db: &DatabaseConnection,
        writes: &[&InboxWrite],
        max_attempts: u32,
    ) -> Result<Option<Written>, DbErr> {
        if writes.iter().any(|w| matches!(w.effect, super::Effect::Exception(_))) {
            return Ok(None);
        }
        let _turn = write_turn(db).await?;
        self.write(writes, max_attempts).map_err(err)
    }

    fn write(&mut self, writes: &[&InboxWrite], max_attempts: u32) -> rusqlite::Result<Option<Written>> {
        let txn = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let firsts = firsts(writes);
        let now = now_ms();
        for rows in firsts.chunks(ROWS_PER_INSERT) {
            if execute(&txn, insert_rows(DbBackend::Sqlite, writes, rows, now))? != rows.len() {
                return Ok(None); // an id is stored already: rolled back on drop
            }
        }
        let jobs: Vec<&NewJob> = firsts.iter().flat_map(|&i| jobs_of(writes[i])).collect();
        let observed = BatchObservations::of(&jobs);
        let mut last = HashMap::new();
        for skus in observed.wanted.chunks(LAST_OBSERVED_CHUNK) {
            let s = last_observed_stmt(DbBackend::Sqlite, skus);
            let mut read = txn.prepare_cached(&s.sql)?;
            let rows = read.query_map(params_from_iter(values(&s)?), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            for row in rows {
                let (sku, qty, computed) = row?;
                last.extend(last_observed_row(sku, qty, computed));
            }
        }
        let jobs = observed.prioritise(jobs, &last);
        let mut jobs_added = 0;
        for chunk in jobs.chunks(JOB_ROWS_PER_INSERT) {
            jobs_added += execute(&txn, insert_jobs(DbBackend::Sqlite, chunk, max_attempts, ""))? as u64;
        }
        txn.commit()?;
        let mut stored = vec![Stored::Duplicate; writes.len()];
        for i in firsts {
            stored[i] = Stored::New { exception: None };
        }
        Ok(Some(Written { stored, jobs_added }))
    }
}

fn execute(conn: &Connection, s: Statement) -> rusqlite::Result<usize> {
    conn.prepare_cached(&s.sql)?.execute(params_from_iter(values(&s)?))
}

/// A statement's values as SQLite's (the kinds the inbox and jobs statements bind).
/// Text is bound without a copy.
fn values(s: &Statement) -> rusqlite::Result<Vec<ToSqlOutput<'_>>> {
    let list = s.values.as_ref().map(|v| v.0.as_slice()).unwrap_or_default();
    let null = ToSqlOutput::Owned(Sql::Null);
    list.iter()
        .map(|v| match v {
            Value::String(s) => Ok(s.as_ref().map_or(null.clone(), |s| ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())))),
            Value::BigInt(n) => Ok(n.map_or(null.clone(), |n| ToSqlOutput::Owned(Sql::Integer(n)))),
            Value::Int(n) => Ok(n.map_or(null.clone(), |n| ToSqlOutput::Owned(Sql::Integer(n.into())))),
            _ => Err(rusqlite::Error::ToSqlConversionFailure("a value of a kind the inbox committer does not bind".into())),
        })
        .collect()
}

fn err(e: rusqlite::Error) -> DbErr {
    DbErr::Custom(format!("SQLite (inbox committer): {e}"))
}
