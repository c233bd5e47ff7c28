//! HTTP plumbing for The Edge: every call takes a permit from the account's limiter first,
//! carries a fresh bearer token, honours `429` by pausing the whole account, and turns error
//! answers into [`MarketplaceError`] with the Edge's status, code and message.
use super::auth::{Auth, Bearer, TokenAnswer};
use super::config::EdgeConfig;
use super::{convert, wire};
use crate::marketplace::rate_limit::{Priority, RateLimiter};
use crate::marketplace::MarketplaceError;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use std::time::{Duration, Instant};

/// Upper bound on pages followed in one listing (a loop guard, far above real volumes).
const MAX_PAGES: usize = 10_000;
/// Token calls one business call may make before giving up (refresh, login, throttled tries).
const MAX_TOKEN_CALLS: u32 = 4;

pub struct EdgeHttp {
    http: reqwest::Client,
    config: EdgeConfig,
    limiter: RateLimiter,
    auth: Auth,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: bytes::Bytes,
}

impl EdgeHttp {
    pub fn new(config: EdgeConfig, limiter: RateLimiter) -> Result<Self, MarketplaceError> {
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("jlbridge/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| MarketplaceError::Invalid(format!("HTTP client: {e}")))?;
        Ok(EdgeHttp { http, config, limiter, auth: Auth::default() })
    }

    pub fn config(&self) -> &EdgeConfig {
        &self.config
    }

    pub fn limiter(&self) -> &RateLimiter {
        &self.limiter
    }

    /// One HTTP exchange, no permit taken here (callers take it just before).
    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
        bearer: Option<&SecretString>,
    ) -> Result<Answer, MarketplaceError> {
        let url = format!("{}{}", self.config.base_url, path);
        let mut req = self.http.request(method.clone(), &url);
        if !query.is_empty() {
            req = req.query(query);
        }
        if let Some(token) = bearer {
            let mut v = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
                .map_err(|_| MarketplaceError::Invalid("access token is not a valid header value".into()))?;
            v.set_sensitive(true);
            req = req.header(AUTHORIZATION, v);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let started = Instant::now();
        let resp = req.send().await.map_err(|e| transport(e, &method, path))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map_err(|e| transport(e, &method, path))?;
        tracing::debug!(%method, path, status = status.as_u16(), elapsed_ms = started.elapsed().as_millis() as u64, "edge call");
        Ok(Answer { status, headers, body })
    }

    fn throttle_wait(&self, a: &Answer) -> Duration {
        let (_, message) = convert::error_body(&a.body);
        convert::throttle_wait(&message)
            .or_else(|| {
                let h = a.headers.get(RETRY_AFTER)?.to_str().ok()?;
                h.trim().parse::<f64>().ok().filter(|s| s.is_finite() && *s >= 0.0).map(Duration::from_secs_f64)
            })
            .unwrap_or(self.config.default_throttle_wait)
    }

    fn error(&self, a: &Answer, retry_after: Option<Duration>) -> MarketplaceError {
        let (code, message) = convert::error_body(&a.body);
        MarketplaceError::Http { status: a.status.as_u16(), code, message, retry_after }
    }

    /// One login or refresh exchange (no bearer), sent on the caller's permit.
    pub(super) async fn token_call(&self, path: &str, body: &serde_json::Value) -> Result<TokenAnswer, MarketplaceError> {
        let a = self.send(Method::POST, path, &[], Some(body), None).await?;
        match a.status.as_u16() {
            200..=299 => Ok(TokenAnswer::Tokens(decode(&a.body)?)),
            429 => {
                self.limiter.pause(self.throttle_wait(&a)).await;
                Ok(TokenAnswer::Throttled)
            }
            s @ (400 | 401 | 403) => Ok(TokenAnswer::Refused { status: s, message: convert::error_body(&a.body).1 }),
            _ => Err(self.error(&a, None)),
        }
    }

    /// An authenticated call; returns the body of a 2xx answer. Each attempt first takes a
    /// permit from the account's limiter and uses it at once.
    pub async fn call(
        &self,
        priority: Priority,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
    ) -> Result<bytes::Bytes, MarketplaceError> {
        let (mut throttled, mut renewed, mut token_calls) = (0, false, 0);
        loop {
            self.limiter.acquire(priority).await;
            let token = match self.auth.bearer(self).await? {
                Bearer::Ready(t) => t,
                Bearer::Spent if token_calls < MAX_TOKEN_CALLS => {
                    token_calls += 1;
                    continue;
                }
                Bearer::Spent => {
                    return Err(MarketplaceError::Http {
                        status: 429,
                        code: None,
                        message: "could not obtain an access token (throttled)".into(),
                        retry_after: Some(self.config.default_throttle_wait),
                    })
                }
            };
            let a = self.send(method.clone(), path, query, body, Some(&token)).await?;
            match a.status.as_u16() {
                200..=299 => return Ok(a.body),
                401 if !renewed => {
                    tracing::info!(path, "edge refused the access token; renewing it once");
                    self.auth.access_refused().await;
                    renewed = true;
                }
                429 => {
                    let wait = self.throttle_wait(&a);
                    self.limiter.pause(wait).await;
                    if throttled >= self.config.throttle_retries {
                        return Err(self.error(&a, Some(wait)));
                    }
                    throttled += 1;
                }
                409 => return Err(self.error(&a, Some(self.config.conflict_retry_after))),
                _ => return Err(self.error(&a, None)),
            }
        }
    }

    pub async fn get_json<T: DeserializeOwned>(
        &self,
        priority: Priority,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, MarketplaceError> {
        let body = self.call(priority, Method::GET, path, query, None).await?;
        decode(&body)
    }

    /// Follows `limit`/`offset` pages to the end. `next` is read for its `offset` only: its host
    /// and path are the server's (documented without the trailing slash), ours stay the base.
    pub async fn get_all<T: DeserializeOwned + Send>(
        &self,
        priority: Priority,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Vec<T>, MarketplaceError> {
        let mut all = Vec::new();
        self.each_page(priority, path, query, &mut |page: Vec<T>| all.extend(page)).await?;
        Ok(all)
    }

    /// Like [`Self::get_all`], handing each page to `visit` as it arrives (one page in memory).
    pub async fn each_page<T: DeserializeOwned + Send>(
        &self,
        priority: Priority,
        path: &str,
        query: &[(&str, String)],
        visit: &mut (dyn FnMut(Vec<T>) + Send),
    ) -> Result<(), MarketplaceError> {
        let limit = self.config.page_size.max(1);
        let mut offset = 0u64;
        for _ in 0..MAX_PAGES {
            let mut q = query.to_vec();
            q.push(("limit", limit.to_string()));
            q.push(("offset", offset.to_string()));
            let page: wire::Page<T> = self.get_json(priority, path, &q).await?;
            let n = page.results.len() as u64;
            visit(page.results);
            let Some(next) = page.next.filter(|n| !n.trim().is_empty()) else {
                return Ok(());
            };
            if n == 0 {
                return Ok(());
            }
            let stated = query_param(&next, "offset").and_then(|v| v.parse::<u64>().ok());
            offset = stated.filter(|o| *o > offset).unwrap_or(offset + n);
        }
        Err(MarketplaceError::Decode(format!("{path}: more than {MAX_PAGES} pages")))
    }
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then(|| v.to_owned())
    })
}

pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, MarketplaceError> {
    serde_json::from_slice(body).map_err(|e| MarketplaceError::Decode(e.to_string()))
}

fn transport(e: reqwest::Error, method: &Method, path: &str) -> MarketplaceError {
    // Built from the error kind, not reqwest's text, so no URL or header ever leaks.
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "connection dropped while reading the answer"
    } else {
        "request failed"
    };
    let source = std::error::Error::source(&e).map(|s| format!(": {s}")).unwrap_or_default();
    MarketplaceError::Transport { message: format!("{method} {path} {kind}{source}"), timeout: e.is_timeout() }
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_links_give_their_offset() {
        let next = "{{v4-domain}}/restapi/v4/orders?format=json&limit=10&offset=20";
        assert_eq!(super::query_param(next, "offset").as_deref(), Some("20"));
        assert_eq!(super::query_param("https://x/y", "offset"), None);
    }
}
