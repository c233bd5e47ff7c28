//! Fault injection on the simulated Magento through the shared layer (`sandbox::faults`):
//! a `429` with its wait, a share of 5xx, dropped connections and hangs, all in the call log.
use crate::magento_support::{dec, draft, seeded};
use jlbridge::domain::retry::{Classify, Transience};
use jlbridge::magento::{MagentoClient, MagentoError};
use jlbridge::sandbox::{Fault, FaultRule};
use std::time::Duration;

#[tokio::test]
async fn an_injected_429_carries_its_wait_and_is_retryable() {
    let (sb, client) = seeded().await;
    sb.faults().add(FaultRule::new("/rest/default/V1/inventory/", Fault::Throttle { wait: Duration::from_millis(2500) }).times(1));
    let err = client.salable_qty("SHIRT-M", 1).await.unwrap_err();
    match &err {
        MagentoError::Api { status, message, retry_after, .. } => {
            assert_eq!((*status, message.as_str()), (429, "Too Many Requests"), "Magento's own 429 body");
            assert_eq!(*retry_after, Some(Duration::from_secs(3)), "Retry-After in whole seconds, rounded up");
        }
        other => panic!("expected a 429, got {other:?}"),
    }
    assert_eq!(err.transience(), Transience::Retryable { retry_after: Some(Duration::from_secs(3)) });
    // Used up: the next call is served.
    assert_eq!(client.salable_qty("SHIRT-M", 1).await.unwrap(), dec("10"));
    let calls = sb.calls();
    let statuses: Vec<(u16, Option<&str>)> = calls.iter().map(|c| (c.status, c.fault)).collect();
    assert_eq!(statuses, [(429, Some("throttle")), (200, None)]);
    assert!(calls[0].seq < calls[1].seq);
}

#[tokio::test]
async fn a_share_of_5xx_on_orders_fails_about_that_share_and_every_call_is_logged() {
    let (sb, client) = seeded().await;
    sb.faults().add(FaultRule::new("/rest/default/V1/orders", Fault::Status(503)).probability(0.3));
    sb.clear_calls();
    const N: usize = 200;
    let mut failed = 0;
    for i in 0..N {
        match client.find_orders_by_ext_order_id(&format!("Y9{i:08}")).await {
            Ok(found) => assert!(found.is_empty()),
            Err(e) => {
                assert_eq!(e.status(), Some(503), "{e}");
                assert!(e.to_string().contains("Service Unavailable"), "Magento-shaped message: {e}");
                assert_eq!(e.transience(), Transience::Retryable { retry_after: None });
                failed += 1;
            }
        }
    }
    // Expected 60 (sd ≈ 6.5): generous bounds.
    assert!((30..=95).contains(&failed), "{failed} of {N} failed, expected about 30 %");
    // Other routes are untouched.
    for _ in 0..20 {
        client.salable_qty("SHIRT-M", 1).await.unwrap();
    }
    let calls = sb.calls();
    let orders: Vec<_> = calls.iter().filter(|c| c.path == "/rest/default/V1/orders").collect();
    assert_eq!(orders.len(), N, "every call is in the log, failed or not");
    assert_eq!(orders.iter().filter(|c| c.status == 503 && c.fault == Some("status")).count(), failed);
    assert_eq!(orders.iter().filter(|c| c.status == 200 && c.fault.is_none()).count(), N - failed);
    assert_eq!(calls.len(), N + 20);
    assert!(calls.windows(2).all(|w| w[0].seq < w[1].seq), "arrival order");
}

#[tokio::test]
async fn a_dropped_connection_is_a_retryable_connection_error() {
    let (sb, client) = seeded().await;
    sb.faults().add(FaultRule::new("/rest/default/V1/orders", Fault::Drop).method(axum::http::Method::POST).times(1));
    let d = draft("Y500000001");
    let err = client.create_order(&d).await.unwrap_err();
    assert!(matches!(err, MagentoError::Connection { .. }), "{err:?}");
    assert_eq!(err.transience(), Transience::Retryable { retry_after: None });
    assert!(err.outcome_unknown(), "a create whose connection dropped must be checked before repeating");
    assert!(sb.orders().is_empty(), "a dropped request is not served");
    assert_eq!(sb.calls().last().map(|c| c.fault), Some(Some("drop")));
    // The job's next attempt goes through.
    client.create_order_once(&d).await.unwrap();
    assert_eq!(sb.orders_with_ext_id("Y500000001").len(), 1);
}

#[tokio::test]
async fn a_hang_times_out_and_stays_in_the_log() {
    let (sb, _) = seeded().await;
    let mut cfg = sb.client_config();
    cfg.timeout = Duration::from_millis(300);
    let client = MagentoClient::new(cfg).unwrap();
    sb.faults().add(FaultRule::new("/rest/default/V1/inventory/", Fault::Hang).times(1));
    let err = client.salable_qty("SHIRT-M", 1).await.unwrap_err();
    assert!(matches!(err, MagentoError::Timeout { .. }), "{err:?}");
    assert_eq!(err.transience(), Transience::Retryable { retry_after: None });
    let calls = sb.calls();
    assert_eq!(calls.len(), 1, "recorded on arrival");
    assert_eq!(calls[0].status, 0, "no answer was given");
}

#[tokio::test]
async fn standing_delays_and_one_off_failures_compose() {
    let (sb, client) = seeded().await;
    // Latency before handling on every call, an after-handling delay on POST (kept while a
    // one-off failure fires), and the failure itself.
    sb.faults().add(FaultRule::new("/rest/", Fault::Latency(Duration::from_millis(150))));
    sb.delay_responses(Some("post"), Duration::from_millis(200));
    sb.fail_next(503, "<html>Service Unavailable</html>", Some(7));
    let started = std::time::Instant::now();
    let err = client.salable_qty("SHIRT-M", 1).await.unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(150), "the latency applied too");
    assert_eq!(err.transience(), Transience::Retryable { retry_after: Some(Duration::from_secs(7)) });
    assert_eq!(api_status(&err), 503);

    let started = std::time::Instant::now();
    client.create_order_once(&draft("Y500000002")).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(350), "GET search + POST: 150 + 150 + 200 ms at least");
    assert_eq!(sb.faults().rules().len(), 2, "the one-off rule is used up, the standing ones stay");
    sb.delay_responses(None, Duration::from_millis(10));
    assert_eq!(sb.faults().rules().len(), 2, "a new delay replaces the old one");
    sb.clear_delay();
    sb.faults().clear();
    assert!(sb.faults().rules().is_empty());
}

fn api_status(e: &MagentoError) -> u16 {
    e.status().unwrap_or_else(|| panic!("expected an API error, got {e:?}"))
}
