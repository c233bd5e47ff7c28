//! The orders flow: poll John Lewis (`ORDER`, `CANCEL`), store first, then acknowledge in full,
//! inject exactly once into Magento, and carry cancellations both ways.
//!
//! Jobs (all keyed by the John Lewis order reference, payload `{"reference": …}`):
//! `order.acknowledge` → `order.inject`; `order.cancel_request` (John Lewis asked);
//! `order.cancel_from_magento` (the `order.canceled` webhook). Every job that sends something
//! for an order, or creates its Magento order, holds the order's lease first: one update in
//! flight per order.
mod acknowledge;
mod cancel;
mod inject;
mod inject_batch;
pub mod poller;

pub use inject_batch::InjectWorker;
pub use poller::{OrderPoller, PollReport};

use crate::config::OrdersConfig;
use crate::domain::magento_order::MappingOptions;
use crate::magento::MagentoClient;
use crate::marketplace::Marketplace;
use crate::store::jobs::{ClaimedJob, JobError, JobHandler, JobKind, NewJob, Queue};
use crate::store::orders::{self, lease::OrderLease, StoredOrder};
use async_trait::async_trait;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::Duration;

/// Job priorities: acknowledgements and cancellations before injections.
pub const PRIORITY_ACK: i32 = 50;
pub const PRIORITY_CANCEL: i32 = 60;
pub const PRIORITY_INJECT: i32 = 40;

/// Where the injector is, for crash tests (`OrdersFlow::fault_hook`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InjectStep {
    BeforeCreate,
    /// Magento created the order; we have not stored it yet.
    AfterCreate,
    /// Stored; the job is not yet marked done.
    AfterStore,
}

pub type FaultHook = Arc<dyn Fn(&str, InjectStep) + Send + Sync>;

/// Everything the order jobs and the poller share.
pub struct OrdersFlow {
    pub db: DatabaseConnection,
    pub queue: Queue,
    pub marketplace: Arc<dyn Marketplace>,
    pub magento: MagentoClient,
    pub config: OrdersConfig,
    pub mapping: MappingOptions,
    /// How long a per-order lease lasts (a crashed holder blocks the order this long).
    pub lease_ttl: Duration,
    /// Name written into lease tokens.
    pub holder: String,
    /// Tests only: called at each injection step with the reference; may panic to simulate a crash.
    pub fault_hook: Option<FaultHook>,
    /// Where raised exceptions are announced (alerts, event stream); `None` in bare set-ups.
    pub ops: Option<crate::ops::Ops>,
}

impl OrdersFlow {
    pub fn new(
        db: DatabaseConnection,
        queue: Queue,
        marketplace: Arc<dyn Marketplace>,
        magento: MagentoClient,
        config: OrdersConfig,
    ) -> Self {
        let lease_ttl = queue.lease();
        OrdersFlow {
            db,
            queue,
            marketplace,
            magento,
            config,
            mapping: MappingOptions::default(),
            lease_ttl,
            holder: format!("orders-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]),
            fault_hook: None,
            ops: None,
        }
    }

    /// The same flow on another database pool and queue (another replica, in tests).
    pub fn clone_with(&self, db: DatabaseConnection, queue: Queue) -> OrdersFlow {
        OrdersFlow {
            db,
            queue,
            marketplace: self.marketplace.clone(),
            magento: self.magento.clone(),
            config: self.config.clone(),
            mapping: self.mapping.clone(),
            lease_ttl: self.lease_ttl,
            holder: format!("orders-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]),
            fault_hook: self.fault_hook.clone(),
            ops: self.ops.clone(),
        }
    }

    /// Raises an exception and announces it (alerts) when the service wired `ops`.
    pub(crate) async fn raise(&self, e: crate::store::exceptions::NewException) -> Result<(), sea_orm::DbErr> {
        let raised = crate::store::exceptions::raise(&self.db, &e).await?;
        self.announce(&e, raised);
        Ok(())
    }

    /// Announces (alerts, events) an exception raised inside a transaction: call it after the
    /// commit, as every flow does.
    pub(crate) fn announce(&self, e: &crate::store::exceptions::NewException, raised: crate::store::exceptions::Raised) {
        if let Some(ops) = &self.ops {
            ops.exception_raised(e, raised);
        }
    }

    /// Resolves the open exception of this kind and entity, announced when `ops` is wired.
    pub(crate) async fn resolve_entity(
        &self,
        kind: crate::domain::exception::ExceptionKind,
        entity: &str,
        note: &str,
    ) -> Result<(), sea_orm::DbErr> {
        match &self.ops {
            Some(ops) => ops.resolve_entity(kind, entity, note).await.map(|_| ()),
            None => crate::store::exceptions::resolve_entity(&self.db, kind, entity, note).await.map(|_| ()),
        }
    }

    pub(crate) fn fault(&self, reference: &str, step: InjectStep) {
        if let Some(h) = &self.fault_hook {
            h(reference, step);
        }
    }

    /// The stored order of a job, or a permanent error when it is unknown.
    pub(crate) async fn load(&self, reference: &str) -> Result<StoredOrder, JobError> {
        orders::get(&self.db, reference)
            .await
            .map_err(db_err)?
            .ok_or_else(|| JobError::permanent(format!("order {reference} is not stored")))
    }

    /// Takes the order's lease or asks the queue to come back shortly.
    pub(crate) async fn lease(&self, order: &StoredOrder) -> Result<OrderLease, JobError> {
        orders::lease::take(&self.db, order.order.id, &self.holder, self.lease_ttl)
            .await
            .map_err(db_err)?
            .ok_or_else(|| {
                JobError::retryable(format!("order {} has an update in flight", order.reference())).retry_after(Duration::from_millis(500))
            })
    }

    pub(crate) async fn release(&self, lease: &OrderLease) {
        if let Err(e) = orders::lease::release(&self.db, lease).await {
            tracing::warn!(error = %e, "releasing an order lease failed; it will expire");
        }
    }
}

pub(crate) fn db_err(e: sea_orm::DbErr) -> JobError {
    JobError::retryable(format!("database: {e}"))
}

pub fn ack_job(reference: &str) -> NewJob {
    NewJob::new(JobKind::OrderAcknowledge, serde_json::json!({ "reference": reference }))
        .dedupe(format!("order-ack:{reference}"))
        .priority(PRIORITY_ACK)
}

pub fn inject_job(reference: &str) -> NewJob {
    NewJob::new(JobKind::OrderInject, serde_json::json!({ "reference": reference }))
        .dedupe(format!("order-inject:{reference}"))
        .priority(PRIORITY_INJECT)
}

pub fn cancel_request_job(reference: &str) -> NewJob {
    NewJob::new(JobKind::OrderCancelRequest, serde_json::json!({ "reference": reference }))
        .dedupe(format!("order-cancel-request:{reference}"))
        .priority(PRIORITY_CANCEL)
}

fn reference_of(job: &ClaimedJob) -> Result<String, JobError> {
    job.payload
        .get("reference")
        .and_then(|v| v.as_str())
        .map(str::to_owned)
        .ok_or_else(|| JobError::permanent("job payload has no reference"))
}

/// The order jobs one at a time. `kinds` lets a process (or a test) run only some of them.
/// The service runs `order.inject` by the batch ([`InjectWorker`]); one at a time here it
/// is the same injection without the batching.
pub struct OrderJobs {
    pub flow: Arc<OrdersFlow>,
    pub kinds: Vec<JobKind>,
}

impl OrderJobs {
    pub const ALL: [JobKind; 4] =
        [JobKind::OrderAcknowledge, JobKind::OrderInject, JobKind::OrderCancelRequest, JobKind::OrderCancelFromMagento];
    /// The kinds run one job at a time by the shared worker pool; `order.inject` runs by the
    /// batch in an [`InjectWorker`].
    pub const PER_JOB: [JobKind; 3] = [JobKind::OrderAcknowledge, JobKind::OrderCancelRequest, JobKind::OrderCancelFromMagento];

    pub fn all(flow: Arc<OrdersFlow>) -> Self {
        OrderJobs { flow, kinds: Self::ALL.to_vec() }
    }
    pub fn only(flow: Arc<OrdersFlow>, kinds: &[JobKind]) -> Self {
        OrderJobs { flow, kinds: kinds.to_vec() }
    }
}

#[async_trait]
impl JobHandler for OrderJobs {
    fn kinds(&self) -> Vec<JobKind> {
        self.kinds.clone()
    }

    async fn handle(&self, job: &ClaimedJob) -> Result<(), JobError> {
        let f = &self.flow;
        match job.kind {
            JobKind::OrderAcknowledge => acknowledge::run(f, &reference_of(job)?).await,
            JobKind::OrderInject => inject::run(f, &reference_of(job)?).await,
            JobKind::OrderCancelRequest => cancel::from_john_lewis(f, &reference_of(job)?).await,
            JobKind::OrderCancelFromMagento => cancel::from_magento(f, &job.payload).await,
            other => Err(JobError::permanent(format!("the orders flow does not handle {other}"))),
        }
    }
}
