//! Orders arriving and changing status while the poller pages (small pages, slow listing,
//! acknowledgements shifting the `ORDER` listing under it, John Lewis cancelling some) are
//! neither missed nor processed twice.
use crate::orders_support::*;
use crate::support::eventually;
use jlbridge::domain::order_state::OrderState;
use jlbridge::sandbox::faults::{Fault, FaultRule};
use jlbridge::store::orders;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[tokio::test]
async fn orders_changing_while_the_poller_pages_are_neither_missed_nor_processed_twice() {
    let rig = Arc::new(sqlite_rig(3).await);
    let ids: Arc<Mutex<Vec<(u64, String)>>> = Arc::default();
    for i in 0..200 {
        let r = format!("JL91{i:05}");
        ids.lock().unwrap().push((rig.edge.create_order(new_order(&r, 1 + i % 3)), r));
    }
    rig.edge.faults().add(FaultRule::new("/restapi/v4/orders", Fault::Latency(Duration::from_millis(15))).method(axum::http::Method::GET));
    let flow = rig.flow(None);
    let poller = rig.poller(flow.clone()).await;
    let w = rig.workers(flow, &ALL, 4);

    // Churn: new orders arrive and John Lewis cancels some, while cycles page.
    let stop = Arc::new(AtomicBool::new(false));
    let cancelled: Arc<Mutex<Vec<String>>> = Arc::default();
    let churn = {
        let (rig, ids, stop, cancelled) = (rig.clone(), ids.clone(), stop.clone(), cancelled.clone());
        tokio::spawn(async move {
            let mut i = 0usize;
            while !stop.load(Ordering::SeqCst) && i < 150 {
                let r = format!("JL92{i:05}");
                ids.lock().unwrap().push((rig.edge.create_order(new_order(&r, 1 + i % 2)), r));
                if i % 3 == 0 {
                    let (id, r) = ids.lock().unwrap()[i * 7 % 200].clone();
                    if rig.edge.request_cancellation(id, 126).is_ok() {
                        cancelled.lock().unwrap().push(r);
                    }
                }
                i += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    // A cycle may fail on a loaded machine (it opens poll_failed); the next one catches up.
    let mut good = 0;
    for _ in 0..4 {
        good += poller.cycle().await.ok as usize;
    }
    assert!(good > 0);
    stop.store(true, Ordering::SeqCst);
    churn.await.unwrap();
    rig.edge.faults().clear();
    // Settle: a few more cycles until nothing is left to do.
    for _ in 0..5 {
        let r = poller.cycle().await;
        assert!(rig.idle(90).await, "{:?} {r:?}", rig.queue.depth().await);
    }
    assert!(poller.cycle().await.ok);
    assert!(rig.idle(90).await);
    w.shutdown().await;

    let ids = ids.lock().unwrap().clone();
    let cancelled = cancelled.lock().unwrap().clone();
    assert!(!cancelled.is_empty());
    let stored = orders::list(&rig.db, None, 0, 10_000).await.unwrap();
    assert_eq!(stored.len(), ids.len(), "every order stored once");
    let by_ref: HashMap<&str, &orders::OrderRow> = stored.iter().map(|o| (o.reference.as_str(), o)).collect();
    for (id, r) in &ids {
        let o = by_ref[r.as_str()];
        let events = orders::events(&rig.db, o.id).await.unwrap();
        let count = |k: &str| events.iter().filter(|e| e.kind == k).count();
        assert_eq!(count("downloaded"), 1, "{r}");
        assert!(count("acknowledged") <= 1, "{r} acknowledged twice");
        let copies = rig.magento_copies(r);
        assert!(copies <= 1, "{r}: {copies} Magento orders");
        if cancelled.contains(r) {
            assert_eq!(o.state, OrderState::Cancelled.as_str(), "{r}");
            assert_eq!(rig.edge.order_status(*id).as_deref(), Some("CANCEL_ACK"), "{r}");
            if copies == 1 {
                assert_eq!(rig.magento.orders_with_ext_id(r)[0]["state"], "canceled", "{r}");
            }
        } else {
            assert_eq!(o.state, OrderState::Injected.as_str(), "{r}");
            assert_eq!(rig.edge.order_status(*id).as_deref(), Some("ORDER_ACK"), "{r}");
            assert_eq!((count("acknowledged"), copies), (1, 1), "{r}");
        }
    }
    assert!(eventually(1, || async { rig.queue.depth().await.is_ok_and(|d| d.dead == 0) }).await, "no job gave up");
}
