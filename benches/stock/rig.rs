//! The service in process against the Edge and Magento sandboxes, with `n` SKUs mapped
//! (`SKU-000000` ↔ part `60000000`…), rows written in bulk.
use base64::Engine;
use jlbridge::app::App;
use jlbridge::config::{Config, StringList};
use jlbridge::domain::webhook_signature::sign;
use jlbridge::sandbox::edge::{self, EdgeSandbox, EdgeSandboxConfig};
use jlbridge::sandbox::magento::MagentoSandbox;
use jlbridge::store::entities::{product_mapping, stock_state};
use rust_decimal::Decimal;
use sea_orm::{EntityTrait, TransactionTrait};
use serde_json::{json, Value};
use std::time::Duration;

pub const KEY: &[u8] = b"stock-bench-key-0123456789abcdef";

pub fn sku(i: usize) -> String {
    format!("SKU-{i:06}")
}
pub fn part(i: usize) -> String {
    format!("{}", 60_000_000 + i)
}

pub struct Rig {
    pub app: App,
    pub edge: EdgeSandbox,
    pub _magento: MagentoSandbox,
    pub client: reqwest::Client,
    pub _dir: tempfile::TempDir,
}

/// `edge_stock(i)` is what The Edge shows; `magento_qty(i)`, when given, Magento's salable quantity.
pub async fn start(
    n: usize,
    rate_per_window: u32,
    window: Duration,
    edge_stock: impl Fn(usize) -> i64,
    magento_qty: Option<&dyn Fn(usize) -> i64>,
) -> Rig {
    let (edge, magento) = sandboxes(n, rate_per_window, window, edge_stock, magento_qty).await;
    let (app, dir) = start_service(n, rate_per_window, window, |c| jlbridge::sandbox::point_config(c, &edge, &magento)).await;
    Rig { app, edge, _magento: magento, client: reqwest::Client::new(), _dir: dir }
}

/// Both sandboxes holding `n` products.
pub async fn sandboxes(
    n: usize,
    rate_per_window: u32,
    window: Duration,
    edge_stock: impl Fn(usize) -> i64,
    magento_qty: Option<&dyn Fn(usize) -> i64>,
) -> (EdgeSandbox, MagentoSandbox) {
    let edge = edge::start(EdgeSandboxConfig { rate_limit: rate_per_window, rate_window: window, max_page_size: 1000, ..Default::default() })
        .await
        .unwrap();
    let magento = MagentoSandbox::start().await.unwrap();
    for i in 0..n {
        edge.add_product(&part(i), Some(&sku(i)), edge_stock(i));
        if let Some(q) = magento_qty {
            magento.add_product(&sku(i), "Product", Decimal::from(10));
            magento.set_source_qty(&sku(i), "default", Decimal::from(q(i)));
        }
    }
    (edge, magento)
}

/// The service (SQLite file) pointed at sandboxes by `point`, with `n` SKUs mapped.
pub async fn start_service(n: usize, rate_per_window: u32, window: Duration, point: impl FnOnce(&mut Config)) -> (App, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Config::default();
    c.database.url = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
    c.http.listen = "127.0.0.1:0".into();
    c.grpc.listen = "127.0.0.1:0".into();
    c.webhooks.secrets = StringList(vec![format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(KEY))]);
    point(&mut c);
    c.edge.rate_limit = rate_per_window;
    c.edge.rate_window_ms = window.as_millis() as u64;
    c.edge.timeout_secs = 10;
    c.stock.reconcile_interval_secs = 0;
    c.stock.max_calls_per_minute = rate_per_window * 4 / 5;
    c.jobs.poll_interval_ms = 20;
    let app = App::start(c).await.expect("service starts");
    let now = jlbridge::store::now_ms();
    let mapping = |i: usize| -> product_mapping::ActiveModel {
        product_mapping::Model {
            sku: sku(i),
            part_number: part(i),
            product_id: None,
            traded_code: None,
            verified: false,
            blocked: false,
            verified_at: None,
            verify_error: None,
            extra: None,
            imported_at: now,
            updated_at: now,
        }
        .into()
    };
    let txn = app.state.db.begin().await.unwrap();
    for from in (0..n).step_by(500) {
        let chunk: Vec<_> = (from..(from + 500).min(n)).map(mapping).collect();
        product_mapping::Entity::insert_many(chunk).exec(&txn).await.unwrap();
    }
    txn.commit().await.unwrap();
    (app, dir)
}

/// Marks SKUs as already in step: observed `qty` an hour ago, sent and shown.
pub async fn seed_in_step(rig: &Rig, skus: impl Iterator<Item = usize>, qty: impl Fn(usize) -> i64) {
    let t = jlbridge::store::now_ms() - 3_600_000;
    let rows: Vec<stock_state::ActiveModel> = skus
        .map(|i| {
            let q = qty(i);
            stock_state::Model {
                sku: sku(i),
                observed_qty: Some(q.to_string()),
                observed_at: Some(t * 1000),
                observed_webhook_ts: Some(t / 1000),
                computed_value: Some(q),
                explanation: None,
                version: 1,
                changed_at: Some(t),
                pending: false,
                inflight_version: None,
                inflight_until: None,
                sent_value: Some(q),
                sent_at: Some(t),
                shown_value: Some(q),
                shown_at: Some(t),
                attempts: 0,
                next_attempt_at: None,
                last_error: None,
                drift_count: 0,
                updated_at: t,
            }
            .into()
        })
        .collect();
    let txn = rig.app.state.db.begin().await.unwrap();
    for chunk in rows.chunks(500) {
        stock_state::Entity::insert_many(chunk.to_vec()).exec(&txn).await.unwrap();
    }
    txn.commit().await.unwrap();
}

/// Posts one signed `stock.changed` with these items; returns the HTTP status.
pub async fn post(rig: &Rig, id: &str, items: Value) -> u16 {
    let body = json!({"type": "stock.changed", "timestamp": chrono::Utc::now().to_rfc3339(), "data": {"items": items}}).to_string();
    let ts = chrono::Utc::now().timestamp();
    rig.client
        .post(format!("http://{}/webhooks/magento", rig.app.http_addr))
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", sign(KEY, id, ts, body.as_bytes()))
        .body(body)
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

/// Peak resident memory of this process so far (VmHWM), in MiB.
pub fn vm_hwm_mib() -> f64 {
    status_mib("self", "VmHWM:")
}

/// A `/proc/<pid>/status` figure (`VmHWM:`, `VmRSS:`), in MiB.
pub fn status_mib(pid: &str, field: &str) -> f64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}
