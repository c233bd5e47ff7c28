//! The in-process permit source: an exact sliding log of the last `limit` grants.
use super::{PermitSource, RateLimitConfig, SourceUsage};
use async_trait::async_trait;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// At most `limit` permits in any `window + margin` span, plus account-wide pauses.
pub struct SlidingWindow {
    config: RateLimitConfig,
    state: Mutex<State>,
}

struct State {
    grants: VecDeque<Instant>,
    paused_until: Option<Instant>,
}

impl SlidingWindow {
    pub fn new(config: RateLimitConfig) -> Self {
        assert!(config.limit > 0, "rate limit must be at least one call per window");
        SlidingWindow { config, state: Mutex::new(State { grants: VecDeque::new(), paused_until: None }) }
    }

    fn span(&self) -> Duration {
        self.config.window + self.config.margin
    }

    fn prune(&self, st: &mut State, now: Instant) {
        let span = self.span();
        while st.grants.front().is_some_and(|t| now.duration_since(*t) >= span) {
            st.grants.pop_front();
        }
        if st.paused_until.is_some_and(|u| u <= now) {
            st.paused_until = None;
        }
    }
}

#[async_trait]
impl PermitSource for SlidingWindow {
    async fn try_take(&self, reserve: u32) -> Result<(), Duration> {
        let now = Instant::now();
        let mut st = self.state.lock().expect("limiter lock");
        self.prune(&mut st, now);
        if let Some(until) = st.paused_until {
            return Err(until - now);
        }
        let cap = self.config.limit.saturating_sub(reserve).max(1) as usize;
        if st.grants.len() < cap {
            st.grants.push_back(now);
            return Ok(());
        }
        // The grant whose expiry brings the count below `cap`.
        let blocking = st.grants[st.grants.len() - cap];
        Err((blocking + self.span()).saturating_duration_since(now))
    }

    async fn pause(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut st = self.state.lock().expect("limiter lock");
        if st.paused_until.is_none_or(|u| u < until) {
            st.paused_until = Some(until);
        }
    }

    async fn usage(&self) -> SourceUsage {
        let now = Instant::now();
        let mut st = self.state.lock().expect("limiter lock");
        self.prune(&mut st, now);
        let in_window = st.grants.iter().filter(|t| now.duration_since(**t) < self.config.window).count();
        SourceUsage {
            limit: self.config.limit,
            window: self.config.window,
            calls_in_window: in_window as u32,
            paused_for: st.paused_until.map(|u| u - now),
        }
    }
}
