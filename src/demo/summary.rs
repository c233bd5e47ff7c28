//! The end-of-day summary: what happened, and the two promises — no event lost, no order twice.
use super::day::Played;
use super::john_lewis::JohnLewis;
use super::world::World;
use crate::app::App;
use crate::sandbox::call_log::max_in_window;
use crate::store::stmt;
use sea_orm::{ConnectionTrait, DbErr};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
pub struct Report {
    pub elapsed: Duration,
    pub jl_orders: usize,
    pub acknowledged: usize,
    pub injected: usize,
    pub dispatched: usize,
    pub cancelled: usize,
    pub duplicate_orders: usize,
    pub webhooks_accepted: usize,
    /// Webhooks Magento stopped retrying without a 2xx (each also a lost event).
    pub webhooks_undelivered: usize,
    pub lost_events: usize,
    pub stock_pushes: usize,
    /// Over SFTP: what went over the files (REST: `None`).
    pub files: Option<FileFigures>,
    pub edge_calls: usize,
    pub peak_calls_per_minute: usize,
    pub rate_limit: u32,
    pub skus_in_step: usize,
    pub skus_checked: usize,
    /// SKUs whose John Lewis value differs: (sku, wanted, shown).
    pub out_of_step: Vec<(String, i64, i64)>,
    pub freshness_p50_ms: Option<i64>,
    pub freshness_p99_ms: Option<i64>,
    /// kind → (opened, still open)
    pub exceptions: BTreeMap<String, (i64, i64)>,
    pub played: String,
}

/// The SFTP transport's figures: logins, and files written by jlbridge.
#[derive(Debug, Default)]
pub struct FileFigures {
    pub logins: usize,
    pub update_files: usize,
    pub inventory_files: usize,
    pub failed_requests: usize,
    pub refused_connections: usize,
}

fn percentile(sorted: &[i64], p: f64) -> Option<i64> {
    (!sorted.is_empty()).then(|| sorted[((sorted.len() - 1) as f64 * p).round() as usize])
}

async fn pending_skus(app: &App) -> Result<i64, DbErr> {
    let db = &app.state.db;
    let row = db.query_one(stmt(db.get_database_backend(), "SELECT COUNT(*) AS n FROM stock_state WHERE pending = $1", [true.into()])).await?;
    Ok(row.map(|r| r.try_get::<i64>("", "n")).transpose()?.unwrap_or(0))
}

/// Stock values the SFTP adapter holds for its next inventory file, and files not fully written.
async fn stock_files_waiting(app: &App) -> Result<i64, DbErr> {
    let db = &app.state.db;
    let sql = "SELECT (SELECT COUNT(*) FROM sftp_stock_pending) + \
               (SELECT COUNT(*) FROM sftp_files WHERE direction = 'out' AND status = 'pending') AS n";
    let row = db.query_one(stmt(db.get_database_backend(), sql, [])).await?;
    Ok(row.map(|r| r.try_get::<i64>("", "n")).transpose()?.unwrap_or(0))
}

async fn freshness(app: &App) -> Result<Vec<i64>, DbErr> {
    let db = &app.state.db;
    let rows = db
        .query_all(stmt(
            db.get_database_backend(),
            "SELECT sent_at - changed_at AS lag FROM stock_state \
             WHERE sent_at IS NOT NULL AND changed_at IS NOT NULL AND sent_value = computed_value AND sent_at >= changed_at",
            [],
        ))
        .await?;
    let mut lags: Vec<i64> = rows.iter().filter_map(|r| r.try_get::<i64>("", "lag").ok()).collect();
    lags.sort();
    Ok(lags)
}

async fn exceptions(app: &App) -> Result<BTreeMap<String, (i64, i64)>, DbErr> {
    let db = &app.state.db;
    let rows = db
        .query_all(stmt(
            db.get_database_backend(),
            "SELECT kind, COUNT(*) AS opened, SUM(CASE WHEN status IN ('open', 'retrying') THEN 1 ELSE 0 END) AS still_open \
             FROM exceptions GROUP BY kind ORDER BY kind",
            [],
        ))
        .await?;
    let mut out = BTreeMap::new();
    for r in rows {
        out.insert(r.try_get::<String>("", "kind")?, (r.try_get::<i64>("", "opened")?, r.try_get::<i64>("", "still_open")?));
    }
    Ok(out)
}

async fn in_inbox(app: &App, id: &str) -> Result<bool, DbErr> {
    let db = &app.state.db;
    Ok(db
        .query_one(stmt(db.get_database_backend(), "SELECT id FROM webhook_inbox WHERE id = $1", [id.into()]))
        .await?
        .is_some())
}

/// Whether everything the day set going has come to rest: every John Lewis order is in Magento
/// (or cancelled before it got there), every webhook Magento raised is delivered (or given up),
/// every job has run, and every stock value has gone out (over files: written, the last batch
/// included).
async fn settled(app: &App, w: &World, played: &Played) -> anyhow::Result<bool> {
    if w.magento.webhooks_in_flight() > 0 {
        return Ok(false);
    }
    let waiting = |(id, reference): &(u64, String)| {
        w.magento.orders_with_ext_id(reference).is_empty() && w.jl.order_status(*id).as_deref() != Some("CANCEL_ACK")
    };
    if played.jl_orders.iter().any(waiting) {
        return Ok(false);
    }
    let depth = app.state.queue.depth().await?;
    if depth.queued + depth.running > 0 || pending_skus(app).await? > 0 {
        return Ok(false);
    }
    if matches!(w.jl, JohnLewis::Files(_)) && stock_files_waiting(app).await? > 0 {
        return Ok(false);
    }
    Ok(true)
}

pub async fn gather(app: &App, w: &World, played: &Played, elapsed: Duration) -> anyhow::Result<Report> {
    // Compare only once nothing is in flight: an order injected late, or a webhook still being
    // delivered, changes Magento after a premature comparison (up to 30 s; then as it stands).
    let settle = Instant::now();
    while settle.elapsed() < Duration::from_secs(30) && !settled(app, w, played).await? {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    if let JohnLewis::Files(f) = &w.jl {
        // The simulated Edge reads the inventory files written so far.
        let edge = f.edge.clone();
        tokio::task::spawn_blocking(move || edge.process()).await?;
    }
    let mut r = Report { elapsed, jl_orders: played.jl_orders.len(), rate_limit: app.state.config.edge.rate_limit, ..Default::default() };
    for (id, reference) in &played.jl_orders {
        let copies = w.magento.orders_with_ext_id(reference).len();
        r.injected += usize::from(copies > 0);
        r.duplicate_orders += copies.saturating_sub(1);
        match w.jl.order_status(*id).as_deref() {
            Some("ORDER") | None => {}
            Some("DISPATCH") => {
                r.acknowledged += 1;
                r.dispatched += 1
            }
            Some("CANCEL_ACK") => r.cancelled += 1,
            Some(_) => r.acknowledged += 1,
        }
    }
    for hook in w.magento.webhooks_sent() {
        if hook.status.is_some_and(|s| (200..300).contains(&s)) {
            r.webhooks_accepted += 1;
            if !in_inbox(app, &hook.id).await? {
                r.lost_events += 1;
            }
        } else {
            // Refused for good, or given up after retrying: the event never reached the service.
            r.webhooks_undelivered += 1;
            r.lost_events += 1;
        }
    }
    let calls = w.jl.calls();
    r.edge_calls = calls.len();
    r.peak_calls_per_minute = max_in_window(&calls, Duration::from_secs(60));
    match &w.jl {
        JohnLewis::Rest(_) => r.stock_pushes = calls.iter().filter(|c| c.method == "PATCH" && c.path.ends_with("/stock")).count(),
        JohnLewis::Files(f) => {
            // Each file written once (a retried upload opens the same name again).
            let written = |folder: &str| {
                let names: BTreeSet<&str> = calls
                    .iter()
                    .filter(|c| c.method == "OPEN_WRITE" && c.status == 200 && c.path.starts_with(folder) && !c.path.ends_with(".DONE"))
                    .map(|c| c.path.as_str())
                    .collect();
                names.len()
            };
            let inventory_files = written("/live/inventory/");
            r.stock_pushes = inventory_files;
            r.files = Some(FileFigures {
                logins: f.server.logins(),
                update_files: written("/live/outgoing/"),
                inventory_files,
                failed_requests: calls.iter().filter(|c| c.status >= 500).count(),
                refused_connections: f.server.refused_connections(),
            });
        }
    }
    let now = chrono::Utc::now();
    let mappings = crate::store::mapping::all(&app.state.db).await?;
    for m in mappings.iter().filter(|m| !m.blocked) {
        let (Some(salable), Some(shown)) = (w.magento.salable_qty(&m.sku, 1), w.jl.product_stock(&m.part_number)) else {
            continue;
        };
        r.skus_checked += 1;
        let wanted = app.state.config.stock.buffer.compute(&m.sku, salable, now).output as i64;
        if wanted == shown {
            r.skus_in_step += 1;
        } else {
            r.out_of_step.push((m.sku.clone(), wanted, shown));
        }
    }
    let lags = freshness(app).await?;
    r.freshness_p50_ms = percentile(&lags, 0.5);
    r.freshness_p99_ms = percentile(&lags, 0.99);
    r.exceptions = exceptions(app).await?;
    r.played = format!(
        "{} sales, {} restocks, {} parcels; outage {}",
        played.sales,
        played.restocks,
        played.shipments,
        played.outage.map(|(at, len)| format!("at {} s for {} s", at.as_secs(), len.as_secs())).unwrap_or_else(|| "none".into())
    );
    Ok(r)
}

impl Report {
    pub fn print(&self) {
        let ms = |v: Option<i64>| v.map(|v| format!("{v} ms")).unwrap_or_else(|| "n/a".into());
        println!();
        println!("summary of the day ({} s): {}", self.elapsed.as_secs(), self.played);
        println!("  John Lewis orders   {} placed · {} acknowledged · {} injected into Magento · {} dispatched · {} cancelled",
            self.jl_orders, self.acknowledged, self.injected, self.dispatched, self.cancelled);
        if self.files.is_some() {
            println!("                      (over SFTP: order files in, update files out; no cancellation request files exist)");
        }
        println!("  duplicate orders    {}", self.duplicate_orders);
        println!(
            "  webhooks            {} accepted · {} undelivered · lost events {}",
            self.webhooks_accepted, self.webhooks_undelivered, self.lost_events
        );
        let pushes = if self.files.is_some() { "stock files" } else { "pushes" };
        println!("  stock               {} {pushes} · {} of {} SKUs show exactly rules(Magento salable)", self.stock_pushes, self.skus_in_step, self.skus_checked);
        for (sku, wanted, shown) in self.out_of_step.iter().take(5) {
            println!("    out of step       {sku}: rules give {wanted}, John Lewis shows {shown}");
        }
        println!("  freshness           p50 {} · p99 {} (change seen → John Lewis updated)", ms(self.freshness_p50_ms), ms(self.freshness_p99_ms));
        match &self.files {
            None => println!("  John Lewis calls    {} in all · peak {} in any minute (limit {})", self.edge_calls, self.peak_calls_per_minute, self.rate_limit),
            Some(f) => {
                println!(
                    "  John Lewis SFTP     {} requests · peak {} in any minute · {} logins · outage: {} requests failed, {} connections refused",
                    self.edge_calls, self.peak_calls_per_minute, f.logins, f.failed_requests, f.refused_connections
                );
                println!("  files written       {} updates (each with its .DONE) · {} inventory files", f.update_files, f.inventory_files);
            }
        }
        if self.exceptions.is_empty() {
            println!("  exceptions          none");
        }
        for (kind, (opened, open)) in &self.exceptions {
            println!("  exception           {kind}: {opened} opened, {} resolved, {open} open", opened - open);
        }
    }
}
