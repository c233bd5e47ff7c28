//! One writer at a time per SQLite file, taking turns in arrival order.
//!
//! SQLite lets one connection write at a time; the others wait in its busy handler, which
//! sleeps and retries with growing pauses (1, 2, 5, 10 … ms). Whoever happens to retry just
//! as the lock is free wins, so a busy writer (the job workers) can starve another (the webhook
//! receiver's group commit). Here every write in this process first waits for its turn on a
//! FIFO `tokio::sync::Mutex` kept per database file, so writers queue fairly and SQLite's lock
//! is normally free when a turn starts. PostgreSQL has row locks and many writers: no turn there.
//!
//! - [`begin_write`] takes the turn, begins, and takes SQLite's write lock at once; the turn is
//!   held until [`WriteTxn::commit`] / [`WriteTxn::rollback`] (or the drop that rolls back).
//! - [`write_turn`] takes the turn alone, for a single auto-committed statement on the pool.
//!
//! Turns are not re-entrant: while holding one, write through it (the transaction), not through
//! the pool. A turn waited for longer than [`TURN_TIMEOUT`] fails like SQLite's own busy timeout.
use super::stmt;
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult,
    IsolationLevel, QueryResult, Statement, TransactionError, TransactionTrait,
};
use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, LazyLock, Mutex as StdMutex};
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// As long as the busy timeout `store::connect` sets: a writer waits no longer than before.
pub const TURN_TIMEOUT: Duration = Duration::from_secs(15);

type Gate = Arc<Mutex<()>>;

/// Gates by the file name the pool was opened with, and by canonical path (two spellings of
/// one file share a gate).
#[derive(Default)]
struct Gates {
    by_name: HashMap<PathBuf, Gate>,
    by_file: HashMap<PathBuf, Gate>,
}

static GATES: LazyLock<StdMutex<Gates>> = LazyLock::new(Default::default);

fn gate_for(file: &Path) -> Gate {
    let mut g = GATES.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(gate) = g.by_name.get(file) {
        return gate.clone();
    }
    let canonical = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
    let gate = g.by_file.entry(canonical).or_default().clone();
    g.by_name.insert(file.to_path_buf(), gate.clone());
    gate
}

/// The writer gate of this pool's SQLite file; `None` on PostgreSQL.
fn gate_of(db: &DatabaseConnection) -> Option<Gate> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return None;
    }
    let options = db.get_sqlite_connection_pool().connect_options();
    Some(gate_for(options.get_filename()))
}

/// This process's turn to write to one SQLite file (empty on PostgreSQL); released on drop.
#[must_use = "the turn ends when this is dropped"]
pub struct WriteTurn(#[allow(dead_code)] Option<OwnedMutexGuard<()>>);

async fn take(gate: Option<Gate>) -> Result<WriteTurn, DbErr> {
    let Some(gate) = gate else { return Ok(WriteTurn(None)) };
    match tokio::time::timeout(TURN_TIMEOUT, gate.lock_owned()).await {
        Ok(guard) => Ok(WriteTurn(Some(guard))),
        Err(_) => Err(DbErr::Custom(format!(
            "database is locked: no turn to write within {} s",
            TURN_TIMEOUT.as_secs()
        ))),
    }
}

/// Waits for this process's turn to write to the pool's SQLite file (returns at once on
/// PostgreSQL). For one auto-committed write on the pool: `let _turn = write_turn(db).await?;`.
pub async fn write_turn(db: &DatabaseConnection) -> Result<WriteTurn, DbErr> {
    take(gate_of(db)).await
}

/// Where a write transaction can begin: the pool (SQLite: after waiting for the turn), or a
/// transaction already open (a savepoint inside it, under the turn it holds).
#[async_trait::async_trait]
pub trait BeginWrite: TransactionTrait + ConnectionTrait + Sync {
    async fn turn(&self) -> Result<WriteTurn, DbErr>;
}

#[async_trait::async_trait]
impl BeginWrite for DatabaseConnection {
    async fn turn(&self) -> Result<WriteTurn, DbErr> {
        write_turn(self).await
    }
}

#[async_trait::async_trait]
impl BeginWrite for DatabaseTransaction {
    async fn turn(&self) -> Result<WriteTurn, DbErr> {
        Ok(WriteTurn(None))
    }
}

#[async_trait::async_trait]
impl BeginWrite for WriteTxn {
    async fn turn(&self) -> Result<WriteTurn, DbErr> {
        Ok(WriteTurn(None))
    }
}

/// Begins a transaction that will write. On SQLite it first waits for this process's turn
/// (see the module docs), then takes the write lock at once (a tiny no-op write), so a
/// transaction that reads and then writes cannot fail with "database is locked" when another
/// process committed in between. Use it for every transaction that writes; keep network calls
/// out of it (every other writer waits meanwhile).
pub async fn begin_write<C: BeginWrite>(db: &C) -> Result<WriteTxn, DbErr> {
    let turn = db.turn().await?;
    let txn = db.begin().await?;
    if txn.get_database_backend() == DbBackend::Sqlite {
        txn.execute(stmt(
            DbBackend::Sqlite,
            "INSERT INTO sync_cursors (name, value, updated_at) VALUES ('store.write_lock', '', 0) ON CONFLICT (name) DO NOTHING",
            [],
        ))
        .await?;
    }
    Ok(WriteTxn { txn, _turn: turn })
}

/// A write transaction holding its turn (SQLite) until it commits or rolls back. Use it like
/// a `DatabaseTransaction`: it is a `ConnectionTrait` and a `TransactionTrait`.
pub struct WriteTxn {
    txn: DatabaseTransaction,
    _turn: WriteTurn,
}

impl WriteTxn {
    /// Commits; the turn passes on once the commit is done.
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }
    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

impl std::fmt::Debug for WriteTxn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteTxn").field("turn", &self._turn.0.is_some()).finish()
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTxn {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }
    async fn execute(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute(stmt).await
    }
    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }
    async fn query_one(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one(stmt).await
    }
    async fn query_all(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all(stmt).await
    }
    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
    fn is_mock_connection(&self) -> bool {
        self.txn.is_mock_connection()
    }
}

/// Nested transactions are savepoints inside this one (under the same turn).
#[async_trait::async_trait]
impl TransactionTrait for WriteTxn {
    async fn begin(&self) -> Result<DatabaseTransaction, DbErr> {
        self.txn.begin().await
    }
    async fn begin_with_config(
        &self,
        isolation_level: Option<IsolationLevel>,
        access_mode: Option<AccessMode>,
    ) -> Result<DatabaseTransaction, DbErr> {
        self.txn.begin_with_config(isolation_level, access_mode).await
    }
    async fn transaction<F, T, E>(&self, callback: F) -> Result<T, TransactionError<E>>
    where
        F: for<'c> FnOnce(&'c DatabaseTransaction) -> Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>> + Send,
        T: Send,
        E: std::fmt::Display + std::fmt::Debug + Send,
    {
        self.txn.transaction(callback).await
    }
    async fn transaction_with_config<F, T, E>(
        &self,
        callback: F,
        isolation_level: Option<IsolationLevel>,
        access_mode: Option<AccessMode>,
    ) -> Result<T, TransactionError<E>>
    where
        F: for<'c> FnOnce(&'c DatabaseTransaction) -> Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>> + Send,
        T: Send,
        E: std::fmt::Display + std::fmt::Debug + Send,
    {
        self.txn.transaction_with_config(callback, isolation_level, access_mode).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_file_one_gate_whatever_the_spelling() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.db");
        std::fs::write(&file, b"").unwrap();
        let dotted = dir.path().join(".").join("a.db");
        assert!(Arc::ptr_eq(&gate_for(&file), &gate_for(&dotted)));
        assert!(Arc::ptr_eq(&gate_for(&file), &gate_for(&file)));
        assert!(!Arc::ptr_eq(&gate_for(&file), &gate_for(&dir.path().join("b.db"))));
    }

    #[tokio::test]
    async fn turns_are_taken_in_arrival_order() {
        let gate: Gate = Default::default();
        let first = take(Some(gate.clone())).await.unwrap();
        let order = Arc::new(StdMutex::new(Vec::new()));
        let mut waiting = Vec::new();
        for i in 0..5 {
            let (gate, order) = (gate.clone(), order.clone());
            waiting.push(tokio::spawn(async move {
                let _turn = take(Some(gate)).await.unwrap();
                order.lock().unwrap().push(i);
                tokio::task::yield_now().await;
            }));
            // On this one-thread runtime the waiter queues up before the next one is spawned.
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
        }
        drop(first);
        for w in waiting {
            w.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3, 4]);
    }
}
