//! The whole path: John Lewis order → orders flow (acknowledge, inject into Magento) →
//! Magento ships → signed webhook → dispatch, recorded on the stored order.
use crate::shipments_support::{rig_full, DEFAULT_MAP, FULL_REF};
use crate::support::eventually;
use jlbridge::store::orders;

#[tokio::test]
async fn an_order_from_john_lewis_ships_and_is_dispatched_and_recorded() {
    let mut r = rig_full().await;
    r.start(DEFAULT_MAP, true).await;
    let ok = eventually(30, || async { r.magento.orders_with_ext_id(FULL_REF).len() == 1 }).await;
    if !ok {
        let db = r.app().state.db.clone();
        let ex = jlbridge::store::exceptions::list(&db, None, None, 0, 20).await.unwrap();
        let o = orders::get(&db, FULL_REF).await.unwrap();
        panic!("not injected: order {:?}; exceptions {:?}", o.map(|o| (o.order.state, o.order.last_error)), ex.iter().map(|e| (&e.kind, &e.last_error)).collect::<Vec<_>>());
    }
    assert_eq!(r.edge.order_status(r.edge_order).as_deref(), Some("ORDER_ACK"));
    let injected = r.magento.orders_with_ext_id(FULL_REF).remove(0);
    r.magento_order = injected["entity_id"].as_i64().unwrap();

    r.ship(&[("SHIRT-M", "2"), ("SHIRT-L", "1")], &[("custom", "Royal Mail Tracked 48", "AB123456789GB")]);
    assert!(r.line_dispatched("1", 20).await && r.line_dispatched("2", 20).await);
    assert_eq!(r.dispatches_accepted(), 1);

    let db = r.app().state.db.clone();
    assert!(
        eventually(10, || async { orders::get(&db, FULL_REF).await.unwrap().is_some_and(|o| o.order.state == "dispatched") }).await,
        "the stored order is dispatched"
    );
    let stored = orders::get(&db, FULL_REF).await.unwrap().unwrap();
    assert!(stored.lines.iter().all(|l| l.dispatched_qty == l.quantity), "line quantities follow");
    let events = orders::events(&db, stored.order.id).await.unwrap();
    assert!(events.iter().any(|e| e.kind == "dispatched" && e.detail.as_deref().is_some_and(|d| d.contains("royal-mail"))));
    r.stop().await;
}
