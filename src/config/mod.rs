//! Typed configuration: a TOML file, then environment variables (DESIGN §3.3), validated at
//! start with errors that name the key and the fix.
mod env;
mod finance;
mod lists;
mod orders;
mod secret;
mod shipments;
mod stock;
mod validate;

pub use finance::FinanceConfig;
pub use lists::StringList;
pub use orders::OrdersConfig;
pub use secret::Secret;
pub use shipments::ShipmentsConfig;
pub use stock::StockConfig;
pub use validate::{ConfigError, ConfigErrors};

use figment::providers::{Format, Toml};
use figment::Figment;
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub database: DatabaseConfig,
    pub http: HttpConfig,
    pub grpc: GrpcConfig,
    pub webhooks: WebhookConfig,
    pub magento: MagentoConfig,
    pub marketplace: MarketplaceConfig,
    pub edge: EdgeConfig,
    pub sftp: SftpConfig,
    pub alerts: AlertConfig,
    pub carriers: CarrierConfig,
    pub shipments: ShipmentsConfig,
    pub jobs: JobsConfig,
    pub log: LogConfig,
    pub stock: StockConfig,
    pub orders: OrdersConfig,
    pub finance: FinanceConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://jlbridge.db?mode=rwc` (default) or `postgres://user@host/db`.
    pub url: String,
    pub max_connections: u32,
    /// Apply migrations when `serve` starts.
    pub migrate_on_start: bool,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig { url: "sqlite://jlbridge.db?mode=rwc".into(), max_connections: 8, migrate_on_start: true }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    pub listen: String,
    pub body_limit_bytes: usize,
    pub request_timeout_secs: u64,
    pub max_concurrent_requests: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: "127.0.0.1:8080".into(),
            body_limit_bytes: 1024 * 1024,
            request_timeout_secs: 30,
            max_concurrent_requests: 512,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GrpcConfig {
    pub listen: String,
    /// `role:token` entries; role is `read` or `operate`.
    pub tokens: StringList,
}

impl Default for GrpcConfig {
    fn default() -> Self {
        GrpcConfig { listen: "127.0.0.1:50051".into(), tokens: StringList::default() }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookConfig {
    /// `whsec_<base64>` secrets; several at once during rotation.
    pub secrets: StringList,
    pub tolerance_secs: i64,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig { secrets: StringList::default(), tolerance_secs: 300 }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MagentoConfig {
    /// Origin of the store, e.g. `https://shop.example.com`.
    pub base_url: Option<String>,
    /// Integration access token (Bearer).
    pub token: Option<Secret>,
    pub store: String,
    /// MSI stock whose salable quantity is pushed.
    pub stock_id: u32,
    pub timeout_secs: u64,
}

impl Default for MagentoConfig {
    fn default() -> Self {
        MagentoConfig { base_url: None, token: None, store: "default".into(), stock_id: 1, timeout_secs: 30 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum MarketplaceKind {
    #[default]
    Edge,
    EdgeSftp,
}

impl MarketplaceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MarketplaceKind::Edge => "edge",
            MarketplaceKind::EdgeSftp => "edge_sftp",
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MarketplaceConfig {
    pub kind: MarketplaceKind,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EdgeConfig {
    /// Origin of The Edge API, e.g. `https://api.virtualstock.com`.
    pub base_url: Option<String>,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// Requests per minute for the whole account.
    pub rate_limit: u32,
    /// The window `rate_limit` counts in, in milliseconds (60000: a minute; tests scale it down).
    pub rate_window_ms: u64,
    pub timeout_secs: u64,
}

impl Default for EdgeConfig {
    fn default() -> Self {
        EdgeConfig { base_url: None, username: None, password: None, rate_limit: 250, rate_window_ms: 60_000, timeout_secs: 30 }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SftpConfig {
    /// `sftp://user@host:port/root` (root `/live`, or `/uat` for testing)
    pub url: Option<String>,
    pub password: Option<Secret>,
    pub key_file: Option<String>,
    pub key_passphrase: Option<Secret>,
    /// Expected host key line (`ssh-ed25519 AAAA…`), checked on connect.
    pub known_host: Option<String>,
    pub timeout_secs: u64,
    /// Stock values wait at most this long before their `inventory-<stamp>.csv` is written.
    pub stock_batch_secs: u64,
    /// `current_lead_time_to_delivery_in_days` on every stock row, when set.
    pub lead_time_days: Option<u32>,
    /// Send the Magento SKU as `tradedCode` (when it fits 20 characters).
    pub traded_code_from_sku: bool,
    /// Carrier slugs John Lewis issued (no list over SFTP); empty: the carrier map's slugs.
    pub carriers: StringList,
    pub folders: crate::marketplace::edge_sftp::Folders,
    /// Every uncertain file name and column (defaults: `reference/jl-edge.md`'s best guesses).
    pub files: crate::domain::edge_files::FileLayout,
}

impl Default for SftpConfig {
    fn default() -> Self {
        SftpConfig {
            url: None,
            password: None,
            key_file: None,
            key_passphrase: None,
            known_host: None,
            timeout_secs: 30,
            stock_batch_secs: 60,
            lead_time_days: None,
            traded_code_from_sku: true,
            carriers: StringList::default(),
            folders: Default::default(),
            files: Default::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertConfig {
    /// Slack-compatible incoming webhook (or a generic JSON receiver).
    pub webhook_url: Option<Secret>,
    /// `slack` (`{"text": …}`) or `json` (kinds, entities and ids as fields, plus `text`).
    pub format: AlertFormat,
    /// New exceptions within this many seconds go out as one message.
    pub group_secs: u64,
    /// Notices waiting to be sent; beyond this the oldest is dropped (and counted).
    pub queue_capacity: usize,
    /// Delivery attempts per message, with exponential backoff between them.
    pub max_attempts: u32,
    /// Rate-limit starvation: alert when an order call (acknowledgement, dispatch, order read)
    /// has waited this many seconds for the John Lewis call budget …
    pub starved_order_secs: u64,
    /// … or a stock update this many minutes.
    pub starved_stock_mins: u64,
}

impl Default for AlertConfig {
    fn default() -> Self {
        AlertConfig {
            webhook_url: None,
            format: AlertFormat::Slack,
            group_secs: 30,
            queue_capacity: 1000,
            max_attempts: 6,
            starved_order_secs: 60,
            starved_stock_mins: 15,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AlertFormat {
    #[default]
    Slack,
    Json,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CarrierConfig {
    /// `pattern=slug` entries; the pattern matches a Magento carrier code or track title, `*` wildcard.
    pub map: StringList,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobsConfig {
    pub workers: usize,
    pub lease_secs: u64,
    pub poll_interval_ms: u64,
    /// Delay before each retry, in seconds; its length + 1 is the number of attempts.
    pub retry_schedule_secs: Vec<u64>,
    pub retry_jitter: f64,
}

impl Default for JobsConfig {
    fn default() -> Self {
        JobsConfig {
            workers: 4,
            lease_secs: 120,
            poll_interval_ms: 250,
            retry_schedule_secs: vec![1, 5, 30, 120, 600, 1800, 3600, 3600],
            retry_jitter: 0.2,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    pub format: LogFormat,
    /// `tracing` filter, e.g. `info,jlbridge=debug`; `RUST_LOG` wins when set.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig { format: LogFormat::Text, level: "info".into() }
    }
}

impl Config {
    /// Reads the optional TOML file, then the environment; validates the result.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigErrors> {
        Self::load_from(file, std::env::vars())
    }

    /// As `load`, with the environment given explicitly (tests).
    pub fn load_from(
        file: Option<&Path>,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigErrors> {
        let mut fig = Figment::new();
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigErrors::one(ConfigError::new(
                    "config file",
                    format!("{} does not exist", path.display()),
                    "pass an existing TOML file to --config, or omit --config to use defaults and environment variables",
                )));
            }
            fig = fig.merge(Toml::file(path));
        }
        fig = env::merge(fig, vars);
        let config: Config = fig.extract().map_err(ConfigErrors::from_figment)?;
        config.validate()?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests;
