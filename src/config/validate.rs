//! Start-up validation: every problem names its key and how to fix it.
use super::env::var_for;
use super::{Config, MarketplaceKind};
use base64::Engine;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub key: String,
    pub problem: String,
    pub fix: String,
}

impl ConfigError {
    pub fn new(key: impl Into<String>, problem: impl Into<String>, fix: impl Into<String>) -> Self {
        ConfigError { key: key.into(), problem: problem.into(), fix: fix.into() }
    }
    fn missing(key: &str) -> Self {
        ConfigError::new(key, "is missing", format!("set {}", var_for(key)))
    }
    fn invalid(key: &str, problem: impl Into<String>) -> Self {
        ConfigError::new(key, problem, format!("correct {} (or `{key}` in the config file)", var_for(key)))
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.key, self.problem, self.fix)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    pub fn one(e: ConfigError) -> Self {
        ConfigErrors(vec![e])
    }
    pub(super) fn from_figment(e: figment::Error) -> Self {
        ConfigErrors(
            e.into_iter()
                .map(|e| {
                    let key = if e.path.is_empty() { "config".to_owned() } else { e.path.join(".") };
                    let fix = if e.path.is_empty() {
                        "check the config file".to_owned()
                    } else {
                        format!("correct {} (or `{key}` in the config file)", var_for(&key))
                    };
                    ConfigError::new(key, e.kind.to_string(), fix)
                })
                .collect(),
        )
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invalid configuration ({} problem{}):", self.0.len(), if self.0.len() == 1 { "" } else { "s" })?;
        for e in &self.0 {
            writeln!(f, "  - {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Decodes a `whsec_<base64>` secret into its HMAC key.
pub fn decode_webhook_secret(s: &str) -> Result<Vec<u8>, String> {
    let b64 = s.strip_prefix("whsec_").ok_or("does not start with whsec_")?;
    let key = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| format!("is not base64 after whsec_ ({e})"))?;
    if key.len() < 24 {
        return Err(format!("decodes to {} bytes; use at least 24 random bytes", key.len()));
    }
    Ok(key)
}

fn check_origin(key: &str, url: &str, errs: &mut Vec<ConfigError>) {
    match reqwest::Url::parse(url) {
        Ok(u) if !matches!(u.scheme(), "http" | "https") => {
            errs.push(ConfigError::invalid(key, format!("has scheme {:?}; use http or https", u.scheme())))
        }
        Ok(u) if u.path() != "/" || u.query().is_some() => errs.push(ConfigError::invalid(
            key,
            format!("{url:?} has a path or query; give only the origin (the client adds the API path)"),
        )),
        Ok(_) => {}
        Err(e) => errs.push(ConfigError::invalid(key, format!("{url:?} is not a URL ({e})"))),
    }
}

impl Config {
    /// Checks formats and ranges. Settings a flow needs but that are absent are not errors
    /// here: `missing_for_*` reports them and `serve` leaves that flow off.
    pub fn validate(&self) -> Result<(), ConfigErrors> {
        let mut errs = Vec::new();
        let url = &self.database.url;
        if !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            errs.push(ConfigError::invalid("database.url", format!("{url:?} is neither sqlite: nor postgres://")));
        }
        for (key, listen) in [("http.listen", &self.http.listen), ("grpc.listen", &self.grpc.listen)] {
            if listen.parse::<std::net::SocketAddr>().is_err() {
                errs.push(ConfigError::invalid(key, format!("{listen:?} is not an address:port like 127.0.0.1:8080")));
            }
        }
        for (i, s) in self.webhooks.secrets.iter().enumerate() {
            if let Err(p) = decode_webhook_secret(s) {
                errs.push(ConfigError::invalid("webhooks.secrets", format!("entry {} {p}", i + 1)));
            }
        }
        for (i, t) in self.grpc.tokens.iter().enumerate() {
            match t.split_once(':') {
                Some(("read" | "operate", tok)) if !tok.is_empty() => {}
                _ => errs.push(ConfigError::invalid(
                    "grpc.tokens",
                    format!("entry {} is not role:token with role read or operate", i + 1),
                )),
            }
        }
        if let Some(u) = &self.magento.base_url {
            check_origin("magento.base_url", u, &mut errs);
        }
        if let Some(u) = &self.edge.base_url {
            check_origin("edge.base_url", u, &mut errs);
        }
        if self.edge.rate_window_ms < 100 {
            errs.push(ConfigError::invalid("edge.rate_window_ms", "must be at least 100 ms (60000 is the documented minute)"));
        }
        if self.edge.rate_limit == 0 {
            errs.push(ConfigError::invalid("edge.rate_limit", "must be at least 1 request a minute"));
        }
        if let Some(u) = &self.sftp.url {
            match reqwest::Url::parse(u) {
                Ok(p) if p.scheme() == "sftp" && p.host_str().is_some() && !p.username().is_empty() => {}
                _ => errs.push(ConfigError::invalid("sftp.url", format!("{u:?} is not sftp://user@host:port/root"))),
            }
        }
        if let Some(k) = &self.sftp.known_host {
            if let Err(e) = crate::marketplace::edge_sftp::client::parse_known_host(k) {
                errs.push(ConfigError::invalid("sftp.known_host", e));
            }
        }
        if let Some(u) = &self.alerts.webhook_url {
            // The URL is a secret (Slack puts the key in it): say what is wrong without printing it.
            match reqwest::Url::parse(u.expose()) {
                Ok(p) if matches!(p.scheme(), "http" | "https") && p.host_str().is_some() => {}
                _ => errs.push(ConfigError::invalid("alerts.webhook_url", "is not an http:// or https:// URL")),
            }
        }
        if self.alerts.queue_capacity == 0 || self.alerts.max_attempts == 0 {
            errs.push(ConfigError::invalid("alerts", "queue_capacity and max_attempts must be at least 1"));
        }
        for (i, entry) in self.carriers.map.iter().enumerate() {
            match entry.split_once('=') {
                Some((p, s)) if !p.trim().is_empty() && !s.trim().is_empty() => {}
                _ => errs.push(ConfigError::invalid(
                    "carriers.map",
                    format!("entry {} {entry:?} is not pattern=slug (e.g. Royal Mail*=royal-mail)", i + 1),
                )),
            }
        }
        for (key, problem) in self.shipments.problems() {
            errs.push(ConfigError::invalid(key, problem));
        }
        for (key, problem) in self.finance.problems() {
            errs.push(ConfigError::invalid(key, problem));
        }
        if self.jobs.workers == 0 {
            errs.push(ConfigError::invalid("jobs.workers", "must be at least 1"));
        }
        if self.jobs.lease_secs < 5 {
            errs.push(ConfigError::invalid("jobs.lease_secs", "must be at least 5 seconds (longer than any call)"));
        }
        if !(0.0..=1.0).contains(&self.jobs.retry_jitter) {
            errs.push(ConfigError::invalid("jobs.retry_jitter", "must be between 0 and 1"));
        }
        self.stock.validate(&mut errs);
        self.orders.validate(&mut errs);
        if errs.is_empty() {
            Ok(())
        } else {
            Err(ConfigErrors(errs))
        }
    }

    /// What the Magento client needs that is not set.
    pub fn missing_for_magento(&self) -> Vec<ConfigError> {
        let mut out = Vec::new();
        if self.magento.base_url.is_none() {
            out.push(ConfigError::missing("magento.base_url"));
        }
        if self.magento.token.is_none() {
            out.push(ConfigError::missing("magento.token"));
        }
        out
    }

    /// What the configured marketplace adapter needs that is not set.
    pub fn missing_for_marketplace(&self) -> Vec<ConfigError> {
        let mut out = Vec::new();
        match self.marketplace.kind {
            MarketplaceKind::Edge => {
                if self.edge.base_url.is_none() {
                    out.push(ConfigError::missing("edge.base_url"));
                }
                if self.edge.username.is_none() {
                    out.push(ConfigError::missing("edge.username"));
                }
                if self.edge.password.is_none() {
                    out.push(ConfigError::missing("edge.password"));
                }
            }
            MarketplaceKind::EdgeSftp => {
                if self.sftp.url.is_none() {
                    out.push(ConfigError::missing("sftp.url"));
                }
                if self.sftp.password.is_none() && self.sftp.key_file.is_none() {
                    out.push(ConfigError::new(
                        "sftp.password",
                        "is missing (and so is sftp.key_file)",
                        "set JLBRIDGE_SFTP_PASSWORD or JLBRIDGE_SFTP_KEY_FILE",
                    ));
                }
                if self.sftp.known_host.is_none() {
                    out.push(ConfigError::new(
                        "sftp.known_host",
                        "is missing: the server's host key is always checked",
                        "set JLBRIDGE_SFTP_KNOWN_HOST to the server's `ssh-ed25519 AAAA…` line (ssh-keyscan)",
                    ));
                }
            }
        }
        out
    }

    /// What the webhook receiver needs that is not set.
    pub fn missing_for_webhooks(&self) -> Vec<ConfigError> {
        if self.webhooks.secrets.is_empty() {
            vec![ConfigError::missing("webhooks.secrets")]
        } else {
            Vec::new()
        }
    }
}
