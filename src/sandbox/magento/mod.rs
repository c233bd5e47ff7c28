//! A simulated Magento 2.4 REST API on loopback, with state (see `state` for the inventory
//! rules), for the demo and the tests. `MagentoSandbox` is the handle: seed products and
//! stock, place storefront orders, ship, read what happened, and receive signed webhooks.
//!
//! Faults go through the shared layer, as on the Edge sandbox: [`MagentoSandbox::faults`]
//! (latency before or after handling, `429` with `Retry-After`, 5xx, hangs, dropped
//! connections) and [`MagentoSandbox::calls`] (the shared call log, faults included);
//! webhook deliveries can be duplicated or swapped ([`MagentoSandbox::set_webhook_faults`]).
mod middleware;
pub mod order_index;
mod routes;
pub mod sales;
pub mod search;
pub mod state;
mod tracks;
pub mod webhooks;

pub use crate::sandbox::call_log::CallRecord;
pub use state::{Event, Reservation};
pub use webhooks::{SentWebhook, WebhookFaults, WebhookTarget};

use crate::magento::MagentoConfig;
use crate::sandbox::call_log::{self, CallLog};
use crate::sandbox::faults::{self, Fault, FaultLayer, FaultPlan, FaultRule};
use axum::http::Method;
use axum::middleware::from_fn_with_state;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use state::State;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

/// The integration credentials the sandbox accepts for OAuth 1.0a.
#[derive(Debug, Clone)]
pub struct SandboxOAuth {
    pub consumer_key: String,
    pub consumer_secret: String,
    pub access_token: String,
    pub access_token_secret: String,
}

/// State shared by the handlers and the handle.
pub(crate) struct Shared {
    pub state: Mutex<State>,
    pub token: String,
    pub oauth: Option<SandboxOAuth>,
    events: webhooks::Sender,
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
                self.events.send(webhooks::Outgoing { event, target: t.clone(), observed_at });
            }
        }
        out
    }
}

/// How long [`Fault::Hang`] holds a Magento request (clients time out long before).
const HANG_FOR: Duration = Duration::from_secs(120);

pub struct MagentoSandbox {
    addr: SocketAddr,
    shared: Arc<Shared>,
    log: CallLog,
    faults: FaultPlan,
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
            token: token.to_owned(),
            oauth,
            events,
            webhook_faults,
            webhook_target,
            webhooks_sent,
        });
        let (log, plan) = (CallLog::default(), FaultPlan::default());
        let mut fault_layer =
            FaultLayer::new(plan.clone(), Arc::new(middleware::throttled)).with_status_body(Arc::new(middleware::error_status));
        fault_layer.hang_for = HANG_FOR;
        // Outermost first: the log sees every call (faults included), faults come before auth.
        let app = routes::router(shared.clone())
            .layer(from_fn_with_state(shared.clone(), middleware::auth))
            .layer(from_fn_with_state(fault_layer, faults::inject))
            .layer(from_fn_with_state(log.clone(), call_log::record));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).with_graceful_shutdown(async { let _ = rx.await; }).await;
        });
        Ok(MagentoSandbox { addr, shared, log, faults: plan, shutdown: Some(tx) })
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

    /// Every call received, in arrival order (the most recent `call_log::LOG_LIMIT`).
    pub fn calls(&self) -> Vec<CallRecord> {
        self.log.records()
    }

    pub fn call_log(&self) -> &CallLog {
        &self.log
    }

    pub fn clear_calls(&self) {
        self.log.clear();
    }

    /// The fault plan of this sandbox (a handle: clones share the rules), as on the Edge
    /// sandbox: latency, `429` with its wait (Magento's body and `Retry-After`), 5xx in
    /// Magento's shape, hangs (client timeouts), dropped connections, by path prefix (e.g.
    /// `/rest/default/V1/orders`), method, probability and count.
    pub fn faults(&self) -> FaultPlan {
        self.faults.clone()
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

    /// Webhooks raised but not yet in [`Self::webhooks_sent`] (queued or being retried).
    pub fn webhooks_in_flight(&self) -> usize {
        self.shared.events.in_flight()
    }

    /// Delays the answers to `method` requests (every method when `None`) after handling
    /// them: a client that times out has still changed the store. Replaces an earlier delay.
    /// (A [`Fault::LatencyAfter`] rule on `/` in [`Self::faults`].)
    ///
    /// Panics when `method` is not an HTTP method token.
    pub fn delay_responses(&self, method: Option<&str>, delay: Duration) {
        self.clear_delay();
        let mut rule = FaultRule::new("/", Fault::LatencyAfter(delay));
        if let Some(m) = method {
            rule = rule.method(Method::from_bytes(m.to_ascii_uppercase().as_bytes()).expect("an HTTP method"));
        }
        self.faults.add(rule);
    }

    /// Stops the delays of [`Self::delay_responses`] (every after-handling delay on `/`).
    pub fn clear_delay(&self) {
        self.faults.retain(|r| !(r.path_prefix == "/" && matches!(r.fault, Fault::LatencyAfter(_))));
    }

    /// The next request gets this status and raw body (and `Retry-After`, when given)
    /// instead of being handled; several calls fail the next requests in turn.
    /// (A one-time [`Fault::Raw`] rule on `/` in [`Self::faults`].)
    pub fn fail_next(&self, status: u16, body: &str, retry_after_secs: Option<u64>) {
        let fault = Fault::Raw { status, body: body.to_owned(), retry_after: retry_after_secs.map(Duration::from_secs) };
        self.faults.add(FaultRule::new("/", fault).times(1));
    }
}

impl Drop for MagentoSandbox {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
