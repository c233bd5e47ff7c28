//! jlbridge: keeps a Magento 2 store and John Lewis Marketplace (Virtualstock's The Edge) in step.
pub mod domain;
pub mod magento;
pub mod sandbox;
