//! The Edge (Virtualstock) REST API v4 adapter: the John Lewis path.
//!
//! Paths, query parameters and bodies follow Virtualstock's published description, trailing
//! slashes included (the API refuses a POST without one; the stock PATCH and the token calls are
//! documented without). Every call shares the account's one [`RateLimiter`].
pub mod auth;
pub mod client;
pub mod config;
pub mod convert;
mod lenient;
pub mod wire;

pub use config::EdgeConfig;

use crate::domain::order::{MarketplaceOrder, MarketplaceOrderId, OrderStatus, PartNumber};
use crate::marketplace::rate_limit::{Priority, RateLimiter, RateUsage};
use crate::marketplace::types::*;
use crate::marketplace::{Marketplace, MarketplaceError, Result};
use async_trait::async_trait;
use client::EdgeHttp;
use reqwest::Method;
use serde::Serialize;

pub const ORDERS_PATH: &str = "/restapi/v4/orders/";
pub const CARRIERS_PATH: &str = "/restapi/v4/order-tracking-carriers/";
pub const RETURNS_PATH: &str = "/restapi/v4/returns/";
pub const PRODUCTS_PATH: &str = "/api/v4/products/";

fn fmt_json() -> (&'static str, String) {
    ("format", "json".to_owned())
}

/// Order ids go into paths: accept only what an Edge id looks like.
fn path_id(id: &str) -> Result<&str> {
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        Ok(id)
    } else {
        Err(MarketplaceError::Invalid(format!("{id:?} is not an Edge REST id")))
    }
}

pub struct EdgeMarketplace {
    http: EdgeHttp,
}

impl EdgeMarketplace {
    /// `limiter` is the account's one limiter: pass the same one to everything using this account.
    pub fn new(config: EdgeConfig, limiter: RateLimiter) -> Result<Self> {
        Ok(EdgeMarketplace { http: EdgeHttp::new(config, limiter)? })
    }

    async fn order_update<T: Serialize>(&self, id: &MarketplaceOrderId, action: &str, items: T) -> Result<()> {
        let path = format!("{ORDERS_PATH}{}/{action}/", path_id(&id.0)?);
        let body = serde_json::to_value(items).map_err(|e| MarketplaceError::Invalid(e.to_string()))?;
        self.http.call(Priority::High, Method::POST, &path, &[fmt_json()], Some(&body)).await?;
        Ok(())
    }
}

fn require_lines<T>(lines: &[T], what: &str) -> Result<()> {
    if lines.is_empty() {
        return Err(MarketplaceError::Invalid(format!("{what} without lines")));
    }
    Ok(())
}

#[async_trait]
impl Marketplace for EdgeMarketplace {
    async fn list_orders(&self, status: &OrderStatus) -> Result<Vec<MarketplaceOrder>> {
        let q = [fmt_json(), ("status", status.as_str().to_owned())];
        let pages: Vec<wire::Order> = self.http.get_all(Priority::High, ORDERS_PATH, &q).await?;
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::with_capacity(pages.len());
        for w in pages {
            let o = convert::order(w)?;
            if seen.insert(o.id.clone()) {
                out.push(o);
            }
        }
        Ok(out)
    }

    async fn get_order(&self, id: &MarketplaceOrderId) -> Result<MarketplaceOrder> {
        let path = format!("{ORDERS_PATH}{}/", path_id(&id.0)?);
        convert::order(self.http.get_json(Priority::High, &path, &[fmt_json()]).await?)
    }

    async fn acknowledge(&self, id: &MarketplaceOrderId, lines: &[AckLine]) -> Result<()> {
        require_lines(lines, "acknowledgement")?;
        self.order_update(id, "acknowledge", convert::ack_items(lines)).await
    }

    async fn backorder(&self, id: &MarketplaceOrderId, lines: &[BackorderLine]) -> Result<()> {
        require_lines(lines, "backorder")?;
        self.order_update(id, "backorder", convert::backorder_items(lines)).await
    }

    async fn acknowledge_cancellation(&self, id: &MarketplaceOrderId, lines: &[CancelLine]) -> Result<()> {
        require_lines(lines, "cancellation acknowledgement")?;
        self.order_update(id, "cancel_acknowledge", convert::cancel_items(lines)).await
    }

    async fn dispatch(&self, id: &MarketplaceOrderId, lines: &[DispatchLine]) -> Result<()> {
        require_lines(lines, "dispatch")?;
        if let Some(l) = lines.iter().find(|l| l.carrier.trim().is_empty() || l.tracking_number.trim().is_empty()) {
            return Err(MarketplaceError::Invalid(format!("dispatch line {} needs a carrier and a tracking number", l.line_ref)));
        }
        self.order_update(id, "dispatch", convert::dispatch_items(lines)).await
    }

    async fn list_carriers(&self) -> Result<Vec<Carrier>> {
        let list: Vec<wire::Carrier> = self.http.get_json(Priority::Normal, CARRIERS_PATH, &[fmt_json()]).await?;
        Ok(list.into_iter().map(convert::carrier).collect())
    }

    async fn find_product(&self, part_number: &PartNumber) -> Result<Option<MarketplaceProduct>> {
        let q = [("part_number", part_number.0.clone())];
        let found: Vec<wire::Product> = self.http.get_all(Priority::Normal, PRODUCTS_PATH, &q).await?;
        let mut exact: Vec<MarketplaceProduct> = found
            .into_iter()
            .map(convert::product)
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .filter(|p| p.part_number == *part_number)
            .collect();
        if let Some(ours) = &self.http.config().product_supplier {
            exact.retain(|p| p.supplier.as_deref().is_some_and(|s| supplier_matches(s, ours)));
        }
        match exact.len() {
            0 => Ok(None),
            1 => Ok(exact.pop()),
            n => Err(MarketplaceError::Invalid(format!(
                "part number {part_number} matches {n} products of different suppliers; set the product supplier"
            ))),
        }
    }

    async fn update_stock(&self, product: &ProductId, quantity: u32) -> Result<()> {
        // Documented as `/api/v4/products/{PRODUCT_REST_ID}/stock`: no trailing slash, no query.
        let path = format!("{PRODUCTS_PATH}{}/stock", path_id(&product.0)?);
        let body = serde_json::to_value(wire::Stock { supplier_free_stock: quantity }).expect("json");
        self.http.call(Priority::Low, Method::PATCH, &path, &[], Some(&body)).await?;
        Ok(())
    }

    async fn list_products(&self) -> Result<Vec<MarketplaceProduct>> {
        let found: Vec<wire::Product> = self.http.get_all(Priority::Normal, PRODUCTS_PATH, &[fmt_json()]).await?;
        found.into_iter().map(convert::product).collect()
    }

    async fn each_product_page(&self, visit: &mut (dyn FnMut(Vec<MarketplaceProduct>) + Send)) -> Result<()> {
        let mut failed = None;
        let mut convert_page = |page: Vec<wire::Product>| {
            if failed.is_some() {
                return;
            }
            match page.into_iter().map(convert::product).collect::<Result<Vec<_>>>() {
                Ok(products) => visit(products),
                Err(e) => failed = Some(e),
            }
        };
        self.http.each_page(Priority::Normal, PRODUCTS_PATH, &[fmt_json()], &mut convert_page).await?;
        failed.map_or(Ok(()), Err)
    }

    async fn list_returns(&self, status: Option<&str>) -> Result<Vec<MarketplaceReturn>> {
        let mut q = vec![fmt_json()];
        if let Some(s) = status {
            q.push(("return_status", s.to_owned()));
        }
        let found: Vec<wire::Return> = self.http.get_all(Priority::Normal, RETURNS_PATH, &q).await?;
        found.into_iter().map(convert::return_).collect()
    }

    async fn acknowledge_return(&self, id: &MarketplaceOrderId, lines: &[ReturnLine]) -> Result<()> {
        require_lines(lines, "return acknowledgement")?;
        self.order_update(id, "return_acknowledge", convert::return_items(lines)).await
    }

    async fn rate_usage(&self) -> Option<RateUsage> {
        Some(self.http.limiter().usage().await)
    }
}

/// A supplier given as a link (`…/api/v4/suppliers/3994/`) or as its id (`3994`).
fn supplier_matches(link: &str, ours: &str) -> bool {
    link == ours || convert::id_from_url(link).as_deref() == Some(ours.trim_end_matches('/'))
}
