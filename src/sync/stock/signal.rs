//! Tells the pusher that pending values changed: a generation counter (so a pusher in the
//! middle of a batch can notice and pick the riskiest again) and a wake-up for an idle one.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

#[derive(Clone, Default)]
pub struct StockSignal(Arc<Inner>);

#[derive(Default)]
struct Inner {
    generation: AtomicU64,
    notify: Notify,
}

impl StockSignal {
    pub fn bump(&self) {
        self.0.generation.fetch_add(1, Ordering::Relaxed);
        self.0.notify.notify_waiters();
    }
    pub fn generation(&self) -> u64 {
        self.0.generation.load(Ordering::Relaxed)
    }
    /// Waits for a bump, at most `timeout`.
    pub async fn wait(&self, timeout: Duration) {
        let notified = self.0.notify.notified();
        let _ = tokio::time::timeout(timeout, notified).await;
    }
}
