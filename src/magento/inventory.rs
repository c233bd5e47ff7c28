//! Stock and catalogue reads: salable quantity (MSI), products, source items.
use super::client::MagentoClient;
use super::error::MagentoError;
use super::search::SearchCriteria;
use super::wire::{Product, SourceItem};
use rust_decimal::Decimal;

impl MagentoClient {
    /// `GET /V1/inventory/get-product-salable-quantity/{sku}/{stockId}`: source quantity of
    /// the stock minus open reservations (not clamped; may be negative).
    pub async fn salable_qty(&self, sku: &str, stock_id: u32) -> Result<Decimal, MagentoError> {
        if sku.is_empty() {
            return Err(MagentoError::Invalid("salable quantity needs a SKU".into()));
        }
        self.get(&["inventory", "get-product-salable-quantity", sku, &stock_id.to_string()], &[]).await
    }

    /// Every product matching `criteria` (sorted by entity id for stable paging).
    pub async fn products(&self, criteria: SearchCriteria, page_size: u32) -> Result<Vec<Product>, MagentoError> {
        self.search_all(&["products"], criteria.sort_asc("entity_id"), page_size).await
    }

    /// Every MSI source item matching `criteria` (sorted by SKU, then source).
    pub async fn source_items(&self, criteria: SearchCriteria, page_size: u32) -> Result<Vec<SourceItem>, MagentoError> {
        self.search_all(&["inventory", "source-items"], criteria.sort_asc("sku").sort_asc("source_code"), page_size).await
    }
}
