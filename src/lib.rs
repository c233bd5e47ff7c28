//! jlbridge: keeps a Magento 2 store and John Lewis Marketplace (Virtualstock's The Edge) in step.
pub mod app;
pub mod cli;
pub mod config;
pub mod domain;
pub mod grpc;
pub mod http;
pub mod magento;
pub mod marketplace;
pub mod sandbox;
pub mod store;
pub mod sync;
pub mod telemetry;
