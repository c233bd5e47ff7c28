//! Order backlog benchmark: 10,000 John Lewis orders from the Edge sandbox, acknowledged at a
//! scaled John Lewis rate limit, then injected into the Magento sandbox (10 ms per Magento
//! call) by the batch injector the service runs. Prints orders/s for acknowledgement and
//! injection against the 60 s target, and duplicates. The baseline, in the same run: the
//! first `BENCH_BASELINE` orders are injected one job at a time (the per-job path, 32
//! workers), the rest by the batch.
//!
//! `cargo bench --bench orders` (SQLite in a temporary directory), or with
//! `JLBRIDGE_BENCH_DATABASE_URL=postgres://…/db` (an empty database) for PostgreSQL.
//! `BENCH_ORDERS` (default 10000: injected by the batch), `BENCH_BASELINE` (default 1000; 0:
//! none), `BENCH_WORKERS` (default 32), `BENCH_ACK_SCALE` (default 100: the
//! 250-calls-a-minute window is shrunk 100-fold, i.e. 250 calls per 600 ms),
//! `BENCH_INJECT_BATCH` (default 50), `BENCH_INJECT_CONCURRENCY` (default 16).
use jlbridge::config::{DatabaseConfig, OrdersConfig};
use jlbridge::domain::order::PartNumber;
use jlbridge::domain::retry::RetryPolicy;
use jlbridge::magento::MagentoClient;
use jlbridge::marketplace::edge::{EdgeConfig, EdgeMarketplace};
use jlbridge::marketplace::rate_limit::{RateLimitConfig, RateLimiter};
use jlbridge::sandbox::edge::{self, EdgeSandboxConfig, NewOrder};
use jlbridge::sandbox::magento::MagentoSandbox;
use jlbridge::store::jobs::{JobKind, Queue, WorkerPool};
use jlbridge::store::{self, mapping};
use jlbridge::sync::orders::{InjectWorker, OrderJobs, OrderPoller, OrdersFlow};
use jlbridge::sync::singleton::{Singleton, ORDER_POLLER_LOCK};
use rust_decimal::Decimal;
use secrecy::SecretString;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

fn env_or<T: std::str::FromStr>(k: &str, d: T) -> T {
    std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d)
}

/// Waits until no job of `kind` is queued or running.
async fn drain(db: &sea_orm::DatabaseConnection, kind: JobKind) {
    use sea_orm::ConnectionTrait;
    loop {
        let row = db
            .query_one(store::stmt(
                db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM jobs WHERE kind = $1 AND state IN ('queued', 'running')",
                [kind.as_str().into()],
            ))
            .await;
        let left = row.ok().flatten().and_then(|r| r.try_get::<i64>("", "n").or_else(|_| r.try_get::<i32>("", "n").map(i64::from)).ok());
        if left == Some(0) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let batched: usize = env_or("BENCH_ORDERS", 10_000);
    let baseline: usize = env_or("BENCH_BASELINE", 1_000);
    let n = batched + baseline;
    let workers: usize = env_or("BENCH_WORKERS", 32);
    let scale: u32 = env_or("BENCH_ACK_SCALE", 100);
    let dir = tempfile::tempdir().unwrap();
    let (db_cfg, backend) = match std::env::var("JLBRIDGE_BENCH_DATABASE_URL") {
        Ok(url) if !url.is_empty() => (DatabaseConfig { url, max_connections: 40, migrate_on_start: true }, "PostgreSQL"),
        _ => {
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
            (DatabaseConfig { url, max_connections: 16, migrate_on_start: true }, "SQLite")
        }
    };
    let window = Duration::from_millis(60_000 / scale as u64);
    let edge = edge::start(EdgeSandboxConfig { rate_limit: 250, rate_window: window, default_page_size: 100, ..Default::default() })
        .await
        .unwrap();
    let magento = MagentoSandbox::start().await.unwrap();
    let products = 50;
    let mut rows = Vec::new();
    for i in 0..products {
        let (pn, sku) = (format!("{:08}", 58_000_000 + i), format!("SKU-{i:04}"));
        edge.add_product(&pn, Some(&sku), 1000);
        magento.add_product(&sku, "Item", Decimal::new(999, 2));
        magento.set_source_qty(&sku, "default", Decimal::from(1_000_000));
        rows.push(mapping::MappingRow { sku, part_number: PartNumber(pn), extra: None });
    }
    for i in 0..n {
        let mut o = NewOrder::new(format!("JLB{i:07}")).line(&format!("{:08}", 58_000_000 + i % products), 1 + (i % 3) as u32, "9.99");
        o.ship_to.phone = Some("07700 900123".into());
        edge.create_order(o);
    }
    let db = store::connect(&db_cfg).await.unwrap();
    store::migrate(&db).await.unwrap();
    mapping::import(&db, &rows).await.unwrap();
    let policy = RetryPolicy { schedule: vec![Duration::from_millis(200); 20], jitter: 0.1, ..RetryPolicy::default() };
    let queue = Queue::new(db.clone(), policy, Duration::from_secs(60));
    let mut ecfg = EdgeConfig::new(edge.base_url(), edge.config().username.clone(), SecretString::from(edge.config().password.clone()));
    ecfg.page_size = 100;
    ecfg.throttle_retries = 10;
    let limiter = RateLimiter::new(RateLimitConfig::new(250, window));
    let jl = Arc::new(EdgeMarketplace::new(ecfg, limiter).unwrap());
    let client = MagentoClient::new(magento.client_config()).unwrap();
    let defaults = OrdersConfig::default();
    let ocfg = OrdersConfig {
        inject_batch: env_or("BENCH_INJECT_BATCH", defaults.inject_batch),
        inject_concurrency: env_or("BENCH_INJECT_CONCURRENCY", defaults.inject_concurrency),
        ..defaults
    };
    let flow = Arc::new(OrdersFlow::new(db.clone(), queue.clone(), jl, client, ocfg.clone()));
    let poller = OrderPoller::new(flow.clone(), Singleton::new(&db, &db_cfg.url, ORDER_POLLER_LOCK).await.unwrap());

    println!(
        "orders benchmark: {n} orders ({baseline} injected one job at a time as the baseline, {batched} by the batch), {backend}, \
         {workers} workers, John Lewis limit 250 calls per {window:?} (x{scale} of 250/min)"
    );
    println!(
        "acknowledgements are paced by the account's one John Lewis rate limiter: 250 calls per {window:?} here (the real limit, \
         250 per minute, shrunk {scale}-fold; the Edge sandbox throttles at the same limit), order calls in its high-priority lane \
         ahead of stock pushes (25 of every 250 out of reach of stock pushes), a margin of 1/60 of the window; one acknowledgement = one call"
    );
    // Phase 1: poll (store every order and its acknowledge job), then acknowledge.
    let t = Instant::now();
    let report = poller.cycle().await;
    let polled = t.elapsed();
    assert!(report.ok, "{report:?}");
    println!("poll: {} orders listed and stored in {:.1} s", report.listed, polled.as_secs_f64());
    let stop = CancellationToken::new();
    let pool = WorkerPool::new(queue.clone(), Arc::new(OrderJobs::only(flow.clone(), &[JobKind::OrderAcknowledge])), workers, Duration::from_millis(20));
    let task = tokio::spawn(pool.run(stop.clone()));
    let t = Instant::now();
    drain(&db, JobKind::OrderAcknowledge).await;
    let acked = t.elapsed();
    stop.cancel();
    let _ = task.await;
    // Phase 2: inject (10 ms per Magento call): the baseline one job at a time, then the batch.
    magento.delay_responses(None, Duration::from_millis(10));
    let injected_now = || magento.orders().iter().filter(|o| o["ext_order_id"].is_string()).count();
    let mut base_rate = None;
    if baseline > 0 {
        let stop = CancellationToken::new();
        let pool = WorkerPool::new(queue.clone(), Arc::new(OrderJobs::only(flow.clone(), &[JobKind::OrderInject])), workers, Duration::from_millis(20));
        let task = tokio::spawn(pool.run(stop.clone()));
        let t = Instant::now();
        while injected_now() < baseline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        stop.cancel();
        let _ = task.await;
        let (done, took) = (injected_now(), t.elapsed());
        let rate = done as f64 / took.as_secs_f64();
        println!("inject, baseline (one job at a time, {workers} workers): {done} Magento orders in {:.1} s = {rate:.0} orders/s", took.as_secs_f64());
        base_rate = Some(rate);
    }
    let before = injected_now();
    let stop = CancellationToken::new();
    let mut injector = InjectWorker::new(flow.clone());
    injector.poll = Duration::from_millis(20);
    let task = tokio::spawn(injector.run(stop.clone()));
    let t = Instant::now();
    drain(&db, JobKind::OrderInject).await;
    let injected = t.elapsed();
    stop.cancel();
    let _ = task.await;
    let by_batch = injected_now() - before;

    let mut per_ref: HashMap<String, usize> = HashMap::new();
    for o in magento.orders() {
        if let Some(r) = o["ext_order_id"].as_str() {
            *per_ref.entry(r.to_owned()).or_default() += 1;
        }
    }
    let duplicates: usize = per_ref.values().map(|c| c.saturating_sub(1)).sum();
    let ack_rate = n as f64 / acked.as_secs_f64();
    println!(
        "acknowledge: {n} in {:.1} s = {:.0} orders/s ({:.0}/min against a scaled limit of {:.0}/min; at the real 250/min: {:.0} min)",
        acked.as_secs_f64(),
        ack_rate,
        ack_rate * 60.0,
        250.0 * scale as f64,
        n as f64 / 250.0
    );
    let rate = by_batch as f64 / injected.as_secs_f64();
    let for_10k = 10_000.0 / rate;
    println!(
        "inject, batched ({} per batch, {} orders calling Magento at once): {by_batch} Magento orders in {:.1} s = {rate:.0} orders/s{}",
        ocfg.inject_batch,
        ocfg.inject_concurrency,
        injected.as_secs_f64(),
        base_rate.map(|b| format!(" ({:.1}x the baseline)", rate / b)).unwrap_or_default()
    );
    println!(
        "target: 10,000 orders injected within 60 s (>= 167 orders/s): {:.0} s at this rate, {}",
        for_10k,
        if for_10k <= 60.0 { "met" } else { "NOT met" }
    );
    println!("duplicates: {duplicates}; missing: {}", n - per_ref.len());
    let calls = edge.calls();
    let throttled = calls.iter().filter(|c| c.status == 429).count();
    // The busiest window of John Lewis calls (every call: listings and acknowledgements).
    let mut at: Vec<std::time::Instant> = calls.iter().map(|c| c.received).collect();
    at.sort();
    let (mut busiest, mut first) = (0, 0);
    for (i, t) in at.iter().enumerate() {
        while *t - at[first] >= window {
            first += 1;
        }
        busiest = busiest.max(i + 1 - first);
    }
    println!("John Lewis calls: {}, at most {busiest} in any {window:?} window (limit 250); 429 answers: {throttled}", calls.len());
}
