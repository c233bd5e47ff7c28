//! The stock flow end to end: the service (webhook receiver, workers, pusher, reconciliation)
//! against the simulated Edge and Magento, with helpers to post signed stock events.
use crate::support::*;
use base64::Engine;
use jlbridge::app::App;
use jlbridge::config::{Config, StringList};
use jlbridge::domain::buffer::BufferRules;
use jlbridge::domain::order::PartNumber;
use jlbridge::domain::webhook_signature::sign;
use jlbridge::sandbox::edge::{self, EdgeSandbox, EdgeSandboxConfig};
use jlbridge::sandbox::magento::MagentoSandbox;
use jlbridge::store::mapping::{self, MappingRow};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::time::Duration;

pub const KEY: &[u8] = b"stock-flow-test-key-0123456789ab";

pub fn sku(i: usize) -> String {
    format!("SKU-{i:05}")
}
pub fn part(i: usize) -> String {
    format!("{}", 50_000_000 + i)
}

pub struct StockRig {
    pub app: App,
    pub edge: EdgeSandbox,
    pub magento: MagentoSandbox,
    pub rules: BufferRules,
    url: String,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
}

pub struct RigOptions {
    pub skus: usize,
    pub initial_edge_stock: i64,
    pub rate_limit: u32,
    pub window: Duration,
    pub rules: BufferRules,
    /// Put the SKUs in the Magento catalogue with this salable quantity.
    pub magento_qty: Option<i64>,
    pub drift_threshold: u32,
}

impl StockRig {
    pub async fn start(o: RigOptions) -> StockRig {
        let edge = edge::start(EdgeSandboxConfig { rate_limit: o.rate_limit, rate_window: o.window, max_page_size: 100, ..Default::default() })
            .await
            .unwrap();
        let magento = MagentoSandbox::start().await.unwrap();
        for i in 0..o.skus {
            edge.add_product(&part(i), Some(&sku(i)), o.initial_edge_stock);
            if let Some(q) = o.magento_qty {
                magento.add_product(&sku(i), "Product", Decimal::from(10));
                magento.set_source_qty(&sku(i), "default", Decimal::from(q));
            }
        }
        let (db, dir) = sqlite_config();
        let mut c = Config::default();
        c.database = db;
        c.http.listen = "127.0.0.1:0".into();
        c.grpc.listen = "127.0.0.1:0".into();
        c.webhooks.secrets = StringList(vec![format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(KEY))]);
        jlbridge::sandbox::point_config(&mut c, &edge, &magento);
        c.edge.rate_limit = o.rate_limit;
        c.edge.rate_window_ms = o.window.as_millis() as u64;
        c.edge.timeout_secs = 10;
        c.stock.buffer = o.rules.clone();
        c.stock.reconcile_interval_secs = 0;
        c.stock.drift_threshold = o.drift_threshold;
        c.stock.push_retry_secs = 1;
        c.stock.magento_page_size = 7; // reconciliation walks the mapping over many pages
        let app = App::start(c).await.expect("service starts");
        let rows: Vec<MappingRow> = (0..o.skus)
            .map(|i| MappingRow { sku: sku(i), part_number: PartNumber::parse(&part(i)).unwrap(), extra: None })
            .collect();
        mapping::import(&app.state.db, &rows).await.unwrap();
        let url = format!("http://{}/webhooks/magento", app.http_addr);
        StockRig { app, edge, magento, rules: o.rules, url, client: reqwest::Client::new(), _dir: dir }
    }

    /// Posts a `stock.changed` event observed at `observed_ms`, signed at `webhook_ts`.
    pub async fn post(&self, id: &str, observed_ms: i64, webhook_ts: i64, items: Value) -> u16 {
        self.post_at(id, chrono::DateTime::from_timestamp_millis(observed_ms).unwrap(), webhook_ts, items).await
    }

    /// Like [`Self::post`], with the body's `timestamp` to the microsecond.
    pub async fn post_at(&self, id: &str, observed: chrono::DateTime<chrono::Utc>, webhook_ts: i64, items: Value) -> u16 {
        let ts = observed.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let body = json!({"type": "stock.changed", "timestamp": ts, "data": {"items": items}}).to_string();
        let resp = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", webhook_ts.to_string())
            .header("webhook-signature", sign(KEY, id, webhook_ts, body.as_bytes()))
            .body(body)
            .send()
            .await
            .expect("the service answers");
        resp.status().as_u16()
    }

    /// Waits until every job has run.
    pub async fn drained(&self, secs: u64) -> bool {
        let q = self.app.state.queue.clone();
        eventually(secs, || {
            let q = q.clone();
            async move { q.depth().await.map(|d| d.queued + d.running == 0).unwrap_or(false) }
        })
        .await
    }

    /// What John Lewis should show for a salable quantity.
    pub fn expected(&self, sku: &str, salable: i64) -> i64 {
        self.rules.compute(sku, Decimal::from(salable), chrono::Utc::now()).output as i64
    }

    /// Stock PATCH calls the simulated Edge received.
    pub fn stock_calls(&self) -> usize {
        self.edge.calls().iter().filter(|c| c.method == "PATCH" && c.path.ends_with("/stock")).count()
    }
}
