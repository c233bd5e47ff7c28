//! Cancellations both ways.
//!
//! * John Lewis asked (`CANCEL`): cancel the Magento order if it has not shipped (if it has,
//!   open an exception for a person and send nothing), then acknowledge the cancellation of
//!   every requested line → `cancelled`.
//! * Magento cancelled (`order.canceled`): after the acknowledgement, send the pre-dispatch
//!   cancellation of every open unit (whole units) → `cancelled`. The Magento module also
//!   reports cancellations jlbridge itself made: those find the order cancelled already.
use super::{db_err, OrdersFlow};
use crate::domain::exception::ExceptionKind;
use crate::domain::order::{MarketplaceOrderId, OrderStatus, PartNumber};
use crate::domain::order_state::{OrderState, Step};
use crate::marketplace::CancelLine;
use crate::store::exceptions::{self, NewException};
use crate::store::jobs::JobError;
use crate::store::orders::{self, EventKind, StoredOrder};
use std::time::Duration;
use tracing::info;

/// Magento order states that can no longer be cancelled (shipped or invoiced and closed).
const SHIPPED_STATES: [&str; 2] = ["complete", "closed"];

pub(super) async fn from_john_lewis(f: &OrdersFlow, reference: &str) -> Result<(), JobError> {
    let order = f.load(reference).await?;
    if order.state() != OrderState::CancelRequested {
        return Ok(()); // already cancelled, or dispatched meanwhile
    }
    let lease = f.lease(&order).await?;
    let result = requested_locked(f, reference).await;
    f.release(&lease).await;
    result
}

async fn requested_locked(f: &OrdersFlow, reference: &str) -> Result<(), JobError> {
    let order = f.load(reference).await?;
    if order.state() != OrderState::CancelRequested {
        return Ok(());
    }
    // The Magento order: stored, or created by an injection that crashed before storing it.
    let entity = match order.order.magento_entity_id {
        Some(id) => Some(id),
        None => f.magento.find_orders_by_ext_order_id(reference).await.map_err(JobError::from)?.first().map(|o| o.entity_id),
    };
    if let Some(entity_id) = entity {
        if !cancel_in_magento(f, &order, entity_id).await? {
            return Ok(());
        }
    }
    let lines: Vec<CancelLine> = order
        .lines
        .iter()
        .filter(|l| l.status == OrderStatus::Cancel.as_str() && l.quantity > l.dispatched_qty)
        .map(|l| CancelLine {
            line_ref: l.line_ref.clone(),
            part_number: PartNumber(l.part_number.clone()),
            quantity: (l.quantity - l.dispatched_qty) as u32,
            comment: Some("Cancelled as requested".into()),
        })
        .collect();
    let id = MarketplaceOrderId(order.order.marketplace_id.clone());
    if let Err(e) = f.marketplace.acknowledge_cancellation(&id, &lines).await {
        let read = f.marketplace.get_order(&id).await;
        if let Err(read_err) = &read {
            use crate::domain::retry::{Classify, Transience};
            // Could not tell whether an earlier attempt landed: try again later.
            if !matches!(read_err.transience(), Transience::Permanent) {
                return Err(JobError::from(read.unwrap_err()));
            }
        }
        let done = read.is_ok_and(|o| o.status == OrderStatus::CancelAck);
        if !done {
            let msg = format!("cancellation acknowledgement failed: {e}");
            orders::add_event(&f.db, order.order.id, EventKind::CancellationFailed, Some(&msg)).await.map_err(db_err)?;
            return Err(JobError::from(e).exception(ExceptionKind::MarketplaceRejected, reference));
        }
    }
    let txn = orders::begin_write(&f.db).await.map_err(db_err)?;
    for l in &lines {
        let open = order.line(&l.line_ref).map_or(0, |x| x.open_qty() as u32);
        orders::add_cancelled(&txn, order.order.id, &l.line_ref, open).await.map_err(db_err)?;
    }
    orders::advance(&txn, order.order.id, Step::Cancelled).await.map_err(db_err)?;
    orders::set_marketplace_status(&txn, order.order.id, OrderStatus::CancelAck.as_str()).await.map_err(db_err)?;
    let detail = format!("cancellation acknowledged to John Lewis for {} line(s)", lines.len());
    orders::add_event(&txn, order.order.id, EventKind::CancelAcknowledged, Some(&detail)).await.map_err(db_err)?;
    txn.commit().await.map_err(db_err)?;
    info!(order = %reference, "cancellation requested by John Lewis acknowledged");
    Ok(())
}

/// Cancels the Magento order; `Ok(false)` when it has shipped (an exception is opened and
/// nothing is sent to John Lewis: a person decides).
async fn cancel_in_magento(f: &OrdersFlow, order: &StoredOrder, entity_id: i64) -> Result<bool, JobError> {
    let reference = order.reference();
    let current = f.magento.get_order(entity_id).await.map_err(JobError::from)?;
    let state = current.state.clone().unwrap_or_default();
    let shipped = SHIPPED_STATES.contains(&state.as_str())
        || current.items.iter().any(|i| i.qty_shipped.is_some_and(|q| q > rust_decimal::Decimal::ZERO));
    if state == "canceled" {
        return Ok(true);
    }
    if !shipped && f.magento.cancel_order(entity_id).await.map_err(JobError::from)? {
        orders::add_event(&f.db, order.order.id, EventKind::MagentoCancelled, Some(&format!("Magento order entity {entity_id} cancelled")))
            .await
            .map_err(db_err)?;
        return Ok(true);
    }
    let msg = format!(
        "John Lewis asked to cancel order {reference}, but its Magento order has shipped or cannot be cancelled (state {state}): \
         confirm the dispatch to John Lewis or agree the cancellation with them"
    );
    let txn = orders::begin_write(&f.db).await.map_err(db_err)?;
    orders::add_event(&txn, order.order.id, EventKind::CancelBlocked, Some(&msg)).await.map_err(db_err)?;
    orders::set_error(&txn, order.order.id, Some(&msg)).await.map_err(db_err)?;
    let e = NewException::new(ExceptionKind::MagentoRejected, reference, msg.clone())
        .with_detail(serde_json::json!({ "reason": "cancel_requested_after_shipment", "magento_state": state }));
    let raised = exceptions::raise(&txn, &e).await.map_err(db_err)?;
    txn.commit().await.map_err(db_err)?;
    // Raised inside the transaction: announced (alerts, events) once it is committed.
    f.announce(&e, raised);
    Ok(false)
}

/// The reference in an `order.canceled` job payload (the webhook job's `data`, or the event
/// itself), read tolerantly.
fn canceled_reference(payload: &serde_json::Value) -> Option<(String, Option<String>)> {
    let data = payload.get("data").unwrap_or(payload);
    let reference = data.get("marketplace_order_reference").and_then(|v| v.as_str())?.trim().to_owned();
    let reason = data.get("reason").and_then(|v| v.as_str()).map(str::to_owned);
    (!reference.is_empty()).then_some((reference, reason))
}

pub(super) async fn from_magento(f: &OrdersFlow, payload: &serde_json::Value) -> Result<(), JobError> {
    let Some((reference, reason)) = canceled_reference(payload) else {
        return Err(JobError::permanent("order.canceled without marketplace_order_reference"));
    };
    let Some(order) = orders::get(&f.db, &reference).await.map_err(db_err)? else {
        return Err(JobError::permanent(format!("order.canceled for {reference}, which is not a stored John Lewis order"))
            .exception(ExceptionKind::WebhookUnprocessable, reference));
    };
    match order.state() {
        OrderState::Cancelled | OrderState::CancelRequested => {
            // Our own cancellation echoed back by the module, or John Lewis's request in hand.
            let detail = "Magento reported the order cancelled (already cancelled here: nothing sent)";
            orders::add_event(&f.db, order.order.id, EventKind::CancelledInMagento, Some(detail)).await.map_err(db_err)?;
            return Ok(());
        }
        OrderState::Downloaded => {
            return Err(JobError::retryable(format!("order {reference} is not acknowledged yet")).retry_after(Duration::from_secs(30)));
        }
        OrderState::Dispatched => {
            let msg = format!("Magento cancelled order {reference} after its dispatch was confirmed: needs a post-dispatch cancellation");
            orders::add_event(&f.db, order.order.id, EventKind::CancelBlocked, Some(&msg)).await.map_err(db_err)?;
            f.raise(NewException::new(ExceptionKind::MarketplaceRejected, reference.as_str(), msg)).await.map_err(db_err)?;
            return Ok(());
        }
        OrderState::Acknowledged | OrderState::Injected => {}
    }
    let lease = f.lease(&order).await?;
    let result = magento_locked(f, &reference, reason.as_deref()).await;
    f.release(&lease).await;
    result
}

async fn magento_locked(f: &OrdersFlow, reference: &str, reason: Option<&str>) -> Result<(), JobError> {
    let order = f.load(reference).await?;
    if !matches!(order.state(), OrderState::Acknowledged | OrderState::Injected) {
        return Ok(());
    }
    let comment = format!("Cancelled by the seller{}", reason.map(|r| format!(": {r}")).unwrap_or_default());
    let lines: Vec<CancelLine> = order
        .lines
        .iter()
        .filter(|l| l.open_qty() > 0)
        .map(|l| CancelLine {
            line_ref: l.line_ref.clone(),
            part_number: PartNumber(l.part_number.clone()),
            quantity: l.open_qty() as u32,
            comment: Some(comment.chars().take(255).collect()),
        })
        .collect();
    if !lines.is_empty() {
        let id = MarketplaceOrderId(order.order.marketplace_id.clone());
        if let Err(e) = f.marketplace.acknowledge_cancellation(&id, &lines).await {
            let msg = format!("sending the cancellation to John Lewis failed: {e}");
            orders::add_event(&f.db, order.order.id, EventKind::CancellationFailed, Some(&msg)).await.map_err(db_err)?;
            return Err(JobError::from(e).exception(ExceptionKind::MarketplaceRejected, reference));
        }
    }
    let txn = orders::begin_write(&f.db).await.map_err(db_err)?;
    for l in &lines {
        orders::add_cancelled(&txn, order.order.id, &l.line_ref, l.quantity).await.map_err(db_err)?;
    }
    // Units already dispatched stay dispatched: the order ends dispatched (partly cancelled).
    let step = if order.lines.iter().any(|l| l.dispatched_qty > 0) { Step::Dispatched } else { Step::Cancelled };
    orders::advance(&txn, order.order.id, step).await.map_err(db_err)?;
    orders::set_marketplace_status(&txn, order.order.id, OrderStatus::CancelAck.as_str()).await.map_err(db_err)?;
    let units: u32 = lines.iter().map(|l| l.quantity).sum();
    let detail = format!("cancelled in Magento: cancellation of {units} unit(s) on {} line(s) sent to John Lewis", lines.len());
    orders::add_event(&txn, order.order.id, EventKind::CancellationSent, Some(&detail)).await.map_err(db_err)?;
    txn.commit().await.map_err(db_err)?;
    info!(order = %reference, units, "Magento cancellation sent to John Lewis");
    Ok(())
}
