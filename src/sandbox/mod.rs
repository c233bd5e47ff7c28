//! Simulated external systems for the demo and the tests.
pub mod magento;
