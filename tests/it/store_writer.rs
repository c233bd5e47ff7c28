//! SQLite writers take turns in arrival order (`store::begin_write`, `store::write_turn`), on
//! every pool opened on the same file; PostgreSQL writers do not wait for each other. WAL
//! checkpoints run in the background, never inside a commit, and stop on shutdown.
use crate::support::*;
use jlbridge::config::DatabaseConfig;
use jlbridge::store::checkpoint::{self, CheckpointSettings};
use jlbridge::store::{self, begin_write, stmt, write_turn, Checkpoints};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, TransactionTrait};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

async fn open(cfg: &DatabaseConfig, checkpoints: Checkpoints) -> DatabaseConnection {
    let db = store::connect_with(cfg, checkpoints).await.unwrap();
    store::migrate(&db).await.unwrap();
    db
}

async fn note(db: &impl ConnectionTrait, name: &str) {
    db.execute(stmt(
        db.get_database_backend(),
        "INSERT INTO sync_cursors (name, value, updated_at) VALUES ($1, '', 0)",
        [name.into()],
    ))
    .await
    .unwrap();
}

/// Lets spawned tasks run until they wait (for a turn).
async fn settle() {
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn sqlite_writers_of_two_pools_on_one_file_take_turns_in_arrival_order() {
    let (cfg, _dir) = sqlite_config();
    let a = open(&cfg, Checkpoints::Automatic).await;
    let b = store::connect(&cfg).await.unwrap();

    let first = begin_write(&a).await.unwrap();
    note(&first, "first").await;
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut waiting = Vec::new();
    for (i, db) in [b.clone(), a.clone(), b.clone()].into_iter().enumerate() {
        let order = order.clone();
        waiting.push(tokio::spawn(async move {
            let txn = begin_write(&db).await.unwrap();
            order.lock().unwrap().push(i);
            note(&txn, &format!("writer {i}")).await;
            txn.commit().await.unwrap();
        }));
        settle().await;
    }
    // An auto-committed write waits for its turn like the others.
    let auto = {
        let (b, order) = (b.clone(), order.clone());
        tokio::spawn(async move {
            let _turn = write_turn(&b).await.unwrap();
            order.lock().unwrap().push(3);
            note(&b, "auto").await;
        })
    };
    settle().await;
    assert!(order.lock().unwrap().is_empty(), "nobody writes while the first transaction holds the turn");
    first.commit().await.unwrap();
    for w in waiting {
        w.await.unwrap();
    }
    auto.await.unwrap();
    assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3]);
}

#[tokio::test]
async fn a_rolled_back_or_dropped_write_transaction_passes_the_turn_on() {
    let (cfg, _dir) = sqlite_config();
    let db = open(&cfg, Checkpoints::Automatic).await;
    let txn = begin_write(&db).await.unwrap();
    note(&txn, "rolled back").await;
    txn.rollback().await.unwrap();
    let txn = begin_write(&db).await.unwrap();
    note(&txn, "dropped").await;
    drop(txn);
    let txn = tokio::time::timeout(Duration::from_secs(5), begin_write(&db)).await.expect("turn passed on").unwrap();
    note(&txn, "kept").await;
    txn.commit().await.unwrap();
    let n = db
        .query_one(stmt(DbBackend::Sqlite, "SELECT COUNT(*) AS n FROM sync_cursors WHERE name IN ('rolled back', 'dropped', 'kept')", []))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(n, 1);
}

#[tokio::test]
async fn postgres_writers_do_not_wait_for_a_turn() {
    let Some(admin) = postgres_or_skip("postgres_writers_do_not_wait_for_a_turn") else { return };
    let cfg = fresh_postgres(&admin).await;
    let db = open(&cfg, Checkpoints::Background).await;
    let first = begin_write(&db).await.unwrap();
    note(&first, "first").await;
    let second = tokio::time::timeout(Duration::from_secs(5), begin_write(&db)).await.expect("no turn on PostgreSQL").unwrap();
    note(&second, "second").await;
    second.commit().await.unwrap();
    first.commit().await.unwrap();
}

/// `rows` inbox rows of 3 KB, ids numbered from `first`, 100 per transaction.
async fn fill_wal(db: &DatabaseConnection, rows: usize, first: usize) {
    let body = "x".repeat(3000);
    for chunk in 0..rows / 100 {
        let txn = begin_write(db).await.unwrap();
        for i in 0..100 {
            txn.execute(stmt(
                DbBackend::Sqlite,
                "INSERT INTO webhook_inbox (id, event_type, webhook_timestamp, body, received_at) VALUES ($1, 't', 0, $2, 0)",
                [format!("msg_{}", first + chunk * 100 + i).into(), body.clone().into()],
            ))
            .await
            .unwrap();
        }
        txn.commit().await.unwrap();
    }
}

fn wal_size(cfg: &DatabaseConfig) -> u64 {
    let path = cfg.url.trim_start_matches("sqlite://").split('?').next().unwrap().to_owned() + "-wal";
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

#[tokio::test]
async fn with_background_checkpoints_no_commit_checkpoints_and_the_task_empties_the_wal() {
    // SQLite's own checkpoints keep the log near 1,000 pages…
    let (cfg, _dir) = sqlite_config();
    let db = open(&cfg, Checkpoints::Automatic).await;
    fill_wal(&db, 1500, 0).await;
    let auto = checkpoint::passive(&db).await.unwrap();
    assert!(auto.log_pages < 1500, "SQLite checkpointed inside commits: {auto:?}");

    // …with background checkpoints no commit checkpoints: ~1,500 pages of 3 KB rows stay logged.
    let (cfg, _dir) = sqlite_config();
    let db = open(&cfg, Checkpoints::Background).await;
    fill_wal(&db, 1500, 0).await;
    let before = wal_size(&cfg);
    assert!(before > 1500 * 3000, "the WAL holds every commit: {before} bytes");

    // The task checkpoints everything; with nothing left behind it does not truncate (even
    // past the size limit, 0 here): the next writer starts the log from its beginning instead,
    // so the file does not grow.
    let stop = CancellationToken::new();
    let settings = CheckpointSettings { every: Duration::from_millis(50), truncate_above_bytes: 0 };
    let task = tokio::spawn(checkpoint::run(db.clone(), settings, stop.clone()));
    let copied = || async {
        let c = checkpoint::passive(&db).await.unwrap();
        c.log_pages > 0 && c.checkpointed_pages == c.log_pages
    };
    assert!(eventually(10, copied).await, "the task copies the log into the database");
    assert_eq!(wal_size(&cfg), before, "nothing was left behind: no TRUNCATE");
    // The task is paused for the next write, so that no round of it overlaps the log's restart.
    stop.cancel();
    tokio::time::timeout(Duration::from_secs(5), task).await.expect("the task stops on shutdown").unwrap();
    fill_wal(&db, 100, 1500).await;
    assert_eq!(wal_size(&cfg), before, "the log started again from its beginning");
    let stop = CancellationToken::new();
    let task = tokio::spawn(checkpoint::run(db.clone(), settings, stop.clone()));

    // A reader on an old snapshot keeps frames from being copied: once it is gone, the task
    // truncates the WAL.
    let reader = db.begin().await.unwrap();
    reader.query_one(stmt(DbBackend::Sqlite, "SELECT COUNT(*) FROM webhook_inbox", [])).await.unwrap();
    fill_wal(&db, 200, 1600).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    reader.commit().await.unwrap();
    assert!(eventually(10, || async { wal_size(&cfg) == 0 }).await, "WAL still {} bytes", wal_size(&cfg));
    let rows = db
        .query_one(stmt(DbBackend::Sqlite, "SELECT COUNT(*) AS n FROM webhook_inbox", []))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(rows, 1800);

    stop.cancel();
    tokio::time::timeout(Duration::from_secs(5), task).await.expect("the task stops on shutdown").unwrap();
}

#[tokio::test]
async fn a_passive_checkpoint_does_not_wait_for_a_writer() {
    let (cfg, _dir) = sqlite_config();
    let db = open(&cfg, Checkpoints::Background).await;
    fill_wal(&db, 200, 0).await;
    let writing = begin_write(&db).await.unwrap();
    note(&writing, "open").await;
    let done = tokio::time::timeout(Duration::from_secs(5), checkpoint::passive(&db)).await.expect("no wait").unwrap();
    assert!(done.checkpointed_pages > 0, "{done:?}");
    writing.commit().await.unwrap();
}
