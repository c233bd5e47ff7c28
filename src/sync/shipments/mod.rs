//! The shipments flow (DESIGN §1): a Magento shipment → an approved carrier slug → a dispatch
//! with tracking on John Lewis, exactly once; the carrier map checked against The Edge; a
//! catch-up read for missed webhooks; a watchdog for shipments left unconfirmed; the
//! post-dispatch cancellation update.
//!
//! Late tracking numbers: Magento sends a second `shipment.created` for the same shipment when
//! a tracking number is added later, and the receiver drops it (dedupe key `shipment:<id>`).
//! Nothing is lost: the dispatch job re-reads the shipment from Magento on every attempt and
//! takes its tracks from there, and a shipment without tracks waits (retrying) for one. If
//! that job has already given up, the open exception's retry re-queues it and it re-reads.
pub mod cancel;
pub mod carriers;
pub mod catch_up;
pub mod dispatch;
pub mod enter;
pub mod lookup;
pub mod watchdog;
pub mod wiring;

use crate::config::ShipmentsConfig;
use crate::domain::carrier::CarrierMap;
use crate::magento::MagentoClient;
use crate::marketplace::Marketplace;
use crate::store::jobs::Queue;
use lookup::{OrderGate, OrderLookup};
use sea_orm::DatabaseConnection;
use std::sync::{Arc, RwLock};

/// Everything the flow's jobs and schedulers share. Cheap to clone.
#[derive(Clone)]
pub struct ShipmentsFlow {
    pub db: DatabaseConnection,
    pub queue: Queue,
    pub marketplace: Arc<dyn Marketplace>,
    pub magento: Arc<MagentoClient>,
    pub config: ShipmentsConfig,
    pub carriers: CarrierMap,
    /// The Edge's slugs from the last successful check (`None` until one succeeded).
    pub known_slugs: Arc<RwLock<Option<Vec<String>>>>,
    pub orders: Arc<dyn OrderLookup>,
    pub gate: OrderGate,
    /// Attempts a job gets (the queue's policy), for jobs the flow enqueues itself.
    pub max_attempts: u32,
}

impl ShipmentsFlow {
    pub fn new(
        db: DatabaseConnection,
        queue: Queue,
        marketplace: Arc<dyn Marketplace>,
        magento: Arc<MagentoClient>,
        config: ShipmentsConfig,
        carriers: CarrierMap,
        max_attempts: u32,
    ) -> Self {
        let orders: Arc<dyn OrderLookup> =
            Arc::new(lookup::StoreLookup { db: db.clone(), fallback: lookup::EdgeScanLookup::new(marketplace.clone()) });
        ShipmentsFlow {
            db,
            queue,
            marketplace,
            magento,
            config,
            carriers,
            known_slugs: Arc::new(RwLock::new(None)),
            orders,
            gate: OrderGate::default(),
            max_attempts,
        }
    }

    /// The exception entity for one shipment: the John Lewis reference people search by,
    /// and the Magento shipment.
    pub fn shipment_entity(reference: &str, shipment_id: i64) -> String {
        format!("{reference} shipment {shipment_id}")
    }
}
