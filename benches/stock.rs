//! Stock sync figures (issue 6), printed; asserts nothing.
//!
//!     cargo bench --bench stock
//!
//! (a) freshness, webhook → John Lewis holding the value, p50/p99, idle and during a
//!     10,000-SKU burst, on the sandboxes with time scaled (see `freshness.rs`);
//! (b) a replayed peak day: oversold units, risk-first pusher vs scheduled full syncs
//!     (pure simulation on the domain rules, see `peak_day.rs`);
//! (c) a full reconciliation of 100,000 SKUs against the sandboxes (in a child process): time
//!     and the service's peak memory (heap and resident set).
//!
//! `BENCH_PARTS=b` (any of a, b, c) runs only some; `BENCH_RECONCILE_SKUS` changes (c)'s size.
#[path = "stock/alloc.rs"]
mod alloc;
#[path = "stock/rig.rs"]
mod rig;
#[path = "stock/freshness.rs"]
mod freshness;
#[path = "stock/peak_day.rs"]
mod peak_day;
#[path = "stock/reconcile.rs"]
mod reconcile;

use jlbridge::domain::buffer::BufferRules;
use peak_day::Strategy;

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

fn part(p: char) -> bool {
    std::env::var("BENCH_PARTS").map(|v| v.contains(p)).unwrap_or(true)
}

fn peak_day_figures() {
    let rules = BufferRules { safety: Some(1), ..Default::default() };
    println!(
        "\n(b) replayed peak day: {} SKUs, {} h (peak ×3 from hour 4 to 8), {} stock calls/min for every strategy, buffer safety 1, webhook delay {} s",
        peak_day::SKUS,
        peak_day::HOURS,
        peak_day::CALLS_PER_MINUTE,
        peak_day::WEBHOOK_DELAY_SECS
    );
    let mut results = Vec::new();
    for s in [Strategy::RiskFirst, Strategy::FullSyncEvery(15), Strategy::FullSyncEvery(5)] {
        let t = std::time::Instant::now();
        let o = peak_day::simulate(s, &rules, 20261127);
        println!(
            "    {:<40} oversold units {:>5}   John Lewis orders {:>6}   stock calls {:>6}   ({:.1?})",
            s.name(),
            o.oversold,
            o.jl_orders,
            o.calls,
            t.elapsed()
        );
        results.push(o.oversold);
    }
    let ratio = |a: u64, b: u64| if b == 0 { f64::NAN } else { a as f64 / b as f64 };
    println!(
        "    risk-first / 15-min sync = {:.3} (target ≤ 0.05)   risk-first / 5-min sync = {:.3} (target ≤ 0.2)",
        ratio(results[0], results[1]),
        ratio(results[0], results[2])
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if reconcile::serve_if_child().await {
        return;
    }
    if part('a') {
        freshness::run().await;
    }
    if part('b') {
        peak_day_figures();
    }
    if part('c') {
        reconcile::run().await;
    }
}
