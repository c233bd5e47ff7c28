//! The order poller: a singleton loop that lists `ORDER` and `CANCEL` (paged to the end),
//! stores every order and line before acting, and enqueues what each needs in the same
//! transaction (dedupe keys: each job once per order). Orders still `downloaded` or
//! `cancel_requested` that the listings did not show are read one by one. A failed cycle
//! opens `poll_failed` (entity `orders`); the next good one resolves it. The watchdog opens
//! `acknowledge_overdue` for orders not acknowledged in time.
use super::{ack_job, cancel_request_job, OrdersFlow};
use crate::domain::exception::ExceptionKind;
use crate::domain::order::{MarketplaceOrder, MarketplaceOrderId, OrderStatus};
use crate::domain::order_state::{on_listed, ListedAction, OrderState, Step};
use crate::store::exceptions::NewException;
use crate::store::jobs::enqueue;
use crate::store::orders::{self, EventKind};
use crate::store::{cursors, now_ms};
use crate::sync::singleton::Singleton;
use sea_orm::DbErr;
use serde::Serialize;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// The `sync_cursors` row holding the last poll (JSON `PollReport`) for status pages.
pub const CURSOR_LAST_POLL: &str = "orders.last_poll";
/// Orders stored per transaction.
const BATCH: usize = 200;

/// What one cycle did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct PollReport {
    pub at_ms: i64,
    pub ok: bool,
    pub error: Option<String>,
    pub listed: usize,
    pub new_orders: usize,
    pub cancel_requests: usize,
    pub reread: usize,
    pub overdue: usize,
    pub duration_ms: u64,
}

pub struct OrderPoller {
    flow: Arc<OrdersFlow>,
    singleton: Singleton,
    /// Wakes the loop before its interval (tests, a control-plane trigger).
    pub trigger: Arc<Notify>,
    /// Failed polls in a row: one transient failure opens no exception.
    failures: Arc<std::sync::atomic::AtomicU32>,
}

/// Failed polls in a row that open `poll_failed` (transient failures are retried within the
/// cycle and by the next cycles, and are no exception).
pub const POLL_FAILURES_TO_RAISE: u32 = 3;

/// A poll call tried up to three times on transient failures (a dropped connection, a 5xx, a
/// `429` with its wait), so one lost answer does not fail the whole cycle.
async fn transient_retries<T, F, Fut>(mut call: F) -> Result<T, crate::marketplace::MarketplaceError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, crate::marketplace::MarketplaceError>>,
{
    use crate::domain::retry::{Classify, Transience};
    let mut tries = 0u32;
    loop {
        match call().await {
            Err(e) if tries < 2 => match e.transience() {
                Transience::Retryable { retry_after } => {
                    tries += 1;
                    let wait = retry_after.unwrap_or(Duration::from_millis(200 * u64::from(tries)));
                    tokio::time::sleep(wait.min(Duration::from_secs(10))).await;
                }
                Transience::Permanent => return Err(e),
            },
            other => return other,
        }
    }
}

impl OrderPoller {
    pub fn new(flow: Arc<OrdersFlow>, singleton: Singleton) -> Self {
        OrderPoller { flow, singleton, trigger: Arc::new(Notify::new()), failures: Default::default() }
    }

    /// Polls every `orders.poll_interval_secs` while this process leads.
    pub async fn run(self, shutdown: CancellationToken) {
        let interval = self.flow.config.poll_interval();
        info!(interval_secs = interval.as_secs(), "order poller started");
        loop {
            if self.cycle_if_leader().await.is_none() {
                tracing::debug!("another replica polls orders");
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = self.trigger.notified() => {}
                _ = tokio::time::sleep(interval) => {}
            }
        }
        self.singleton.step_down().await;
        info!("order poller stopped");
    }

    /// One cycle when this process leads (PostgreSQL advisory lock), else `None`.
    pub async fn cycle_if_leader(&self) -> Option<PollReport> {
        match self.singleton.lead().await {
            Ok(true) => Some(self.cycle().await),
            Ok(false) => None,
            Err(e) => {
                warn!(error = %e, "could not check the order poller lock");
                None
            }
        }
    }

    /// One cycle (the caller decides it leads); records its report and opens or resolves `poll_failed`.
    pub async fn cycle(&self) -> PollReport {
        let started = Instant::now();
        let mut report = PollReport { at_ms: now_ms(), ..Default::default() };
        let outcome = self.poll(&mut report).await;
        report.duration_ms = started.elapsed().as_millis() as u64;
        report.ok = outcome.is_ok();
        report.error = outcome.err();
        if let Err(e) = self.record(&report).await {
            warn!(error = %e, "recording the poll result failed");
        }
        report
    }

    async fn record(&self, report: &PollReport) -> Result<(), DbErr> {
        let db = &self.flow.db;
        cursors::set(db, CURSOR_LAST_POLL, &serde_json::to_string(report).expect("report serialises")).await?;
        match &report.error {
            None => {
                self.failures.store(0, std::sync::atomic::Ordering::Relaxed);
                // Through the flow's `ops` (alerts, events) when the service wired it.
                self.flow.resolve_entity(ExceptionKind::PollFailed, "orders", "a later poll succeeded").await?;
            }
            Some(err) => {
                let in_a_row = self.failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                warn!(error = %err, in_a_row, "order poll failed");
                if in_a_row >= POLL_FAILURES_TO_RAISE {
                    self.flow.raise(NewException::new(ExceptionKind::PollFailed, "orders", err.clone())).await?;
                }
            }
        }
        Ok(())
    }

    /// `store`, tried again when SQLite reports a write conflict (`database is locked`: a
    /// transaction that read first cannot wait for the lock), which is no poll failure.
    async fn store_retrying(&self, listed: &[MarketplaceOrder], report: &mut PollReport) -> Result<(), DbErr> {
        let mut tries = 0;
        loop {
            match self.store(listed, report).await {
                Err(e) if tries < 5 && e.to_string().contains("database is locked") => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(20 * tries)).await;
                }
                other => return other,
            }
        }
    }

    async fn poll(&self, report: &mut PollReport) -> Result<(), String> {
        let f = &self.flow;
        let mut seen = HashSet::new();
        for status in [OrderStatus::Order, OrderStatus::Cancel] {
            let listed = transient_retries(|| f.marketplace.list_orders(&status)).await.map_err(|e| format!("listing {} orders: {e}", status.as_str()))?;
            report.listed += listed.len();
            seen.extend(listed.iter().map(|o| o.reference.0.clone()));
            self.store_retrying(&listed, report).await.map_err(|e| format!("storing orders: {e}"))?;
        }
        // Re-read what we have not finished with and the listings did not show.
        let mut stale = Vec::new();
        for o in orders::unfinished(&f.db, 10_000).await.map_err(|e| e.to_string())? {
            let waiting = matches!(OrderState::parse(&o.state), Some(OrderState::Downloaded | OrderState::CancelRequested));
            if waiting && !seen.contains(&o.reference) && stale.len() < f.config.reread_limit as usize {
                stale.push(o.marketplace_id.clone());
            }
        }
        let mut reread = Vec::new();
        for id in stale {
            let id = MarketplaceOrderId(id);
            match transient_retries(|| f.marketplace.get_order(&id)).await {
                Ok(o) => reread.push(o),
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(format!("re-reading an order: {e}")),
            }
        }
        report.reread = reread.len();
        self.store_retrying(&reread, report).await.map_err(|e| format!("storing orders: {e}"))?;
        report.overdue = self.watchdog().await.map_err(|e| format!("acknowledge watchdog: {e}"))?;
        Ok(())
    }

    /// Stores orders (batches of 200 per transaction) with the jobs they need.
    async fn store(&self, listed: &[MarketplaceOrder], report: &mut PollReport) -> Result<(), DbErr> {
        let f = &self.flow;
        let max = f.queue.policy().max_attempts();
        for chunk in listed.chunks(BATCH) {
            let txn = orders::begin_write(&f.db).await?;
            let now = now_ms();
            for o in chunk {
                let stored = orders::upsert_listed(&txn, o, now).await?;
                match on_listed(stored.before, &o.status) {
                    ListedAction::Acknowledge => {
                        if enqueue(&txn, &ack_job(&o.reference.0), max).await?.is_some() {
                            report.new_orders += 1;
                        }
                    }
                    ListedAction::CancelRequest => {
                        if orders::advance(&txn, stored.id, Step::CancelRequested).await?.is_some() {
                            orders::add_event(&txn, stored.id, EventKind::CancelRequested, Some("John Lewis asked to cancel")).await?;
                        }
                        if enqueue(&txn, &cancel_request_job(&o.reference.0), max).await?.is_some() {
                            report.cancel_requests += 1;
                        }
                    }
                    ListedAction::RecordOnly | ListedAction::None => {}
                }
            }
            txn.commit().await?;
            f.queue.wake();
        }
        Ok(())
    }

    /// Opens `acknowledge_overdue` for orders downloaded too long ago and not acknowledged.
    async fn watchdog(&self) -> Result<usize, DbErr> {
        let f = &self.flow;
        let limit = f.config.acknowledge_overdue();
        let late = orders::unacknowledged_since(&f.db, now_ms() - limit.as_millis() as i64).await?;
        for o in &late {
            let mins = Duration::from_millis((now_ms() - o.downloaded_at).max(0) as u64).as_secs() / 60;
            let msg = format!("order {} downloaded {mins} min ago and not acknowledged yet", o.reference);
            f.raise(NewException::new(ExceptionKind::AcknowledgeOverdue, o.reference.as_str(), msg)).await?;
        }
        Ok(late.len())
    }
}
