//! Finding The Edge's id for a John Lewis reference, and one update in flight per order.
//!
//! The orders store keeps reference → Edge id and a per-order lease (shared by every replica
//! and by the orders flow's acknowledgement and cancellations): `StoreLookup` reads it first.
//! For an order the store does not hold (the orders flow not running), `EdgeScanLookup` finds
//! the id by listing the open statuses (cached), and `OrderGate` serialises updates per order
//! within this process.
use crate::domain::order::{MarketplaceOrderId, OrderStatus};
use crate::marketplace::{Marketplace, MarketplaceError};
use async_trait::async_trait;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

#[async_trait]
pub trait OrderLookup: Send + Sync {
    /// The Edge id of the order with this John Lewis reference, if The Edge has it.
    async fn edge_id(&self, reference: &str) -> Result<Option<MarketplaceOrderId>, MarketplaceError>;
}

/// The orders store first, then The Edge's listings.
pub struct StoreLookup {
    pub db: sea_orm::DatabaseConnection,
    pub fallback: EdgeScanLookup,
}

#[async_trait]
impl OrderLookup for StoreLookup {
    async fn edge_id(&self, reference: &str) -> Result<Option<MarketplaceOrderId>, MarketplaceError> {
        match crate::store::orders::get(&self.db, reference).await {
            Ok(Some(o)) if !o.order.marketplace_id.is_empty() => return Ok(Some(MarketplaceOrderId(o.order.marketplace_id))),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "reading the orders store failed; asking The Edge"),
        }
        self.fallback.edge_id(reference).await
    }
}

pub struct EdgeScanLookup {
    marketplace: Arc<dyn Marketplace>,
    cache: Mutex<HashMap<String, MarketplaceOrderId>>,
}

impl EdgeScanLookup {
    pub fn new(marketplace: Arc<dyn Marketplace>) -> Self {
        EdgeScanLookup { marketplace, cache: Mutex::new(HashMap::new()) }
    }
}

#[async_trait]
impl OrderLookup for EdgeScanLookup {
    async fn edge_id(&self, reference: &str) -> Result<Option<MarketplaceOrderId>, MarketplaceError> {
        if let Some(id) = self.cache.lock().expect("lookup cache").get(reference) {
            return Ok(Some(id.clone()));
        }
        for status in [OrderStatus::OrderAck, OrderStatus::Backorder, OrderStatus::Order, OrderStatus::Cancel, OrderStatus::Dispatch] {
            let found = self.marketplace.list_orders(&status).await?;
            let mut cache = self.cache.lock().expect("lookup cache");
            for o in &found {
                cache.insert(o.reference.0.clone(), o.id.clone());
            }
            if let Some(id) = cache.get(reference) {
                return Ok(Some(id.clone()));
            }
        }
        Ok(None)
    }
}

/// One update in flight per order (this process).
#[derive(Clone, Default)]
pub struct OrderGate {
    busy: Arc<Mutex<HashSet<String>>>,
}

/// Held while an update for the order is in flight; releases on drop.
pub struct GateGuard {
    busy: Arc<Mutex<HashSet<String>>>,
    reference: String,
}

impl OrderGate {
    /// `None` when another update for this order is in flight.
    pub fn try_enter(&self, reference: &str) -> Option<GateGuard> {
        let mut busy = self.busy.lock().expect("order gate");
        busy.insert(reference.to_owned()).then(|| GateGuard { busy: self.busy.clone(), reference: reference.to_owned() })
    }
}

impl Drop for GateGuard {
    fn drop(&mut self) {
        self.busy.lock().expect("order gate").remove(&self.reference);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_update_in_flight_per_order() {
        let g = OrderGate::default();
        let a = g.try_enter("JL1").unwrap();
        assert!(g.try_enter("JL1").is_none());
        assert!(g.try_enter("JL2").is_some());
        drop(a);
        assert!(g.try_enter("JL1").is_some());
    }
}
