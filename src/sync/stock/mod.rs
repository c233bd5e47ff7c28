//! The stock flow: mapping import and verification, observations, the pusher, reconciliation.
pub mod audit;
pub mod leader;
pub mod mapping_file;
pub mod observe;
pub mod observe_batch;
pub mod pusher;
pub mod reconcile;
pub mod signal;
pub mod verify;
pub mod wiring;

pub use signal::StockSignal;
pub use wiring::StockHandles;
