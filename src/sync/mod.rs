//! The flows and their schedulers.
pub mod clients;
pub mod shipments;
pub mod stock;
