//! The simulated Magento sends Standard Webhooks-signed `stock.changed` and
//! `shipment.created` events (DESIGN §3.1) when its stock changes or a parcel ships.
use crate::magento_support::{dec, draft, eventually, seeded, webhook_receiver, Received};
use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const SECRET_KEY: &[u8] = b"a-32-byte-test-key-for-jlbridge!";

/// Verifies independently of `domain::webhook_signature` (HMAC over id.ts.body).
fn verified_body(r: &Received) -> Value {
    let h = |k: &str| r.headers.get(k).unwrap_or_else(|| panic!("header {k}")).to_str().unwrap().to_owned();
    let (id, ts, sig) = (h("webhook-id"), h("webhook-timestamp"), h("webhook-signature"));
    let ts_num: i64 = ts.parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - ts_num).abs() < 60, "fresh timestamp");
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET_KEY).unwrap();
    mac.update(format!("{id}.{ts}.").as_bytes());
    mac.update(&r.body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    assert!(sig.split(' ').any(|s| s == expected), "signature {sig} != {expected}");
    serde_json::from_slice(&r.body).unwrap()
}

#[tokio::test]
async fn stock_and_shipment_events_arrive_signed() {
    let (sb, client) = seeded().await;
    let (url, got) = webhook_receiver().await;
    sb.set_webhook_target(&url, &format!("whsec_{}", STANDARD.encode(SECRET_KEY)));

    sb.set_source_qty("SHIRT-M", "default", dec("12"));
    assert!(eventually(|| got.lock().unwrap().len() == 1).await);
    let stock = verified_body(&got.lock().unwrap()[0]);
    assert_eq!(stock["type"], "stock.changed");
    assert_eq!(stock["data"]["items"][0]["sku"], "SHIRT-M");
    assert_eq!(stock["data"]["items"][0]["salable_qty"], 12);
    assert!(chrono::DateTime::parse_from_rfc3339(stock["timestamp"].as_str().unwrap()).is_ok());

    // A storefront order reserves: salable drops, an event says so.
    sb.place_storefront_order(&[("SHIRT-M", dec("2"))]).unwrap();
    assert!(eventually(|| got.lock().unwrap().len() == 2).await);
    assert_eq!(verified_body(&got.lock().unwrap()[1])["data"]["items"][0]["salable_qty"], 10);

    // A marketplace order ships: shipment.created with the John Lewis references.
    let order = client.create_order_once(&draft("Y400000001")).await.unwrap().order().clone();
    let sid = sb.ship(order.entity_id, &[("SHIRT-L", dec("1"))], &[("custom", "Royal Mail", "RM123")], "default").unwrap();
    assert!(eventually(|| got.lock().unwrap().iter().any(|r| r.body.windows(16).any(|w| w == b"shipment.created"))).await);
    let all: Vec<Value> = got.lock().unwrap().iter().map(verified_body).collect();
    let ship = all.iter().find(|b| b["type"] == "shipment.created").unwrap();
    assert_eq!(ship["data"]["order_increment_id"], "JL-Y400000001");
    assert_eq!(ship["data"]["marketplace_order_reference"], "Y400000001");
    assert_eq!(ship["data"]["shipment_id"], sid);
    assert_eq!(ship["data"]["items"][0]["sku"], "SHIRT-L");
    assert_eq!(ship["data"]["items"][0]["marketplace_line_ref"], "2");
    assert_eq!(ship["data"]["tracks"][0]["track_number"], "RM123");
    // Distinct ids per event; the sandbox's own log agrees.
    let ids: std::collections::BTreeSet<_> =
        got.lock().unwrap().iter().map(|r| r.headers["webhook-id"].to_str().unwrap().to_owned()).collect();
    assert_eq!(ids.len(), got.lock().unwrap().len());
    assert!(sb.webhooks_sent().iter().all(|w| w.status == Some(202)));

    // Cancelling what is left sends order.canceled with the John Lewis reference.
    assert!(client.cancel_order(order.entity_id).await.unwrap());
    assert!(eventually(|| got.lock().unwrap().iter().any(|r| r.body.windows(14).any(|w| w == b"order.canceled"))).await);
    let all: Vec<Value> = got.lock().unwrap().iter().map(verified_body).collect();
    let cancel = all.iter().find(|b| b["type"] == "order.canceled").unwrap();
    assert_eq!(cancel["data"]["marketplace_order_reference"], "Y400000001");
    assert_eq!(cancel["data"]["order_increment_id"], "JL-Y400000001");
}

#[tokio::test]
async fn webhook_faults_duplicate_and_swap_but_timestamps_keep_observation_order() {
    let (sb, _) = seeded().await;
    let (url, got) = webhook_receiver().await;
    sb.set_webhook_target(&url, &format!("whsec_{}", STANDARD.encode(SECRET_KEY)));
    sb.set_webhook_faults(jlbridge::sandbox::magento::WebhookFaults { duplicate: true, swap_pairs: true });
    sb.set_source_qty("SHIRT-M", "default", dec("3"));
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    sb.set_source_qty("SHIRT-M", "default", dec("1"));
    assert!(eventually(|| got.lock().unwrap().len() == 4).await, "two events, each sent twice");
    let received = got.lock().unwrap().clone();
    let bodies: Vec<Value> = received.iter().map(verified_body).collect();
    let qty: Vec<i64> = bodies.iter().map(|b| b["data"]["items"][0]["salable_qty"].as_i64().unwrap()).collect();
    assert_eq!(qty, [1, 1, 3, 3], "the newer observation arrives first, each twice");
    assert_eq!(received[0].headers["webhook-id"], received[1].headers["webhook-id"], "a duplicate keeps its id");
    let ts = |b: &Value| chrono::DateTime::parse_from_rfc3339(b["timestamp"].as_str().unwrap()).unwrap();
    assert!(ts(&bodies[0]) > ts(&bodies[2]), "timestamps say which observation is newer");
}

/// A receiver that answers each POST with the next status of `script` (then 202), and counts.
async fn scripted_receiver(script: Vec<u16>) -> (String, Arc<AtomicUsize>) {
    use axum::http::StatusCode;
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let app = axum::Router::new().route(
        "/webhooks/magento",
        axum::routing::post(move || {
            let n = seen.fetch_add(1, Ordering::SeqCst);
            let status = script.get(n).copied().unwrap_or(202);
            async move { (StatusCode::from_u16(status).unwrap(), "{}") }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhooks/magento", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, calls)
}

/// As the jlbridge module does, the store keeps retrying a refused delivery (503 while the
/// service's database is busy, no answer while it restarts) until it is accepted, in order,
/// and stops at once on a refusal another attempt cannot cure (422).
#[tokio::test]
async fn refused_deliveries_are_retried_until_accepted_as_the_module_does() {
    let (sb, _) = seeded().await;
    let (url, calls) = scripted_receiver(vec![503, 500, 503, 408, 202, 422]).await;
    sb.set_webhook_target(&url, &format!("whsec_{}", STANDARD.encode(SECRET_KEY)));
    sb.set_source_qty("SHIRT-M", "default", dec("7"));
    sb.set_source_qty("SHIRT-M", "default", dec("6"));
    let done = || sb.webhooks_sent().len() == 2 && sb.webhooks_in_flight() == 0;
    assert!(eventually(done).await, "both events settled: {:?}", sb.webhooks_sent());
    let sent = sb.webhooks_sent();
    assert_eq!((sent[0].status, sent[0].attempts), (Some(202), 5), "four refusals, then accepted");
    assert_eq!(sent[0].body["data"]["items"][0]["salable_qty"], 7, "in order");
    assert_eq!((sent[1].status, sent[1].attempts), (Some(422), 1), "not retried");
    assert_eq!(calls.load(Ordering::SeqCst), 6);
}
