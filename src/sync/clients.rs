//! Builds the Magento client and the marketplace adapter from the typed configuration.
use crate::config::{Config, MarketplaceKind};
use crate::magento::{MagentoClient, MagentoConfig};
use crate::marketplace::edge::{EdgeConfig, EdgeMarketplace};
use crate::marketplace::rate_limit::{RateLimitConfig, RateLimiter};
use crate::marketplace::Marketplace;
use anyhow::{anyhow, Context};
use secrecy::SecretString;
use std::sync::Arc;
use std::time::Duration;

/// The Magento client, or what is missing.
pub fn magento(config: &Config) -> anyhow::Result<MagentoClient> {
    let missing = config.missing_for_magento();
    if !missing.is_empty() {
        return Err(anyhow!("{}", missing.iter().map(|m| m.to_string()).collect::<Vec<_>>().join("; ")));
    }
    let m = &config.magento;
    let mut cfg = MagentoConfig::bearer(m.base_url.clone().unwrap_or_default(), m.token.as_ref().map(|t| t.expose()).unwrap_or(""));
    cfg.store = m.store.clone();
    cfg.timeout = Duration::from_secs(m.timeout_secs);
    MagentoClient::new(cfg).context("building the Magento client")
}

/// The account's one rate limiter (must be called inside a Tokio runtime).
pub fn limiter(config: &Config) -> RateLimiter {
    RateLimiter::new(RateLimitConfig::new(config.edge.rate_limit, Duration::from_millis(config.edge.rate_window_ms)))
}

/// The configured marketplace adapter sharing `limiter`, or what is missing.
pub fn marketplace(config: &Config, limiter: RateLimiter) -> anyhow::Result<Arc<dyn Marketplace>> {
    let missing = config.missing_for_marketplace();
    if !missing.is_empty() {
        return Err(anyhow!("{}", missing.iter().map(|m| m.to_string()).collect::<Vec<_>>().join("; ")));
    }
    match config.marketplace.kind {
        MarketplaceKind::Edge => {
            let e = &config.edge;
            let mut cfg = EdgeConfig::new(
                e.base_url.clone().unwrap_or_default(),
                e.username.clone().unwrap_or_default(),
                SecretString::from(e.password.as_ref().map(|p| p.expose().to_owned()).unwrap_or_default()),
            );
            cfg.request_timeout = Duration::from_secs(e.timeout_secs);
            Ok(Arc::new(EdgeMarketplace::new(cfg, limiter).map_err(|e| anyhow!("building the Edge client: {e}"))?))
        }
        MarketplaceKind::EdgeSftp => Err(anyhow!("marketplace.kind edge_sftp: the SFTP adapter is not available in this build")),
    }
}
