//! Pure rules: no I/O, no clocks read implicitly, no database.
pub mod address;
pub mod buffer;
pub mod country;
pub mod exception;
pub mod glob;
pub mod magento_order;
pub mod mapping_sheet;
pub mod money;
pub mod order;
pub mod push_priority;
pub mod retry;
pub mod sku_audit;
pub mod sku_match;
pub mod webhook_event;
pub mod webhook_signature;
