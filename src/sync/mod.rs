//! The flows and their schedulers.
pub mod finance;
pub mod orders;
pub mod sheet;
pub mod shipments;
pub mod singleton;
pub mod stock;
