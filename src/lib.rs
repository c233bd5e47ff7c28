//! jlbridge: keeps a Magento 2 store and John Lewis Marketplace (Virtualstock's The Edge) in step.
pub mod alerts;
pub mod app;
pub mod cli;
pub mod config;
pub mod connectors;
pub mod domain;
pub mod events;
pub mod grpc;
pub mod http;
pub mod magento;
pub mod marketplace;
pub mod observability;
pub mod ops;
pub mod sandbox;
pub mod store;
pub mod sync;
pub mod telemetry;
