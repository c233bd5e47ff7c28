//! A simulated Magento 2.4 REST API on loopback, with state (see `state` for the inventory
//! rules), for the demo and the tests. `MagentoSandbox` is the handle: seed products and
//! stock, place storefront orders, ship, read what happened, and receive signed webhooks.
mod middleware;
mod routes;
pub mod sales;
pub mod search;
pub mod state;
mod tracks;
pub mod webhooks;

pub use middleware::CallRecord;
pub use state::{Event, Reservation};
pub use webhooks::{SentWebhook, WebhookFaults, WebhookTarget};

use crate::magento::MagentoConfig;
use axum::Router;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use state::State;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// The integration credentials the sandbox accepts for OAuth 1.0a.
#[derive(Debug, Clone)]
pub struct SandboxOAuth {
    pub consumer_key: String,
    pub consumer_secret: String,
    pub access_token: String,
    pub access_token_secret: String,
}

#[derive(Debug, Default)]
pub(crate) struct LocalFaults {
    /// Delay answers to requests of this method (`None`: every method).
    pub delay: Option<(Option<String>, Duration)>,
    /// (status, raw body, Retry-After seconds)
    pub fail_next: VecDeque<(u16, String, Option<u64>)>,
}

/// State shared by the handlers and the handle.
pub(crate) struct Shared {
    pub state: Mutex<State>,
    pub calls: Mutex<Vec<CallRecord>>,
    pub call_seq: std::sync::atomic::AtomicU64,
    pub faults: Mutex<LocalFaults>,
    pub token: String,
    pub oauth: Option<SandboxOAuth>,
    events: mpsc::UnboundedSender<webhooks::Outgoing>,
    webhook_faults: Arc<Mutex<WebhookFaults>>,
    webhook_target: Arc<Mutex<Option<WebhookTarget>>>,
    webhooks_sent: Arc<Mutex<Vec<SentWebhook>>>,
}

impl Shared {
    /// Runs `f` on the store; the events it raised go to the webhook sender, in order.
    pub fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut s = self.state.lock().expect("sandbox state lock");
        let out = f(&mut s);
        let target = self.webhook_target.lock().expect("lock").clone();
        let observed_at = chrono::Utc::now();
        for event in s.events.drain(..) {
            // Events before a target is configured are not sent (as a module not yet set up).
            if let Some(t) = &target {
                let _ = self.events.send(webhooks::Outgoing { event, target: t.clone(), observed_at });
            }
        }
        out
    }
}

/// Where the shared fault-injection layer (`sandbox::faults`, branch `edge`: latency, 429,
/// 5xx, timeouts, dropped connections) is applied to the Magento sandbox. Identity until
/// that module is merged; then: `faults::layer(router, plan)`.
pub fn apply_shared_fault_layer(router: Router) -> Router {
    router
}

pub struct MagentoSandbox {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl MagentoSandbox {
    /// Starts on 127.0.0.1 (a free port) accepting `Bearer sandbox-token`.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with("sandbox-token", None).await
    }

    pub async fn start_with(token: &str, oauth: Option<SandboxOAuth>) -> std::io::Result<Self> {
        let webhook_target = Arc::new(Mutex::new(None));
        let webhooks_sent = Arc::new(Mutex::new(Vec::new()));
        let webhook_faults = Arc::new(Mutex::new(WebhookFaults::default()));
        let events = webhooks::spawn_sender(webhooks_sent.clone(), webhook_faults.clone());
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            calls: Mutex::new(Vec::new()),
            call_seq: Default::default(),
            faults: Mutex::new(LocalFaults::default()),
            token: token.to_owned(),
            oauth,
            events,
            webhook_faults,
            webhook_target,
            webhooks_sent,
        });
        let app = routes::router(shared.clone())
            .layer(axum::middleware::from_fn_with_state(shared.clone(), middleware::auth))
            .layer(axum::middleware::from_fn_with_state(shared.clone(), middleware::local_faults))
            .layer(axum::middleware::from_fn_with_state(shared.clone(), middleware::call_log));
        let app = apply_shared_fault_layer(app);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).with_graceful_shutdown(async { let _ = rx.await; }).await;
        });
        Ok(MagentoSandbox { addr, shared, shutdown: Some(tx) })
    }

    /// The origin, e.g. `http://127.0.0.1:41234` (clients add `/rest/{store}/V1/…`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn token(&self) -> &str {
        &self.shared.token
    }

    /// A client configuration for this sandbox (Bearer token, store `default`, 5 s timeout).
    pub fn client_config(&self) -> MagentoConfig {
        let mut c = MagentoConfig::bearer(self.base_url(), self.token());
        c.timeout = Duration::from_secs(5);
        c
    }

    pub fn add_product(&self, sku: &str, name: &str, price: Decimal) -> i64 {
        self.shared.with(|s| s.add_product(sku, name, price, "simple"))
    }

    /// A product of another type (`configurable`, `bundle`, `virtual`, …).
    pub fn add_product_of_type(&self, sku: &str, name: &str, price: Decimal, type_id: &str) -> i64 {
        self.shared.with(|s| s.add_product(sku, name, price, type_id))
    }

    pub fn add_store(&self, code: &str, store_id: i64) {
        self.shared.with(|s| s.stores.insert(code.to_owned(), store_id));
    }

    /// Links a source to a stock (stock 1 holds `default` from the start).
    pub fn assign_source(&self, stock_id: i64, source_code: &str) {
        self.shared.with(|s| {
            let sources = s.stock_sources.entry(stock_id).or_default();
            if !sources.iter().any(|c| c == source_code) {
                sources.push(source_code.to_owned());
            }
        });
    }

    /// Sets a source item's quantity (in stock when above 0); may send `stock.changed`.
    pub fn set_source_qty(&self, sku: &str, source_code: &str, qty: Decimal) {
        let status = i64::from(qty > Decimal::ZERO);
        self.shared.with(|s| s.set_source_item(sku, source_code, qty, status));
    }

    pub fn salable_qty(&self, sku: &str, stock_id: i64) -> Option<Decimal> {
        self.shared.with(|s| s.salable(sku, stock_id).ok())
    }

    /// Acts as if the jlbridge Magento module were installed: orders created through
    /// `POST /V1/orders` with payment `jlbridge_marketplace` then reserve stock. Off by
    /// default (plain Magento: no reservation on that route).
    pub fn set_connector_module(&self, installed: bool) {
        self.shared.with(|s| s.connector_module = installed);
    }

    pub fn reservations(&self) -> Vec<Reservation> {
        self.shared.with(|s| s.reservations.clone())
    }

    /// A checkout order (catalogue prices; reserves stock). Returns (entity id, increment id).
    pub fn place_storefront_order(&self, lines: &[(&str, Decimal)]) -> Result<(i64, String), String> {
        let lines: Vec<(String, Decimal)> = lines.iter().map(|(s, q)| ((*s).to_owned(), *q)).collect();
        let order = self.shared.with(|s| s.place_storefront_order(&lines, 1)).map_err(|e| e.message)?;
        Ok((order["entity_id"].as_i64().unwrap_or_default(), order["increment_id"].as_str().unwrap_or_default().to_owned()))
    }

    /// Ships `(sku, qty)` of an order with tracks `(carrier_code, title, track_number)`
    /// from a source, as `POST /V1/order/{id}/ship` does; sends `shipment.created`.
    pub fn ship(&self, order_id: i64, lines: &[(&str, Decimal)], tracks: &[(&str, &str, &str)], source: &str) -> Result<i64, String> {
        let tracks: Vec<Value> =
            tracks.iter().map(|(c, t, n)| json!({"carrier_code": c, "title": t, "track_number": n})).collect();
        self.shared.with(|s| {
            let order = s.orders.get(&order_id).ok_or("no such order")?;
            let mut wanted = Vec::new();
            for (sku, qty) in lines {
                let item = order["items"].as_array().into_iter().flatten().find(|i| i["sku"] == *sku).ok_or("SKU not on the order")?;
                wanted.push((item["item_id"].as_i64().unwrap_or_default(), *qty));
            }
            s.ship(order_id, &wanted, &tracks, source).map_err(|e| e.message)
        })
    }

    /// Adds a tracking number to a shipment; sends `shipment.created` again with every track.
    pub fn add_track(&self, shipment_id: i64, carrier_code: &str, title: &str, number: &str) -> Result<i64, String> {
        self.shared.with(|s| s.add_track(shipment_id, carrier_code, title, number)).map_err(|e| e.message)
    }

    pub fn orders(&self) -> Vec<Value> {
        self.shared.with(|s| s.orders.values().cloned().collect())
    }

    pub fn order(&self, entity_id: i64) -> Option<Value> {
        self.shared.with(|s| s.orders.get(&entity_id).cloned())
    }

    /// Orders whose `ext_order_id` is exactly `reference`.
    pub fn orders_with_ext_id(&self, reference: &str) -> Vec<Value> {
        self.orders().into_iter().filter(|o| o["ext_order_id"] == reference).collect()
    }

    pub fn shipments(&self) -> Vec<Value> {
        self.shared.with(|s| s.shipments.values().cloned().collect())
    }

    pub fn calls(&self) -> Vec<CallRecord> {
        self.shared.calls.lock().expect("lock").clone()
    }

    pub fn clear_calls(&self) {
        self.shared.calls.lock().expect("lock").clear();
    }

    /// Sends signed webhooks for stock and shipment events to `url` from now on.
    pub fn set_webhook_target(&self, url: &str, secret: &str) {
        *self.shared.webhook_target.lock().expect("lock") = Some(WebhookTarget { url: url.into(), secret: secret.into() });
    }

    /// Duplicates and/or swaps outgoing webhooks from now on.
    pub fn set_webhook_faults(&self, faults: WebhookFaults) {
        *self.shared.webhook_faults.lock().expect("lock") = faults;
    }

    pub fn webhooks_sent(&self) -> Vec<SentWebhook> {
        self.shared.webhooks_sent.lock().expect("lock").clone()
    }

    /// Delays the answers to `method` requests (every method when `None`) after handling
    /// them: a client that times out has still changed the store.
    pub fn delay_responses(&self, method: Option<&str>, delay: Duration) {
        self.shared.faults.lock().expect("lock").delay = Some((method.map(str::to_owned), delay));
    }

    pub fn clear_delay(&self) {
        self.shared.faults.lock().expect("lock").delay = None;
    }

    /// The next request gets this status and raw body (and `Retry-After`, when given)
    /// instead of being handled.
    pub fn fail_next(&self, status: u16, body: &str, retry_after_secs: Option<u64>) {
        self.shared.faults.lock().expect("lock").fail_next.push_back((status, body.to_owned(), retry_after_secs));
    }
}

impl Drop for MagentoSandbox {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
