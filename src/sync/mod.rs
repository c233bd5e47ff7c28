//! The flows and their schedulers.
pub mod orders;
pub mod singleton;
