//! The one place flows report to: exceptions raised and resolved (stored, published on the
//! event bus, counted, alerted), sync events published, jobs re-queued for retry.
//!
//! ```text
//! state.ops.raise_exception(NewException::new(ExceptionKind::CarrierUnmapped, "order 12345678", "no slug for 'Parcelforce 48'").with_job(job.id)).await?;
//! state.ops.resolve_entity(ExceptionKind::PollFailed, "orders", "poll succeeded").await?;
//! state.ops.publish(SyncEvent::OrderAcknowledged { order_reference: "12345678".into() });
//! ```
use crate::alerts::{AlertItem, Alerter, Notice};
use crate::domain::exception::{ExceptionKind, ExceptionStatus};
use crate::events::{EventBus, SyncEvent};
use crate::store::entities::exception::{self, Entity as Exceptions};
use crate::store::entities::job::Entity as Jobs;
use crate::store::exceptions::{self as store_exceptions, NewException, Raised};
use crate::store::jobs::{ClaimedJob, FailOutcome, JobObserver, JobOutcome, Queue};
use async_trait::async_trait;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter};
use tracing::warn;

#[derive(Clone)]
pub struct Ops {
    queue: Queue,
    events: EventBus,
    alerts: Alerter,
}

/// Why an exception could not be retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryRefused {
    NotFound,
    /// Resolved or ignored: nothing to retry.
    Closed(String),
    /// No job is attached: the flow that raised it runs again on its own schedule.
    NoJob,
    /// The job is still queued or running.
    JobBusy(i64),
}

fn item(row: &exception::Model) -> Option<AlertItem> {
    Some(AlertItem {
        id: row.id,
        kind: ExceptionKind::parse(&row.kind)?,
        entity: row.entity.clone(),
        count: row.count.max(0) as u32,
    })
}

impl Ops {
    pub fn new(queue: Queue, events: EventBus, alerts: Alerter) -> Self {
        Ops { queue, events, alerts }
    }

    pub fn events(&self) -> &EventBus {
        &self.events
    }

    pub fn alerts(&self) -> &Alerter {
        &self.alerts
    }

    fn db(&self) -> &sea_orm::DatabaseConnection {
        self.queue.db()
    }

    /// Publishes a sync event to live watchers; returns its sequence number.
    pub fn publish(&self, event: SyncEvent) -> u64 {
        self.events.publish(event)
    }

    /// Opens (or counts again) the exception for its kind and entity.
    pub async fn raise_exception(&self, e: NewException) -> Result<Raised, DbErr> {
        let txn = crate::store::begin_write(self.db()).await?;
        let raised = store_exceptions::raise(&txn, &e).await?;
        txn.commit().await?;
        self.exception_raised(&e, raised);
        Ok(raised)
    }

    /// For a flow that raised inside its own transaction: call after the commit.
    pub fn exception_raised(&self, e: &NewException, raised: Raised) {
        metrics::counter!("jlbridge_exceptions_raised_total", "kind" => e.kind.as_str()).increment(1);
        if raised.newly_open {
            self.opened(AlertItem { id: raised.id, kind: e.kind, entity: e.entity.clone(), count: 1 });
        }
    }

    fn opened(&self, item: AlertItem) {
        metrics::counter!("jlbridge_exceptions_opened_total", "kind" => item.kind.as_str()).increment(1);
        self.events.publish(SyncEvent::ExceptionOpened {
            id: item.id,
            exception_kind: item.kind.as_str().into(),
            entity: item.entity.clone(),
        });
        self.alerts.notify(Notice::Opened(item));
    }

    fn resolved(&self, row: &exception::Model) {
        let Some(item) = item(row) else { return };
        metrics::counter!("jlbridge_exceptions_resolved_total", "kind" => item.kind.as_str()).increment(1);
        self.events.publish(SyncEvent::ExceptionResolved {
            id: item.id,
            exception_kind: item.kind.as_str().into(),
            entity: item.entity.clone(),
        });
        self.alerts.notify(Notice::Resolved(item));
    }

    /// Resolves one exception with a note. `None` when there is no such exception; an
    /// exception already resolved is returned unchanged (no second notice).
    pub async fn resolve_exception(&self, id: i64, note: &str) -> Result<Option<exception::Model>, DbErr> {
        let Some(before) = store_exceptions::get(self.db(), id).await? else { return Ok(None) };
        if before.status == ExceptionStatus::Resolved.as_str() {
            return Ok(Some(before));
        }
        store_exceptions::set_status(self.db(), id, ExceptionStatus::Resolved, Some(note)).await?;
        let after = store_exceptions::get(self.db(), id).await?;
        if let Some(row) = &after {
            self.resolved(row);
        }
        Ok(after)
    }

    /// Resolves the open exception of this kind and entity, if any (e.g. a good poll after a bad one).
    pub async fn resolve_entity(&self, kind: ExceptionKind, entity: &str, note: &str) -> Result<Option<i64>, DbErr> {
        let id = store_exceptions::resolve_entity(self.db(), kind, entity, note).await?;
        if let Some(id) = id {
            if let Some(row) = store_exceptions::get(self.db(), id).await? {
                self.resolved(&row);
            }
        }
        Ok(id)
    }

    /// Re-queues the exception's job and marks it `retrying`; returns the updated row.
    pub async fn retry_exception(&self, id: i64) -> Result<Result<exception::Model, RetryRefused>, DbErr> {
        let Some(row) = store_exceptions::get(self.db(), id).await? else { return Ok(Err(RetryRefused::NotFound)) };
        if row.status == "resolved" || row.status == "ignored" {
            return Ok(Err(RetryRefused::Closed(row.status)));
        }
        let Some(job_id) = row.job_id else { return Ok(Err(RetryRefused::NoJob)) };
        let job = Jobs::find_by_id(job_id).one(self.db()).await?;
        if !job.is_some_and(|j| j.state == "dead" || j.state == "done") {
            return Ok(Err(RetryRefused::JobBusy(job_id)));
        }
        // Marked (and announced) before the job is back in the queue: a worker may finish it
        // at once, and finishing resolves exceptions that are `retrying`.
        store_exceptions::set_status(self.db(), id, ExceptionStatus::Retrying, None).await?;
        self.events.publish(SyncEvent::ExceptionRetrying {
            id,
            exception_kind: row.kind.clone(),
            entity: row.entity.clone(),
        });
        if !self.queue.requeue(job_id).await? {
            // Another operator re-queued it a moment ago; that retry stands.
            return Ok(Err(RetryRefused::JobBusy(job_id)));
        }
        metrics::counter!("jlbridge_exceptions_retried_total", "kind" => row.kind.clone()).increment(1);
        let after = store_exceptions::get(self.db(), id).await?.unwrap_or(row);
        Ok(Ok(after))
    }

    async fn job_dead(&self, job: &ClaimedJob, exception_id: i64) -> Result<(), DbErr> {
        self.events.publish(SyncEvent::JobDead { job_id: job.id, job_kind: job.kind.as_str().into(), exception_id });
        // `Queue::fail` opened (or reopened) it in the job's transaction. A dead letter always
        // leaves it open unless someone chose to ignore it; repeats are not re-alerted.
        if let Some(row) = store_exceptions::get(self.db(), exception_id).await? {
            if row.status == "open" {
                if let Some(item) = item(&row) {
                    self.opened(item);
                }
            }
        }
        Ok(())
    }

    /// A retried job succeeded: its exceptions still marked `retrying` are resolved.
    async fn job_completed(&self, job: &ClaimedJob) -> Result<(), DbErr> {
        let rows = Exceptions::find()
            .filter(exception::Column::JobId.eq(job.id))
            .filter(exception::Column::Status.eq("retrying"))
            .all(self.db())
            .await?;
        for row in rows {
            self.resolve_exception(row.id, "the retried job succeeded").await?;
        }
        Ok(())
    }
}

/// The worker pool reports here: job metrics, dead letters published and alerted, retried
/// exceptions resolved when their job succeeds.
#[async_trait]
impl JobObserver for Ops {
    async fn observe(&self, job: &ClaimedJob, outcome: JobOutcome) {
        let kind = job.kind.as_str();
        let result = match outcome {
            JobOutcome::Claimed => {
                metrics::counter!("jlbridge_jobs_claimed_total", "kind" => kind).increment(1);
                Ok(())
            }
            JobOutcome::Completed => {
                metrics::counter!("jlbridge_jobs_completed_total", "kind" => kind).increment(1);
                self.job_completed(job).await
            }
            JobOutcome::Failed(FailOutcome::Retrying { .. }) => {
                metrics::counter!("jlbridge_jobs_retried_total", "kind" => kind).increment(1);
                Ok(())
            }
            JobOutcome::Failed(FailOutcome::Dead { exception_id }) => {
                metrics::counter!("jlbridge_jobs_dead_total", "kind" => kind).increment(1);
                self.job_dead(job, exception_id).await
            }
            JobOutcome::Failed(FailOutcome::LeaseLost) => {
                metrics::counter!("jlbridge_jobs_lease_lost_total", "kind" => kind).increment(1);
                Ok(())
            }
        };
        if let Err(e) = result {
            warn!(job_id = job.id, error = %e, "reporting the job outcome failed");
        }
    }
}
