//! Paging to the end, token renewal without failed calls, and `429` waits obeyed.
use crate::edge_support::*;
use jlbridge::domain::order::{MarketplaceOrderId, OrderStatus};
use jlbridge::domain::retry::{Classify, Transience};
use jlbridge::marketplace::rate_limit::RateLimitConfig;
use jlbridge::marketplace::{Marketplace, ProductId};
use jlbridge::sandbox::edge::{EdgeSandboxConfig, NewOrder};
use jlbridge::sandbox::{Fault, FaultRule};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

#[tokio::test]
async fn edge_lists_orders_to_the_end_across_pages() {
    // The client asks for 250 a page; the server caps pages at 100 and says where `next` starts.
    let r = rig(EdgeSandboxConfig::default(), RateLimitConfig::default(), |c| c.page_size = 250).await;
    for i in 0..263 {
        r.sandbox.create_order(NewOrder::new(format!("JL{i:08}")).line("58000128", 1, "1.00"));
    }
    let acked = r.sandbox.create_order(NewOrder::new("JL-ACKED").line("58000128", 1, "1.00"));
    let o = r.edge.get_order(&MarketplaceOrderId(acked.to_string())).await.unwrap();
    r.edge.acknowledge(&o.id, &ack_lines(&o)).await.unwrap();

    let orders = r.edge.list_orders(&OrderStatus::Order).await.unwrap();
    let refs: BTreeSet<String> = orders.iter().map(|o| o.reference.0.clone()).collect();
    assert_eq!(orders.len(), 263);
    assert_eq!(refs.len(), 263, "duplicates in the listing");
    assert!(refs.contains("JL00000000") && refs.contains("JL00000262") && !refs.contains("JL-ACKED"));
    let offsets: Vec<String> = r
        .sandbox
        .calls()
        .iter()
        .filter(|c| c.method == "GET" && c.path == "/restapi/v4/orders/")
        .map(|c| c.query_value("offset").unwrap_or_default())
        .collect();
    assert_eq!(offsets, ["0", "100", "200"]);
}

#[tokio::test]
async fn edge_renews_tokens_without_a_failed_call() {
    let sandbox = EdgeSandboxConfig {
        access_lifetime: Duration::from_millis(1200),
        refresh_lifetime: Duration::from_millis(3000),
        ..Default::default()
    };
    let r = rig(sandbox, RateLimitConfig::default(), |c| c.renew_margin = Duration::from_millis(300)).await;
    let started = Instant::now();
    let mut n = 0;
    while started.elapsed() < Duration::from_millis(7000) {
        r.edge.list_carriers().await.expect("no call fails while tokens expire");
        n += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let calls = r.sandbox.calls();
    let count = |p: &str| calls.iter().filter(|c| c.path == p).count();
    assert!(n >= 30);
    assert!(count("/restapi/v4/token/refresh") >= 3, "access tokens were refreshed");
    assert!(count("/restapi/v4/token") >= 2, "logged in again when the refresh token ran out");
    assert!(calls.iter().all(|c| c.status == 200), "no refused call: {:?}", calls.iter().map(|c| c.status).collect::<BTreeSet<_>>());

    // Tokens refused out of the blue (e.g. revoked): one 401, then a new login, and the call succeeds.
    r.sandbox.revoke_tokens();
    r.sandbox.call_log().clear();
    r.edge.list_carriers().await.expect("recovers by logging in again");
    let paths: Vec<(String, u16)> = r.sandbox.calls().iter().map(|c| (c.path.clone(), c.status)).collect();
    assert_eq!(paths.first().map(|p| p.1), Some(401));
    assert!(paths.contains(&("/restapi/v4/token".into(), 200)));
    assert_eq!(paths.last(), Some(&("/restapi/v4/order-tracking-carriers/".into(), 200)));
}

#[tokio::test]
async fn edge_obeys_429_waits_for_the_whole_account() {
    let r = default_rig().await;
    let pid = ProductId(r.sandbox.add_product("58000128", None, 1).to_string());
    let order = r.sandbox.create_order(NewOrder::new("JL1").line("58000128", 1, "1.00"));
    r.edge.list_carriers().await.unwrap(); // logged in
    r.sandbox.call_log().clear();
    r.sandbox.faults().add(FaultRule::new("/api/v4/products/", Fault::Throttle { wait: Duration::from_millis(1200) }).times(1));

    let edge = r.edge.clone();
    let stock = tokio::spawn(async move { edge.update_stock(&pid, 4).await });
    tokio::time::sleep(Duration::from_millis(150)).await;
    // Another flow's calls, issued while the account is paused.
    let reads: Vec<_> = (0..3)
        .map(|_| {
            let edge = r.edge.clone();
            tokio::spawn(async move { edge.get_order(&MarketplaceOrderId(order.to_string())).await })
        })
        .collect();
    stock.await.unwrap().expect("the throttled call went through after the wait");
    for t in reads {
        t.await.unwrap().unwrap();
    }
    assert_eq!(r.sandbox.product_stock("58000128"), Some(4));
    let calls = r.sandbox.calls();
    let throttled = calls.iter().find(|c| c.status == 429).expect("the 429 was served");
    for c in calls.iter().filter(|c| c.seq != throttled.seq) {
        let gap = c.received.duration_since(throttled.received);
        assert!(gap >= Duration::from_millis(1195), "{} {} sent {gap:?} after a 429 asking for 1.2 s", c.method, c.path);
    }
    assert_eq!(calls.len(), 5, "429, the retried stock call and three reads");

    // A 429 that persists is surfaced as retryable with the stated wait.
    r.sandbox.faults().add(FaultRule::new("/api/v4/products/", Fault::Throttle { wait: Duration::from_millis(200) }).times(3));
    let pid = ProductId(r.sandbox.product("58000128").unwrap().id.to_string());
    let e = r.edge.update_stock(&pid, 5).await.unwrap_err();
    assert_eq!(e.status(), Some(429));
    assert_eq!(e.transience(), Transience::Retryable { retry_after: Some(Duration::from_millis(200)) });
}

#[tokio::test]
async fn edge_server_throttle_is_survived_when_our_budget_is_wrong() {
    // Misconfigured: we believe 50 per second, the account allows 5 per second.
    let sandbox = EdgeSandboxConfig { rate_limit: 5, rate_window: Duration::from_secs(1), ..Default::default() };
    let limit = RateLimitConfig { margin: Duration::ZERO, ..RateLimitConfig::new(50, Duration::from_secs(1)) };
    let r = rig(sandbox, limit, |c| c.throttle_retries = 10).await;
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let edge = r.edge.clone();
            tokio::spawn(async move { edge.list_carriers().await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().expect("throttled calls wait and go through");
    }
    let calls = r.sandbox.calls();
    assert!(calls.iter().any(|c| c.status == 429), "the server throttled us");
    assert_eq!(calls.iter().filter(|c| c.status == 200 && c.path.ends_with("carriers/")).count(), 12);
    assert!(jlbridge::sandbox::call_log::max_in_window(
        &calls.iter().filter(|c| c.status != 429).cloned().collect::<Vec<_>>(),
        Duration::from_secs(1)
    ) <= 5);
}
