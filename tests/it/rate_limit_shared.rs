//! The account's budget shared through the database: two "replicas" (two connection pools,
//! two limiters) together never exceed the limit in any window.
use crate::support::*;
use jlbridge::config::DatabaseConfig;
use jlbridge::marketplace::rate_limit::{Priority, RateLimitConfig, RateLimiter, SharedWindow};
use jlbridge::store;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

async fn two_replicas_share_one_budget(cfg: DatabaseConfig) {
    // The margin absorbs the delay between a grant and the task noticing it on a loaded machine.
    let limits = RateLimitConfig { limit: 10, window: Duration::from_millis(1000), margin: Duration::from_millis(250), reserve: 0 };
    let db_a = store::connect(&cfg).await.unwrap();
    store::migrate(&db_a).await.unwrap();
    let db_b = store::connect(&cfg).await.unwrap();
    let a = RateLimiter::with_source(limits, Arc::new(SharedWindow::new(db_a, "edge:test", limits)));
    let b = RateLimiter::with_source(limits, Arc::new(SharedWindow::new(db_b, "edge:test", limits)));
    let grants = Arc::new(Mutex::new(Vec::new()));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (i, limiter) in [a.clone(), b.clone(), a, b].into_iter().enumerate() {
        let grants = grants.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..8 {
                limiter.acquire(if i % 2 == 0 { Priority::High } else { Priority::Low }).await;
                grants.lock().unwrap().push(start.elapsed());
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut g = grants.lock().unwrap().clone();
    g.sort();
    assert_eq!(g.len(), 32);
    let worst = g
        .iter()
        .enumerate()
        .map(|(i, t)| g[i..].iter().take_while(|u| **u < *t + Duration::from_millis(1000)).count())
        .max()
        .unwrap();
    assert!(worst <= 10, "{worst} grants in one window across both replicas");
    assert!(g[31] >= Duration::from_millis(2000), "32 calls at 10/s need three windows, took {:?}", g[31]);
}

#[tokio::test]
async fn two_replicas_share_one_budget_on_postgres() {
    let Some(admin) = postgres_or_skip("two_replicas_share_one_budget_on_postgres") else { return };
    two_replicas_share_one_budget(fresh_postgres(&admin).await).await;
}

#[tokio::test]
async fn shared_budget_works_on_sqlite_too() {
    let (cfg, _dir) = sqlite_config();
    two_replicas_share_one_budget(cfg).await;
}
