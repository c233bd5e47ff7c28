//! `order.inject`: create the Magento order exactly once.
//!
//! Holding the order's lease: search Magento for the order (deterministic increment id
//! `JL-<reference>` or `ext_order_id`), create it only when absent, search again when the
//! create failed; store its entity and increment id; add the order comment carrying the John
//! Lewis reference. A crash at any step re-runs the job, which finds the order in Magento.
use super::{db_err, InjectStep, OrdersFlow};
use crate::domain::address::{MappingProblem, ProblemCategory};
use crate::domain::exception::ExceptionKind;
use crate::domain::magento_order::map_order;
use crate::domain::order::{OrderStatus, PartNumber};
use crate::domain::order_state::OrderState;
use crate::domain::retry::Transience;
use crate::magento::CreateOutcome;
use crate::store::jobs::JobError;
use crate::store::orders::{self, lease::OrderLease, EventKind, StoredOrder};
use crate::store::{exceptions, mapping};
use std::collections::HashMap;
use tracing::info;

pub(super) async fn run(f: &OrdersFlow, reference: &str) -> Result<(), JobError> {
    let order = f.load(reference).await?;
    if order.order.magento_entity_id.is_some() && commented(f, &order).await? {
        return Ok(());
    }
    let lease = f.lease(&order).await?;
    let result = locked(f, reference, &lease).await;
    if !matches!(result, Ok(true)) {
        f.release(&lease).await;
    }
    result.map(|_| ())
}

pub fn comment_text(reference: &str) -> String {
    format!("John Lewis Marketplace order {reference}")
}

async fn commented(f: &OrdersFlow, order: &StoredOrder) -> Result<bool, JobError> {
    let events = orders::events(&f.db, order.order.id).await.map_err(db_err)?;
    Ok(events.iter().any(|e| e.kind == EventKind::MagentoCommented.as_str()))
}

/// `Ok(true)` when the outcome was stored and the lease released in the same transaction.
async fn locked(f: &OrdersFlow, reference: &str, lease: &OrderLease) -> Result<bool, JobError> {
    let order = f.load(reference).await?;
    match order.state() {
        OrderState::Acknowledged | OrderState::Injected => {}
        OrderState::Downloaded => return Err(JobError::retryable(format!("order {reference} is not acknowledged yet"))),
        // Cancelled or cancellation requested before injection: nothing to create.
        _ if order.order.magento_entity_id.is_none() => {
            orders::add_event(&f.db, order.order.id, EventKind::Note, Some("not injected: the order is being cancelled"))
                .await
                .map_err(db_err)?;
            return Ok(false);
        }
        _ => {}
    }
    if let Some(entity_id) = order.order.magento_entity_id {
        // Stored by an earlier attempt that stopped before its comment.
        if !commented(f, &order).await? {
            let comment = comment_text(reference);
            f.magento.add_order_comment_keeping_status(entity_id, &comment).await.map_err(|e| magento_failed(reference, e))?;
            orders::add_event(&f.db, order.order.id, EventKind::MagentoCommented, Some(&comment)).await.map_err(db_err)?;
        }
        return Ok(false);
    }
    create(f, &order, lease).await?;
    Ok(true)
}

pub(super) fn magento_failed(reference: &str, e: crate::magento::MagentoError) -> JobError {
    JobError::from(e).exception(ExceptionKind::MagentoRejected, reference)
}

/// Maps, creates (or finds), comments, then stores it all and releases the lease in one
/// transaction.
async fn create(f: &OrdersFlow, order: &StoredOrder, lease: &OrderLease) -> Result<(), JobError> {
    let reference = order.reference();
    let mut mp = order.marketplace_order().map_err(|e| JobError::permanent(e.to_string()))?;
    // Lines cancelled in full (unfulfillable, or by Magento) stay out of the Magento order.
    for line in &mut mp.lines {
        if order.line(&line.line_ref).is_some_and(|l| l.cancelled_qty >= l.quantity) {
            line.status = OrderStatus::CancelAck;
        }
    }
    let mut skus = HashMap::new();
    for l in &order.lines {
        if let Some(m) = mapping::by_part_number(&f.db, &l.part_number).await.map_err(db_err)? {
            skus.insert(l.part_number.clone(), m.sku);
        }
    }
    let lookup = |p: &PartNumber| skus.get(p.as_str()).cloned();
    let draft = match map_order(&mp, &lookup, &f.mapping) {
        Ok(d) => d,
        Err(problems) => return Err(mapping_failed(f, order, &problems).await?),
    };
    f.fault(reference, InjectStep::BeforeCreate);
    let outcome = match f.magento.create_order_once(&draft).await {
        Ok(o) => o,
        Err(e) => {
            let msg = format!("Magento order not created: {e}");
            orders::add_event(&f.db, order.order.id, EventKind::InjectFailed, Some(&msg)).await.map_err(db_err)?;
            orders::set_error(&f.db, order.order.id, Some(&msg)).await.map_err(db_err)?;
            return Err(magento_failed(reference, e));
        }
    };
    f.fault(reference, InjectStep::AfterCreate);
    let m = outcome.order();
    let comment = comment_text(reference);
    let has_comment = m.status_histories.iter().any(|h| h.comment.as_deref() == Some(comment.as_str()));
    if !has_comment {
        let added = match m.status.as_deref().or(m.state.as_deref()) {
            Some(status) => f.magento.add_order_comment(m.entity_id, &comment, status).await,
            None => f.magento.add_order_comment_keeping_status(m.entity_id, &comment).await,
        };
        added.map_err(|e| magento_failed(reference, e))?;
    }
    let increment_id = m.increment_id.clone().unwrap_or_else(|| draft.increment_id.clone());
    let how = match &outcome {
        CreateOutcome::Created(_) => "created",
        CreateOutcome::AlreadyExisted(_) => "found already created",
    };
    let txn = orders::begin_write(&f.db).await.map_err(db_err)?;
    orders::record_injected(&txn, order.order.id, m.entity_id, &increment_id).await.map_err(db_err)?;
    for l in &order.lines {
        if let Some(sku) = skus.get(&l.part_number).filter(|s| l.sku.as_deref() != Some(s.as_str())) {
            orders::set_line_sku(&txn, order.order.id, &l.line_ref, sku).await.map_err(db_err)?;
        }
    }
    let detail = format!("Magento order {increment_id} (entity {}) {how}", m.entity_id);
    orders::add_event(&txn, order.order.id, EventKind::Injected, Some(&detail)).await.map_err(db_err)?;
    orders::add_event(&txn, order.order.id, EventKind::MagentoCommented, Some(&comment)).await.map_err(db_err)?;
    if order.order.last_error.is_some() {
        for kind in [ExceptionKind::MagentoRejected, ExceptionKind::AddressInvalid, ExceptionKind::SkuMismatch, ExceptionKind::PartNumberUnmapped] {
            exceptions::resolve_entity(&txn, kind, reference, "Magento order created").await.map_err(db_err)?;
        }
    }
    orders::lease::release(&txn, lease).await.map_err(db_err)?;
    txn.commit().await.map_err(db_err)?;
    f.fault(reference, InjectStep::AfterStore);
    info!(order = %reference, increment_id = %increment_id, how, "order injected into Magento");
    Ok(())
}

fn exception_for(p: &MappingProblem) -> ExceptionKind {
    match (p.category, p.code) {
        (ProblemCategory::Address, _) => ExceptionKind::AddressInvalid,
        (ProblemCategory::Sku, "part_number_unmapped") => ExceptionKind::PartNumberUnmapped,
        (ProblemCategory::Sku, _) => ExceptionKind::SkuMismatch,
        _ => ExceptionKind::MagentoRejected,
    }
}

/// Records why the order cannot be mapped: one exception per kind (entity: the reference),
/// the reasons on the timeline. The job dies with the first kind (so it can be retried once
/// the mapping or the order is fixed).
pub(super) async fn mapping_failed(f: &OrdersFlow, order: &StoredOrder, problems: &[MappingProblem]) -> Result<JobError, JobError> {
    let reference = order.reference();
    let mut kinds: Vec<ExceptionKind> = Vec::new();
    for p in problems {
        let k = exception_for(p);
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    let reasons = |k: ExceptionKind| {
        problems.iter().filter(|p| exception_for(p) == k).map(|p| format!("{} ({}): {}", p.field, p.code, p.message)).collect::<Vec<_>>()
    };
    let all = problems.iter().map(|p| format!("{} ({})", p.field, p.code)).collect::<Vec<_>>().join("; ");
    let txn = orders::begin_write(&f.db).await.map_err(db_err)?;
    orders::add_event(&txn, order.order.id, EventKind::InjectFailed, Some(&format!("order cannot be mapped: {all}")))
        .await
        .map_err(db_err)?;
    orders::set_error(&txn, order.order.id, Some(&format!("mapping: {all}"))).await.map_err(db_err)?;
    let mut raised = Vec::new();
    for k in kinds.iter().skip(1) {
        let e = exceptions::NewException::new(*k, reference, reasons(*k).join("; "))
            .with_detail(serde_json::json!({ "reasons": reasons(*k) }));
        let r = exceptions::raise(&txn, &e).await.map_err(db_err)?;
        raised.push((e, r));
    }
    txn.commit().await.map_err(db_err)?;
    for (e, r) in &raised {
        f.announce(e, *r);
    }
    let first = kinds[0];
    Ok(JobError { transience: Transience::Permanent, message: reasons(first).join("; "), exception: None }.exception(first, reference))
}
