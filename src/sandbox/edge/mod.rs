//! A simulated Virtualstock "The Edge" REST API v4 on loopback, with state (products, orders,
//! returns), real JWTs with configurable expiry, the account-wide throttle with the documented
//! `429` body, `409` while a product is publishing, fault injection and a call log.
//!
//! ```ignore
//! let sb = jlbridge::sandbox::edge::start(EdgeSandboxConfig::default()).await?;
//! let id = sb.add_product("58000128", Some("SKU-1"), 5);
//! let order = sb.create_order(NewOrder::new("JL000123").line("58000128", 1, "19.99"));
//! // … point the Edge client at sb.base_url() …
//! assert_eq!(sb.calls().len(), 3);
//! ```
mod jwt;
pub mod order_rules;
mod render;
pub mod routes;
pub mod state;

pub use state::{NewOrder, Order, Product, Refusal, ShipTo};

use crate::sandbox::call_log::{CallLog, CallRecord};
use crate::sandbox::faults::FaultPlan;
use routes::Shared;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

#[derive(Clone, Debug)]
pub struct EdgeSandboxConfig {
    /// `127.0.0.1:0` picks a free port.
    pub listen: SocketAddr,
    pub username: String,
    pub password: String,
    /// Documented: 5 minutes and 4 hours; tests shorten them.
    pub access_lifetime: Duration,
    pub refresh_lifetime: Duration,
    /// Documented: 250 calls per minute for the account. Tests may scale the window down.
    pub rate_limit: u32,
    pub rate_window: Duration,
    pub default_page_size: usize,
    pub max_page_size: usize,
    /// `(id, slug, name)`; the first three are the documented examples, the rest sandbox data.
    pub carriers: Vec<(i64, String, String)>,
    /// How long an injected hang holds a request.
    pub hang_for: Duration,
}

impl Default for EdgeSandboxConfig {
    fn default() -> Self {
        let carriers = [(144, "2go", "2GO"), (30, "4px", "4PX"), (12, "dpd", "DPD"), (41, "royal-mail", "Royal Mail"),
            (52, "parcelforce", "Parcelforce"), (63, "evri", "Evri"), (74, "dhl", "DHL"), (85, "ups", "UPS")];
        EdgeSandboxConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            username: "sandbox-user".into(),
            password: "sandbox-password".into(),
            access_lifetime: Duration::from_secs(5 * 60),
            refresh_lifetime: Duration::from_secs(4 * 3600),
            rate_limit: 250,
            rate_window: Duration::from_secs(60),
            default_page_size: 10,
            max_page_size: 100,
            carriers: carriers.iter().map(|(i, s, n)| (*i, s.to_string(), n.to_string())).collect(),
            hang_for: Duration::from_secs(120),
        }
    }
}

/// A running simulated Edge. Dropping it stops the server.
pub struct EdgeSandbox {
    shared: Arc<Shared>,
    log: CallLog,
    faults: FaultPlan,
    addr: SocketAddr,
    task: JoinHandle<()>,
}

/// Starts the simulated Edge; the handle gives its base URL (an origin, like the real one).
pub async fn start(config: EdgeSandboxConfig) -> std::io::Result<EdgeSandbox> {
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let base_url = format!("http://{addr}");
    let mut store = state::Store::default();
    store.carriers = config.carriers.clone();
    let shared = Arc::new(Shared::new(config, base_url, store));
    let (log, faults) = (CallLog::default(), FaultPlan::default());
    let app = routes::router(shared.clone(), log.clone(), faults.clone());
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "edge sandbox stopped");
        }
    });
    tracing::info!(%addr, "edge sandbox listening");
    Ok(EdgeSandbox { shared, log, faults, addr, task })
}

/// Runs the simulated Edge with some demo data until `cancel` fires (`jlbridge sandbox`).
pub async fn run(config: EdgeSandboxConfig, cancel: CancellationToken) -> std::io::Result<()> {
    let sb = start(config).await?;
    sb.seed_demo();
    println!("edge sandbox on {} (user {:?})", sb.base_url(), sb.shared.config.username);
    cancel.cancelled().await;
    Ok(())
}

impl EdgeSandbox {
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    pub fn config(&self) -> &EdgeSandboxConfig {
        &self.shared.config
    }
    pub fn calls(&self) -> Vec<CallRecord> {
        self.log.records()
    }
    pub fn call_log(&self) -> &CallLog {
        &self.log
    }
    pub fn faults(&self) -> &FaultPlan {
        &self.faults
    }

    fn store(&self) -> std::sync::MutexGuard<'_, state::Store> {
        self.shared.store.lock().expect("sandbox store")
    }

    /// Adds a product; returns its REST id.
    pub fn add_product(&self, part_number: &str, traded_code: Option<&str>, stock: i64) -> u64 {
        self.store().add_product(part_number, traded_code, stock)
    }
    /// While publishing, stock updates answer `409`.
    pub fn set_publishing(&self, part_number: &str, publishing: bool) {
        self.store().products.values_mut().filter(|p| p.part_number == part_number).for_each(|p| p.publishing = publishing);
    }
    pub fn product(&self, part_number: &str) -> Option<Product> {
        self.store().products.values().find(|p| p.part_number == part_number).cloned()
    }
    pub fn product_stock(&self, part_number: &str) -> Option<i64> {
        self.product(part_number).map(|p| p.stock)
    }

    /// John Lewis places an order (status `ORDER`); returns its REST id.
    pub fn create_order(&self, order: NewOrder) -> u64 {
        self.store().create_order(order)
    }
    /// John Lewis requests the cancellation of the whole order (reason codes 101–132).
    pub fn request_cancellation(&self, order_id: u64, reason_code: u16) -> Result<(), Refusal> {
        self.store().request_cancellation(order_id, reason_code)
    }
    /// John Lewis raises a return for dispatched units; returns the return's id.
    pub fn create_return(&self, order_id: u64, line_ref: &str, quantity: u32, reason_code: &str) -> Result<String, Refusal> {
        self.store().create_return(order_id, line_ref, quantity, reason_code)
    }
    pub fn order(&self, order_id: u64) -> Option<Order> {
        self.store().orders.get(&order_id).cloned()
    }
    pub fn order_status(&self, order_id: u64) -> Option<String> {
        self.store().orders.get(&order_id).map(Order::status)
    }
    /// Refuses every token issued so far (access and refresh): the client must log in again.
    pub fn revoke_tokens(&self) {
        *self.shared.revoked_before.lock().expect("revoked") = jwt::now();
    }

    /// A few products and orders for the standalone sandbox and the demo.
    pub fn seed_demo(&self) {
        for (i, pn) in ["58000128", "66682708", "51234567", "50000001"].iter().enumerate() {
            self.add_product(pn, Some(&format!("DEMO-SKU-{i}")), 10);
        }
        self.create_order(NewOrder::new("JL100000001").line("58000128", 1, "85.00"));
        self.create_order(NewOrder::new("JL100000002").line("66682708", 2, "499.00").line("51234567", 1, "12.50"));
    }
}

impl Drop for EdgeSandbox {
    fn drop(&mut self) {
        self.task.abort();
    }
}
