//! Pure rules: no I/O, no clocks read implicitly, no database.
pub mod exception;
pub mod money;
pub mod order;
pub mod retry;
pub mod address;
pub mod country;
pub mod magento_order;
pub mod webhook_signature;
pub mod buffer;
pub mod glob;
pub mod push_priority;
pub mod sku_match;
