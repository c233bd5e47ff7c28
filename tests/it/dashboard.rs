//! The dashboard: figures from a seeded database, escaping, and the live stream.
use crate::support::*;
use jlbridge::app::App;
use jlbridge::config::Config;
use jlbridge::domain::exception::ExceptionKind;
use jlbridge::domain::order_state::OrderState;
use jlbridge::http::dashboard::{render, snapshot};
use jlbridge::store::entities::{order, stock_state};
use jlbridge::store::exceptions::{self, NewException};
use jlbridge::store::{self, cursors, now_ms};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, Set};
use std::time::Duration;

const MIN: i64 = 60_000;

/// An order downloaded `age` ms before `now`, acknowledged / injected after the given lags.
async fn order(db: &DatabaseConnection, reference: &str, state: OrderState, downloaded: i64, ack: Option<i64>, inj: Option<i64>) {
    order::ActiveModel {
        reference: Set(reference.into()),
        marketplace_id: Set(format!("9{reference}")),
        marketplace_status: Set("ORDER".into()),
        state: Set(state.as_str().into()),
        order_date: Set(downloaded),
        currency: Set("GBP".into()),
        raw: Set("{}".into()),
        magento_entity_id: Set(None),
        magento_increment_id: Set(None),
        downloaded_at: Set(downloaded),
        last_seen_at: Set(downloaded),
        acknowledged_at: Set(ack),
        injected_at: Set(inj),
        dispatched_at: Set(None),
        cancel_requested_at: Set(None),
        cancelled_at: Set(None),
        last_error: Set(None),
        lease_token: Set(None),
        lease_until: Set(None),
        updated_at: Set(downloaded),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
}

async fn stock(db: &DatabaseConnection, sku: &str, pending: bool, changed_at: i64, sent_at: Option<i64>) {
    stock_state::ActiveModel {
        sku: Set(sku.into()),
        observed_qty: Set(Some("5".into())),
        observed_at: Set(Some(changed_at)),
        observed_webhook_ts: Set(Some(changed_at / 1000)),
        computed_value: Set(Some(5)),
        explanation: Set(None),
        version: Set(1),
        changed_at: Set(Some(changed_at)),
        pending: Set(pending),
        inflight_version: Set(None),
        inflight_until: Set(None),
        sent_value: Set(sent_at.map(|_| 4)),
        sent_at: Set(sent_at),
        shown_value: Set(sent_at.map(|_| 4)),
        shown_at: Set(sent_at),
        attempts: Set(0),
        next_attempt_at: Set(None),
        last_error: Set(None),
        drift_count: Set(0),
        updated_at: Set(changed_at),
    }
    .insert(db)
    .await
    .unwrap();
}

async fn raise_at(db: &DatabaseConnection, kind: ExceptionKind, entity: &str, first_seen: i64) -> i64 {
    let r = exceptions::raise(db, &NewException::new(kind, entity, "Mrs Customer, 1 Private Road")).await.unwrap();
    db.execute_unprepared(&format!("UPDATE exceptions SET first_seen = {first_seen} WHERE id = {}", r.id)).await.unwrap();
    r.id
}

async fn seeded() -> (DatabaseConnection, tempfile::TempDir, i64) {
    let (cfg, dir) = sqlite_config();
    let db = store::connect(&cfg).await.unwrap();
    store::migrate(&db).await.unwrap();
    // Noon today (UTC), so "today" is unambiguous whatever the hour the test runs.
    let now = snapshot::start_of_day_ms(now_ms()) + 12 * 60 * MIN;
    order(&db, "10000001", OrderState::Downloaded, now - 20 * MIN, None, None).await;
    order(&db, "10000002", OrderState::Acknowledged, now - 10 * MIN, Some(now - 9 * MIN), None).await;
    order(&db, "10000003", OrderState::Injected, now - 30 * MIN, Some(now - 29 * MIN), Some(now - 25 * MIN)).await;
    order(&db, "10000004", OrderState::Injected, now - 60 * MIN, Some(now - 57 * MIN), Some(now - 55 * MIN)).await;
    order(&db, "10000005", OrderState::Dispatched, now - 90 * MIN, Some(now - 89 * MIN), Some(now - 88 * MIN)).await;
    order(&db, "10000006", OrderState::Cancelled, now - 5 * MIN, None, None).await;
    // Yesterday's: not counted today, and outside the 24 h lag window.
    order(&db, "09999999", OrderState::Dispatched, now - 30 * 60 * MIN, Some(now - 29 * 60 * MIN), Some(now - 29 * 60 * MIN)).await;

    stock(&db, "SKU-OLD", true, now - 12 * MIN, Some(now - 50 * MIN)).await;
    stock(&db, "SKU-NEW", true, now - 2 * MIN, None).await;
    stock(&db, "SKU-DONE", false, now - 40 * MIN, Some(now - 30 * MIN)).await;

    raise_at(&db, ExceptionKind::CarrierUnmapped, "10000003", now - 3 * 60 * MIN).await;
    raise_at(&db, ExceptionKind::CarrierUnmapped, "10000004", now - 60 * MIN).await;
    raise_at(&db, ExceptionKind::SettlementMismatch, "report 2026-W47 line 4", now - 2 * MIN).await;
    raise_at(&db, ExceptionKind::SettlementMismatch, "report 2026-W47 line 9", now - 2 * MIN).await;
    raise_at(&db, ExceptionKind::ShippedNotConfirmed, "10000005", now - 5 * MIN).await;
    let done = raise_at(&db, ExceptionKind::SkuMismatch, "sku-x", now - 9 * MIN).await;
    exceptions::set_status(&db, done, jlbridge::domain::exception::ExceptionStatus::Resolved, Some("fixed")).await.unwrap();

    let poll = serde_json::json!({"at_ms": now - MIN, "ok": false, "error": "listing ORDER orders: 503",
        "listed": 7, "new_orders": 2, "cancel_requests": 1, "reread": 0, "overdue": 0, "duration_ms": 420});
    cursors::set(&db, jlbridge::sync::orders::poller::CURSOR_LAST_POLL, &poll.to_string()).await.unwrap();
    (db, dir, now)
}

#[tokio::test]
async fn snapshot_figures_match_the_seeded_database() {
    let (db, _dir, now) = seeded().await;
    let s = snapshot::collect(&db, None, now).await.unwrap();

    let p = s.last_poll.clone().expect("last poll");
    assert!(!p.ok);
    assert_eq!((p.at_ms, p.listed, p.new_orders, p.cancel_requests), (now - MIN, 7, 2, 1));

    assert_eq!(s.orders_today_total(), 6, "yesterday's order is not today's");
    assert_eq!(s.orders_today_in(OrderState::Downloaded), 1);
    assert_eq!(s.orders_today_in(OrderState::Acknowledged), 1);
    assert_eq!(s.orders_today_in(OrderState::Injected), 2);
    assert_eq!(s.orders_today_in(OrderState::Dispatched), 1);
    assert_eq!(s.orders_today_in(OrderState::Cancelled), 1);

    // Acknowledged in the last day: 1, 1, 3, 1 min; waiting: the 20-minute-old download.
    assert_eq!(s.acknowledgement.done_last_day, 4);
    assert_eq!(s.acknowledgement.max_ms, Some(3 * MIN));
    assert_eq!(s.acknowledgement.average_ms, Some(6 * MIN / 4));
    assert_eq!((s.acknowledgement.waiting, s.acknowledgement.oldest_waiting_ms), (1, Some(20 * MIN)));
    // Injected: 4, 2, 1 min; waiting: acknowledged 9 min ago.
    assert_eq!((s.injection.done_last_day, s.injection.max_ms), (3, Some(4 * MIN)));
    assert_eq!((s.injection.waiting, s.injection.oldest_waiting_ms), (1, Some(9 * MIN)));

    assert_eq!(s.stock.pending, 2);
    assert_eq!(s.stock.oldest_pending_ms, Some(12 * MIN));
    assert_eq!(s.stock.pending_skus, vec!["SKU-OLD".to_string(), "SKU-NEW".to_string()], "oldest first");
    assert_eq!(s.stock.last_push_at_ms, Some(now - 30 * MIN));
    assert_eq!(s.stock.pushed_last_hour, 2);
    assert!(s.rate.is_none(), "no marketplace configured");

    let carrier = s.kind(ExceptionKind::CarrierUnmapped).unwrap();
    assert_eq!((carrier.open, carrier.oldest_age_ms, carrier.oldest_entity.as_deref()), (2, Some(180 * MIN), Some("10000003")));
    assert_eq!(s.kind(ExceptionKind::SkuMismatch).unwrap().open, 0, "resolved ones are not open");
    assert_eq!(s.open_exceptions(), 5);
    assert_eq!(s.settlement_discrepancies, 2);
    assert_eq!(s.shipped_not_confirmed, 1);

    // The page carries the figures and none of the error texts (which may hold personal data).
    let html = render::page(&s);
    for needle in ["id=\"orders-today\">6<", "id=\"pending-skus\">2<", "id=\"open-exceptions\">5<", "FAILED", "<code>SKU-OLD</code>",
        "id=\"settlement-discrepancies\">2<", "id=\"shipped-not-confirmed\">1<", "3 h 00 min"]
    {
        assert!(html.contains(needle), "page lacks {needle}");
    }
    assert!(!html.contains("Private Road") && !html.contains("503"), "error texts stay off the page");
}

#[tokio::test]
async fn entity_names_are_escaped() {
    let (db, _dir, now) = seeded().await;
    let evil = "<img src=x onerror=alert(1)>\"'&";
    stock(&db, evil, true, now - 60 * MIN, None).await;
    raise_at(&db, ExceptionKind::SkuMismatch, "<script>alert('x')</script>", now - MIN).await;
    let html = render::page(&snapshot::collect(&db, None, now).await.unwrap());
    assert!(!html.contains("<img src=x") && !html.contains("<script>alert"), "raw markup from data reached the page");
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;"), "escaped SKU shown");
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"), "escaped entity shown");
    assert_eq!(html.matches("<script>").count(), 1, "only the page's own script");
}

/// Reads the stream until a chunk containing `needle` arrives (or `secs` pass); returns the text read.
async fn read_until(resp: &mut reqwest::Response, needle: &str, secs: u64) -> Option<String> {
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let chunk = tokio::time::timeout_at(deadline, resp.chunk()).await.ok()?.ok()??;
        seen.push_str(&String::from_utf8_lossy(&chunk));
        if seen.contains(needle) {
            return Some(seen);
        }
    }
}

#[tokio::test]
async fn the_stream_sends_a_new_snapshot_when_an_exception_is_raised() {
    let (database, _dir) = sqlite_config();
    let mut cfg = Config { database, ..Config::default() };
    cfg.http.listen = "127.0.0.1:0".into();
    cfg.grpc.listen = "127.0.0.1:0".into();
    cfg.http.request_timeout_secs = 1; // the stream must outlive the request timeout
    let app = App::start(cfg).await.expect("service starts");
    let base = format!("http://{}", app.http_addr);
    let client = reqwest::Client::new();

    let page = client.get(format!("{base}/dashboard")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(page.text().await.unwrap().contains("EventSource('/dashboard/events')"));

    let mut resp = client.get(format!("{base}/dashboard/events")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let first = read_until(&mut resp, "event: snapshot", 5).await.expect("a snapshot at once");
    assert!(first.contains("id=\"open-exceptions\">0<"), "{first}");

    // Past the request timeout, then an exception (published on the bus): a new snapshot follows.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    app.state
        .ops
        .raise_exception(NewException::new(ExceptionKind::CarrierUnmapped, "12345678", "no slug for 'Parcelforce 48'"))
        .await
        .unwrap();
    let update = read_until(&mut resp, "<code>12345678</code>", 5).await.expect("an updated snapshot");
    assert!(update.contains("id=\"open-exceptions\">1<"));
    drop(resp);
    app.stop().await;
}
