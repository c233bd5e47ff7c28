//! `stock.observed` by the batch: one write transaction (one fsync on SQLite) applies the
//! observations of a whole claimed batch, completes its jobs, and claims the next batch.
//!
//! Per job that used to be three commits (claim, observation upsert, outcome). Now a batch
//! of up to `batch` jobs costs one: `apply` each observation (the upsert keeps the newest by
//! observation timestamp, so order inside a batch cannot make an older value win; they are
//! applied oldest first anyway), open `part_number_unmapped` for unmapped SKUs, mark the jobs
//! done (`complete_in`: only those still leased with this claim's token), then claim the next
//! batch. A crash before the commit loses nothing: the jobs keep their leases until they
//! expire and are claimed again (an observation applied twice is stale the second time).
//!
//! Jobs the batch cannot take — an item without its quantity (read from Magento), a payload
//! that does not parse — run the per-job path (`worker::run_one` with `StockObserver`), with
//! its heartbeat, retries and exceptions, outside the batch. If the batch transaction fails,
//! its jobs run that path one by one, so one bad job cannot hold the others back.
use super::observe::{apply, carried, unmapped, StockObserver};
use crate::store::exceptions;
use crate::store::jobs::batch::{complete_in, waker};
use crate::store::jobs::{run_one, ClaimedJob, FailOutcome, JobKind, JobObserver, JobOutcome, Queue};
use crate::store::stock::{Observation, Observed};
use crate::store::begin_write;
use crate::store::mapping;
use sea_orm::DbErr;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

const KINDS: [JobKind; 1] = [JobKind::StockObserved];
/// Jobs per transaction: enough to share one fsync widely, few enough that the write turn
/// (one upsert per observation) stays a few milliseconds, so the webhook receiver's group
/// commits queued behind it are not held long.
pub const BATCH: u32 = 64;

pub struct ObserveBatchWorker {
    pub observer: Arc<StockObserver>,
    pub queue: Queue,
    pub name: String,
    /// Most jobs in one transaction.
    pub batch: u32,
    /// Jobs running the per-job path at once.
    pub concurrency: usize,
    /// How often an idle worker looks for due jobs (it is also woken on enqueue).
    pub poll: Duration,
    /// Told of each job's claim and recorded outcome (metrics, retried exceptions resolved).
    pub reporter: Option<Arc<dyn JobObserver>>,
    /// How long per-job runs may go on after shutdown is asked for.
    pub grace: Duration,
}

/// What one batch transaction did.
struct Committed {
    completed: Vec<i64>,
    next: Vec<ClaimedJob>,
}

impl ObserveBatchWorker {
    pub fn new(observer: Arc<StockObserver>, queue: Queue, concurrency: usize, poll: Duration) -> Self {
        ObserveBatchWorker {
            observer,
            queue,
            name: format!("observe-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]),
            batch: BATCH,
            concurrency: concurrency.max(1),
            poll,
            reporter: None,
            grace: Duration::from_secs(20),
        }
    }

    pub async fn run(self, shutdown: CancellationToken) {
        let waker = waker(&self.queue);
        let permits = Arc::new(Semaphore::new(self.concurrency));
        let mut per_job: JoinSet<()> = JoinSet::new();
        let mut claimed: Vec<ClaimedJob> = Vec::new();
        info!(worker = %self.name, batch = self.batch, "stock observations by the batch started");
        loop {
            while per_job.try_join_next().is_some() {}
            let stopping = shutdown.is_cancelled();
            if stopping && claimed.is_empty() {
                break;
            }
            let notified = waker.notified();
            let mut fast: Vec<(ClaimedJob, Vec<Observation>)> = Vec::with_capacity(claimed.len());
            for job in claimed.drain(..) {
                match carried(&job) {
                    Some(obs) => {
                        if let Some(r) = &self.reporter {
                            r.observe(&job, JobOutcome::Claimed).await;
                        }
                        fast.push((job, obs))
                    }
                    None => self.spawn_one(&mut per_job, &permits, job).await,
                }
            }
            let limit = if stopping { 0 } else { self.batch };
            match self.commit(&fast, limit).await {
                Ok(c) => {
                    self.report(&fast, &c).await;
                    claimed = c.next;
                }
                Err(e) => {
                    if !fast.is_empty() {
                        warn!(worker = %self.name, error = %e, jobs = fast.len(), "stock batch failed; its jobs run one by one");
                    } else {
                        warn!(worker = %self.name, error = %e, "claiming stock observations failed");
                    }
                    for (job, _) in fast {
                        self.spawn_one(&mut per_job, &permits, job).await;
                    }
                }
            }
            if claimed.is_empty() && !stopping {
                tokio::select! {
                    _ = shutdown.cancelled() => {}
                    _ = notified => {}
                    _ = tokio::time::sleep(self.poll) => {}
                }
            }
        }
        let drained = tokio::time::timeout(self.grace, async { while per_job.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            warn!(worker = %self.name, "stock observations cut short; their leases will expire and they will run again");
            per_job.abort_all();
        }
        info!(worker = %self.name, "stock observations by the batch stopped");
    }

    /// The per-job path for one job (its claim is reported there).
    async fn spawn_one(&self, set: &mut JoinSet<()>, permits: &Arc<Semaphore>, job: ClaimedJob) {
        let permit = permits.clone().acquire_owned().await.expect("semaphore open");
        let (queue, handler, reporter) = (self.queue.clone(), self.observer.clone(), self.reporter.clone());
        set.spawn(async move {
            run_one(&queue, handler.as_ref(), job, reporter.as_deref()).await;
            drop(permit);
        });
    }

    /// One transaction: the batch's observations, their jobs done, the next batch claimed.
    async fn commit(&self, fast: &[(ClaimedJob, Vec<Observation>)], limit: u32) -> Result<Committed, DbErr> {
        let o = &self.observer;
        let mut all: Vec<(&Observation, i64)> =
            fast.iter().flat_map(|(job, obs)| obs.iter().map(move |ob| (ob, job.id))).collect();
        all.sort_by_key(|(ob, id)| (ob.observed_at, ob.webhook_ts, *id));
        // Read before the turn: the write turn is held only for the writes.
        let mapped = mapping::mapped_skus(&o.db, all.iter().map(|(ob, _)| ob.sku.as_str())).await?;
        let txn = begin_write(&o.db).await?;
        let mut pending = false;
        let mut raised = Vec::new();
        for (ob, job_id) in all {
            if let Observed::Applied { pending: true, .. } = apply(&txn, &o.rules, ob).await? {
                pending = true;
            }
            if !mapped.contains(ob.sku.as_str()) {
                let e = unmapped(&ob.sku, job_id);
                let r = exceptions::raise(&txn, &e).await?;
                raised.push((e, r));
            }
        }
        let jobs: Vec<&ClaimedJob> = fast.iter().map(|(j, _)| j).collect();
        let completed = complete_in(&txn, &jobs).await?;
        let next = self.queue.claim_in(&txn, &self.name, &KINDS, limit).await?;
        txn.commit().await?;
        if pending {
            o.signal.bump();
        }
        for (e, r) in raised {
            o.ops.exception_raised(&e, r);
        }
        Ok(Committed { completed, next })
    }

    /// The outcomes, after the commit that recorded them.
    async fn report(&self, fast: &[(ClaimedJob, Vec<Observation>)], c: &Committed) {
        let Some(r) = &self.reporter else { return };
        let completed: HashSet<i64> = c.completed.iter().copied().collect();
        for (job, _) in fast {
            let outcome = if completed.contains(&job.id) {
                JobOutcome::Completed
            } else {
                warn!(job_id = job.id, "the lease had passed to another worker");
                JobOutcome::Failed(FailOutcome::LeaseLost)
            };
            r.observe(job, outcome).await;
        }
    }
}
