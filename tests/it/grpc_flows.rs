//! "Where is order X": an order created on the Edge sandbox flows through the real binary
//! into the Magento sandbox, and grpcurl shows it with its timeline; a stuck injection is
//! re-queued with `RetryOrder`; `ListOrders` pages.
use crate::grpc_flows_support::*;
use crate::grpc_support::*;
use crate::support::*;
use jlbridge::sandbox::edge::NewOrder;
use jlbridge::sandbox::faults::{Fault, FaultRule};
use jlbridge::store::entities::{audit_log, job};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::Value;

const CONFIG: &str = "[jobs]\nretry_schedule_secs = [1, 1]\n";

fn order(reference: &str) -> NewOrder {
    let mut o = NewOrder::new(reference);
    o.ship_to.phone = Some("07700 900123".into());
    o.line(&part(0), 1, "9.99").line(&part(1), 2, "5.00")
}

fn events(o: &Value) -> Vec<String> {
    o["timeline"].as_array().map(|t| t.iter().map(|e| e["event"].as_str().unwrap_or("").to_owned()).collect()).unwrap_or_default()
}

/// Polls `order.sh REF` until `check` holds; returns the last answer.
async fn order_until(f: &Flows, reference: &str, secs: u64, check: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    let done = eventually(secs, || {
        let (ok, out) = f.script("order.sh", READ_TOKEN, &[reference]);
        let ready = ok && {
            last = json(&out);
            check(&last)
        };
        async move { ready }
    })
    .await;
    assert!(done, "order {reference} never got there: {last}");
    last
}

#[tokio::test]
async fn grpcurl_follows_an_order_through_the_sandboxes_and_retries_a_stuck_one() {
    if !grpcurl_or_skip("grpcurl_follows_an_order_through_the_sandboxes_and_retries_a_stuck_one") {
        return;
    }
    let f = Flows::start(2, CONFIG).await;
    let (_, list) = f.grpcurl(&[&f.grpc, "list"]);
    for s in ["jlbridge.v1.OrderService", "jlbridge.v1.StockService", "jlbridge.v1.ReconciliationService"] {
        assert!(list.contains(s), "{s} listed: {list}");
    }
    let (ok, out) = f.grpcurl(&["-d", r#"{"service": "jlbridge.v1.OrderService"}"#, &f.grpc, "grpc.health.v1.Health/Check"]);
    assert!(ok && out.contains("SERVING"), "{out}");

    // An order placed on John Lewis: polled, acknowledged, injected, commented.
    f.edge.create_order(order("JL7000001"));
    let a = order_until(&f, "JL7000001", 60, |o| events(o).contains(&"magento_commented".to_owned())).await;
    assert_eq!(a["state"], "injected", "{a}");
    assert_eq!(a["marketplaceStatus"], "ORDER_ACK", "{a}");
    assert_eq!(a["incrementId"], "JL-JL7000001", "{a}");
    let steps: Vec<String> = events(&a).into_iter().filter(|e| e != "status_changed").collect();
    assert_eq!(steps, ["downloaded", "acknowledged", "injected", "magento_commented"], "oldest first: {a}");
    assert!(a["total"].as_str().is_some_and(|t| t.parse::<f64>().is_ok_and(|t| t >= 19.99)), "{a}");
    let lines = a["lines"].as_array().unwrap();
    assert_eq!((lines[0]["sku"].as_str(), lines[1]["quantity"].as_u64()), (Some("SKU-0000"), Some(2)), "{a}");
    assert!(a["acknowledgedAt"].as_str().is_some_and(|t| !t.is_empty()) && a["edgeOrderId"].as_str().is_some(), "{a}");
    // The Magento increment id finds it too.
    let by_increment = f.ok("order.sh", READ_TOKEN, &["JL-JL7000001"]);
    assert_eq!(by_increment["orderReference"], "JL7000001");
    let (ok, out) = f.script("order.sh", READ_TOKEN, &["JL0000000"]);
    assert!(!ok && out.contains("NotFound") && out.contains("JL0000000"), "{out}");
    // Nothing to retry for an injected order.
    let (ok, out) = f.script("retry-order.sh", OPERATE_TOKEN, &["JL7000001"]);
    assert!(!ok && out.contains("FailedPrecondition") && out.contains("nothing to retry"), "{out}");

    // Magento refuses new orders: the injection dies and the order waits, acknowledged.
    f.magento.faults().add(FaultRule::new("/rest/default/V1/orders", Fault::Status(400)).method(axum::http::Method::POST));
    f.edge.create_order(order("JL7000002"));
    let b = order_until(&f, "JL7000002", 60, |o| {
        o["openExceptionIds"].as_array().is_some_and(|e| !e.is_empty()) && events(o).contains(&"inject_failed".to_owned())
    })
    .await;
    assert_eq!(b["state"], "acknowledged", "{b}");
    let (ok, out) = f.script("retry-order.sh", READ_TOKEN, &["JL7000002"]);
    assert!(!ok && out.contains("PermissionDenied"), "a read token cannot retry: {out}");
    // Once the injection job is dead (retries spent), Magento is fixed and the order retried.
    let dead = eventually(30, || async {
        let j = job::Entity::find().filter(job::Column::DedupeKey.eq("order-inject:JL7000002")).one(&f.db).await.unwrap();
        j.is_some_and(|j| j.state == "dead")
    })
    .await;
    assert!(dead, "the injection job dies");
    f.magento.faults().clear();
    let r = f.ok("retry-order.sh", OPERATE_TOKEN, &["JL7000002"]);
    assert_eq!(r["queuedStep"], "inject", "{r}");
    let (ok, out) = f.script("retry-order.sh", OPERATE_TOKEN, &["JL7000002", "acknowledge"]);
    assert!(!ok && out.contains("FailedPrecondition"), "already acknowledged: {out}");
    let b = order_until(&f, "JL7000002", 60, |o| o["state"] == "injected").await;
    assert_eq!(b["incrementId"], "JL-JL7000002", "{b}");
    assert!(events(&b).iter().any(|e| e == "note"), "the retry is on the timeline: {b}");
    let b = order_until(&f, "JL7000002", 30, |o| o["openExceptionIds"].as_array().is_none_or(|e| e.is_empty())).await;
    assert_eq!(b["lastError"], Value::Null, "cleared once injected: {b}");

    // ListOrders: newest first, paged, filtered by state.
    let p1 = f.ok("orders.sh", READ_TOKEN, &[]);
    let refs: Vec<&str> = p1["orders"].as_array().unwrap().iter().map(|o| o["orderReference"].as_str().unwrap()).collect();
    assert_eq!(refs, ["JL7000002", "JL7000001"]);
    let auth = format!("authorization: Bearer {READ_TOKEN}");
    let page = |token: &str| format!(r#"{{"state": "injected", "page_size": 1, "page_token": "{token}"}}"#);
    let (_, p1) = f.grpcurl(&["-H", &auth, "-d", &page(""), &f.grpc, "jlbridge.v1.OrderService/ListOrders"]);
    let p1 = json(&p1);
    let token = p1["nextPageToken"].as_str().expect("a second page").to_owned();
    let (_, p2) = f.grpcurl(&["-H", &auth, "-d", &page(&token), &f.grpc, "jlbridge.v1.OrderService/ListOrders"]);
    let p2 = json(&p2);
    assert_eq!((p1["orders"][0]["orderReference"].as_str(), p2["orders"][0]["orderReference"].as_str()), (Some("JL7000002"), Some("JL7000001")));
    assert!(p2.get("nextPageToken").is_none(), "last page: {p2}");
    let none = f.ok("orders.sh", READ_TOKEN, &["cancelled"]);
    assert!(none.get("orders").is_none(), "{none}");
    let (ok, out) = f.script("orders.sh", READ_TOKEN, &["shipped"]);
    assert!(!ok && out.contains("InvalidArgument") && out.contains("dispatched"), "{out}");
    let (ok, out) = f.script("orders.sh", READ_TOKEN, &["", &token]);
    assert!(!ok && out.contains("different filters"), "{out}");

    // Every RetryOrder call is audited.
    let rows = audit_log::Entity::find().order_by_asc(audit_log::Column::Id).all(&f.db).await.unwrap();
    let has = |actor: &str, result: &str| rows.iter().any(|r| r.actor == actor && r.action.ends_with("OrderService/RetryOrder") && r.result.starts_with(result));
    assert!(has("operate-token-2", "FailedPrecondition"), "{rows:?}");
    assert!(has("read-token-1", "PermissionDenied"), "{rows:?}");
    assert!(has("operate-token-2", "ok: order JL7000002 inject queued"), "{rows:?}");
}
