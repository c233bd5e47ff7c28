//! Cancellations both ways end in the documented states on both sides: John Lewis asks before
//! injection (no Magento order, CANCEL_ACK), after injection (Magento order cancelled,
//! CANCEL_ACK), after shipment (nothing sent, an exception for a person); Magento cancels
//! (the open units are cancelled on John Lewis; the module's echo of our own cancellation,
//! and a repeated webhook, send nothing more).
use crate::orders_support::*;
use jlbridge::domain::exception::ExceptionKind;
use jlbridge::domain::order_state::OrderState;
use jlbridge::store::jobs::{JobKind, NewJob};
use jlbridge::store::{exceptions, orders};
use rust_decimal::Decimal;
use serde_json::json;

fn cancel_acks(rig: &Rig) -> usize {
    rig.edge.calls().iter().filter(|c| c.path.contains("cancel_acknowledge") && c.status < 300).count()
}

/// Runs the poller once and every order job until the queue is idle.
async fn settle(rig: &Rig) {
    let flow = rig.flow(None);
    let poller = rig.poller(flow.clone()).await;
    let w = rig.workers(flow, &ALL, 2);
    assert!(poller.cycle().await.ok);
    assert!(rig.idle(20).await);
    w.shutdown().await;
}

async fn injected(rig: &Rig, reference: &str) -> u64 {
    let id = rig.edge.create_order(new_order(reference, 2));
    settle(rig).await;
    assert_eq!(orders::get(&rig.db, reference).await.unwrap().unwrap().state(), OrderState::Injected);
    id
}

fn magento_state(rig: &Rig, reference: &str) -> String {
    rig.magento.orders_with_ext_id(reference)[0]["state"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn john_lewis_cancels_before_injection() {
    let rig = sqlite_rig(2).await;
    let id = rig.edge.create_order(new_order("JL9100001", 2));
    let flow = rig.flow(None);
    assert!(rig.poller(flow).await.cycle().await.ok); // stored; nobody acknowledged yet
    rig.edge.request_cancellation(id, 126).unwrap();
    settle(&rig).await;
    assert_eq!(rig.edge.order_status(id).as_deref(), Some("CANCEL_ACK"));
    assert_eq!(rig.magento_copies("JL9100001"), 0, "never injected");
    let o = orders::get(&rig.db, "JL9100001").await.unwrap().unwrap();
    assert_eq!(o.state(), OrderState::Cancelled);
    assert!(o.lines.iter().all(|l| l.cancelled_qty == l.quantity));
}

#[tokio::test]
async fn john_lewis_cancels_after_injection() {
    let rig = sqlite_rig(2).await;
    let id = injected(&rig, "JL9100002").await;
    rig.edge.request_cancellation(id, 128).unwrap();
    settle(&rig).await;
    assert_eq!(rig.edge.order_status(id).as_deref(), Some("CANCEL_ACK"));
    assert_eq!(magento_state(&rig, "JL9100002"), "canceled");
    let o = orders::get(&rig.db, "JL9100002").await.unwrap().unwrap();
    assert_eq!(o.state(), OrderState::Cancelled);
    let kinds: Vec<String> = orders::events(&rig.db, o.order.id).await.unwrap().into_iter().map(|e| e.kind).collect();
    assert!(kinds.ends_with(&["cancel_requested".into(), "magento_cancelled".into(), "cancel_acknowledged".into()]), "{kinds:?}");

    // The module reports the cancellation jlbridge made: nothing more is sent.
    let before = cancel_acks(&rig);
    rig.queue.push(&canceled_webhook("JL9100002", "w-1")).await.unwrap();
    settle(&rig).await;
    assert_eq!(cancel_acks(&rig), before);
}

#[tokio::test]
async fn john_lewis_cancels_after_shipment_needs_a_person() {
    let rig = sqlite_rig(2).await;
    let id = injected(&rig, "JL9100003").await;
    let entity = orders::get(&rig.db, "JL9100003").await.unwrap().unwrap().order.magento_entity_id.unwrap();
    rig.magento.ship(entity, &[(&sku(0), Decimal::ONE), (&sku(1), Decimal::from(2))], &[("dpd", "DPD", "155")], "default").unwrap();
    rig.edge.request_cancellation(id, 126).unwrap();
    settle(&rig).await;
    assert_eq!(rig.edge.order_status(id).as_deref(), Some("CANCEL"), "not acknowledged: shipped");
    assert_ne!(magento_state(&rig, "JL9100003"), "canceled");
    let o = orders::get(&rig.db, "JL9100003").await.unwrap().unwrap();
    assert_eq!(o.state(), OrderState::CancelRequested);
    let open = exceptions::list(&rig.db, Some(ExceptionKind::MagentoRejected), None, 0, 10).await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].entity, "JL9100003");
    assert!(open[0].last_error.contains("shipped"));
}

/// The exception raised inside the cancellation's transaction is announced like every other
/// (event stream and alerts, through `ops`) once committed, not only stored.
#[tokio::test]
async fn a_cancellation_blocked_by_the_shipment_is_alerted() {
    use jlbridge::alerts::Alerter;
    use jlbridge::events::{EventBus, SyncEvent};
    use std::sync::Arc;
    let rig = sqlite_rig(2).await;
    let id = injected(&rig, "JL9100006").await;
    let entity = orders::get(&rig.db, "JL9100006").await.unwrap().unwrap().order.magento_entity_id.unwrap();
    rig.magento.ship(entity, &[(&sku(0), Decimal::ONE), (&sku(1), Decimal::from(2))], &[("dpd", "DPD", "155")], "default").unwrap();
    rig.edge.request_cancellation(id, 126).unwrap();

    let bus = EventBus::new();
    let mut watched = bus.subscribe();
    let mut flow = rig.flow(None).clone_with(rig.db.clone(), rig.queue.clone());
    flow.ops = Some(jlbridge::ops::Ops::new(rig.queue.clone(), bus, Alerter::disabled()));
    let flow = Arc::new(flow);
    let w = rig.workers(flow.clone(), &ALL, 2);
    assert!(rig.poller(flow).await.cycle().await.ok);
    assert!(rig.idle(20).await);
    w.shutdown().await;

    let mut opened = Vec::new();
    while let Ok(e) = watched.try_recv() {
        if let SyncEvent::ExceptionOpened { exception_kind, entity, .. } = e.event {
            opened.push((exception_kind, entity));
        }
    }
    assert_eq!(opened, [("magento_rejected".to_owned(), "JL9100006".to_owned())], "announced once, after the commit");
    let open = exceptions::list(&rig.db, Some(ExceptionKind::MagentoRejected), None, 0, 10).await.unwrap();
    assert_eq!(open.len(), 1, "and stored");
}

fn canceled_webhook(reference: &str, webhook_id: &str) -> NewJob {
    let payload = json!({
        "webhook_id": webhook_id, "webhook_timestamp": 1_790_000_000, "event_timestamp_ms": 1_790_000_000_000i64,
        "data": { "order_increment_id": format!("JL-{reference}"), "marketplace_order_reference": reference, "reason": "customer called" }
    });
    NewJob::new(JobKind::OrderCancelFromMagento, payload).dedupe(format!("order-cancel:{reference}:{webhook_id}"))
}

#[tokio::test]
async fn magento_cancels_and_john_lewis_gets_the_cancellation_once() {
    let rig = sqlite_rig(2).await;
    let id = injected(&rig, "JL9100004").await;
    let entity = orders::get(&rig.db, "JL9100004").await.unwrap().unwrap().order.magento_entity_id.unwrap();
    let client = jlbridge::magento::MagentoClient::new(rig.magento.client_config()).unwrap();
    assert!(client.cancel_order(entity).await.unwrap());
    rig.queue.push(&canceled_webhook("JL9100004", "w-1")).await.unwrap();
    settle(&rig).await;
    assert_eq!(rig.edge.order_status(id).as_deref(), Some("CANCEL_ACK"));
    assert_eq!(cancel_acks(&rig), 1);
    let o = orders::get(&rig.db, "JL9100004").await.unwrap().unwrap();
    assert_eq!(o.state(), OrderState::Cancelled);
    assert_eq!(o.lines.iter().map(|l| l.cancelled_qty).collect::<Vec<_>>(), [1, 2], "whole units, every open unit");

    rig.queue.push(&canceled_webhook("JL9100004", "w-2")).await.unwrap(); // delivered again
    settle(&rig).await;
    assert_eq!(cancel_acks(&rig), 1, "idempotent");
}

#[tokio::test]
async fn magento_cancel_before_the_acknowledgement_waits_for_it() {
    let rig = sqlite_rig(2).await;
    let id = rig.edge.create_order(new_order("JL9100005", 1));
    let flow = rig.flow(None);
    assert!(rig.poller(flow.clone()).await.cycle().await.ok);
    rig.queue.push(&canceled_webhook("JL9100005", "w-1")).await.unwrap();
    // Only the cancellation runs first: it must not send anything before the acknowledgement.
    let w = rig.workers(flow.clone(), &[JobKind::OrderCancelFromMagento], 1);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    w.shutdown().await;
    assert_eq!(cancel_acks(&rig), 0);
    assert_eq!(rig.edge.order_status(id).as_deref(), Some("ORDER"));
}
