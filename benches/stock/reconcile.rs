//! (c) A full reconciliation of `BENCH_RECONCILE_SKUS` (default 100,000) mapped SKUs against
//! the sandboxes: every salable quantity read from the Magento sandbox (one call per SKU, 8 in
//! flight, as the service does), every product listed from the Edge sandbox (pages of 1,000),
//! every difference stored as pending. 1 SKU in 100 differs. The pusher is paused, so the time
//! is the comparison alone. Peak memory is the whole process's VmHWM, sandboxes (holding
//! 100,000 products each, in this same process) included; the growth during the run is shown too.
use super::rig::{self, vm_hwm_mib};
use jlbridge::sync::stock::reconcile::{ReconcileSettings, Reconciler};
use std::sync::Arc;
use std::time::Instant;

pub async fn run() {
    let n: usize = std::env::var("BENCH_RECONCILE_SKUS").ok().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    println!("\n(c) full reconciliation of {n} SKUs against the sandboxes (SQLite file, 8 Magento reads in flight)");
    let t = Instant::now();
    let magento_qty = |i: usize| if i % 100 == 0 { 7 } else { 20 };
    let r = rig::start(n, 1_000_000, std::time::Duration::from_secs(60), |_| 20, Some(&magento_qty)).await;
    r.app.state.stock.pause_pushes();
    let state = &r.app.state;
    let reconciler = Reconciler {
        db: state.db.clone(),
        magento: state.connectors.magento.clone().expect("magento configured"),
        market: state.connectors.marketplace.clone().expect("marketplace configured"),
        rules: Arc::new(state.config.stock.buffer.clone()),
        settings: ReconcileSettings { stock_id: state.config.magento.stock_id, page_size: 500, concurrency: 8, drift_threshold: 3 },
        signal: state.stock.signal.clone(),
        ops: state.ops.clone(),
    };
    let before = vm_hwm_mib();
    println!("    setup (sandboxes filled, mapping written) {:.1?}, VmHWM so far {before:.0} MiB", t.elapsed());
    let t = Instant::now();
    let report = reconciler.run_once().await.expect("reconciliation runs");
    let took = t.elapsed();
    let after = vm_hwm_mib();
    println!(
        "    compared {} SKUs in {took:.1?} ({:.0} SKUs/s); {} pending, {} Magento errors, {} missing on John Lewis",
        report.mapped,
        report.mapped as f64 / took.as_secs_f64(),
        report.pending,
        report.magento_errors,
        report.missing_on_marketplace
    );
    println!("    peak memory (VmHWM, whole process incl. both sandboxes) {after:.0} MiB; grew {:.0} MiB during the run (target ≤ 200 MB)", after - before);
    r.app.stop().await;
}
