//! Simulated marketplace and shop APIs on loopback, with state, the documented behaviours and
//! fault injection; used by `jlbridge sandbox`, `jlbridge demo` and the tests.
pub mod call_log;
pub mod edge;
pub mod edge_files;
pub mod faults;
pub mod magento;
pub mod sftp_server;

pub use call_log::{CallLog, CallRecord};
pub use faults::{Fault, FaultPlan, FaultRule};

/// Points a configuration at the two sandboxes: Magento's URL and token, The Edge's URL and
/// login (what `jlbridge demo`, the tests and the benchmarks each set).
pub fn point_config(c: &mut crate::config::Config, edge: &edge::EdgeSandbox, magento: &magento::MagentoSandbox) {
    point_magento(c, magento);
    point_edge(c, edge);
}

/// Points a configuration at the simulated Magento.
pub fn point_magento(c: &mut crate::config::Config, magento: &magento::MagentoSandbox) {
    c.magento.base_url = Some(magento.base_url());
    c.magento.token = Some(crate::config::Secret::new(magento.token()));
}

/// Points a configuration at the simulated Edge (REST).
pub fn point_edge(c: &mut crate::config::Config, edge: &edge::EdgeSandbox) {
    use crate::config::{MarketplaceKind, Secret};
    c.marketplace.kind = MarketplaceKind::Edge;
    c.edge.base_url = Some(edge.base_url().to_owned());
    c.edge.username = Some(edge.config().username.clone());
    c.edge.password = Some(Secret::new(edge.config().password.clone()));
}
