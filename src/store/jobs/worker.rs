//! Workers: claim due jobs, run their handlers with a heartbeat on the lease, record outcomes.
//! On shutdown they stop claiming and let in-flight jobs finish; a job cut short keeps its
//! lease until it expires, then another worker reclaims it. Nothing is lost.
use super::{ClaimedJob, FailOutcome, JobError, JobKind, Queue};
use async_trait::async_trait;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn, Instrument};

/// What happened to a job, for whoever watches the pool (metrics, events, alerts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobOutcome {
    Claimed,
    Completed,
    Failed(FailOutcome),
}

/// Told of each job's claim and outcome after it is recorded; it cannot change the outcome.
#[async_trait]
pub trait JobObserver: Send + Sync {
    async fn observe(&self, job: &ClaimedJob, outcome: JobOutcome);
}

#[async_trait]
pub trait JobHandler: Send + Sync {
    /// Kinds this handler runs; jobs of other kinds stay queued for a process that runs them.
    fn kinds(&self) -> Vec<JobKind>;
    async fn handle(&self, job: &ClaimedJob) -> Result<(), JobError>;
}

/// When the pool last went round its loop (Unix ms), for readiness checks.
#[derive(Clone, Default)]
pub struct WorkerPulse(Arc<AtomicI64>);

impl WorkerPulse {
    pub fn beat(&self) {
        self.0.store(crate::store::now_ms(), Ordering::Relaxed);
    }
    pub fn last(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

pub struct WorkerPool {
    pub queue: Queue,
    pub handler: Arc<dyn JobHandler>,
    pub concurrency: usize,
    pub poll: Duration,
    pub name: String,
    pub pulse: WorkerPulse,
    /// How long in-flight jobs may run on after shutdown is asked for.
    pub grace: Duration,
    /// Told of every claim and outcome (e.g. dead letters published as events).
    pub observer: Option<Arc<dyn JobObserver>>,
}

impl WorkerPool {
    pub fn new(queue: Queue, handler: Arc<dyn JobHandler>, concurrency: usize, poll: Duration) -> Self {
        WorkerPool {
            queue,
            handler,
            concurrency: concurrency.max(1),
            poll,
            name: format!("worker-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]),
            pulse: WorkerPulse::default(),
            grace: Duration::from_secs(20),
            observer: None,
        }
    }

    pub async fn run(self, shutdown: CancellationToken) {
        let kinds = self.handler.kinds();
        let permits = Arc::new(Semaphore::new(self.concurrency));
        let mut running = JoinSet::new();
        let waker = self.queue.waker();
        info!(worker = %self.name, concurrency = self.concurrency, "workers started");
        loop {
            self.pulse.beat();
            while running.try_join_next().is_some() {}
            if shutdown.is_cancelled() {
                break;
            }
            let free = permits.available_permits();
            let jobs = if free == 0 {
                Vec::new()
            } else {
                match self.queue.claim(&self.name, &kinds, free.min(32) as u32).await {
                    Ok(jobs) => jobs,
                    Err(e) => {
                        warn!(worker = %self.name, error = %e, "claiming jobs failed");
                        Vec::new()
                    }
                }
            };
            let idle = jobs.is_empty();
            for job in jobs {
                let permit = permits.clone().acquire_owned().await.expect("semaphore open");
                let queue = self.queue.clone();
                let handler = self.handler.clone();
                let observer = self.observer.clone();
                let span = tracing::info_span!("job", job_id = job.id, kind = %job.kind, attempt = job.attempt);
                running.spawn(
                    async move {
                        run_one(&queue, handler.as_ref(), job, observer.as_deref()).await;
                        drop(permit);
                    }
                    .instrument(span),
                );
            }
            if idle {
                let notified = waker.notified();
                tokio::select! {
                    _ = shutdown.cancelled() => {}
                    _ = notified => {}
                    _ = tokio::time::sleep(self.poll) => {}
                    Some(_) = running.join_next(), if !running.is_empty() => {}
                }
            }
        }
        info!(worker = %self.name, in_flight = running.len(), "workers stopping");
        let drained = tokio::time::timeout(self.grace, async { while running.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            warn!(worker = %self.name, "in-flight jobs cut short; their leases will expire and they will be reclaimed");
            running.abort_all();
        }
    }
}

/// Runs one claimed job to an outcome, renewing its lease while the handler works, and
/// tells `observer` of the claim and of the recorded outcome.
pub async fn run_one(queue: &Queue, handler: &dyn JobHandler, job: ClaimedJob, observer: Option<&dyn JobObserver>) {
    if let Some(o) = observer {
        o.observe(&job, JobOutcome::Claimed).await;
    }
    let beat_every = queue.lease() / 3;
    let work = handler.handle(&job);
    tokio::pin!(work);
    let result = loop {
        tokio::select! {
            r = &mut work => break r,
            _ = tokio::time::sleep(beat_every) => {
                match queue.heartbeat(&job).await {
                    Ok(true) => {}
                    Ok(false) => warn!("lease lost while the job was running"),
                    Err(e) => warn!(error = %e, "lease heartbeat failed"),
                }
            }
        }
    };
    let recorded = match &result {
        Ok(()) => queue.complete(&job).await.map(|ok| if ok { None } else { Some(FailOutcome::LeaseLost) }),
        Err(e) => queue.fail(&job, e, rand::random::<f64>()).await.map(Some),
    };
    if let (Some(o), Ok(outcome)) = (observer, &recorded) {
        let outcome = outcome.map_or(JobOutcome::Completed, JobOutcome::Failed);
        o.observe(&job, outcome).await;
    }
    match (result, recorded) {
        (_, Err(e)) => warn!(error = %e, "recording the job outcome failed; the lease will expire and it will run again"),
        (Ok(()), Ok(None)) => tracing::debug!("job done"),
        (_, Ok(Some(FailOutcome::LeaseLost))) => warn!("the lease had passed to another worker"),
        (Err(e), Ok(Some(FailOutcome::Retrying { delay }))) => {
            info!(error = %e, retry_in_ms = delay.as_millis() as u64, "job failed; will retry")
        }
        (Err(e), Ok(Some(FailOutcome::Dead { exception_id }))) => {
            warn!(error = %e, exception_id, "job gave up; exception opened")
        }
        (Ok(()), Ok(Some(_))) | (Err(_), Ok(None)) => {}
    }
}
