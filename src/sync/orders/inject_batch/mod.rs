//! `order.inject` by the batch: the same exactly-once injection as `inject.rs`, with the
//! fixed costs paid once per batch instead of once per order.
//!
//! A worker claims up to `orders.inject_batch` injection jobs in one transaction, takes the
//! leases of their orders in one statement (an order whose lease is held elsewhere waits for
//! its own retry), looks all their Magento orders up in one search (`increment_id in (…)` OR
//! `ext_order_id in (…)`), then creates the absent ones concurrently (at most
//! `orders.inject_concurrency` orders calling Magento at once, over all its batches): create,
//! search again if the create failed, add the comment carrying the reference. The outcomes are
//! committed together with the job completions and lease releases, one transaction for the
//! batch (or for what finished, when some orders are slow: a slow or failing order never holds
//! the others back). A commit runs beside the batch's calls still going, and once a batch's
//! last Magento call is answered the worker starts the next batch while it commits. A failed
//! order fails only its own job (its own retry, its own exception).
//! Orders outside the common case (already in Magento, not acknowledged, being cancelled) run
//! the per-order injection (`inject::run`) inside the batch.
//!
//! A crash anywhere leaves the jobs and order leases to expire; the re-run searches first, so
//! the increment id `JL-<reference>` is created once.
mod batch;

use batch::Batch;
use super::OrdersFlow;
use crate::store::jobs::{JobKind, JobObserver};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// Batches of one worker calling Magento at once (while one calls Magento, another claims);
/// as many again may be committing their outcomes, off the Magento calls' path.
pub const BATCHES_IN_FLIGHT: usize = 3;
/// An outcome is committed at most this long after it is known, without waiting for the
/// slower orders of its batch.
pub const FLUSH_AFTER: Duration = Duration::from_millis(250);

/// Runs the `order.inject` jobs by the batch (the service runs one per process; any number
/// of them, in any number of replicas, can share the queue).
pub struct InjectWorker {
    pub flow: Arc<OrdersFlow>,
    pub name: String,
    /// How often an idle worker looks for due jobs (it is also woken on enqueue).
    pub poll: Duration,
    /// Told of each job's claim and recorded outcome (metrics, dead letters, alerts).
    pub observer: Option<Arc<dyn JobObserver>>,
    /// How long batches in flight may run on after shutdown is asked for.
    pub grace: Duration,
}

impl InjectWorker {
    pub fn new(flow: Arc<OrdersFlow>) -> Self {
        InjectWorker {
            flow,
            name: format!("inject-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]),
            poll: Duration::from_millis(500),
            observer: None,
            grace: Duration::from_secs(20),
        }
    }

    pub async fn run(self, shutdown: CancellationToken) {
        let f = &self.flow;
        let size = f.config.inject_batch.max(1);
        let permits = Arc::new(Semaphore::new(f.config.inject_concurrency.max(1) as usize));
        let calling = Arc::new(Semaphore::new(BATCHES_IN_FLIGHT));
        let mut running: JoinSet<()> = JoinSet::new();
        let waker = crate::store::jobs::batch::waker(&f.queue);
        info!(worker = %self.name, batch = size, concurrency = f.config.inject_concurrency, "order injection started");
        loop {
            while let Some(done) = running.try_join_next() {
                report_stopped(done);
            }
            if shutdown.is_cancelled() {
                break;
            }
            let notified = waker.notified();
            // At most BATCHES_IN_FLIGHT calling Magento, and as many again committing.
            let at_cap = running.len() >= 2 * BATCHES_IN_FLIGHT;
            let stage = if at_cap { None } else { calling.clone().try_acquire_owned().ok() };
            let jobs = if stage.is_some() {
                match f.queue.claim(&self.name, &[JobKind::OrderInject], size).await {
                    Ok(jobs) => jobs,
                    Err(e) => {
                        warn!(worker = %self.name, error = %e, "claiming injection jobs failed");
                        Vec::new()
                    }
                }
            } else {
                Vec::new()
            };
            let (jobs, stage) = match stage {
                Some(stage) if !jobs.is_empty() => (jobs, stage),
                stage => {
                    // Nothing due (wait for work), or every calling place taken (wait for one).
                    let (idle, calls_busy) = (stage.is_some(), stage.is_none() && !at_cap);
                    drop(stage);
                    tokio::select! {
                        _ = shutdown.cancelled() => {}
                        _ = notified, if idle => {}
                        _ = tokio::time::sleep(self.poll), if idle => {}
                        Ok(_) = calling.clone().acquire_owned(), if calls_busy => {}
                        Some(done) = running.join_next(), if !running.is_empty() => report_stopped(done),
                    }
                    continue;
                }
            };
            let batch = Batch { flow: f.clone(), jobs, observer: self.observer.clone(), permits: permits.clone() };
            running.spawn(batch.run(stage));
        }
        let drained = tokio::time::timeout(self.grace, async { while running.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            warn!(worker = %self.name, "injection batches cut short; their leases will expire and they will run again");
            running.abort_all();
        }
        info!(worker = %self.name, "order injection stopped");
    }
}

fn report_stopped(done: Result<(), tokio::task::JoinError>) {
    if let Err(e) = done {
        warn!(error = %e, "an injection batch stopped short; its jobs and order leases expire, then run again");
    }
}
