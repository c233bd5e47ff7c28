//! (a) Freshness: webhook posted → The Edge (sandbox) holding the value, measured by polling
//! the sandbox every 2 ms. Time is scaled: the account's 250 calls a "minute" are given per
//! `WINDOW` (0.5 s, i.e. 120× faster than real time), so a 10,000-SKU burst drains in about
//! 10,000 / 200 × 0.5 s instead of 50 minutes. Latencies are printed as measured: processing
//! time does not scale, only waits for call slots would (×120) at the real rate.
use super::rig::{self, part, percentile, sku, Rig};
use serde_json::json;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_millis(500);
const SCALE: u32 = 120;
const BURST: usize = 10_000;
const PROBES: usize = 40;

async fn until_shown(r: &Rig, i: usize, value: i64, limit: Duration) -> Option<Duration> {
    let t = Instant::now();
    while t.elapsed() < limit {
        if r.edge.product_stock(&part(i)) == Some(value) {
            return Some(t.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    None
}

fn report(label: &str, mut ms: Vec<f64>, missed: usize) {
    ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let (p50, p99) = (percentile(&ms, 0.5), percentile(&ms, 0.99));
    println!("    {label:<62} p50 {p50:>8.1} ms  p99 {p99:>8.1} ms  (n={}, missed {missed})", ms.len());
}

pub async fn run() {
    println!("\n(a) freshness: webhook → John Lewis (Edge sandbox) holds the value; 250 calls per {WINDOW:?} (time ×{SCALE}), pusher share 200");
    println!("    a probe not on John Lewis within its limit (10 s idle, 20 s in the burst) counts as missed");
    let probes = BURST..BURST + PROBES;
    let r = rig::start(BURST + PROBES, 250, WINDOW, |_| 20, None).await;
    rig::seed_in_step(&r, 0..BURST + PROBES, |_| 20).await;

    // Idle: one probe at a time drops 20 → 3.
    let mut idle = Vec::new();
    let mut missed = 0;
    for (n, i) in probes.clone().enumerate() {
        let t = Instant::now();
        assert_eq!(rig::post(&r, &format!("idle-{n}"), json!([{"sku": sku(i), "salable_qty": 3}])).await, 202);
        match until_shown(&r, i, 3, Duration::from_secs(10)).await {
            Some(_) => idle.push(t.elapsed().as_secs_f64() * 1000.0),
            None => missed += 1,
        }
    }
    report("idle, decrease", idle, missed);

    // Burst: 10,000 SKUs rise 20 → 50 (100 webhooks of 100 items), then probes drop to 0 while it drains.
    let t0 = Instant::now();
    for b in 0..BURST / 100 {
        let items: Vec<_> = (b * 100..(b + 1) * 100).map(|i| json!({"sku": sku(i), "salable_qty": 50})).collect();
        assert_eq!(rig::post(&r, &format!("burst-{b}"), json!(items)).await, 202);
    }
    let posted = t0.elapsed();
    let mut during = Vec::new();
    let mut missed = 0;
    for (n, i) in probes.clone().enumerate() {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let t = Instant::now();
        assert_eq!(rig::post(&r, &format!("burst-probe-{n}"), json!([{"sku": sku(i), "salable_qty": 0}])).await, 202);
        match until_shown(&r, i, 0, Duration::from_secs(20)).await {
            Some(_) => during.push(t.elapsed().as_secs_f64() * 1000.0),
            None => missed += 1,
        }
    }
    let still = (0..BURST).filter(|&i| r.edge.product_stock(&part(i)) != Some(50)).count();
    report(&format!("during the burst, decrease to 0 ({still} increases still queued)"), during, missed);
    // Increases wait their turn behind risks: time for the whole burst to reach John Lewis.
    until_all(&r, Duration::from_secs(180)).await;
    let drained = t0.elapsed();
    println!(
        "    burst of {BURST} increases posted in {posted:.1?}; all on John Lewis {:.1?} after the first post ({:.1} scaled minutes; at 200/min the minimum is {:.0})",
        drained,
        drained.as_secs_f64() / WINDOW.as_secs_f64(),
        BURST as f64 / 200.0
    );
    r.app.stop().await;
}

async fn until_all(r: &Rig, limit: Duration) {
    let t = Instant::now();
    while t.elapsed() < limit && (0..BURST).any(|i| r.edge.product_stock(&part(i)) != Some(50)) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
