//! Settings of one Edge REST account.
use secrecy::SecretString;
use std::time::Duration;

#[derive(Clone)]
pub struct EdgeConfig {
    /// Origin only (`https://api.virtualstock.com`); the client adds `/restapi/v4/…`, `/api/v4/…`.
    pub base_url: String,
    pub username: String,
    pub password: SecretString,
    /// Supplier link or id of this account in the product API, to pick our product when
    /// several suppliers share a part number. `None`: accept a single exact match only.
    pub product_supplier: Option<String>,
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
    /// `limit` sent when paging.
    pub page_size: u32,
    /// Renew a token this long before it expires (capped at a quarter of its life).
    pub renew_margin: Duration,
    /// Lifetimes assumed when a token does not carry a readable JWT `exp` (documented: 5 min, 4 h).
    pub access_lifetime: Duration,
    pub refresh_lifetime: Duration,
    /// How many times one call waits out a `429` (pausing the whole account) before it is
    /// surfaced as retryable. A throttled request was not processed, so resending is safe.
    pub throttle_retries: u32,
    /// Wait assumed when a `429` states none.
    pub default_throttle_wait: Duration,
    /// "Retry later" attached to a `409` (product being published: "retry every few minutes").
    pub conflict_retry_after: Duration,
}

impl EdgeConfig {
    pub fn new(base_url: impl Into<String>, username: impl Into<String>, password: SecretString) -> Self {
        EdgeConfig {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            username: username.into(),
            password,
            product_supplier: None,
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            page_size: 100,
            renew_margin: Duration::from_secs(30),
            access_lifetime: Duration::from_secs(5 * 60),
            refresh_lifetime: Duration::from_secs(4 * 3600),
            throttle_retries: 2,
            default_throttle_wait: Duration::from_secs(60),
            conflict_retry_after: Duration::from_secs(180),
        }
    }
}

impl std::fmt::Debug for EdgeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EdgeConfig")
            .field("base_url", &self.base_url)
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .field("page_size", &self.page_size)
            .finish_non_exhaustive()
    }
}

impl EdgeConfig {
    /// From the service settings (`[edge]`, `JLBRIDGE_EDGE_*`); `None` while a required setting is
    /// missing (the settings validation names it). Rate limit: `RateLimitConfig::per_minute(s.rate_limit)`.
    pub fn from_settings(s: &crate::config::EdgeConfig) -> Option<Self> {
        let password = SecretString::from(s.password.as_ref()?.expose().to_owned());
        let mut c = EdgeConfig::new(s.base_url.clone()?, s.username.clone()?, password);
        c.request_timeout = Duration::from_secs(s.timeout_secs.max(1));
        Some(c)
    }
}
