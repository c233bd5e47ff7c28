//! JWT session: `POST /restapi/v4/token` (login) → `{refresh, access}`;
//! `POST /restapi/v4/token/refresh` → `{access}`. The access token is renewed shortly before it
//! expires, the refresh token likewise; a refused refresh falls back to a new login. Tokens live
//! only in `SecretString`s and never reach a log.
use super::client::EdgeHttp;
use super::wire;
use crate::marketplace::MarketplaceError;
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::Mutex;
use tokio::time::Instant;

pub const LOGIN_PATH: &str = "/restapi/v4/token";
pub const REFRESH_PATH: &str = "/restapi/v4/token/refresh";

struct Session {
    access: SecretString,
    access_renew_at: Instant,
    refresh: SecretString,
    refresh_renew_at: Instant,
}

#[derive(Default)]
pub struct Auth {
    session: Mutex<Option<Session>>,
}

/// Seconds left before a JWT's `exp`, read without verifying (we only need its timing).
fn jwt_lifetime(token: &str) -> Option<Duration> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?.as_f64()?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs_f64();
    Some(Duration::from_secs_f64((exp - now).max(0.0)))
}

fn renew_at(token: &str, fallback: Duration, margin: Duration) -> Instant {
    let life = jwt_lifetime(token).unwrap_or(fallback);
    Instant::now() + life.saturating_sub(margin.min(life / 4))
}

/// What [`Auth::bearer`] did with the caller's rate-limit permit.
pub enum Bearer {
    /// A valid access token: send the call with it now.
    Ready(SecretString),
    /// The permit was spent on a token call (renewal, login, or a throttled attempt):
    /// take a new permit and ask again.
    Spent,
}

impl Auth {
    /// Call this holding a fresh permit. When no renewal is needed the token comes back at once;
    /// otherwise the permit is used for the one token call due (refresh, or login once the refresh
    /// token is spent or refused), so no permit ever waits on a token call and ages. Concurrent
    /// callers share one renewal.
    pub async fn bearer(&self, http: &EdgeHttp) -> Result<Bearer, MarketplaceError> {
        let mut guard = self.session.lock().await;
        let now = Instant::now();
        let cfg = http.config();
        if let Some(s) = guard.as_ref() {
            if now < s.access_renew_at {
                return Ok(Bearer::Ready(s.access.clone()));
            }
        }
        if let Some(s) = guard.as_mut().filter(|s| now < s.refresh_renew_at) {
            let body = serde_json::to_value(wire::Refresh { refresh: s.refresh.expose_secret() }).expect("json");
            match http.token_call(REFRESH_PATH, &body).await? {
                TokenAnswer::Tokens(t) => match t.access {
                    Some(access) => {
                        s.access_renew_at = renew_at(&access, cfg.access_lifetime, cfg.renew_margin);
                        s.access = SecretString::from(access);
                        if let Some(refresh) = t.refresh {
                            s.refresh_renew_at = renew_at(&refresh, cfg.refresh_lifetime, cfg.renew_margin);
                            s.refresh = SecretString::from(refresh);
                        }
                        tracing::debug!("edge access token refreshed");
                    }
                    None => {
                        tracing::warn!("edge token refresh answered without an access token; logging in again");
                        *guard = None;
                    }
                },
                TokenAnswer::Refused { status, .. } => {
                    tracing::info!(status, "edge refresh token refused; logging in again");
                    *guard = None;
                }
                TokenAnswer::Throttled => {}
            }
            return Ok(Bearer::Spent);
        }
        let body = serde_json::to_value(wire::Login { username: &cfg.username, password: cfg.password.expose_secret() })
            .expect("json");
        match http.token_call(LOGIN_PATH, &body).await? {
            TokenAnswer::Tokens(t) => {
                let (Some(access), Some(refresh)) = (t.access, t.refresh) else {
                    return Err(MarketplaceError::Decode("login answer without access and refresh tokens".into()));
                };
                *guard = Some(Session {
                    access_renew_at: renew_at(&access, cfg.access_lifetime, cfg.renew_margin),
                    access: SecretString::from(access),
                    refresh_renew_at: renew_at(&refresh, cfg.refresh_lifetime, cfg.renew_margin),
                    refresh: SecretString::from(refresh),
                });
                tracing::debug!("edge login done");
            }
            TokenAnswer::Refused { status, message } => return Err(MarketplaceError::Auth { status, message }),
            TokenAnswer::Throttled => {}
        }
        Ok(Bearer::Spent)
    }

    /// Forgets the access token (the server refused it); the next call renews.
    pub async fn access_refused(&self) {
        if let Some(s) = self.session.lock().await.as_mut() {
            s.access_renew_at = Instant::now();
        }
    }
}

/// Outcome of one token call.
pub enum TokenAnswer {
    Tokens(wire::Tokens),
    /// `400`/`401`/`403`: credentials or refresh token refused.
    Refused { status: u16, message: String },
    /// `429`: the account is paused; try again with a new permit.
    Throttled,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_exp_gives_the_lifetime_and_opaque_tokens_fall_back() {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
        let claims = serde_json::json!({"exp": now + 100.0});
        let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        let token = format!("{}.{}.sig", b64(b"{}"), b64(claims.to_string().as_bytes()));
        let life = jwt_lifetime(&token).unwrap();
        assert!(life > Duration::from_secs(98) && life <= Duration::from_secs(100));
        assert!(jwt_lifetime("your-access-token").is_none());
        let at = renew_at("opaque", Duration::from_secs(300), Duration::from_secs(30));
        let left = at - Instant::now();
        assert!(left > Duration::from_secs(268) && left <= Duration::from_secs(270));
    }
}
