//! Builds the shared outbound clients once per process: one marketplace adapter behind the
//! account's one rate limiter (database-shared on PostgreSQL, so replicas share the budget),
//! and one Magento client. Flows take them from `AppState`; none builds its own.
use crate::config::{Config, MarketplaceKind};
use crate::magento::{MagentoClient, MagentoConfig};
use crate::marketplace::edge::{EdgeConfig, EdgeMarketplace};
use crate::marketplace::edge_sftp::{EdgeSftpMarketplace, EdgeSftpOptions, SftpAuth, SftpSettings};
use crate::marketplace::rate_limit::{RateLimitConfig, RateLimiter, SharedWindow};
use crate::marketplace::Marketplace;
use anyhow::Context;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Default)]
pub struct Connectors {
    pub marketplace: Option<Arc<dyn Marketplace>>,
    pub limiter: Option<RateLimiter>,
    pub magento: Option<Arc<MagentoClient>>,
}

/// The account's limiter: shared through the database on PostgreSQL, in-process on SQLite.
pub fn rate_limiter(config: &Config, db: &DatabaseConnection, account: &str) -> RateLimiter {
    let limits = RateLimitConfig::new(config.edge.rate_limit, Duration::from_millis(config.edge.rate_window_ms));
    match db.get_database_backend() {
        DbBackend::Postgres => RateLimiter::with_source(limits, Arc::new(SharedWindow::new(db.clone(), account, limits))),
        _ => RateLimiter::new(limits),
    }
}

/// Builds what the configuration allows; a flow whose client is `None` stays off.
pub fn build(config: &Config, db: &DatabaseConnection) -> anyhow::Result<Connectors> {
    let mut out = Connectors::default();
    if config.missing_for_marketplace().is_empty() && config.marketplace.kind == MarketplaceKind::EdgeSftp {
        let adapter = edge_sftp(config, db)?;
        out.marketplace = Some(Arc::new(adapter));
        // Files have no call budget; the limiter still paces the stock pusher's bookkeeping.
        out.limiter = Some(rate_limiter(config, db, "edge_sftp"));
    }
    if config.missing_for_marketplace().is_empty() && config.marketplace.kind == MarketplaceKind::Edge {
        let edge = EdgeConfig::from_settings(&config.edge).context("edge settings")?;
        let limiter = rate_limiter(config, db, &format!("edge:{}", config.edge.username.as_deref().unwrap_or("")));
        let adapter = EdgeMarketplace::new(edge, limiter.clone()).map_err(|e| anyhow::anyhow!("edge adapter: {e}"))?;
        out.marketplace = Some(Arc::new(adapter));
        out.limiter = Some(limiter);
    }
    if config.missing_for_magento().is_empty() {
        let m = &config.magento;
        let mut mc = MagentoConfig::bearer(
            m.base_url.clone().unwrap_or_default(),
            m.token.as_ref().map(|t| t.expose().to_owned()).unwrap_or_default(),
        );
        mc.store = m.store.clone();
        mc.timeout = Duration::from_secs(m.timeout_secs.max(1));
        out.magento = Some(Arc::new(MagentoClient::new(mc).map_err(|e| anyhow::anyhow!("magento client: {e}"))?));
    }
    Ok(out)
}

/// The SFTP adapter from `[sftp]` (see the README, "The Edge over SFTP").
pub fn edge_sftp(config: &Config, db: &DatabaseConnection) -> anyhow::Result<EdgeSftpMarketplace> {
    let s = &config.sftp;
    let auth = match (&s.key_file, &s.password) {
        (Some(path), _) => SftpAuth::KeyFile { path: path.clone(), passphrase: s.key_passphrase.clone() },
        (None, Some(p)) => SftpAuth::Password(p.clone()),
        (None, None) => anyhow::bail!("sftp.password or sftp.key_file is required"),
    };
    let settings = SftpSettings::from_url(
        s.url.as_deref().context("sftp.url")?,
        auth,
        s.known_host.clone().context("sftp.known_host")?,
        Duration::from_secs(s.timeout_secs.max(1)),
    )
    .map_err(|e| anyhow::anyhow!(e))?;
    let carriers = if s.carriers.0.is_empty() {
        config.carriers.map.0.iter().filter_map(|e| e.rsplit_once('=').map(|(_, slug)| slug.trim().to_owned())).collect()
    } else {
        s.carriers.0.clone()
    };
    let opts = EdgeSftpOptions {
        layout: s.files.clone(),
        folders: s.folders.clone(),
        stock_batch: Duration::from_secs(s.stock_batch_secs.max(1)),
        lead_time_days: s.lead_time_days,
        traded_code_from_sku: s.traded_code_from_sku,
        carriers,
    };
    EdgeSftpMarketplace::new(settings, opts, db.clone()).map_err(|e| anyhow::anyhow!("edge_sftp adapter: {e}"))
}
