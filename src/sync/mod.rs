//! The flows and their schedulers.
pub mod clients;
pub mod stock;
