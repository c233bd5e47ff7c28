//! `store::inbox` without HTTP: a batch keeps the first of repeated ids, respects job dedupe
//! keys, and is all-or-nothing.
use crate::support::*;
use jlbridge::domain::webhook_event::{self, Parsed};
use jlbridge::store::inbox::{self, Effect, InboxWrite, Stored, Written};
use jlbridge::store::{self, exceptions};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::json;

fn write(id: &str, body: serde_json::Value) -> InboxWrite {
    let text = body.to_string();
    let (event_type, event_ms, effect) = match webhook_event::parse(text.as_bytes()).unwrap() {
        Parsed::Known(e) => (e.event_type.as_str().to_owned(), Some(e.timestamp_ms), Effect::Jobs(inbox::jobs_for(id, 1_800_000_000, &e))),
        Parsed::Unknown { event_type, timestamp_ms } => {
            let ex = inbox::unprocessable(id, &event_type);
            (event_type, timestamp_ms, Effect::Exception(ex))
        }
    };
    InboxWrite { id: id.into(), event_type, webhook_timestamp: 1_800_000_000, event_timestamp_ms: event_ms, body: text, effect }
}

fn ship(id: i64) -> serde_json::Value {
    json!({"type": "shipment.created", "timestamp": "2026-11-27T10:00:00Z", "data": {"order_increment_id": "1",
        "marketplace_order_reference": "JL-1", "shipment_id": id, "items": [{"sku": "A", "qty": 1}], "tracks": []}})
}

async fn count(db: &DatabaseConnection, table: &str) -> i64 {
    let row = db.query_one(store::stmt(db.get_database_backend(), &format!("SELECT COUNT(*) AS n FROM {table}"), [])).await.unwrap().unwrap();
    row.try_get("", "n").unwrap()
}

#[tokio::test]
async fn a_batch_keeps_first_ids_and_dedupe_keys() {
    let (cfg, _dir) = sqlite_config();
    let db = store::connect(&cfg).await.unwrap();
    store::migrate(&db).await.unwrap();
    let stock = json!({"type": "stock.changed", "timestamp": "2026-11-27T10:00:00Z", "data": {"items": [{"sku": "A"}]}});
    let unknown = json!({"type": "catalog.rebuilt", "data": {}});
    let writes = [write("a", stock.clone()), write("a", stock), write("b", ship(5)), write("c", ship(5)), write("d", unknown)];
    let refs: Vec<&InboxWrite> = writes.iter().collect();
    let Written { stored, jobs_added } = inbox::store_all(&db, &refs, 5).await.unwrap();
    assert!(matches!(stored[0], Stored::New { exception: None }));
    assert_eq!(stored[1], Stored::Duplicate, "the second copy in one batch");
    assert!(matches!(stored[2], Stored::New { .. }) && matches!(stored[3], Stored::New { .. }), "both events are kept");
    let Stored::New { exception: Some(ex) } = stored[4] else { panic!("{:?}", stored[4]) };
    assert_eq!(exceptions::get(&db, ex).await.unwrap().unwrap().entity, "d");
    assert_eq!(jobs_added, 2, "one stock job, one dispatch for shipment 5");
    assert_eq!((count(&db, "webhook_inbox").await, count(&db, "jobs").await), (4, 2));

    // A later batch: ids already stored are duplicates; a failing batch stores nothing.
    let again = inbox::store(&db, &write("b", ship(6)), 5).await.unwrap();
    assert_eq!(again, Stored::Duplicate);
    db.execute_unprepared("ALTER TABLE jobs RENAME TO jobs_away").await.unwrap();
    let more = [write("e", ship(7)), write("f", ship(8))];
    assert!(inbox::store_all(&db, &more.iter().collect::<Vec<_>>(), 5).await.is_err());
    db.execute_unprepared("ALTER TABLE jobs_away RENAME TO jobs").await.unwrap();
    assert_eq!(count(&db, "webhook_inbox").await, 4, "all or nothing");
}

#[tokio::test]
async fn an_id_stored_after_the_batch_read_is_a_duplicate_or_fails_the_batch() {
    let (cfg, _dir) = sqlite_config();
    let db = store::connect(&cfg).await.unwrap();
    store::migrate(&db).await.unwrap();

    // One event, stored by another writer between the read (`plan`) and the write (`apply`).
    let a = write("a", ship(1));
    let plan = inbox::plan(&db, &[&a]).await.unwrap();
    assert_eq!(inbox::store(&db, &a, 5).await.unwrap(), Stored::New { exception: None });
    let txn = store::begin_write(&db).await.unwrap();
    let Written { stored, jobs_added } = inbox::apply(&txn, &[&a], plan, 5).await.unwrap();
    txn.commit().await.unwrap();
    assert_eq!((stored, jobs_added), (vec![Stored::Duplicate], 0), "a duplicate, and no second job");

    // Several: which one was stored meanwhile is unknown, so the batch fails and stores nothing
    // (the group commit then stores its events one at a time).
    let (b, c) = (write("b", ship(2)), write("c", ship(3)));
    let plan = inbox::plan(&db, &[&b, &c]).await.unwrap();
    inbox::store(&db, &c, 5).await.unwrap();
    let txn = store::begin_write(&db).await.unwrap();
    let err = inbox::apply(&txn, &[&b, &c], plan, 5).await.unwrap_err();
    assert!(err.to_string().contains("1 of 2 webhook ids were stored meanwhile"), "{err}");
    txn.rollback().await.unwrap();
    assert_eq!((count(&db, "webhook_inbox").await, count(&db, "jobs").await), (2, 2), "a and c, one job each");
    assert_eq!(inbox::store(&db, &b, 5).await.unwrap(), Stored::New { exception: None });
    assert_eq!(inbox::store(&db, &c, 5).await.unwrap(), Stored::Duplicate);
}

/// The jobs table as the assertions compare it: (kind, priority, dedupe key, payload) by id.
async fn jobs(db: &DatabaseConnection) -> Vec<(String, i32, Option<String>, String)> {
    let rows = db
        .query_all(store::stmt(db.get_database_backend(), "SELECT kind, priority, dedupe_key, payload FROM jobs ORDER BY id", []))
        .await
        .unwrap();
    rows.iter()
        .map(|r| (r.try_get("", "kind").unwrap(), r.try_get("", "priority").unwrap(), r.try_get("", "dedupe_key").unwrap(), r.try_get("", "payload").unwrap()))
        .collect()
}

#[tokio::test]
async fn the_sqlite_committers_own_connection_stores_what_the_pool_path_stores() {
    let open = || async {
        let (cfg, dir) = sqlite_config();
        let db = store::connect(&cfg).await.unwrap();
        store::migrate(&db).await.unwrap();
        // Last observations: A 10 (value 10), B 10 (value 4: the buffer took 6).
        db.execute_unprepared(
            "INSERT INTO stock_state (sku, observed_qty, computed_value, updated_at) VALUES ('A', '10', 10, 0), ('B', '10', 4, 0)",
        )
        .await
        .unwrap();
        (db, dir)
    };
    let ((direct_db, _d1), (pool_db, _d2)) = (open().await, open().await);
    let mut direct = inbox::SqliteDirect::open(&direct_db).await.unwrap().expect("a SQLite file gets its own connection");

    let stock = |sku: &str, qty: i64| {
        json!({"type": "stock.changed", "timestamp": "2026-11-27T10:00:00Z", "data": {"items": [{"sku": sku, "salable_qty": qty}]}})
    };
    let writes = [
        write("a", stock("A", 3)),  // lower: a drop
        write("b", stock("B", 5)),  // down to what the buffer took: the floor
        write("c", stock("C", 7)),  // first observation
        write("a", stock("A", 9)),  // the same id again: a duplicate
        write("d", ship(5)),
        write("e", ship(5)),        // the same dispatch: its job is not added twice
    ];
    let refs: Vec<&InboxWrite> = writes.iter().collect();
    let by_direct = direct.store_all(&direct_db, &refs, 5).await.unwrap().expect("a batch of known types with new ids");
    let by_pool = inbox::store_all(&pool_db, &refs, 5).await.unwrap();
    assert_eq!(by_direct, by_pool, "the same answers");
    assert_eq!(by_direct.stored[3], Stored::Duplicate);
    assert_eq!(by_direct.jobs_added, 4);
    let (direct_jobs, pool_jobs) = (jobs(&direct_db).await, jobs(&pool_db).await);
    assert_eq!(direct_jobs, pool_jobs, "the same jobs, priorities and payloads");
    let priorities: Vec<i32> = direct_jobs.iter().map(|j| j.1).collect();
    assert_eq!(priorities, [inbox::PRIORITY_STOCK_DROP, inbox::PRIORITY_STOCK_FLOOR, inbox::PRIORITY_STOCK, inbox::PRIORITY_ORDER_EVENT]);
    assert_eq!(count(&direct_db, "webhook_inbox").await, 5);

    // What it leaves to the pool path, having written nothing: an id stored already, an
    // unknown type (it opens an exception).
    let again = [write("f", ship(6)), write("a", stock("A", 1))];
    assert_eq!(direct.store_all(&direct_db, &again.iter().collect::<Vec<_>>(), 5).await.unwrap(), None);
    let unknown = [write("g", json!({"type": "catalog.rebuilt", "data": {}}))];
    assert_eq!(direct.store_all(&direct_db, &unknown.iter().collect::<Vec<_>>(), 5).await.unwrap(), None);
    assert_eq!((count(&direct_db, "webhook_inbox").await, count(&direct_db, "jobs").await), (5, 4), "nothing written");

    // The pool and this connection take turns: a pool transaction holding the write turn
    // keeps the committer waiting until it commits.
    let txn = store::begin_write(&direct_db).await.unwrap();
    let later = [write("h", ship(9))];
    let refs: Vec<&InboxWrite> = later.iter().collect();
    let waiting = direct.store_all(&direct_db, &refs, 5);
    tokio::pin!(waiting);
    assert!(tokio::time::timeout(std::time::Duration::from_millis(200), &mut waiting).await.is_err(), "waits for the turn");
    txn.commit().await.unwrap();
    assert!(waiting.await.unwrap().is_some());
    assert_eq!(count(&direct_db, "webhook_inbox").await, 6);

    // An in-memory database cannot be opened twice: the committer writes through the pool.
    let memory = store::connect(&jlbridge::config::DatabaseConfig { url: "sqlite::memory:".into(), ..Default::default() }).await.unwrap();
    assert!(inbox::SqliteDirect::open(&memory).await.unwrap().is_none());
}
