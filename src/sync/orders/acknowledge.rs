//! `order.acknowledge`: acknowledge in full (holding the order's lease), then deal with lines
//! that cannot be fulfilled (cancel or backorder, by rule), then enqueue the injection.
use super::{cancel_request_job, db_err, inject_job, OrdersFlow};
use crate::domain::exception::ExceptionKind;
use crate::domain::order::{MarketplaceOrderId, OrderStatus, PartNumber};
use crate::domain::order_ack::{self, ack_dates, LineFacts, UnfulfillableRule};
use crate::domain::order_state::{OrderState, Step};
use crate::marketplace::MarketplaceError;
use crate::store::jobs::{enqueue, JobError};
use crate::store::orders::{self, lease::OrderLease, EventKind, StoredOrder};
use crate::store::{exceptions, mapping, stock};
use tracing::info;

pub(super) async fn run(f: &OrdersFlow, reference: &str) -> Result<(), JobError> {
    let order = f.load(reference).await?;
    if !matches!(order.state(), OrderState::Downloaded | OrderState::Acknowledged) {
        return Ok(()); // cancelled, cancellation requested, or already further along
    }
    let lease = f.lease(&order).await?;
    let result = locked(f, reference, &lease).await;
    if !matches!(result, Ok(true)) {
        f.release(&lease).await;
    }
    result.map(|_| ())
}

/// `Ok(true)` when the outcome was stored and the lease released in one transaction.
async fn locked(f: &OrdersFlow, reference: &str, lease: &OrderLease) -> Result<bool, JobError> {
    let order = f.load(reference).await?;
    let facts = line_facts(f, &order).await?;
    let acked_now = match order.state() {
        OrderState::Downloaded => match acknowledge(f, &order, &facts).await? {
            Some(detail) => Some(detail),
            None => return Ok(false),
        },
        OrderState::Acknowledged => None,
        _ => return Ok(false),
    };
    let bad: Vec<(String, String)> = order_ack::unfulfillable(&facts)
        .into_iter()
        .filter(|(r, _)| order.line(r).is_some_and(|l| l.unfulfillable.is_none() && l.open_qty() > 0))
        .collect();
    if !bad.is_empty() {
        // The acknowledgement is kept before anything else is sent for the order.
        if let Some(detail) = &acked_now {
            let txn = orders::begin_write(&f.db).await.map_err(db_err)?;
            record_ack(&txn, &order, detail).await.map_err(db_err)?;
            txn.commit().await.map_err(db_err)?;
        }
        unfulfillable(f, &order, &facts, &bad).await?;
    }
    let txn = orders::begin_write(&f.db).await.map_err(db_err)?;
    if let (Some(detail), true) = (&acked_now, bad.is_empty()) {
        record_ack(&txn, &order, detail).await.map_err(db_err)?;
    }
    if orders::open_units(&txn, order.order.id).await.map_err(db_err)? == 0 {
        orders::advance(&txn, order.order.id, Step::Cancelled).await.map_err(db_err)?;
        orders::add_event(&txn, order.order.id, EventKind::Note, Some("no line left to fulfil: order cancelled, not injected"))
            .await
            .map_err(db_err)?;
    } else {
        enqueue(&txn, &inject_job(reference), f.queue.policy().max_attempts()).await.map_err(db_err)?;
    }
    orders::lease::release(&txn, lease).await.map_err(db_err)?;
    txn.commit().await.map_err(db_err)?;
    f.queue.wake();
    if acked_now.is_some() {
        info!(order = %reference, "order acknowledged");
    }
    Ok(true)
}

/// Part number → SKU through the mapping, and the sellable quantity when the stock flow knows it.
async fn line_facts(f: &OrdersFlow, order: &StoredOrder) -> Result<Vec<LineFacts>, JobError> {
    let mut out = Vec::with_capacity(order.lines.len());
    for l in &order.lines {
        let sku = mapping::by_part_number(&f.db, &l.part_number).await.map_err(db_err)?.map(|m| m.sku);
        let available = match &sku {
            Some(s) => stock::get(&f.db, s).await.map_err(db_err)?.and_then(|st| st.computed_value),
            None => None,
        };
        out.push(LineFacts {
            line_ref: l.line_ref.clone(),
            part_number: PartNumber(l.part_number.clone()),
            quantity: l.quantity.max(0) as u32,
            sku,
            available,
        });
    }
    Ok(out)
}

/// Sends the acknowledgement. `Some(detail)`: acknowledged (now, or found so on re-read), to be
/// recorded; `None`: John Lewis asked to cancel meanwhile (the cancellation job takes over).
async fn acknowledge(f: &OrdersFlow, order: &StoredOrder, facts: &[LineFacts]) -> Result<Option<String>, JobError> {
    let c = &f.config;
    let dates = ack_dates(chrono::Utc::now().date_naive(), c.handling_days, c.delivery_days);
    let lines = order_ack::ack_lines(facts, dates, &c.fulfillment_route, &c.ack_sub_status);
    let id = MarketplaceOrderId(order.order.marketplace_id.clone());
    let detail = format!("in full: {} line(s), dispatch {}, delivery {}", lines.len(), dates.dispatch.date(), dates.delivery.date());
    match f.marketplace.acknowledge(&id, &lines).await {
        Ok(()) => Ok(Some(detail)),
        Err(e) => {
            // A lost answer to an earlier attempt, or the order changed on John Lewis's side.
            if reread_worthy(&e) {
                let read = f.marketplace.get_order(&id).await;
                if let Err(read_err) = &read {
                    use crate::domain::retry::{Classify, Transience};
                    // Could not tell whether an earlier attempt landed: try again later
                    // rather than report the refusal of a repeat as a rejection.
                    if !matches!(read_err.transience(), Transience::Permanent) {
                        return Err(JobError::from(read.unwrap_err()));
                    }
                }
                if let Ok(now) = read {
                    match now.status {
                        OrderStatus::OrderAck | OrderStatus::Backorder | OrderStatus::Dispatch => {
                            return Ok(Some("found acknowledged when read again".into()));
                        }
                        OrderStatus::Cancel => {
                            let txn = orders::begin_write(&f.db).await.map_err(db_err)?;
                            orders::upsert_listed(&txn, &now, crate::store::now_ms()).await.map_err(db_err)?;
                            if orders::advance(&txn, order.order.id, Step::CancelRequested).await.map_err(db_err)?.is_some() {
                                orders::add_event(&txn, order.order.id, EventKind::CancelRequested, Some("seen when acknowledging"))
                                    .await
                                    .map_err(db_err)?;
                            }
                            enqueue(&txn, &cancel_request_job(order.reference()), f.queue.policy().max_attempts())
                                .await
                                .map_err(db_err)?;
                            txn.commit().await.map_err(db_err)?;
                            f.queue.wake();
                            return Ok(None);
                        }
                        _ => {}
                    }
                }
            }
            let msg = format!("acknowledgement failed: {e}");
            orders::add_event(&f.db, order.order.id, EventKind::AcknowledgeFailed, Some(&msg)).await.map_err(db_err)?;
            orders::set_error(&f.db, order.order.id, Some(&msg)).await.map_err(db_err)?;
            Err(JobError::from(e).exception(ExceptionKind::MarketplaceRejected, order.reference()))
        }
    }
}

fn reread_worthy(e: &MarketplaceError) -> bool {
    use crate::domain::retry::{Classify, Transience};
    matches!(e.transience(), Transience::Permanent) || matches!(e, MarketplaceError::Transport { .. })
}

async fn record_ack<C: sea_orm::ConnectionTrait>(txn: &C, order: &StoredOrder, detail: &str) -> Result<(), sea_orm::DbErr> {
    orders::advance(txn, order.order.id, Step::Acknowledged).await?;
    orders::set_marketplace_status(txn, order.order.id, OrderStatus::OrderAck.as_str()).await?;
    if order.order.last_error.is_some() {
        orders::set_error(txn, order.order.id, None).await?;
    }
    orders::add_event(txn, order.order.id, EventKind::Acknowledged, Some(detail)).await?;
    exceptions::resolve_entity(txn, ExceptionKind::AcknowledgeOverdue, order.reference(), "acknowledged").await?;
    Ok(())
}

/// Cancels or backorders the lines that cannot be fulfilled (once: they are marked).
async fn unfulfillable(f: &OrdersFlow, order: &StoredOrder, facts: &[LineFacts], bad: &[(String, String)]) -> Result<(), JobError> {
    let id = MarketplaceOrderId(order.order.marketplace_id.clone());
    let fact = |r: &str| facts.iter().find(|l| l.line_ref == r).expect("fact per line");
    let call = match f.config.unfulfillable {
        UnfulfillableRule::Cancel => {
            let lines: Vec<_> =
                bad.iter().map(|(r, why)| (fact(r), order.line(r).map_or(0, |l| l.open_qty() as u32), why.as_str())).collect();
            f.marketplace.acknowledge_cancellation(&id, &order_ack::cancel_lines(&lines)).await
        }
        UnfulfillableRule::Backorder => {
            let c = &f.config;
            let dates = ack_dates(chrono::Utc::now().date_naive(), c.handling_days + c.backorder_days, c.delivery_days);
            let lines: Vec<_> = bad.iter().map(|(r, why)| (fact(r), why.as_str())).collect();
            f.marketplace.backorder(&id, &order_ack::backorder_lines(&lines, dates, &c.fulfillment_route)).await
        }
    };
    if let Err(e) = call {
        let msg = format!("sending unfulfillable lines failed: {e}");
        orders::add_event(&f.db, order.order.id, EventKind::CancellationFailed, Some(&msg)).await.map_err(db_err)?;
        return Err(JobError::from(e).exception(ExceptionKind::MarketplaceRejected, order.reference()));
    }
    let txn = orders::begin_write(&f.db).await.map_err(db_err)?;
    for (r, why) in bad {
        orders::set_line_unfulfillable(&txn, order.order.id, r, why).await.map_err(db_err)?;
        if f.config.unfulfillable == UnfulfillableRule::Cancel {
            let open = order.line(r).map_or(0, |l| l.open_qty() as u32);
            orders::add_cancelled(&txn, order.order.id, r, open).await.map_err(db_err)?;
        }
    }
    let (kind, verb) = match f.config.unfulfillable {
        UnfulfillableRule::Cancel => (EventKind::LinesCancelled, "cancelled"),
        UnfulfillableRule::Backorder => (EventKind::LinesBackordered, "backordered"),
    };
    let detail = bad.iter().map(|(r, why)| format!("line {r} {verb}: {why}")).collect::<Vec<_>>().join("; ");
    orders::add_event(&txn, order.order.id, kind, Some(&detail)).await.map_err(db_err)?;
    txn.commit().await.map_err(db_err)
}
