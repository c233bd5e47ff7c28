//! Alerts reach a local webhook receiver: grouped, retried after a failure, not repeated while
//! the exception stays open, urgent kinds at once, and a resolved notice after resolution.
use crate::grpc_support::*;
use crate::support::eventually;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use jlbridge::domain::exception::ExceptionKind;
use jlbridge::store::exceptions::NewException;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Records every body; answers 500 to the very first request to exercise retries.
#[derive(Clone, Default)]
struct Receiver {
    bodies: Arc<Mutex<Vec<Value>>>,
    requests: Arc<Mutex<u32>>,
}

impl Receiver {
    fn bodies(&self) -> Vec<Value> {
        self.bodies.lock().unwrap().clone()
    }
}

async fn receive(State(r): State<Receiver>, Json(body): Json<Value>) -> StatusCode {
    let n = {
        let mut n = r.requests.lock().unwrap();
        *n += 1;
        *n
    };
    if n == 1 {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    r.bodies.lock().unwrap().push(body);
    StatusCode::OK
}

async fn start_receiver() -> (Receiver, String) {
    let r = Receiver::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let app = Router::new().route("/hook", post(receive)).with_state(r.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (r, url)
}

fn entities(v: &Value, section: &str) -> Vec<String> {
    v[section].as_array().unwrap().iter().map(|i| i["entity"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn alerts_are_grouped_retried_not_repeated_while_open_and_followed_by_a_resolved_notice() {
    let (receiver, url) = start_receiver().await;
    let (app, _dir) = start_app(Some(url)).await;
    let ops = &app.state.ops;
    let carrier = |entity: &str| NewException::new(ExceptionKind::CarrierUnmapped, entity, "customer Jane Doe, 1 High St: no slug");

    let first = ops.raise_exception(carrier("order JL100001")).await.unwrap();
    ops.raise_exception(carrier("order JL100001")).await.unwrap();
    ops.raise_exception(carrier("order JL100002")).await.unwrap();

    assert!(eventually(15, || async { !receiver.bodies().is_empty() }).await, "grouped alert delivered after a 500");
    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 1, "one message for the group: {bodies:?}");
    let m = &bodies[0];
    assert_eq!(entities(m, "opened"), vec!["order JL100001", "order JL100002"]);
    assert_eq!(m["opened"][0]["kind"], "carrier_unmapped");
    assert_eq!(m["urgent"], false);
    let text = m["text"].as_str().unwrap();
    assert!(text.contains("2 new exceptions") && text.contains("order JL100001"), "{text}");
    assert!(!text.contains("Jane") && !text.contains("High St"), "no error text (personal data) in alerts: {text}");

    // Raised again while still open: no new alert.
    ops.raise_exception(carrier("order JL100001")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(receiver.bodies().len(), 1, "not repeated while the exception stays open");

    // Urgent kinds go out at once, on their own.
    ops.raise_exception(NewException::new(ExceptionKind::PollFailed, "orders", "edge 503")).await.unwrap();
    assert!(eventually(5, || async { receiver.bodies().len() == 2 }).await, "poll_failed alerted");
    let m = &receiver.bodies()[1];
    assert_eq!((m["urgent"].as_bool(), entities(m, "opened")), (Some(true), vec!["orders".to_owned()]));

    // Resolution sends a resolved notice.
    ops.resolve_exception(first.id, "carrier map fixed").await.unwrap().expect("exists");
    assert!(eventually(5, || async { receiver.bodies().len() == 3 }).await, "resolved notice sent");
    let m = &receiver.bodies()[2];
    assert_eq!(entities(m, "resolved"), vec!["order JL100001"]);
    assert!(m["text"].as_str().unwrap().contains("1 resolved"));
    app.stop().await;
}

/// Rate-limit starvation: an order call stuck behind a spent budget alerts once while it
/// waits, and an "ended" notice follows once it is served.
#[tokio::test]
async fn rate_limit_starvation_alerts_once_then_ends() {
    use jlbridge::alerts::starvation::{watch, StarvationLimits};
    use jlbridge::alerts::Alerter;
    use jlbridge::config::{AlertConfig, AlertFormat, Secret};
    use jlbridge::marketplace::rate_limit::{Priority, RateLimitConfig, RateLimiter};
    use tokio_util::sync::CancellationToken;

    let (receiver, url) = start_receiver().await;
    let stop = CancellationToken::new();
    let cfg = AlertConfig { webhook_url: Some(Secret::new(url)), format: AlertFormat::Json, group_secs: 1, ..AlertConfig::default() };
    let alerter = Alerter::start(&cfg, stop.clone());
    // One call per 3 s window, already spent: the next order call waits ~3 s.
    let limiter = RateLimiter::new(RateLimitConfig { limit: 1, window: Duration::from_secs(3), margin: Duration::ZERO, reserve: 0 });
    limiter.acquire(Priority::High).await;
    let limits = StarvationLimits { orders_after: Duration::from_millis(1_000), stock_after: Duration::from_secs(600) };
    tokio::spawn(watch(limiter.clone(), alerter, limits, Duration::from_millis(100), stop.clone()));
    limiter.acquire(Priority::High).await;

    let ended = |b: &Value| b["conditions_cleared"].as_array().is_some_and(|a| !a.is_empty());
    assert!(eventually(10, || async { receiver.bodies().iter().any(ended) }).await, "an ended notice: {:?}", receiver.bodies());
    let bodies = receiver.bodies();
    let raised: Vec<&Value> = bodies.iter().filter(|b| b["conditions_raised"].as_array().is_some_and(|a| !a.is_empty())).collect();
    assert_eq!(raised.len(), 1, "alerted once while it lasted: {bodies:?}");
    assert_eq!(raised[0]["conditions_raised"][0]["condition"], "order_calls_starved");
    assert_eq!(raised[0]["urgent"], true);
    assert!(raised[0]["text"].as_str().unwrap().contains("order_calls_starved"));
    stop.cancel();
}
