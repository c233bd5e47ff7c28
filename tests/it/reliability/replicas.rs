//! Scenario 3: two `serve` processes on one PostgreSQL database (skipped, with the reason,
//! without `JLBRIDGE_TEST_POSTGRES_URL`). Every job runs once; the order poller runs in one
//! of them only (its list calls per second do not double when the second replica starts);
//! the rate limit holds across both; nothing is duplicated; stock pushes come from one
//! replica at a time and every SKU ends on its latest value.
use super::harness::*;
use super::summary::record;
use crate::support::{fresh_postgres, postgres_or_skip};
use jlbridge::sandbox::call_log::max_in_window;
use jlbridge::sandbox::edge::EdgeSandboxConfig;
use rand::Rng;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, Statement};
use std::time::{Duration, Instant};

/// The times (as logged, RFC 3339, sortable as text) of one replica's stock pushes.
fn push_times(s: &Service) -> Vec<String> {
    let log = std::fs::read_to_string(&s.log).unwrap_or_default();
    log.lines()
        .filter(|l| l.contains("stock pushed"))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

fn list_calls(w: &World, since: Instant) -> usize {
    w.edge.calls().iter().filter(|c| c.method == "GET" && c.path == "/restapi/v4/orders/" && c.received >= since).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_on_postgres_run_each_job_and_singleton_once_within_one_rate_limit() {
    let Some(admin) = postgres_or_skip("reliability replicas") else {
        super::summary::record("3 replicas (PostgreSQL)", "skipped: JLBRIDGE_TEST_POSTGRES_URL not set", &[]);
        return;
    };
    let db_url = fresh_postgres(&admin).await.url;
    let window = Duration::from_secs(2);
    let limit = 40; // low, so stock pushes press against it
    let w = World::start(WorldOptions {
        skus: 60,
        edge: EdgeSandboxConfig { rate_limit: limit, rate_window: window, ..Default::default() },
        db_url: Some(db_url),
    })
    .await;
    let a = w.spawn("replica-a", &[]);
    a.wait_up(60).await;
    w.magento.set_webhook_target(&a.webhook_url(), &whsec());
    let mut rng = rand::thread_rng();
    let mut orders = Vec::new();
    let load = |w: &World, orders: &mut Vec<(String, u64)>, rng: &mut rand::rngs::ThreadRng| {
        for _ in 0..8 {
            let i = rng.gen_range(0..w.skus);
            w.magento.set_source_qty(&sku(i), "default", Decimal::from(rng.gen_range(5..50)));
        }
        let reference = format!("JLP{:05}", orders.len() + 1);
        let id = w.edge.create_order(w.order(&reference, &[(rng.gen_range(0..w.skus), 1)], orders.len()));
        orders.push((reference, id));
    };
    // Phase 1: one replica.
    let p1 = Instant::now();
    while p1.elapsed() < Duration::from_secs(8) {
        load(&w, &mut orders, &mut rng);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let rate1 = list_calls(&w, p1) as f64 / p1.elapsed().as_secs_f64();
    // Phase 2: both replicas; Magento's webhooks now go to the second one.
    let b = w.spawn("replica-b", &[]);
    b.wait_up(60).await;
    w.magento.set_webhook_target(&b.webhook_url(), &whsec());
    let p2 = Instant::now();
    while p2.elapsed() < Duration::from_secs(12) {
        load(&w, &mut orders, &mut rng);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let rate2 = list_calls(&w, p2) as f64 / p2.elapsed().as_secs_f64();
    // Every SKU changes at least once (the random load can miss one, which would then keep the
    // sandbox's initial John Lewis stock: reconciliation is off here).
    for i in 0..w.skus {
        w.magento.set_source_qty(&sku(i), "default", Decimal::from(rng.gen_range(5..50)));
    }
    // Orders the service cancelled itself (a line short of stock) are never injected.
    let db = w.db().await;
    let refs: Vec<String> = orders.iter().map(|o| o.0.clone()).collect();
    let short = orders_settle(&w, &db, &refs, 120).await;
    orders.retain(|o| !short.contains(&o.0));
    let not_once: Vec<_> = orders.iter().map(|o| (o.0.clone(), w.magento.orders_with_ext_id(&o.0).len())).filter(|o| o.1 != 1).collect();
    assert!(not_once.is_empty(), "each order injected once: {not_once:?}");
    let off = stock_converges(&w, 120).await;
    assert!(off.is_empty(), "stock converges: {off:?}");
    let dead = drained(&db, 60).await.expect("jobs drain");
    let row = db
        .query_one(Statement::from_string(db.get_database_backend(), "SELECT COUNT(*) AS n, COALESCE(MAX(attempts), 0) AS m, COALESCE(SUM(CASE WHEN attempts > 1 THEN 1 ELSE 0 END), 0) AS r FROM jobs WHERE state = 'done'".to_owned()))
        .await
        .unwrap()
        .unwrap();
    let (jobs, max_attempts, rerun): (i64, i32, i64) = (row.try_get("", "n").unwrap(), row.try_get("", "m").unwrap(), row.try_get("", "r").unwrap());
    assert_eq!(rerun, 0, "every job ran once (no fault was injected): {rerun} jobs ran more than once");
    let dups = orders.iter().filter(|o| w.magento.orders_with_ext_id(&o.0).len() != 1).count();
    let acks: usize = orders.iter().map(|o| w.edge.calls().iter().filter(|c| c.method == "POST" && c.path == format!("/restapi/v4/orders/{}/acknowledge/", o.1) && c.status < 300 && c.fault.is_none()).count()).sum();
    assert_eq!(acks, orders.len(), "each order acknowledged once");
    assert!(rate2 <= rate1 * 1.5 + 0.2, "the order poller runs once: {rate1:.2} list calls/s alone, {rate2:.2} with two replicas");
    let peak = max_in_window(&w.edge.calls(), window);
    assert!(peak <= limit as usize, "{peak} calls in one window across both replicas (limit {limit})");
    // The pusher is a singleton: one replica's pushes all come before the other's first one.
    let (pa, pb) = (push_times(&a), push_times(&b));
    let overlap = match (pa.first(), pa.last(), pb.first(), pb.last()) {
        (Some(a0), Some(a1), Some(b0), Some(b1)) => !(a1 < b0 || b1 < a0),
        _ => false,
    };
    assert!(!overlap, "both replicas pushed stock at once: A {:?}..{:?}, B {:?}..{:?}", pa.first(), pa.last(), pb.first(), pb.last());
    let (files, bytes) = w.assert_no_leaks();
    record(
        "3 replicas (PostgreSQL)",
        "pass",
        &[
            ("replicas", "2".into()),
            ("orders", orders.len().to_string()),
            ("duplicates", dups.to_string()),
            ("cancelled by the service (short of stock)", short.len().to_string()),
            ("acknowledgements", format!("{acks} for {} orders", orders.len())),
            ("jobs done/run twice/max attempts", format!("{jobs}/{rerun}/{max_attempts}")),
            ("dead jobs", dead.to_string()),
            ("poller list calls/s one vs two replicas", format!("{rate1:.2} vs {rate2:.2}")),
            ("peak calls/window", format!("{peak}/{limit}")),
            ("stock pushes replica A/B", format!("{}/{}", pa.len(), pb.len())),
            ("SKUs off after convergence", format!("0 of {}", w.skus)),
            ("logs scanned", format!("{files} files, {bytes} B")),
        ],
    );
}
