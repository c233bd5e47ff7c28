//! `POST /webhooks/magento` against a running service: each answer of DESIGN §3.1, what is
//! stored with it, and what happens when the database cannot store the event.
use crate::webhook_support::*;
use jlbridge::domain::webhook_event::{OrderCancelPayload, PriceObservedPayload, ShipmentDispatchPayload, StockObservedPayload};
use jlbridge::store::entities::{exception, job, webhook_inbox};
use jlbridge::store::jobs::JobKind;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::json;
use std::io::{Read, Write};
use std::time::Duration;

async fn job_for(s: &Service, kind: JobKind) -> job::Model {
    let jobs = job::Entity::find().filter(job::Column::Kind.eq(kind.as_str())).all(s.db()).await.unwrap();
    assert_eq!(jobs.len(), 1, "one {kind} job");
    jobs.into_iter().next().unwrap()
}

#[tokio::test]
async fn each_type_is_stored_with_its_job_and_ordering_facts() {
    let s = Service::start().await;
    let ts = now();
    let body = stock_event("SKU-1", 7);
    let (status, v) = s.post_signed(KEY_A, "msg_stock", ts, &body).await;
    assert_eq!((status, v.clone()), (202, json!({"id": "msg_stock", "status": "accepted"})));
    let row = webhook_inbox::Entity::find_by_id("msg_stock").one(s.db()).await.unwrap().expect("inbox row");
    assert_eq!(row.body, body, "the raw body is kept as signed");
    assert_eq!((row.event_type.as_str(), row.webhook_timestamp, row.event_timestamp_ms), ("stock.changed", ts, Some(1_795_773_600_250)));
    let j = job_for(&s, JobKind::StockObserved).await;
    // Queued by the receiver; the stock flow's workers may already have taken it.
    assert!(["queued", "running", "done"].contains(&j.state.as_str()), "{}", j.state);
    let p: StockObservedPayload = serde_json::from_str(&j.payload).unwrap();
    assert_eq!((p.webhook_id.as_str(), p.webhook_timestamp, p.event_timestamp_ms), ("msg_stock", ts, 1_795_773_600_250));
    assert_eq!((p.data.items[0].sku.as_str(), p.data.items[0].salable_qty), ("SKU-1", Some(7)));

    let price = event("price.changed", json!({"items": [{"sku": "SKU-1", "price": "19.99"}]}));
    assert_eq!(s.post_signed(KEY_A, "msg_price", ts, &price).await.0, 202);
    let p: PriceObservedPayload = serde_json::from_str(&job_for(&s, JobKind::PriceObserved).await.payload).unwrap();
    assert_eq!(p.data.items[0].price.to_string(), "19.99");

    let ship = event("shipment.created", json!({"order_increment_id": "000000042", "marketplace_order_reference": "JL-42", "shipment_id": 9001,
        "items": [{"sku": "SKU-1", "qty": 1}], "tracks": [{"carrier_code": "dpd", "title": "DPD", "track_number": "1550"}]}));
    assert_eq!(s.post_signed(KEY_B, "msg_ship", ts, &ship).await.0, 202, "the second (rotation) secret is accepted");
    let j = job_for(&s, JobKind::ShipmentDispatch).await;
    assert_eq!(j.dedupe_key.as_deref(), Some("shipment:9001"));
    let p: ShipmentDispatchPayload = serde_json::from_str(&j.payload).unwrap();
    assert_eq!(p.data.marketplace_order_reference, "JL-42");
    // Another event about the same shipment is stored but queues no second dispatch.
    assert_eq!(s.post_signed(KEY_A, "msg_ship_again", ts, &ship).await.0, 202);
    job_for(&s, JobKind::ShipmentDispatch).await;

    let cancel = event("order.canceled", json!({"order_increment_id": "000000042", "marketplace_order_reference": "JL-42", "reason": "customer"}));
    assert_eq!(s.post_signed(KEY_A, "msg_cancel", ts, &cancel).await.0, 202);
    let j = job_for(&s, JobKind::OrderCancelFromMagento).await;
    assert_eq!(j.dedupe_key.as_deref(), Some("order-cancel:JL-42:msg_cancel"));
    let p: OrderCancelPayload = serde_json::from_str(&j.payload).unwrap();
    assert_eq!(p.data.reason.as_deref(), Some("customer"));
    assert_eq!(s.counts().await, Counts { inbox: 5, jobs: 4, exceptions: 0 });

    // Counted on /metrics, by the receiver and by the HTTP tracking layer.
    let (_, _) = s.post_signed(KEY_WRONG, "msg_bad", ts, &body).await;
    let metrics = s.client.get(format!("http://{}/metrics", s.app.http_addr)).send().await.unwrap().text().await.unwrap();
    for want in [
        r#"jlbridge_webhooks_total{outcome="accepted"}"#,
        r#"jlbridge_webhooks_total{outcome="rejected",reason="bad_signature"}"#,
        r#"jlbridge_webhooks_accepted_total{type="shipment.created"}"#,
        r#"path="/webhooks/magento""#,
    ] {
        assert!(metrics.contains(want), "/metrics lacks {want}");
    }
    s.app.stop().await;
}

#[tokio::test]
async fn a_repeated_id_is_a_duplicate_and_causes_nothing() {
    let s = Service::start().await;
    let body = stock_event("SKU-1", 1);
    assert_eq!(s.post_signed(KEY_A, "msg_dup", now(), &body).await.0, 202);
    let before = s.counts().await;
    for b in [body.clone(), stock_event("SKU-2", 5)] {
        let (status, v) = s.post_signed(KEY_B, "msg_dup", now(), &b).await;
        assert_eq!((status, v), (200, json!({"status": "duplicate"})));
    }
    assert_eq!(s.counts().await, before);

    // Racing copies of one event: one is accepted, the rest are duplicates, one job.
    let tasks: Vec<_> = (0..40)
        .map(|_| {
            let (client, url, body) = (s.client.clone(), s.url.clone(), stock_event("SKU-9", 9));
            tokio::spawn(async move {
                let ts = now();
                let sig = jlbridge::domain::webhook_signature::sign(KEY_A, "msg_race", ts, body.as_bytes());
                let req = client.post(url).header("content-type", "application/json").header("webhook-id", "msg_race")
                    .header("webhook-timestamp", ts.to_string()).header("webhook-signature", sig).body(body);
                answer(req).await.0
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 202).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 39, "{statuses:?}");
    assert_eq!(s.counts().await, Counts { inbox: before.inbox + 1, jobs: before.jobs + 1, exceptions: 0 });
    s.app.stop().await;
}

#[tokio::test]
async fn concurrent_distinct_events_are_all_stored_each_with_its_job() {
    let s = Service::start().await;
    let tasks: Vec<_> = (0..300)
        .map(|i| {
            let (client, url) = (s.client.clone(), s.url.clone());
            tokio::spawn(async move {
                let (id, ts, body) = (format!("msg_c{i}"), now(), stock_event(&format!("SKU-{i}"), i));
                let sig = jlbridge::domain::webhook_signature::sign(KEY_A, &id, ts, body.as_bytes());
                let req = client.post(url).header("content-type", "application/json").header("webhook-id", id)
                    .header("webhook-timestamp", ts.to_string()).header("webhook-signature", sig).body(body);
                answer(req).await.0
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 202);
    }
    assert_eq!(s.counts().await, Counts { inbox: 300, jobs: 300, exceptions: 0 });
    s.app.stop().await;
}

#[tokio::test]
async fn an_unknown_type_is_kept_for_review_with_422() {
    let s = Service::start().await;
    let body = event("product.deleted", json!({"sku": "X"}));
    let (status, v) = s.post_signed(KEY_A, "msg_unknown", now(), &body).await;
    assert_eq!(status, 422, "{v}");
    assert_eq!(code(&v), "unknown_type");
    let row = webhook_inbox::Entity::find_by_id("msg_unknown").one(s.db()).await.unwrap().expect("kept in the inbox");
    assert_eq!((row.event_type.as_str(), row.body.as_str()), ("product.deleted", body.as_str()));
    let ex = exception::Entity::find().all(s.db()).await.unwrap();
    assert_eq!(ex.len(), 1);
    assert_eq!((ex[0].kind.as_str(), ex[0].entity.as_str(), ex[0].status.as_str()), ("webhook_unprocessable", "msg_unknown", "open"));
    assert_eq!(s.counts().await.jobs, 0);
    let (status, _) = s.post_signed(KEY_A, "msg_unknown", now(), &body).await;
    assert_eq!(status, 200, "a retry of it is a duplicate");
    assert_eq!(s.counts().await, Counts { inbox: 1, jobs: 0, exceptions: 1 });
    s.app.stop().await;
}

#[tokio::test]
async fn without_secrets_the_receiver_is_off_and_says_what_to_set() {
    let s = Service::start_with(|c| c.webhooks.secrets = Default::default()).await;
    let (status, v) = s.post_signed(KEY_A, "msg_1", now(), &stock_event("A", 1)).await;
    assert_eq!((status, code(&v)), (503, "not_configured"));
    assert!(v["error"]["message"].as_str().unwrap().contains("JLBRIDGE_WEBHOOK_SECRETS"), "{v}");
    assert_eq!(s.counts().await, Counts { inbox: 0, jobs: 0, exceptions: 0 });
    s.app.stop().await;
}

#[tokio::test]
async fn when_the_event_cannot_be_stored_the_answer_is_503_and_nothing_half_done_remains() {
    let s = Service::start().await;
    // The jobs table goes away: the inbox insert succeeds, the enqueue fails, all rolls back.
    s.db().execute_unprepared("ALTER TABLE jobs RENAME TO jobs_away").await.unwrap();
    let body = stock_event("A", 1);
    let ts = now();
    let (status, v) = s.post_signed(KEY_A, "msg_503", ts, &body).await;
    assert_eq!((status, code(&v)), (503, "store_unavailable"), "{v}");
    let inbox = webhook_inbox::Entity::find().all(s.db()).await.unwrap();
    assert!(inbox.is_empty(), "no inbox row without its job");
    s.db().execute_unprepared("ALTER TABLE jobs_away RENAME TO jobs").await.unwrap();
    let (status, _) = s.post_signed(KEY_A, "msg_503", ts, &body).await;
    assert_eq!(status, 202, "the sender's retry is accepted");
    assert_eq!(s.counts().await, Counts { inbox: 1, jobs: 1, exceptions: 0 });
    s.app.stop().await;
}

/// Opens a raw connection and sends headers plus part of a body, then stalls.
fn stalled_request(addr: std::net::SocketAddr) -> std::net::TcpStream {
    let mut c = std::net::TcpStream::connect(addr).unwrap();
    let head = "POST /webhooks/magento HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"type\"";
    c.write_all(head.as_bytes()).unwrap();
    c
}

#[tokio::test]
async fn slow_and_excess_requests_get_json_503s() {
    let s = Service::start_with(|c| {
        c.http.max_concurrent_requests = 1;
        c.http.request_timeout_secs = 2;
    })
    .await;
    let addr = s.app.http_addr;
    let mut slow = tokio::task::spawn_blocking(move || stalled_request(addr)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, v) = s.post_signed(KEY_A, "msg_busy", now(), &stock_event("A", 1)).await;
    assert_eq!((status, code(&v)), (503, "overloaded"), "beyond the concurrency limit requests are shed");
    let answer = tokio::task::spawn_blocking(move || {
        slow.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut buf = [0u8; 4096];
        let n = slow.read(&mut buf).unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("retry-after") && answer.contains("\"timeout\""), "{answer}");
    let (status, _) = s.post_signed(KEY_A, "msg_busy", now(), &stock_event("A", 1)).await;
    assert_eq!(status, 202, "the permit is back after the timeout");
    assert_eq!(s.counts().await, Counts { inbox: 1, jobs: 1, exceptions: 0 });
    s.app.stop().await;
}

#[tokio::test]
async fn the_receiver_works_the_same_on_postgres() {
    let Some(admin) = crate::support::postgres_or_skip("the_receiver_works_the_same_on_postgres") else { return };
    let db = crate::support::fresh_postgres(&admin).await;
    let s = Service::start_with(move |c| c.database = db).await;
    let ship = event("shipment.created", json!({"order_increment_id": "1", "marketplace_order_reference": "JL-1", "shipment_id": 5,
        "items": [{"sku": "A", "qty": 1}], "tracks": []}));
    let tasks: Vec<_> = (0..60)
        .map(|i| {
            let (client, url) = (s.client.clone(), s.url.clone());
            let (id, body) = if i % 2 == 0 { (format!("pg_{i}"), stock_event("A", i)) } else { ("pg_same".to_owned(), ship.clone()) };
            tokio::spawn(async move {
                let ts = now();
                let sig = jlbridge::domain::webhook_signature::sign(KEY_A, &id, ts, body.as_bytes());
                let req = client.post(url).header("content-type", "application/json").header("webhook-id", id)
                    .header("webhook-timestamp", ts.to_string()).header("webhook-signature", sig).body(body);
                answer(req).await.0
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 202).count(), 31, "30 distinct + one of the racing copies: {statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 29);
    let (st, _) = s.post_signed(KEY_A, "pg_unknown", now(), &event("x.y", json!({}))).await;
    assert_eq!(st, 422);
    assert_eq!(s.counts().await, Counts { inbox: 32, jobs: 31, exceptions: 1 });
    s.db().execute_unprepared("ALTER TABLE jobs RENAME TO jobs_away").await.unwrap();
    let (st, v) = s.post_signed(KEY_A, "pg_503", now(), &stock_event("A", 1)).await;
    assert_eq!((st, code(&v)), (503, "store_unavailable"));
    s.db().execute_unprepared("ALTER TABLE jobs_away RENAME TO jobs").await.unwrap();
    assert_eq!(s.counts().await.inbox, 32, "nothing half stored");
    s.app.stop().await;
}
