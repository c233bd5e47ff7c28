//! The shipments flow end to end on the sandboxes: Magento ships → signed webhook → jlbridge
//! → dispatch on the simulated Edge with the mapped slug and tracking, exactly once.
use crate::shipments_support::{rig, rig_on, DEFAULT_MAP, REF};
use crate::support::{eventually, fresh_postgres, postgres_or_skip};
use jlbridge::sandbox::faults::{Fault, FaultRule};
use jlbridge::store::cursors;
use jlbridge::sync::shipments::catch_up::CURSOR;
use std::time::Duration;

#[tokio::test]
async fn shipment_webhook_dispatches_its_lines_with_slug_and_tracking() {
    let mut r = rig(true).await;
    r.start(DEFAULT_MAP, true).await;
    // Partial shipment: line 1 only, both units, Royal Mail by title (`custom` carrier code).
    r.ship(&[("SHIRT-M", "2")], &[("custom", "Royal Mail Tracked 48", "ab123456789gb")]);
    assert!(r.line_dispatched("1", 20).await, "line 1 dispatched");
    let l1 = r.line("1");
    assert_eq!(l1.carrier.as_deref(), Some("royal-mail"));
    assert_eq!(l1.tracking_number.as_deref(), Some("AB123456789GB"), "normalised");
    assert_eq!(l1.tracking_url.as_deref(), Some("https://track.example/rm/AB123456789GB"));
    assert_eq!(l1.dispatched, 2);
    assert!(l1.dispatch_date.is_some() && l1.delivery_date.is_some());
    let l2 = r.line("2");
    assert_eq!((l2.status.as_str(), l2.dispatched), ("ORDER_ACK", 0), "a partial shipment sends only its lines");
    assert_eq!(r.dispatches_accepted(), 1);
    // It came through the receiver (signed webhook), not the catch-up.
    assert!(r.magento.webhooks_sent().iter().any(|w| w.kind == "shipment.created" && w.status == Some(202)));

    // The rest ships later with DPD: only line 2 goes out.
    r.ship(&[("SHIRT-L", "1")], &[("dpd", "DPD Next Day", "15501234567890")]);
    assert!(r.line_dispatched("2", 20).await);
    assert_eq!(r.line("2").carrier.as_deref(), Some("dpd"));
    assert_eq!(r.dispatches_accepted(), 2);
    assert_eq!(r.line("1").dispatched, 2, "line 1 not sent again");

    // Post-dispatch cancellation of the whole order: every dispatched unit, once.
    let flow = r.flow();
    let sent = flow.cancel_post_dispatch(REF, None, "cancel:test").await.unwrap();
    assert_eq!(sent, vec![("1".to_string(), 2), ("2".to_string(), 1)]);
    assert_eq!((r.line("1").cancelled_post_dispatch, r.line("2").cancelled_post_dispatch), (2, 1));
    assert!(flow.cancel_post_dispatch(REF, None, "cancel:test").await.unwrap().is_empty(), "nothing sent twice");
    assert!(r.exceptions("marketplace_rejected").await.is_empty());
    r.stop().await;
}

#[tokio::test]
async fn with_a_third_of_calls_failing_it_still_dispatches_exactly_once() {
    let mut r = rig(true).await;
    let faults = r.edge.faults();
    // The dispatch itself surely fails twice first (503, then 429); every call may fail.
    let dispatch = format!("/restapi/v4/orders/{}/dispatch/", r.edge_order);
    faults.add(FaultRule::new(&dispatch, Fault::Status(503)).times(1));
    faults.add(FaultRule::new(&dispatch, Fault::Throttle { wait: Duration::from_secs(1) }).times(1));
    faults.add(FaultRule::new("/restapi/", Fault::Status(503)).probability(0.15));
    faults.add(FaultRule::new("/restapi/", Fault::Throttle { wait: Duration::from_secs(1) }).probability(0.15));
    faults.add(FaultRule::new("/restapi/", Fault::Status(502)).probability(0.05));
    for _ in 0..3 {
        r.magento.fail_next(503, "{\"message\":\"Service Unavailable\"}", None);
        r.magento.fail_next(429, "{\"message\":\"Too Many Requests\"}", Some(1));
    }
    r.start(DEFAULT_MAP, true).await;
    r.ship(&[("SHIRT-M", "2"), ("SHIRT-L", "1")], &[("custom", "Royal Mail Tracked 24", "AB123456789GB")]);
    assert!(r.line_dispatched("1", 60).await && r.line_dispatched("2", 60).await, "both lines dispatched despite faults");
    let faulted = r.edge.calls().iter().filter(|c| c.fault.is_some()).count();
    assert!(faulted >= 2, "faults were injected");
    let failed_dispatches = r.edge.calls().iter().filter(|c| c.path == dispatch && c.status >= 400).count();
    assert!(failed_dispatches >= 2, "the dispatch was refused transiently first");
    assert_eq!(r.dispatches_accepted(), 1, "exactly one accepted dispatch");
    assert_eq!((r.line("1").dispatched, r.line("2").dispatched), (2, 1));
    // Transient failures raise nothing.
    for kind in ["marketplace_rejected", "shipped_not_confirmed", "carrier_unmapped"] {
        assert!(r.exceptions(kind).await.is_empty(), "{kind}");
    }
    r.stop().await;
}

#[tokio::test]
async fn dispatch_catch_up_watchdog_and_cancellation_on_postgres() {
    let Some(admin) = postgres_or_skip("dispatch_catch_up_watchdog_and_cancellation_on_postgres") else { return };
    let mut r = rig_on(true, Some(fresh_postgres(&admin).await)).await;
    r.start(DEFAULT_MAP, true).await;
    r.ship(&[("SHIRT-M", "2")], &[("custom", "Royal Mail Tracked 48", "AB123456789GB")]);
    assert!(r.line_dispatched("1", 20).await);
    let flow = r.flow();
    // Missed webhook for the second parcel: the catch-up finds it.
    r.magento.set_webhook_target("http://127.0.0.1:9/nowhere", &crate::webhook_support::secret(crate::webhook_support::KEY_A));
    r.ship(&[("SHIRT-L", "1")], &[("dpd", "DPD", "15501234567890")]);
    assert_eq!(flow.catch_up_pass().await.unwrap().enqueued.len(), 1);
    assert!(r.line_dispatched("2", 20).await);
    assert_eq!(r.dispatches_accepted(), 2);
    // The dispatch job is marked done a moment after its dispatch is recorded.
    let quiet = eventually(10, || async { flow.watchdog_pass(jlbridge::store::now_ms() + 48 * 3_600_000).await.unwrap().is_empty() }).await;
    assert!(quiet, "all dispatched");
    assert_eq!(flow.cancel_post_dispatch(REF, None, "cancel:pg").await.unwrap().len(), 2);
    assert!(flow.cancel_post_dispatch(REF, None, "cancel:pg").await.unwrap().is_empty());
    r.stop().await;
}

#[tokio::test]
async fn a_missed_webhook_is_caught_up() {
    let mut r = rig(true).await;
    r.start(DEFAULT_MAP, false).await; // the webhook never arrives
    let sid = r.ship(&[("SHIRT-M", "1")], &[("dpd", "DPD", "15501234567890")]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(r.dispatches_accepted(), 0);

    let flow = r.flow();
    let pass = flow.catch_up_pass().await.unwrap();
    assert_eq!(pass.enqueued.len(), 1, "one shipment enqueued");
    assert!(eventually(20, || async { r.line("1").dispatched == 1 }).await, "caught-up shipment dispatched");
    assert_eq!(r.line("1").carrier.as_deref(), Some("dpd"));
    // A second pass re-reads the overlap window and enqueues nothing new.
    assert!(flow.catch_up_pass().await.unwrap().enqueued.is_empty());
    let mark = cursors::get(&r.app().state.db, CURSOR).await.unwrap().expect("watermark stored");
    let shipment = r.magento.shipments().into_iter().find(|s| s["entity_id"] == sid).unwrap();
    assert_eq!(Some(mark.as_str()), shipment["created_at"].as_str(), "watermark = newest created_at seen, not now");
    assert_eq!(r.dispatches_accepted(), 1);
    r.stop().await;
}

#[tokio::test]
async fn unmapped_carrier_opens_an_exception_and_dispatches_once_fixed() {
    let mut r = rig(true).await;
    r.start(DEFAULT_MAP, true).await;
    r.ship(&[("SHIRT-M", "2"), ("SHIRT-L", "1")], &[("custom", "Parcelforce 48", "PB1234567")]);
    assert!(eventually(20, || async { !r.exceptions("carrier_unmapped").await.is_empty() }).await, "exception opened");
    let e = r.exceptions("carrier_unmapped").await.remove(0);
    assert_eq!(e.entity, format!("{REF} shipment {}", r.magento.shipments()[0]["entity_id"]));
    assert!(e.last_error.contains("\"custom\"") && e.last_error.contains("\"Parcelforce 48\""), "{}", e.last_error);
    let job_id = e.job_id.expect("the job to retry");
    assert_eq!(r.dispatches_accepted(), 0);

    // An operator retry before the map is fixed fails the same way (counted again).
    assert!(r.app().state.queue.requeue(job_id).await.unwrap());
    assert!(eventually(20, || async { r.exceptions("carrier_unmapped").await[0].count >= 2 }).await);

    // Fix the map and restart: the waiting dispatch is re-queued and goes out.
    r.stop().await;
    let mut fixed = DEFAULT_MAP.to_vec();
    fixed.push("*parcelforce*=parcelforce");
    r.start(&fixed, true).await;
    assert!(r.line_dispatched("1", 20).await && r.line_dispatched("2", 20).await);
    assert_eq!(r.line("1").carrier.as_deref(), Some("parcelforce"));
    assert_eq!(r.dispatches_accepted(), 1);
    assert!(eventually(5, || async { r.exceptions("carrier_unmapped").await[0].status == "resolved" }).await);
    r.stop().await;
}

#[tokio::test]
async fn an_unknown_slug_in_the_map_is_a_configuration_error() {
    let mut r = rig(true).await;
    r.start(&["Royal Mail*=royal-mail", "yodel*=yodel-uk"], true).await;
    assert!(eventually(10, || async { !r.exceptions("carrier_unmapped").await.is_empty() }).await);
    let e = r.exceptions("carrier_unmapped").await.remove(0);
    assert_eq!(e.entity, "carriers.map");
    assert!(e.last_error.contains("yodel*=yodel-uk") && e.last_error.contains("\"yodel-uk\""), "{}", e.last_error);
    r.stop().await;
}

#[tokio::test]
async fn the_watchdog_fires_for_a_shipment_left_unconfirmed() {
    let mut r = rig(true).await;
    // The Edge keeps failing the dispatch: the job keeps retrying, nothing lands.
    let dispatch = format!("/restapi/v4/orders/{}/dispatch/", r.edge_order);
    r.edge.faults().add(FaultRule::new(&dispatch, Fault::Status(503)));
    let mut config = r.config(DEFAULT_MAP);
    config.jobs.retry_schedule_secs = vec![1; 60]; // keeps retrying well past the test
    r.start_with(config, true).await;
    r.ship(&[("SHIRT-M", "2")], &[("custom", "Royal Mail", "AB123456789GB")]);
    let flow = r.flow();
    let refused = || r.edge.calls().iter().filter(|c| c.path == dispatch && c.status == 503).count();
    assert!(eventually(20, || async { refused() >= 2 }).await, "the dispatch is being retried");
    assert!(flow.watchdog_pass(jlbridge::store::now_ms()).await.unwrap().is_empty(), "not overdue yet");
    let later = jlbridge::store::now_ms() + 25 * 3_600_000;
    assert_eq!(flow.watchdog_pass(later).await.unwrap(), vec![REF.to_string()]);
    let e = r.exceptions("shipped_not_confirmed").await.remove(0);
    assert_eq!(e.entity, REF);
    assert!(e.job_id.is_some());
    assert!(e.last_error.contains("not confirmed on John Lewis"), "{}", e.last_error);
    assert_eq!(r.dispatches_accepted(), 0);
    assert!(r.exceptions("marketplace_rejected").await.is_empty(), "transient failures raise nothing themselves");
    // Once The Edge answers again the dispatch lands and the exception resolves.
    r.edge.faults().clear();
    assert!(r.line_dispatched("1", 20).await);
    assert!(eventually(5, || async { r.exceptions("shipped_not_confirmed").await[0].status == "resolved" }).await);
    r.stop().await;
}

#[tokio::test]
async fn a_tracking_number_added_later_is_picked_up() {
    let mut r = rig(true).await;
    r.start(DEFAULT_MAP, true).await;
    let sid = r.ship(&[("SHIRT-M", "2")], &[]); // shipped without tracking
    assert!(
        eventually(10, || async {
            let db = &r.app().state.db;
            jlbridge::store::entities::job::Entity::find().all(db).await.unwrap().iter().any(|j| j.attempts >= 2)
        })
        .await,
        "the dispatch waits for a tracking number"
    );
    assert_eq!(r.dispatches_accepted(), 0);
    // The second shipment.created (same shipment id) is accepted but its job is a duplicate
    // by dedupe key; the waiting job re-reads the shipment from Magento and finds the track.
    r.magento.add_track(sid, "custom", "Royal Mail Special Delivery", "ZX987654321GB").unwrap();
    assert!(r.line_dispatched("1", 20).await);
    assert_eq!(r.line("1").tracking_number.as_deref(), Some("ZX987654321GB"));
    // The second webhook is delivered by the sandbox's sender task, possibly after the dispatch.
    let both_accepted = eventually(10, || async {
        r.magento.webhooks_sent().iter().filter(|w| w.kind == "shipment.created" && w.status == Some(202)).count() == 2
    })
    .await;
    assert!(both_accepted, "both shipment.created webhooks are accepted");
    let jobs = jlbridge::store::entities::job::Entity::find().all(&r.app().state.db).await.unwrap();
    assert_eq!(jobs.iter().filter(|j| j.kind == "shipment.dispatch").count(), 1);
    assert_eq!(r.dispatches_accepted(), 1);
    r.stop().await;
}

use sea_orm::EntityTrait;
