//! The marketplace port: what the flows need from a marketplace, whatever the transport.
//! Domain types cross it (`domain::order`, [`types`]); adapters (`edge`, later `edge_sftp`,
//! `mirakl`) own their wire types. Errors are one type, [`MarketplaceError`], classified for the
//! job queue; adapters never loop retrying business calls (the job queue does).
//!
//! Wiring (once per account, at start):
//! ```ignore
//! let limiter = RateLimiter::new(RateLimitConfig::per_minute(250)); // JLBRIDGE_EDGE_RATE_LIMIT
//! let cfg = EdgeConfig::new("https://api.virtualstock.com", user, SecretString::from(password));
//! let jl: Arc<dyn Marketplace> = Arc::new(EdgeMarketplace::new(cfg, limiter)?);
//! ```
//! In a job:
//! ```ignore
//! match jl.acknowledge(&order.id, &lines).await {
//!     Ok(()) => { /* record the acknowledgement */ }
//!     Err(e) => match e.transience() {
//!         Transience::Retryable { retry_after } => { /* job queue retries (retry_after wins) */ }
//!         Transience::Permanent => { /* exception `marketplace_rejected`, e.status(), e.code() */ }
//!     },
//! }
//! ```
pub mod edge;
pub mod edge_sftp;
pub mod error;
pub mod rate_limit;
pub mod types;

pub use error::MarketplaceError;
pub use types::*;

use crate::domain::order::{MarketplaceOrder, MarketplaceOrderId, OrderStatus, PartNumber};
use async_trait::async_trait;

pub type Result<T> = std::result::Result<T, MarketplaceError>;

/// One marketplace account. Cheap to share as `Arc<dyn Marketplace>`; every call goes through
/// the account's one rate limiter.
#[async_trait]
pub trait Marketplace: Send + Sync {
    /// Every order currently in `status`, paged to the end (deduplicated by id).
    async fn list_orders(&self, status: &OrderStatus) -> Result<Vec<MarketplaceOrder>>;
    async fn get_order(&self, id: &MarketplaceOrderId) -> Result<MarketplaceOrder>;
    /// Acknowledges the order: every line, full quantity (the marketplace refuses less).
    async fn acknowledge(&self, id: &MarketplaceOrderId, lines: &[AckLine]) -> Result<()>;
    async fn backorder(&self, id: &MarketplaceOrderId, lines: &[BackorderLine]) -> Result<()>;
    /// Accepts a cancellation the retailer requested (order in `CANCEL`).
    async fn acknowledge_cancellation(&self, id: &MarketplaceOrderId, lines: &[CancelLine]) -> Result<()>;
    /// Dispatches lines with tracking; also carries the `CANCELLED POST-DISPATCH` update
    /// (see [`DispatchLine::cancelled_post_dispatch`]).
    async fn dispatch(&self, id: &MarketplaceOrderId, lines: &[DispatchLine]) -> Result<()>;
    async fn list_carriers(&self) -> Result<Vec<Carrier>>;
    /// The product with exactly this part number (for this account's supplier), if any.
    async fn find_product(&self, part_number: &PartNumber) -> Result<Option<MarketplaceProduct>>;
    /// Sets one product's free stock (one call per product).
    async fn update_stock(&self, product: &ProductId, quantity: u32) -> Result<()>;
    /// Every product of the account, paged to the end (for reconciliation).
    async fn list_products(&self) -> Result<Vec<MarketplaceProduct>>;
    /// Every product of the account, handed to `visit` one page at a time as it is read, so a
    /// caller keeps only what it needs (reconciliation of a large catalogue). By default, one
    /// page holding [`Self::list_products`].
    async fn each_product_page(&self, visit: &mut (dyn FnMut(Vec<MarketplaceProduct>) + Send)) -> Result<()> {
        visit(self.list_products().await?);
        Ok(())
    }
    /// Returns, optionally filtered by return status (e.g. `RMA`), paged to the end.
    async fn list_returns(&self, status: Option<&str>) -> Result<Vec<MarketplaceReturn>>;
    async fn acknowledge_return(&self, id: &MarketplaceOrderId, lines: &[ReturnLine]) -> Result<()>;
    /// Rate-limit figures for the control plane, when the adapter has a call budget.
    async fn rate_usage(&self) -> Option<rate_limit::RateUsage> {
        None
    }
}
