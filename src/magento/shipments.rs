//! Shipment reads: the catch-up listing and one by id.
use super::client::MagentoClient;
use super::error::MagentoError;
use super::search::SearchCriteria;
use super::wire::Shipment;
use chrono::{DateTime, Utc};

/// Magento's timestamp format (UTC, no zone).
pub fn magento_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

impl MagentoClient {
    /// Shipments (with items and tracks) created at or after `since`, oldest first. The
    /// bound is inclusive: callers de-duplicate by shipment id.
    pub async fn shipments_created_since(&self, since: DateTime<Utc>, page_size: u32) -> Result<Vec<Shipment>, MagentoError> {
        let criteria = SearchCriteria::new().and("created_at", "gteq", magento_time(since)).sort_asc("entity_id");
        self.search_all(&["shipments"], criteria, page_size).await
    }

    /// `GET /V1/shipment/{id}`.
    pub async fn get_shipment(&self, shipment_id: i64) -> Result<Shipment, MagentoError> {
        self.get(&["shipment", &shipment_id.to_string()], &[]).await
    }
}
