//! (c) A full reconciliation of `BENCH_RECONCILE_SKUS` (default 100,000) mapped SKUs against
//! the sandboxes: every salable quantity read from the Magento sandbox (one call per SKU, 8 in
//! flight, as the service does), every product listed from the Edge sandbox (the service's
//! pages of 100), every difference stored as pending. 1 SKU in 100 differs. The pusher is
//! paused, so the time is the comparison alone.
//!
//! The sandboxes (100,000 products each) run in a **child process** (this bench binary again,
//! `STOCK_BENCH_SANDBOXES=n`), so this process holds only the service. Its memory is measured
//! two ways over the run: the peak of live heap bytes (a counting global allocator, `alloc.rs`)
//! and VmHWM (peak resident set, reset with `/proc/self/clear_refs` just before the run, so it
//! starts from the resident set setup left behind).
use super::alloc;
use super::rig::{self, status_mib};
use jlbridge::sync::stock::reconcile::{ReconcileSettings, Reconciler};
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CHILD: &str = "STOCK_BENCH_SANDBOXES";
const WINDOW: Duration = Duration::from_secs(60);
const RATE: u32 = 1_000_000;

fn magento_qty(i: usize) -> i64 {
    if i % 100 == 0 {
        7
    } else {
        20
    }
}

/// In the child: serves both sandboxes with `n` products until stdin closes. Returns false when
/// this process is not the child.
pub async fn serve_if_child() -> bool {
    let Some(n) = std::env::var(CHILD).ok().and_then(|v| v.parse::<usize>().ok()) else { return false };
    let (edge, magento) = rig::sandboxes(n, RATE, WINDOW, |_| 20, Some(&magento_qty)).await;
    let c = edge.config();
    println!("{}\t{}\t{}\t{}\t{}", edge.base_url(), c.username, c.password, magento.base_url(), magento.token());
    let _ = tokio::task::spawn_blocking(|| std::io::stdin().read_to_end(&mut Vec::new())).await;
    true
}

pub async fn run() {
    let n: usize = std::env::var("BENCH_RECONCILE_SKUS").ok().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    println!("\n(c) full reconciliation of {n} SKUs against the sandboxes (SQLite file, 8 Magento reads in flight, sandboxes in a child process)");
    let t = Instant::now();
    let mut child = Command::new(std::env::current_exe().expect("bench binary"))
        .env(CHILD, n.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sandbox child starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("sandbox child answers");
    let f: Vec<&str> = line.trim_end().split('\t').collect();
    assert_eq!(f.len(), 5, "sandbox child said {line:?}");
    let (app, _dir) = rig::start_service(n, RATE, WINDOW, |c| {
        use jlbridge::config::Secret;
        c.edge.base_url = Some(f[0].to_owned());
        c.edge.username = Some(f[1].to_owned());
        c.edge.password = Some(Secret::new(f[2].to_owned()));
        c.magento.base_url = Some(f[3].to_owned());
        c.magento.token = Some(Secret::new(f[4].to_owned()));
    })
    .await;
    app.state.stock.pause_pushes();
    let state = &app.state;
    let reconciler = Reconciler {
        db: state.db.clone(),
        magento: state.connectors.magento.clone().expect("magento configured"),
        market: state.connectors.marketplace.clone().expect("marketplace configured"),
        rules: Arc::new(state.config.stock.buffer.clone()),
        settings: ReconcileSettings { stock_id: state.config.magento.stock_id, page_size: 500, concurrency: 8, drift_threshold: 3 },
        signal: state.stock.signal.clone(),
        ops: state.ops.clone(),
    };
    let _ = std::fs::write("/proc/self/clear_refs", "5"); // VmHWM starts again from VmRSS
    let (rss_before, heap_before) = (status_mib("self", "VmRSS:"), alloc::live_mib());
    alloc::reset_peak();
    println!(
        "    setup (child sandboxes filled, mapping written) {:.1?}; service process before the run: RSS {rss_before:.0} MiB, live heap {heap_before:.0} MiB",
        t.elapsed()
    );
    let t = Instant::now();
    let report = reconciler.run_once().await.expect("reconciliation runs");
    let took = t.elapsed();
    let (hwm, heap_peak) = (rig::vm_hwm_mib(), alloc::peak_mib());
    let child_hwm = status_mib(&child.id().to_string(), "VmHWM:");
    println!(
        "    compared {} SKUs in {took:.1?} ({:.0} SKUs/s); {} pending, {} Magento errors, {} missing on John Lewis",
        report.mapped,
        report.mapped as f64 / took.as_secs_f64(),
        report.pending,
        report.magento_errors,
        report.missing_on_marketplace
    );
    println!(
        "    service process during the run: peak RSS (VmHWM) {hwm:.0} MiB, peak live heap {heap_peak:.0} MiB (grew {:.0} MiB) — target ≤ 200 MB ({:.0} MiB)",
        heap_peak - heap_before,
        200e6 / 1048576.0
    );
    println!("    (not counted: the sandbox child process, VmHWM {child_hwm:.0} MiB)");
    app.stop().await;
    drop(child.stdin.take());
    let _ = child.wait();
}
