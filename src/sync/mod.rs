//! The flows and their schedulers.
pub mod stock;
