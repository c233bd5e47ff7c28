//! The one rate limiter per marketplace account (The Edge: 250 calls a minute for every call
//! together, `429` with "Expected available in N seconds" beyond it).
//!
//! Why not `governor`: it has no priorities and no way to pause on a server-stated wait, and a
//! PostgreSQL-shared bucket would need its state outside the process anyway. So the limiter is
//! split in two small parts:
//! * a [`PermitSource`] says whether the account may send one more call now (or how long to
//!   wait); [`SlidingWindow`] is the in-process one; [`SharedWindow`] keeps the account's call
//!   log in the database so several replicas on PostgreSQL share one budget;
//! * [`RateLimiter`] queues callers by [`Priority`] and hands out permits strictly by priority
//!   (FIFO within one), so order work is never stuck behind thousands of stock updates; and a
//!   small share of every window (`reserve`) is kept out of reach of stock updates, so an
//!   acknowledgement arriving just after a stock burst used the window does not wait for the
//!   window to roll (at 250/min that wait would be up to a minute).
mod shared;
mod window;

pub use shared::SharedWindow;
pub use window::SlidingWindow;

use async_trait::async_trait;
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Who goes first when the budget is short. Strict: a waiting `High` is always served first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Priority {
    /// Order reads, acknowledgements, dispatches, cancellations, authentication.
    High = 0,
    /// Lookups and reconciliation reads (products, carriers, returns).
    Normal = 1,
    /// Stock updates.
    Low = 2,
}

impl Priority {
    pub const ALL: [Priority; 3] = [Priority::High, Priority::Normal, Priority::Low];
}

/// Where permits come from (one account's budget).
#[async_trait]
pub trait PermitSource: Send + Sync + 'static {
    /// Takes one permit if a call may be sent now while leaving `reserve` permits of the window
    /// unused; otherwise how long to wait before asking again.
    async fn try_take(&self, reserve: u32) -> Result<(), Duration>;
    /// Stops the whole account for `wait` (a `429`'s stated wait). Never shortens a longer pause.
    async fn pause(&self, wait: Duration);
    /// Calls counted in the current window, the budget, and the pause left.
    async fn usage(&self) -> SourceUsage;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceUsage {
    pub limit: u32,
    pub window: Duration,
    pub calls_in_window: u32,
    pub paused_for: Option<Duration>,
}

/// Rate-limit figures for the control plane (`SyncService.GetSyncStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateUsage {
    pub limit: u32,
    pub window: Duration,
    pub calls_in_window: u32,
    pub paused_for: Option<Duration>,
    pub queued_high: usize,
    pub queued_normal: usize,
    pub queued_low: usize,
    pub granted_total: u64,
    /// How long the longest-waiting caller of each priority has waited so far (`None`: nobody
    /// waits), indexed by `Priority as usize`. The starvation alert reads these.
    pub longest_wait: [Option<Duration>; 3],
}

impl RateUsage {
    pub fn longest_wait(&self, p: Priority) -> Option<Duration> {
        self.longest_wait[p as usize]
    }
}

/// Budget settings: `limit` calls per `window`; `margin` is added to the window on our side so
/// that network jitter never makes the server see `limit + 1` calls in its own window;
/// `reserve` permits of each window only `High` calls may use (`Normal` may use half of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitConfig {
    pub limit: u32,
    pub window: Duration,
    pub margin: Duration,
    pub reserve: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self::new(250, Duration::from_secs(60))
    }
}

impl RateLimitConfig {
    /// `limit` per `window`, margin 1/60 of the window, a tenth of the budget kept for order work.
    pub fn new(limit: u32, window: Duration) -> Self {
        RateLimitConfig { limit, window, margin: window / 60, reserve: limit / 10 }
    }
    /// The Edge setting `JLBRIDGE_EDGE_RATE_LIMIT` (requests per minute).
    pub fn per_minute(limit: u32) -> Self {
        Self::new(limit, Duration::from_secs(60))
    }
    fn reserve_for(&self, p: Priority) -> u32 {
        let r = self.reserve.min(self.limit.saturating_sub(1));
        match p {
            Priority::High => 0,
            Priority::Normal => r / 2,
            Priority::Low => r,
        }
    }
}

struct Waiter {
    priority: Priority,
    grant: oneshot::Sender<()>,
}

#[derive(Default)]
struct Counters {
    queued: [AtomicUsize; 3],
    granted: AtomicU64,
    /// Callers waiting now, per priority: ticket number -> when it started waiting.
    waiting: Mutex<[BTreeMap<u64, Instant>; 3]>,
    tickets: AtomicU64,
}

impl Counters {
    fn longest_wait(&self, now: Instant) -> [Option<Duration>; 3] {
        let w = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        // Tickets are numbered in arrival order: the first entry waited longest.
        std::array::from_fn(|i| w[i].values().next().map(|t| now.saturating_duration_since(*t)))
    }
}

/// A caller's place in the wait statistics; leaves them when dropped (granted or gave up).
struct Waiting {
    counters: Arc<Counters>,
    priority: Priority,
    ticket: u64,
}

impl Waiting {
    fn start(counters: &Arc<Counters>, priority: Priority) -> Self {
        let ticket = counters.tickets.fetch_add(1, Ordering::Relaxed);
        counters.waiting.lock().unwrap_or_else(|p| p.into_inner())[priority as usize].insert(ticket, Instant::now());
        Waiting { counters: counters.clone(), priority, ticket }
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.counters.waiting.lock().unwrap_or_else(|p| p.into_inner())[self.priority as usize].remove(&self.ticket);
    }
}

/// The account's limiter. Clone it freely; all clones share one budget and one queue.
#[derive(Clone)]
pub struct RateLimiter {
    config: RateLimitConfig,
    source: Arc<dyn PermitSource>,
    tx: mpsc::UnboundedSender<Waiter>,
    counters: Arc<Counters>,
}

impl RateLimiter {
    /// In-process limiter (one replica). Must be called inside a Tokio runtime.
    pub fn new(config: RateLimitConfig) -> Self {
        Self::with_source(config, Arc::new(SlidingWindow::new(config)))
    }

    /// Limiter over any permit source (e.g. a database-shared bucket); `config` gives the reserve.
    pub fn with_source(config: RateLimitConfig, source: Arc<dyn PermitSource>) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let counters = Arc::new(Counters::default());
        tokio::spawn(dispatch(config, source.clone(), rx, counters.clone()));
        RateLimiter { config, source, tx, counters }
    }

    pub fn config(&self) -> &RateLimitConfig {
        &self.config
    }

    /// Waits for a permit to send one call. Dropping the future gives up the place in the queue.
    pub async fn acquire(&self, priority: Priority) {
        let (grant, granted) = oneshot::channel();
        let _waiting = Waiting::start(&self.counters, priority);
        self.counters.queued[priority as usize].fetch_add(1, Ordering::Relaxed);
        if self.tx.send(Waiter { priority, grant }).is_err() {
            self.counters.queued[priority as usize].fetch_sub(1, Ordering::Relaxed);
            return;
        }
        let _ = granted.await;
    }

    /// Pauses the whole account (every caller, every priority) for `wait`.
    pub async fn pause(&self, wait: Duration) {
        tracing::warn!(wait_ms = wait.as_millis() as u64, "marketplace throttled: pausing the account");
        self.source.pause(wait).await;
    }

    pub async fn usage(&self) -> RateUsage {
        let s = self.source.usage().await;
        let q = |p: Priority| self.counters.queued[p as usize].load(Ordering::Relaxed);
        RateUsage {
            limit: s.limit,
            window: s.window,
            calls_in_window: s.calls_in_window,
            paused_for: s.paused_for,
            queued_high: q(Priority::High),
            queued_normal: q(Priority::Normal),
            queued_low: q(Priority::Low),
            granted_total: self.counters.granted.load(Ordering::Relaxed),
            longest_wait: self.counters.longest_wait(Instant::now()),
        }
    }
}

/// The single task that hands out permits, highest priority first.
async fn dispatch(
    config: RateLimitConfig,
    source: Arc<dyn PermitSource>,
    mut rx: mpsc::UnboundedReceiver<Waiter>,
    counters: Arc<Counters>,
) {
    let mut queues: [VecDeque<oneshot::Sender<()>>; 3] = Default::default();
    loop {
        while let Ok(w) = rx.try_recv() {
            queues[w.priority as usize].push_back(w.grant);
        }
        // Forget callers that gave up, then find the most urgent one still waiting.
        for (i, q) in queues.iter_mut().enumerate() {
            while q.front().is_some_and(|g| g.is_closed()) {
                q.pop_front();
                counters.queued[i].fetch_sub(1, Ordering::Relaxed);
            }
        }
        let Some(next) = queues.iter().position(|q| !q.is_empty()) else {
            match rx.recv().await {
                Some(w) => queues[w.priority as usize].push_back(w.grant),
                None => return,
            }
            continue;
        };
        match source.try_take(config.reserve_for(Priority::ALL[next])).await {
            Ok(()) => {
                let grant = queues[next].pop_front().expect("non-empty queue");
                counters.queued[next].fetch_sub(1, Ordering::Relaxed);
                counters.granted.fetch_add(1, Ordering::Relaxed);
                let _ = grant.send(());
            }
            // Wait, but wake for a newcomer: it may be more urgent (and entitled to the reserve).
            Err(wait) => tokio::select! {
                _ = tokio::time::sleep(wait.max(Duration::from_millis(1))) => {}
                w = rx.recv() => match w {
                    Some(w) => queues[w.priority as usize].push_back(w.grant),
                    None => return,
                },
            },
        }
    }
}

#[cfg(test)]
mod tests;
