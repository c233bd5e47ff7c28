//! HTTP plumbing: URLs (`{origin}/rest/{store}/V1/…`), authentication, status handling.
//! One call, one answer: no retry loops here (the job queue retries, DESIGN §4).
use super::auth::{authorization_header, MagentoAuth};
use super::error::{read_error_body, MagentoError};
use super::search::{has_more, SearchCriteria};
use super::wire::SearchResult;
use rand::distributions::{Alphanumeric, DistString};
use reqwest::{header, Method, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::time::{Duration, Instant};

/// Largest number of pages one listing reads, a guard against a server that never ends.
pub const MAX_PAGES: u32 = 10_000;

#[derive(Debug, Clone)]
pub struct MagentoConfig {
    /// The shop's origin, e.g. `https://shop.example.com` (a path prefix is kept).
    pub base_url: String,
    /// Store view code put in the path (`default` unless configured).
    pub store: String,
    pub auth: MagentoAuth,
    /// Whole-request timeout.
    pub timeout: Duration,
}

impl MagentoConfig {
    pub fn bearer(base_url: impl Into<String>, token: impl Into<String>) -> Self {
        MagentoConfig {
            base_url: base_url.into(),
            store: "default".into(),
            auth: MagentoAuth::Bearer(SecretString::from(token.into())),
            timeout: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, Clone)]
pub struct MagentoClient {
    http: reqwest::Client,
    base: Url,
    store: String,
    auth: MagentoAuth,
}

impl MagentoClient {
    pub fn new(cfg: MagentoConfig) -> Result<Self, MagentoError> {
        let base = Url::parse(cfg.base_url.trim())
            .map_err(|e| MagentoError::Invalid(format!("Magento base URL is not a URL: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() || base.query().is_some() {
            return Err(MagentoError::Invalid("Magento base URL must be an http(s) origin such as https://shop.example.com".into()));
        }
        let store = cfg.store.trim().to_owned();
        if store.is_empty() || !store.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(MagentoError::Invalid("Magento store code must be letters, digits or _ (e.g. default)".into()));
        }
        let http = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("jlbridge/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| MagentoError::Invalid(format!("HTTP client: {e}")))?;
        Ok(MagentoClient { http, base, store, auth: cfg.auth })
    }

    pub fn store(&self) -> &str {
        &self.store
    }

    /// `{origin}/rest/{store}/V1/{segments…}?{query}`; each segment is percent-encoded, so a
    /// SKU with `/` or spaces stays one segment.
    pub fn url(&self, segments: &[&str], query: &[(String, String)]) -> Url {
        let mut url = self.base.clone();
        {
            let mut path = url.path_segments_mut().expect("checked in new");
            path.pop_if_empty().extend(["rest", self.store.as_str(), "V1"]).extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    /// Sends one request and reads a JSON answer of type `T`.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(String, String)],
        body: Option<&Value>,
    ) -> Result<T, MagentoError> {
        let url = self.url(segments, query);
        let path = format!("/V1/{}", segments.join("/"));
        let mut req = self.http.request(method.clone(), url.clone()).header(header::ACCEPT, "application/json");
        req = match &self.auth {
            MagentoAuth::Bearer(token) => req.bearer_auth(token.expose_secret()),
            MagentoAuth::OAuth1(creds) => {
                let nonce = Alphanumeric.sample_string(&mut rand::thread_rng(), 32);
                let ts = chrono::Utc::now().timestamp();
                req.header(header::AUTHORIZATION, authorization_header(creds, method.as_str(), &url, &nonce, ts))
            }
        };
        if let Some(body) = body {
            req = req.json(body);
        }
        let started = Instant::now();
        let transport = |e: reqwest::Error| {
            if e.is_timeout() {
                MagentoError::Timeout { method: method.to_string(), path: path.clone() }
            } else {
                let detail = if e.is_connect() { "connection failed" } else { "connection dropped" };
                MagentoError::Connection { method: method.to_string(), path: path.clone(), detail: detail.into() }
            }
        };
        let resp = req.send().await.map_err(transport)?;
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let bytes = resp.bytes().await.map_err(transport)?;
        tracing::debug!(%method, %path, status = status.as_u16(), elapsed_ms = started.elapsed().as_millis() as u64, "magento call");
        if !status.is_success() {
            return Err(MagentoError::Api {
                status: status.as_u16(),
                method: method.to_string(),
                path,
                message: read_error_body(status.as_u16(), &bytes),
                retry_after,
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| MagentoError::Decode { method: method.to_string(), path, detail: e.to_string() })
    }

    pub async fn get<T: DeserializeOwned>(&self, segments: &[&str], query: &[(String, String)]) -> Result<T, MagentoError> {
        self.call(Method::GET, segments, query, None).await
    }

    pub async fn post<T: DeserializeOwned>(&self, segments: &[&str], body: &Value) -> Result<T, MagentoError> {
        self.call(Method::POST, segments, &[], Some(body)).await
    }

    /// One page of a search.
    pub async fn search<T: DeserializeOwned>(&self, segments: &[&str], criteria: &SearchCriteria) -> Result<SearchResult<T>, MagentoError> {
        self.get(segments, &criteria.to_query()).await
    }

    /// Every row of a search, page by page; stops when `total_count` rows are covered
    /// (Magento repeats the last page past the end, so an empty page never comes).
    pub async fn search_all<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        criteria: SearchCriteria,
        page_size: u32,
    ) -> Result<Vec<T>, MagentoError> {
        let page_size = page_size.max(1);
        let mut out = Vec::new();
        for page in 1..=MAX_PAGES {
            let result: SearchResult<T> = self.search(segments, &criteria.clone().page(page_size, page)).await?;
            let rows = result.items.len();
            out.extend(result.items);
            if !has_more(page, page_size, rows, result.total_count) {
                return Ok(out);
            }
        }
        Err(MagentoError::Invalid(format!("listing /V1/{} did not end after {MAX_PAGES} pages", segments.join("/"))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_carry_store_and_encode_segments() {
        let mut cfg = MagentoConfig::bearer("https://shop.example.com/", "t");
        cfg.store = "uk".into();
        let c = MagentoClient::new(cfg).unwrap();
        let u = c.url(&["inventory", "get-product-salable-quantity", "TEE/M RED", "1"], &[]);
        assert_eq!(u.as_str(), "https://shop.example.com/rest/uk/V1/inventory/get-product-salable-quantity/TEE%2FM%20RED/1");
        let c = MagentoClient::new(MagentoConfig::bearer("http://127.0.0.1:9000/magento", "t")).unwrap();
        assert_eq!(c.url(&["orders"], &[]).as_str(), "http://127.0.0.1:9000/magento/rest/default/V1/orders");
    }

    #[test]
    fn rejects_bad_configuration_clearly() {
        let err = MagentoClient::new(MagentoConfig::bearer("shop.example.com", "t")).unwrap_err();
        assert!(err.to_string().contains("base URL"), "{err}");
        let mut cfg = MagentoConfig::bearer("https://shop.example.com", "t");
        cfg.store = "de fault".into();
        assert!(MagentoClient::new(cfg).unwrap_err().to_string().contains("store code"));
    }
}
