//! One claimed batch of `order.inject` jobs: lease, one search, concurrent creates, one
//! outcome transaction (see the parent module for the whole design).
use super::super::inject::{self, comment_text, magento_failed, mapping_failed};
use super::super::{db_err, reference_of, InjectStep, OrdersFlow};
use super::FLUSH_AFTER;
use crate::domain::exception::ExceptionKind;
use crate::domain::magento_order::{map_order, MagentoOrderDraft};
use crate::domain::order::{OrderStatus, PartNumber};
use crate::domain::order_state::OrderState;
use crate::magento::CreateOutcome;
use crate::store::jobs::batch::{complete_in, heartbeat_batch};
use crate::store::jobs::{ClaimedJob, FailOutcome, JobError, JobObserver, JobOutcome};
use crate::store::orders::{self, lease::OrderLease, EventKind, StoredOrder};
use crate::store::{exceptions, mapping};
use futures::future::BoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::{info, warn};

pub(super) struct Batch {
    pub(super) flow: Arc<OrdersFlow>,
    pub(super) jobs: Vec<ClaimedJob>,
    pub(super) observer: Option<Arc<dyn JobObserver>>,
    pub(super) permits: Arc<Semaphore>,
}

/// What became of one order of the batch, before it is recorded.
enum Step {
    /// In Magento (created now or found): stored with the others.
    Injected { idx: usize, order: Box<StoredOrder>, lease: OrderLease, entity_id: i64, increment_id: String, how: &'static str, skus: Vec<(String, String)> },
    /// Magento refused or did not answer the create: noted on the order, its job fails.
    CreateFailed { idx: usize, order_id: i64, lease: OrderLease, note: String, err: JobError },
    /// Its job fails (its lease, if taken, is given back).
    Failed { idx: usize, lease: Option<OrderLease>, err: JobError },
    /// Done by the per-order injection: its job completes with the others.
    Done { idx: usize },
}

impl Batch {
    /// Runs the batch; `calling` is its place among the batches calling Magento, given up as
    /// soon as its last Magento call is answered (its outcomes may still be committing).
    pub(super) async fn run(self, calling: OwnedSemaphorePermit) {
        if let Some(o) = &self.observer {
            for job in &self.jobs {
                o.observe(job, JobOutcome::Claimed).await;
            }
        }
        let queue = self.flow.queue.clone();
        let beat_every = queue.lease() / 3;
        let work = self.inject(calling);
        tokio::pin!(work);
        loop {
            tokio::select! {
                _ = &mut work => break,
                _ = tokio::time::sleep(beat_every) => {
                    let all: Vec<&ClaimedJob> = self.jobs.iter().collect();
                    if let Err(e) = heartbeat_batch(&queue, &all).await {
                        warn!(error = %e, "injection batch heartbeat failed");
                    }
                }
            }
        }
    }

    async fn inject(&self, calling: OwnedSemaphorePermit) {
        let f = &*self.flow;
        let mut steps: Vec<Step> = Vec::new();
        // The jobs' orders, each once.
        let mut wanted: Vec<(usize, String)> = Vec::new();
        let mut seen = HashSet::new();
        for (idx, job) in self.jobs.iter().enumerate() {
            match reference_of(job) {
                Ok(r) if seen.insert(r.clone()) => wanted.push((idx, r)),
                Ok(r) => steps.push(Step::Failed { idx, lease: None, err: in_flight(&r) }),
                Err(err) => steps.push(Step::Failed { idx, lease: None, err }),
            }
        }
        let refs: Vec<String> = wanted.iter().map(|(_, r)| r.clone()).collect();
        let stored = match orders::get_many(&f.db, &refs).await {
            Ok(s) => s,
            Err(e) => {
                let err = db_err(e);
                steps.extend(wanted.iter().map(|(idx, _)| Step::Failed { idx: *idx, lease: None, err: err.clone() }));
                return self.record(steps).await;
            }
        };
        let mut by_ref: HashMap<String, StoredOrder> = stored.into_iter().map(|o| (o.order.reference.clone(), o)).collect();
        // The common case (acknowledged, not in Magento yet) by the batch; the rest one by one.
        let mut common: Vec<(usize, i64)> = Vec::new();
        let mut one_by_one: Vec<(usize, String)> = Vec::new();
        for (idx, r) in wanted {
            match by_ref.remove(&r) {
                None => steps.push(Step::Failed { idx, lease: None, err: JobError::permanent(format!("order {r} is not stored")) }),
                Some(o) if batchable(&o) => common.push((idx, o.order.id)),
                Some(_) => one_by_one.push((idx, r)),
            }
        }
        let ids: Vec<i64> = common.iter().map(|(_, id)| *id).collect();
        let leases = match take_leases(f, &ids).await {
            Ok(l) => l,
            Err(e) => {
                let err = db_err(e);
                steps.extend(common.iter().map(|(idx, _)| Step::Failed { idx: *idx, lease: None, err: err.clone() }));
                Vec::new()
            }
        };
        let mut lease_of: HashMap<i64, OrderLease> = leases.into_iter().map(|l| (l.order_id, l)).collect();
        // Read again under the lease: a cancellation or another worker may have moved it.
        let leased: Vec<i64> = lease_of.keys().copied().collect();
        let fresh = match orders::get_many_by_id(&f.db, &leased).await {
            Ok(o) => o,
            Err(e) => {
                let err = db_err(e);
                steps.extend(lease_of.drain().map(|(id, l)| {
                    let idx = common.iter().find(|(_, i)| *i == id).map(|(idx, _)| *idx).expect("leased one of ours");
                    Step::Failed { idx, lease: Some(l), err: err.clone() }
                }));
                Vec::new()
            }
        };
        let mut fresh: HashMap<i64, StoredOrder> = fresh.into_iter().map(|o| (o.order.id, o)).collect();
        let mut ready: Vec<(usize, StoredOrder, OrderLease)> = Vec::new();
        let mut give_back: Vec<OrderLease> = Vec::new();
        for (idx, id) in &common {
            let Some(lease) = lease_of.remove(id) else {
                if !steps.iter().any(|s| step_idx(s) == *idx) {
                    let r = &self.jobs[*idx].payload["reference"];
                    steps.push(Step::Failed { idx: *idx, lease: None, err: in_flight(r.as_str().unwrap_or_default()) });
                }
                continue;
            };
            match fresh.remove(id) {
                Some(o) if batchable(&o) => ready.push((*idx, o, lease)),
                Some(o) => {
                    give_back.push(lease);
                    one_by_one.push((*idx, o.order.reference.clone()));
                }
                None => steps.push(Step::Failed { idx: *idx, lease: Some(lease), err: JobError::permanent("order is not stored") }),
            }
        }
        if !give_back.is_empty() {
            let refs: Vec<&OrderLease> = give_back.iter().collect();
            if let Err(e) = orders::lease::release_many(&f.db, &refs).await {
                warn!(error = %e, "releasing order leases failed; they will expire");
            }
        }
        // The drafts (the SKUs of the batch's part numbers in one query).
        let skus = match self.skus(&ready).await {
            Ok(s) => s,
            Err(err) => {
                steps.extend(ready.drain(..).map(|(idx, _, lease)| Step::Failed { idx, lease: Some(lease), err: err.clone() }));
                HashMap::new()
            }
        };
        let mut drafts: Vec<(usize, StoredOrder, OrderLease, MagentoOrderDraft)> = Vec::new();
        for (idx, order, lease) in ready {
            match draft(f, &order, &skus) {
                Ok(Ok(d)) => drafts.push((idx, order, lease, d)),
                Err(err) => steps.push(Step::Failed { idx, lease: Some(lease), err }),
                Ok(Err(problems)) => {
                    let err = match mapping_failed(f, &order, &problems).await {
                        Ok(e) | Err(e) => e,
                    };
                    steps.push(Step::Failed { idx, lease: Some(lease), err });
                }
            }
        }
        // One search for the batch; if it fails, each order searches for itself.
        let all: Vec<&MagentoOrderDraft> = drafts.iter().map(|(_, _, _, d)| d).collect();
        let known = if all.is_empty() {
            Some(HashMap::new())
        } else {
            match f.magento.find_existing_many(&all).await {
                Ok(m) => Some(m),
                Err(e) => {
                    warn!(error = %e, orders = all.len(), "the batch search in Magento failed; each order searches on its own");
                    None
                }
            }
        };
        let mut work: FuturesUnordered<BoxFuture<'_, Step>> = FuturesUnordered::new();
        for (idx, order, lease, d) in drafts {
            let existing = known.as_ref().map(|m| m.get(&d.ext_order_id).cloned());
            let skus: Vec<(String, String)> =
                order.lines.iter().filter_map(|l| skus.get(&l.part_number).map(|s| (l.line_ref.clone(), s.clone()))).collect();
            work.push(Box::pin(self.create(idx, order, lease, d, existing, skus)));
        }
        for (idx, r) in one_by_one {
            work.push(Box::pin(async move {
                let _permit = self.permits.acquire().await.expect("never closed");
                match inject::run(f, &r).await {
                    Ok(()) => Step::Done { idx },
                    Err(err) => Step::Failed { idx, lease: None, err },
                }
            }));
        }
        // Record as they finish: everything at the end, or what waited FLUSH_AFTER already.
        // A commit runs alongside the Magento calls still going (never holding them up).
        let mut recording: FuturesUnordered<BoxFuture<'_, ()>> = FuturesUnordered::new();
        let mut since: Option<Instant> = if steps.is_empty() { None } else { Some(Instant::now()) };
        loop {
            let flush_at = since.map(|t| tokio::time::Instant::from_std(t + FLUSH_AFTER));
            tokio::select! {
                next = work.next() => match next {
                    Some(step) => {
                        steps.push(step);
                        since.get_or_insert_with(Instant::now);
                    }
                    None => break,
                },
                Some(()) = recording.next(), if !recording.is_empty() => {}
                _ = tokio::time::sleep_until(flush_at.unwrap_or_else(tokio::time::Instant::now)), if flush_at.is_some() => {
                    recording.push(Box::pin(self.record(std::mem::take(&mut steps))));
                    since = None;
                }
            }
        }
        // Done with Magento: the worker may start another batch while this one commits.
        drop(calling);
        recording.push(Box::pin(self.record(steps)));
        while recording.next().await.is_some() {}
    }

    /// Part number → SKU for every line of these orders (one query; a part number with no
    /// mapping is left out).
    async fn skus(&self, ready: &[(usize, StoredOrder, OrderLease)]) -> Result<HashMap<String, String>, JobError> {
        let mut parts: Vec<&str> = ready.iter().flat_map(|(_, o, _)| o.lines.iter().map(|l| l.part_number.as_str())).collect();
        parts.sort_unstable();
        parts.dedup();
        let found = mapping::by_part_numbers(&self.flow.db, &parts).await.map_err(db_err)?;
        Ok(found.into_iter().map(|m| (m.part_number, m.sku)).collect())
    }

    /// Creates (or finds) one order and adds its comment; nothing is stored here.
    async fn create(
        &self,
        idx: usize,
        order: StoredOrder,
        lease: OrderLease,
        draft: MagentoOrderDraft,
        existing: Option<Option<crate::magento::wire::Order>>,
        skus: Vec<(String, String)>,
    ) -> Step {
        let f = &*self.flow;
        let _permit = self.permits.acquire().await.expect("never closed");
        let reference = order.reference().to_owned();
        f.fault(&reference, InjectStep::BeforeCreate);
        let outcome = match existing {
            Some(Some(found)) => Ok(CreateOutcome::AlreadyExisted(found)),
            Some(None) => f.magento.create_searched_absent(&draft).await,
            None => f.magento.create_order_once(&draft).await,
        };
        let outcome = match outcome {
            Ok(o) => o,
            Err(e) => {
                let note = format!("Magento order not created: {e}");
                return Step::CreateFailed { idx, order_id: order.order.id, lease, note, err: magento_failed(&reference, e) };
            }
        };
        f.fault(&reference, InjectStep::AfterCreate);
        let m = outcome.order();
        let comment = comment_text(&reference);
        if !m.status_histories.iter().any(|h| h.comment.as_deref() == Some(comment.as_str())) {
            let added = match m.status.as_deref().or(m.state.as_deref()) {
                Some(status) => f.magento.add_order_comment(m.entity_id, &comment, status).await,
                None => f.magento.add_order_comment_keeping_status(m.entity_id, &comment).await,
            };
            if let Err(e) = added {
                return Step::Failed { idx, lease: Some(lease), err: magento_failed(&reference, e) };
            }
        }
        let how = match &outcome {
            CreateOutcome::Created(_) => "created",
            CreateOutcome::AlreadyExisted(_) => "found already created",
        };
        let increment_id = m.increment_id.clone().unwrap_or_else(|| draft.increment_id.clone());
        Step::Injected { idx, entity_id: m.entity_id, increment_id, how, skus, order: Box::new(order), lease }
    }

    /// Stores the outcomes, gives the leases back and completes the jobs in one transaction;
    /// then records each failure on its own job.
    async fn record(&self, steps: Vec<Step>) {
        if steps.is_empty() {
            return;
        }
        let f = &*self.flow;
        let mut failed: Vec<(usize, JobError)> = Vec::new();
        let mut finished: Vec<usize> = Vec::new();
        let stored = match self.store(&steps).await {
            Ok(completed) => {
                for s in &steps {
                    match s {
                        Step::Injected { order, increment_id, how, .. } => {
                            f.fault(order.reference(), InjectStep::AfterStore);
                            info!(order = %order.reference(), increment_id = %increment_id, how, "order injected into Magento");
                        }
                        Step::CreateFailed { idx, err, .. } | Step::Failed { idx, err, .. } => failed.push((*idx, err.clone())),
                        Step::Done { .. } => {}
                    }
                }
                finished.extend(steps.iter().filter(|s| matches!(s, Step::Injected { .. } | Step::Done { .. })).map(step_idx));
                Some(completed)
            }
            Err(e) => {
                warn!(error = %e, orders = steps.len(), "storing injection outcomes failed; the jobs run again");
                let leases: Vec<&OrderLease> = steps.iter().filter_map(step_lease).collect();
                if let Err(e) = orders::lease::release_many(&f.db, &leases).await {
                    warn!(error = %e, "releasing order leases failed; they will expire");
                }
                let err = db_err(e);
                failed.extend(steps.iter().map(|s| match s {
                    Step::CreateFailed { idx, err, .. } | Step::Failed { idx, err, .. } => (*idx, err.clone()),
                    other => (step_idx(other), err.clone()),
                }));
                None
            }
        };
        if let Some(completed) = stored {
            for idx in finished {
                let job = &self.jobs[idx];
                let outcome = if completed.contains(&job.id) {
                    JobOutcome::Completed
                } else {
                    warn!(job_id = job.id, "the injection job's lease had passed to another worker");
                    JobOutcome::Failed(FailOutcome::LeaseLost)
                };
                if let Some(o) = &self.observer {
                    o.observe(job, outcome).await;
                }
            }
        }
        for (idx, err) in failed {
            let job = &self.jobs[idx];
            match f.queue.fail(job, &err, rand::random::<f64>()).await {
                Ok(outcome) => {
                    match outcome {
                        FailOutcome::Retrying { delay } => {
                            info!(job_id = job.id, error = %err, retry_in_ms = delay.as_millis() as u64, "injection failed; will retry")
                        }
                        FailOutcome::Dead { exception_id } => warn!(job_id = job.id, error = %err, exception_id, "injection gave up; exception opened"),
                        FailOutcome::LeaseLost => warn!(job_id = job.id, "the injection job's lease had passed to another worker"),
                    }
                    if let Some(o) = &self.observer {
                        o.observe(job, JobOutcome::Failed(outcome)).await;
                    }
                }
                Err(e) => warn!(job_id = job.id, error = %e, "recording the injection failure failed; the lease will expire and it will run again"),
            }
        }
    }

    /// The one transaction: outcomes, timeline, leases, job completions. Returns the ids of
    /// the jobs completed.
    async fn store(&self, steps: &[Step]) -> Result<Vec<i64>, sea_orm::DbErr> {
        let f = &*self.flow;
        let txn = orders::begin_write(&f.db).await?;
        let mut events: Vec<(i64, EventKind, Option<String>)> = Vec::new();
        for s in steps {
            match s {
                Step::Injected { order, entity_id, increment_id, how, skus, .. } => {
                    let id = order.order.id;
                    orders::record_injected(&txn, id, *entity_id, increment_id).await?;
                    for (line_ref, sku) in skus {
                        if order.line(line_ref).is_some_and(|l| l.sku.as_deref() != Some(sku.as_str())) {
                            orders::set_line_sku(&txn, id, line_ref, sku).await?;
                        }
                    }
                    events.push((id, EventKind::Injected, Some(format!("Magento order {increment_id} (entity {entity_id}) {how}"))));
                    events.push((id, EventKind::MagentoCommented, Some(comment_text(order.reference()))));
                    if order.order.last_error.is_some() {
                        for kind in [ExceptionKind::MagentoRejected, ExceptionKind::AddressInvalid, ExceptionKind::SkuMismatch, ExceptionKind::PartNumberUnmapped] {
                            exceptions::resolve_entity(&txn, kind, order.reference(), "Magento order created").await?;
                        }
                    }
                }
                Step::CreateFailed { order_id, note, .. } => {
                    events.push((*order_id, EventKind::InjectFailed, Some(note.clone())));
                    orders::set_error(&txn, *order_id, Some(note)).await?;
                }
                Step::Failed { .. } | Step::Done { .. } => {}
            }
        }
        orders::add_events(&txn, &events).await?;
        let leases: Vec<&OrderLease> = steps.iter().filter_map(step_lease).collect();
        orders::lease::release_many(&txn, &leases).await?;
        let done: Vec<&ClaimedJob> =
            steps.iter().filter(|s| matches!(s, Step::Injected { .. } | Step::Done { .. })).map(|s| &self.jobs[step_idx(s)]).collect();
        let completed = complete_in(&txn, &done).await?;
        txn.commit().await?;
        Ok(completed)
    }
}

/// The leases of these orders, in this process's turn to write (SQLite: one writer at a time).
async fn take_leases(f: &OrdersFlow, ids: &[i64]) -> Result<Vec<OrderLease>, sea_orm::DbErr> {
    let _turn = crate::store::write_turn(&f.db).await?;
    orders::lease::take_many(&f.db, ids, &f.holder, f.lease_ttl).await
}

fn step_idx(s: &Step) -> usize {
    match s {
        Step::Injected { idx, .. } | Step::CreateFailed { idx, .. } | Step::Failed { idx, .. } | Step::Done { idx } => *idx,
    }
}

fn step_lease(s: &Step) -> Option<&OrderLease> {
    match s {
        Step::Injected { lease, .. } | Step::CreateFailed { lease, .. } => Some(lease),
        Step::Failed { lease, .. } => lease.as_ref(),
        Step::Done { .. } => None,
    }
}

/// The common case the batch handles itself: acknowledged, with no Magento order stored.
fn batchable(o: &StoredOrder) -> bool {
    o.state() == OrderState::Acknowledged && o.order.magento_entity_id.is_none()
}

fn in_flight(reference: &str) -> JobError {
    JobError::retryable(format!("order {reference} has an update in flight")).retry_after(Duration::from_millis(500))
}

/// The Magento draft of an order (or why it cannot be mapped); lines cancelled in full stay out.
type Drafted = Result<MagentoOrderDraft, Vec<crate::domain::address::MappingProblem>>;

fn draft(f: &OrdersFlow, order: &StoredOrder, skus: &HashMap<String, String>) -> Result<Drafted, JobError> {
    let mut mp = order.marketplace_order().map_err(|e| JobError::permanent(e.to_string()))?;
    for line in &mut mp.lines {
        if order.line(&line.line_ref).is_some_and(|l| l.cancelled_qty >= l.quantity) {
            line.status = OrderStatus::CancelAck;
        }
    }
    let lookup = |p: &PartNumber| skus.get(p.as_str()).cloned();
    Ok(map_order(&mp, &lookup, &f.mapping))
}
