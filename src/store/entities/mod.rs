//! One SeaORM entity per table.
pub mod audit_log;
pub mod exception;
pub mod job;
pub mod job_attempt;
pub mod sync_cursor;
pub mod webhook_inbox;
pub mod product_mapping;
pub mod sku_price;
pub mod stock_state;
pub mod order;
pub mod order_event;
pub mod order_line;
