//! The orders flow end to end against both sandboxes (SQLite): acknowledgement in full with
//! the configured promises, one Magento order with the reference, the timeline; unfulfillable
//! lines; mapping failures; poll_failed; acknowledge_overdue.
use crate::orders_support::*;
use jlbridge::domain::exception::ExceptionKind;
use jlbridge::domain::order_ack::UnfulfillableRule;
use jlbridge::domain::order_state::OrderState;
use jlbridge::sandbox::faults::{Fault, FaultRule};
use jlbridge::store::{cursors, exceptions, orders};
use jlbridge::sync::orders::poller::CURSOR_LAST_POLL;

#[tokio::test]
async fn new_order_is_acknowledged_in_full_then_injected_once_with_its_reference() {
    let rig = sqlite_rig(3).await;
    let id = rig.edge.create_order(new_order("JL5000001", 3));
    let flow = rig.flow(None);
    let poller = rig.poller(flow.clone()).await;
    let w = rig.workers(flow, &ALL, 4);
    let report = poller.cycle().await;
    assert!(report.ok, "{report:?}");
    assert_eq!(report.new_orders, 1);
    assert!(rig.idle(20).await);
    // A second cycle changes nothing.
    let again = poller.cycle().await;
    assert_eq!(again.new_orders, 0);
    assert!(rig.idle(20).await);
    w.shutdown().await;

    let sb = rig.edge.order(id).unwrap();
    assert_eq!(rig.edge.order_status(id).as_deref(), Some("ORDER_ACK"));
    for l in &sb.lines {
        assert_eq!(l.fulfillment_route.as_deref(), Some("Direct to customer"));
        assert!(l.dispatch_date.is_some() && l.delivery_date.is_some());
    }
    let copies = rig.magento.orders_with_ext_id("JL5000001");
    assert_eq!(copies.len(), 1);
    assert_eq!(copies[0]["increment_id"], "JL-JL5000001");
    let comments = copies[0]["status_histories"].to_string();
    assert!(comments.contains("John Lewis Marketplace order JL5000001"), "{comments}");

    let stored = orders::get(&rig.db, "JL5000001").await.unwrap().unwrap();
    assert_eq!(stored.state(), OrderState::Injected);
    assert_eq!(stored.order.magento_increment_id.as_deref(), Some("JL-JL5000001"));
    assert_eq!(stored.lines.iter().map(|l| l.sku.clone().unwrap()).collect::<Vec<_>>(), [sku(0), sku(1), sku(2)]);
    let kinds: Vec<String> = orders::events(&rig.db, stored.order.id).await.unwrap().into_iter().map(|e| e.kind).collect();
    assert_eq!(kinds, ["downloaded", "acknowledged", "injected", "magento_commented"]);
    let last: serde_json::Value = serde_json::from_str(&cursors::get(&rig.db, CURSOR_LAST_POLL).await.unwrap().unwrap()).unwrap();
    assert_eq!(last["ok"], true);
}

async fn unfulfillable_case(rule: UnfulfillableRule) -> (Rig, u64) {
    let mut rig = sqlite_rig(2).await;
    rig.config.unfulfillable = rule;
    rig.edge.add_product("59999999", None, 5);
    let order = new_order("JL5000002", 2).line("59999999", 1, "5.00");
    let id = rig.edge.create_order(order);
    let flow = rig.flow(None);
    let poller = rig.poller(flow.clone()).await;
    let w = rig.workers(flow, &ALL, 2);
    assert!(poller.cycle().await.ok);
    assert!(rig.idle(20).await);
    w.shutdown().await;
    (rig, id)
}

#[tokio::test]
async fn unknown_part_number_is_cancelled_after_the_acknowledgement_and_left_out_of_magento() {
    let (rig, id) = unfulfillable_case(UnfulfillableRule::Cancel).await;
    let sb = rig.edge.order(id).unwrap();
    let statuses: Vec<&str> = sb.lines.iter().map(|l| l.status.as_str()).collect();
    assert_eq!(statuses, ["ORDER_ACK", "ORDER_ACK", "CANCEL_ACK"]);
    let stored = orders::get(&rig.db, "JL5000002").await.unwrap().unwrap();
    let bad = stored.line("3").unwrap();
    assert_eq!(bad.cancelled_qty, 1);
    assert!(bad.unfulfillable.as_deref().unwrap().contains("not mapped"));
    let m = rig.magento.orders_with_ext_id("JL5000002");
    assert_eq!(m.len(), 1);
    assert_eq!(m[0]["items"].as_array().unwrap().len(), 2, "the cancelled line is not injected");
}

#[tokio::test]
async fn unknown_part_number_is_backordered_by_rule_and_the_order_waits_for_its_mapping() {
    let (rig, id) = unfulfillable_case(UnfulfillableRule::Backorder).await;
    let sb = rig.edge.order(id).unwrap();
    assert_eq!(sb.lines[2].status, "BACKORDER");
    assert_eq!(rig.magento_copies("JL5000002"), 0);
    let open = exceptions::count_open(&rig.db, ExceptionKind::PartNumberUnmapped).await.unwrap();
    assert_eq!(open, 1, "the injection waits for the mapping");
}

#[tokio::test]
async fn address_problems_open_address_invalid_with_the_reason() {
    let rig = sqlite_rig(1).await;
    let mut o = new_order("JL5000003", 1);
    o.ship_to.phone = None;
    o.ship_to.postal_code = "NOT A POSTCODE".into();
    rig.edge.create_order(o);
    let flow = rig.flow(None);
    let poller = rig.poller(flow.clone()).await;
    let w = rig.workers(flow, &ALL, 2);
    assert!(poller.cycle().await.ok);
    assert!(rig.idle(20).await);
    w.shutdown().await;
    let list = exceptions::list(&rig.db, Some(ExceptionKind::AddressInvalid), None, 0, 10).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].entity, "JL5000003");
    let err = &list[0].last_error;
    assert!(err.contains("postcode") || err.contains("phone"), "{err}");
    assert!(!err.contains("NOT A POSTCODE"), "no personal data in exceptions");
    assert_eq!(rig.magento_copies("JL5000003"), 0);
    let stored = orders::get(&rig.db, "JL5000003").await.unwrap().unwrap();
    assert_eq!(stored.state(), OrderState::Acknowledged);
}

#[tokio::test]
async fn a_failed_poll_opens_poll_failed_and_the_next_good_one_resolves_it() {
    let rig = sqlite_rig(1).await;
    let flow = rig.flow(None);
    let poller = rig.poller(flow).await;
    rig.edge.faults().add(FaultRule::new("/restapi/v4/orders", Fault::Status(500)).times(100));
    let bad = poller.cycle().await;
    assert!(!bad.ok);
    assert_eq!(exceptions::count_open(&rig.db, ExceptionKind::PollFailed).await.unwrap(), 0, "one failed poll is no exception");
    assert!(!poller.cycle().await.ok);
    assert_eq!(exceptions::count_open(&rig.db, ExceptionKind::PollFailed).await.unwrap(), 0);
    assert!(!poller.cycle().await.ok);
    assert_eq!(exceptions::count_open(&rig.db, ExceptionKind::PollFailed).await.unwrap(), 1, "three in a row open poll_failed");
    rig.edge.faults().clear();
    assert!(poller.cycle().await.ok);
    assert_eq!(exceptions::count_open(&rig.db, ExceptionKind::PollFailed).await.unwrap(), 0);
}

#[tokio::test]
async fn orders_not_acknowledged_in_time_open_acknowledge_overdue() {
    let mut rig = sqlite_rig(1).await;
    rig.config.acknowledge_overdue_minutes = 0; // everything downloaded is overdue at once
    rig.edge.create_order(new_order("JL5000004", 1));
    let flow = rig.flow(None);
    let poller = rig.poller(flow.clone()).await;
    poller.cycle().await; // no workers: stays downloaded
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let r = poller.cycle().await;
    assert_eq!(r.overdue, 1);
    assert_eq!(exceptions::count_open(&rig.db, ExceptionKind::AcknowledgeOverdue).await.unwrap(), 1);
    let w = rig.workers(flow, &ALL, 2);
    assert!(rig.idle(20).await);
    w.shutdown().await;
    assert_eq!(exceptions::count_open(&rig.db, ExceptionKind::AcknowledgeOverdue).await.unwrap(), 0, "resolved by the acknowledgement");
}

/// The batch injector: 19 acknowledged orders in one batch; one search (`in` lists) looks
/// them all up, each is created once; the create Magento refuses fails only its own job (which
/// retries on its own and succeeds), the order that cannot be mapped only its own.
#[tokio::test]
async fn a_batch_searches_once_and_a_failing_order_fails_only_its_own_job() {
    use jlbridge::store::jobs::JobKind;
    let rig = sqlite_rig(3).await;
    for i in 0..18 {
        rig.edge.create_order(new_order(&format!("JL51{i:05}"), 1 + i % 3));
    }
    let mut bad_address = new_order("JL5300001", 1);
    bad_address.ship_to.postal_code = "NOT A POSTCODE".into();
    rig.edge.create_order(bad_address);
    let flow = rig.flow(None);
    // Acknowledge everything first, so the injection jobs are all due together: one batch.
    let w = rig.workers(flow.clone(), &[JobKind::OrderAcknowledge], 4);
    assert!(rig.poller(flow.clone()).await.cycle().await.ok);
    let acknowledged = || async { orders::list(&rig.db, Some(OrderState::Acknowledged), 0, 100).await.is_ok_and(|l| l.len() == 19) };
    assert!(crate::support::eventually(20, acknowledged).await, "all 19 acknowledged");
    w.shutdown().await;
    rig.magento.clear_calls();
    // Magento refuses the first create it gets.
    let refuse = FaultRule::new("/rest/default/V1/orders", Fault::Status(503)).method(axum::http::Method::POST).times(1);
    rig.magento.faults().add(refuse);
    let w = rig.workers(flow, &[JobKind::OrderInject], 4);
    assert!(rig.idle(30).await);
    w.shutdown().await;

    let mut refused = Vec::new();
    for i in 0..18 {
        let r = format!("JL51{i:05}");
        assert_eq!(rig.magento_copies(&r), 1, "{r} created once");
        let o = orders::get(&rig.db, &r).await.unwrap().unwrap();
        assert_eq!(o.state(), OrderState::Injected, "{r}");
        let kinds: Vec<String> = orders::events(&rig.db, o.order.id).await.unwrap().into_iter().map(|e| e.kind).collect();
        if kinds.contains(&"inject_failed".to_owned()) {
            assert_eq!(kinds, ["downloaded", "acknowledged", "inject_failed", "injected", "magento_commented"], "{r}");
            refused.push(r);
        } else {
            assert_eq!(kinds, ["downloaded", "acknowledged", "injected", "magento_commented"], "{r}");
        }
    }
    assert_eq!(refused.len(), 1, "one create refused, the others went through: {refused:?}");
    let calls = rig.magento.calls();
    let searched = |r: &str| {
        calls.iter().filter(|c| c.method == "GET" && c.path.ends_with("/V1/orders") && c.query.as_deref().is_some_and(|q| q.contains(r))).count()
    };
    let good = (0..18).map(|i| format!("JL51{i:05}")).find(|r| !refused.contains(r)).unwrap();
    assert_eq!(searched(&good), 1, "one search for the batch, not one per order");
    let batch_search = calls.iter().find(|c| c.method == "GET" && c.query.as_deref().is_some_and(|q| q.contains(&good))).unwrap();
    let q = batch_search.query.as_deref().unwrap();
    assert!(q.contains("JL5100000") && q.contains("JL5100017") && q.contains("conditionType%5D=in"), "{q}");
    // The refused one searched again after its failed create, and once more on its retry.
    assert_eq!(searched(&refused[0]), 3);

    // The unmappable one: its own exception, no Magento order, its lease given back.
    assert_eq!(rig.magento_copies("JL5300001"), 0);
    let invalid = exceptions::list(&rig.db, Some(ExceptionKind::AddressInvalid), None, 0, 10).await.unwrap();
    assert_eq!(invalid.iter().map(|e| e.entity.as_str()).collect::<Vec<_>>(), ["JL5300001"]);
    let o = orders::get(&rig.db, "JL5300001").await.unwrap().unwrap();
    assert_eq!(o.state(), OrderState::Acknowledged);
    assert!(o.order.lease_token.is_none(), "lease released");
}
