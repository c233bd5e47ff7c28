//! Exactly one Magento order per John Lewis order, whatever crashes: the injector dies (its
//! task panics, leaving the job and the order leased) before the create, after Magento
//! created the order but before we stored it, and after storing; a new process takes over
//! once the leases expire. Then volume: two worker pools on SQLite, and two complete
//! replicas (pool, queue, poller, workers) on PostgreSQL, over 2,000 orders.
use crate::orders_support::*;
use crate::support::*;
use jlbridge::domain::order_state::OrderState;
use jlbridge::store::jobs::Queue;
use jlbridge::store::{self, orders};
use jlbridge::sync::orders::{FaultHook, InjectStep};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

async fn crash_at(step: InjectStep) {
    let rig = sqlite_rig(2).await;
    rig.edge.create_order(new_order("JL6000001", 2));
    let crashed = Arc::new(AtomicBool::new(false));
    let flag = crashed.clone();
    let hook: FaultHook = Arc::new(move |_reference: &str, at: InjectStep| {
        if at == step && !flag.swap(true, Ordering::SeqCst) {
            panic!("simulated crash at {at:?}");
        }
    });
    let first = rig.flow(Some(hook));
    let poller = rig.poller(first.clone()).await;
    assert!(poller.cycle().await.ok);
    let w = rig.workers(first, &ALL, 2);
    assert!(eventually(20, || async { crashed.load(Ordering::SeqCst) }).await, "the injector reached {step:?}");
    w.shutdown().await;
    let before = rig.magento_copies("JL6000001");
    assert_eq!(before, if step == InjectStep::BeforeCreate { 0 } else { 1 });

    // Restart: a new process, same database and Magento; the leases expire and it takes over.
    let second = rig.flow(None);
    let w = rig.workers(second.clone(), &ALL, 2);
    assert!(rig.idle(30).await);
    // And a later poll after the restart changes nothing.
    assert!(rig.poller(second).await.cycle().await.ok);
    assert!(rig.idle(30).await);
    w.shutdown().await;

    assert_eq!(rig.magento_copies("JL6000001"), 1, "exactly one Magento order after a crash at {step:?}");
    let stored = orders::get(&rig.db, "JL6000001").await.unwrap().unwrap();
    assert_eq!(stored.state(), OrderState::Injected);
    let m = &rig.magento.orders_with_ext_id("JL6000001")[0];
    assert_eq!(stored.order.magento_entity_id, m["entity_id"].as_i64());
    let comments = m["status_histories"].as_array().map_or(0, |h| {
        h.iter().filter(|c| c["comment"].as_str().is_some_and(|t| t.contains("JL6000001"))).count()
    });
    assert_eq!(comments, 1, "one comment carrying the reference");
}

#[tokio::test]
async fn crash_before_create_then_restart_makes_one_magento_order() {
    crash_at(InjectStep::BeforeCreate).await;
}

#[tokio::test]
async fn crash_after_magento_created_before_we_stored_then_restart_makes_one_magento_order() {
    crash_at(InjectStep::AfterCreate).await;
}

#[tokio::test]
async fn crash_after_storing_then_restart_makes_one_magento_order() {
    crash_at(InjectStep::AfterStore).await;
}

const VOLUME: usize = 2_000;

#[tokio::test]
#[ignore]
async fn probe_throughput() {
    let n: usize = std::env::var("N").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let rig = sqlite_rig(3).await;
    for i in 0..n {
        rig.edge.create_order(new_order(&format!("JL9{i:06}"), 1 + i % 3));
    }
    let a = rig.flow(None);
    let poller = rig.poller(a.clone()).await;
    let t = std::time::Instant::now();
    let wa = rig.workers(a, &ALL, 8);
    println!("poll {:?}", poller.cycle().await);
    println!("polled at {:?}", t.elapsed());
    assert!(rig.idle(300).await);
    println!("drained at {:?}", t.elapsed());
    wa.shutdown().await;
    let rows = sea_orm::ConnectionTrait::query_all(&rig.db, jlbridge::store::stmt(sea_orm::DbBackend::Sqlite, "SELECT outcome, error, COUNT(*) AS n FROM job_attempts GROUP BY outcome, error", [])).await.unwrap();
    for r in rows {
        println!("{:?} {:?} {:?}", r.try_get::<String>("", "outcome"), r.try_get::<Option<String>>("", "error"), r.try_get::<i64>("", "n"));
    }
}

fn check_no_duplicates(rig: &Rig) {
    let mut per_ref: HashMap<String, usize> = HashMap::new();
    for o in rig.magento.orders() {
        if let Some(r) = o["ext_order_id"].as_str() {
            *per_ref.entry(r.to_owned()).or_default() += 1;
        }
    }
    assert_eq!(per_ref.len(), VOLUME, "every order injected");
    let dups: Vec<_> = per_ref.iter().filter(|(_, n)| **n > 1).collect();
    assert!(dups.is_empty(), "duplicates: {dups:?}");
}

async fn check_acknowledged_once(rig: &Rig) {
    let list = orders::list(&rig.db, None, 0, VOLUME as u64 + 10).await.unwrap();
    assert_eq!(list.len(), VOLUME);
    for o in list.iter().step_by(97) {
        let acks = orders::events(&rig.db, o.id).await.unwrap().iter().filter(|e| e.kind == "acknowledged").count();
        assert_eq!(acks, 1, "order {} acknowledged once", o.reference);
    }
    assert!(list.iter().all(|o| o.state == "injected"));
}

#[tokio::test]
async fn two_worker_pools_inject_2000_orders_without_a_duplicate_on_sqlite() {
    let rig = sqlite_volume_rig(3).await;
    for i in 0..VOLUME {
        rig.edge.create_order(new_order(&format!("JL7{i:06}"), 1 + i % 3));
    }
    let (a, b) = (rig.flow(None), rig.flow(None));
    let poller = rig.poller(a.clone()).await;
    let wa = rig.workers(a, &ALL, 8);
    let wb = rig.workers(b, &ALL, 8);
    assert!(poller.cycle().await.ok);
    assert!(rig.idle(600).await, "backlog drained: {:?}", rig.queue.depth().await);
    wa.shutdown().await;
    wb.shutdown().await;
    check_no_duplicates(&rig);
    check_acknowledged_once(&rig).await;
}

#[tokio::test]
async fn two_replicas_on_postgres_inject_2000_orders_without_a_duplicate() {
    let Some(admin) = postgres_or_skip("two_replicas_on_postgres_inject_2000_orders_without_a_duplicate") else { return };
    let rig = postgres_rig(&admin, 3).await;
    for i in 0..VOLUME {
        rig.edge.create_order(new_order(&format!("JL8{i:06}"), 1 + i % 3));
    }
    // Replica B: its own connection pool, queue, flow, poller and workers.
    let db_b = store::connect(&rig.db_cfg).await.unwrap();
    let queue_b = Queue::new(db_b.clone(), rig.queue.policy().clone(), rig.queue.lease());
    let a = rig.flow(None);
    let mut fb = (*rig.flow(None)).clone_with(db_b.clone(), queue_b.clone());
    fb.holder = "replica-b".into();
    let b = Arc::new(fb);
    let (pa, pb) = (rig.poller(a.clone()).await, rig.poller(b.clone()).await);
    let wa = rig.workers(a, &ALL, 8);
    let wb = rig.workers_on(queue_b, b, &ALL, 8);
    // Both pollers cycle at once; only the lock holder polls, and storing is idempotent anyway.
    let (ra, rb) = tokio::join!(pa.cycle_if_leader(), pb.cycle_if_leader());
    assert!(ra.is_some() != rb.is_some(), "exactly one replica polls: {ra:?} {rb:?}");
    assert!(ra.or(rb).unwrap().ok);
    assert!(pb.cycle_if_leader().await.is_none() || pa.cycle_if_leader().await.is_none());
    assert!(rig.idle(600).await, "backlog drained: {:?}", rig.queue.depth().await);
    wa.shutdown().await;
    wb.shutdown().await;
    check_no_duplicates(&rig);
    check_acknowledged_once(&rig).await;
}
