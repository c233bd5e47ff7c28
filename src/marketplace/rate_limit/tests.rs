use super::*;
use std::time::Duration;
use tokio::time::Instant;

fn cfg(limit: u32, window_ms: u64) -> RateLimitConfig {
    RateLimitConfig { limit, window: Duration::from_millis(window_ms), margin: Duration::from_millis(5), reserve: 0 }
}

/// Largest number of instants falling in any half-open span of `window`.
fn max_in_window(times: &[Instant], window: Duration) -> usize {
    let mut sorted = times.to_vec();
    sorted.sort();
    (0..sorted.len())
        .map(|i| sorted[i..].iter().take_while(|t| t.duration_since(sorted[i]) < window).count())
        .max()
        .unwrap_or(0)
}

#[tokio::test]
async fn never_grants_more_than_the_limit_in_any_window() {
    let limiter = RateLimiter::new(cfg(10, 200));
    let mut tasks = Vec::new();
    for i in 0..45 {
        let l = limiter.clone();
        let p = Priority::ALL[i % 3];
        tasks.push(tokio::spawn(async move {
            l.acquire(p).await;
            Instant::now()
        }));
    }
    let mut times = Vec::new();
    for t in tasks {
        times.push(t.await.unwrap());
    }
    assert_eq!(times.len(), 45);
    assert!(max_in_window(&times, Duration::from_millis(200)) <= 10);
    // and it does not dawdle: 45 calls at 10 per 200 ms need four more windows at most
    let first = *times.iter().min().unwrap();
    let last = *times.iter().max().unwrap();
    assert!(last.duration_since(first) < Duration::from_millis(2000), "limiter far slower than its budget");
}

#[tokio::test]
async fn high_priority_overtakes_a_stock_backlog() {
    let limiter = RateLimiter::new(cfg(2, 100));
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for i in 0..40 {
        let (l, o) = (limiter.clone(), order.clone());
        tasks.push(tokio::spawn(async move {
            l.acquire(Priority::Low).await;
            o.lock().unwrap().push(format!("low{i}"));
        }));
    }
    tokio::time::sleep(Duration::from_millis(250)).await;
    let usage = limiter.usage().await;
    assert!(usage.queued_low >= 30, "backlog should still be queued: {usage:?}");
    let (l, o) = (limiter.clone(), order.clone());
    let high = tokio::spawn(async move {
        l.acquire(Priority::High).await;
        o.lock().unwrap().push("high".into());
    });
    high.await.unwrap();
    let seen = order.lock().unwrap().clone();
    let lows_before = seen.iter().position(|s| s == "high").unwrap();
    // at 2 per 100 ms, ~250 ms lets ~6 lows through; the high one must come right after them
    assert!(lows_before <= 8, "high waited behind {lows_before} low calls");
    for t in tasks {
        t.abort();
    }
}

#[tokio::test]
async fn pause_stops_every_caller_for_the_stated_wait() {
    let limiter = RateLimiter::new(cfg(100, 1000));
    limiter.acquire(Priority::High).await;
    limiter.pause(Duration::from_millis(300)).await;
    assert!(limiter.usage().await.paused_for.is_some());
    let start = Instant::now();
    limiter.acquire(Priority::High).await;
    assert!(start.elapsed() >= Duration::from_millis(290), "granted during a pause");
}

#[tokio::test]
async fn usage_counts_calls_in_the_window() {
    let limiter = RateLimiter::new(cfg(5, 10_000));
    for _ in 0..3 {
        limiter.acquire(Priority::Low).await;
    }
    let u = limiter.usage().await;
    assert_eq!((u.calls_in_window, u.limit, u.granted_total), (3, 5, 3));
}

#[tokio::test]
async fn stock_cannot_use_the_reserve_but_orders_can() {
    let config = RateLimitConfig { reserve: 2, ..cfg(5, 10_000) };
    let limiter = RateLimiter::new(config);
    for _ in 0..3 {
        limiter.acquire(Priority::Low).await;
    }
    let l = limiter.clone();
    let blocked = tokio::spawn(async move { l.acquire(Priority::Low).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!blocked.is_finished(), "a stock call used the order reserve");
    let start = Instant::now();
    limiter.acquire(Priority::High).await;
    limiter.acquire(Priority::High).await;
    assert!(start.elapsed() < Duration::from_millis(500), "order work waited with the reserve free");
    assert_eq!(limiter.usage().await.calls_in_window, 5);
    blocked.abort();
}
