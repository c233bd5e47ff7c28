//! The one limiter under concurrent flows: the server never sees more than the budget in any
//! window, and order work overtakes a stock backlog. Windows are scaled down (the window length
//! is configurable on both sides); the rule checked is the same as 250 per 60 s.
use crate::edge_support::*;
use jlbridge::domain::order::{MarketplaceOrderId, OrderStatus};
use jlbridge::marketplace::rate_limit::RateLimitConfig;
use jlbridge::marketplace::{Marketplace, ProductId};
use jlbridge::sandbox::call_log::max_in_window;
use jlbridge::sandbox::edge::{EdgeSandboxConfig, NewOrder};
use std::time::{Duration, Instant};

fn scaled(limit: u32, window: Duration) -> (EdgeSandboxConfig, RateLimitConfig) {
    (
        EdgeSandboxConfig { rate_limit: limit, rate_window: window, ..Default::default() },
        // A margin of an eighth of the window absorbs scheduling noise on a loaded test machine
        // (production: 1 s per 60 s window).
        RateLimitConfig { margin: window / 8, ..RateLimitConfig::new(limit, window) },
    )
}

#[tokio::test]
async fn edge_call_log_never_exceeds_the_limit_in_any_window() {
    let window = Duration::from_secs(1);
    let (sb, rl) = scaled(20, window);
    let r = rig(sb, rl, |_| {}).await;
    let pid = ProductId(r.sandbox.add_product("58000128", None, 0).to_string());
    let orders: Vec<u64> =
        (0..10).map(|i| r.sandbox.create_order(NewOrder::new(format!("JL{i}")).line("58000128", 1, "2.00"))).collect();

    let mut tasks = tokio::task::JoinSet::new();
    for q in 0..50u32 {
        let (edge, pid) = (r.edge.clone(), pid.clone());
        tasks.spawn(async move { edge.update_stock(&pid, q).await.map(|_| ()) });
    }
    for id in orders {
        let edge = r.edge.clone();
        tasks.spawn(async move {
            let o = edge.get_order(&MarketplaceOrderId(id.to_string())).await?;
            edge.acknowledge(&o.id, &ack_lines(&o)).await
        });
    }
    for _ in 0..5 {
        let edge = r.edge.clone();
        tasks.spawn(async move { edge.list_orders(&OrderStatus::Order).await.map(|_| ()) });
    }
    while let Some(res) = tasks.join_next().await {
        res.unwrap().expect("every call succeeds");
    }
    let calls = r.sandbox.calls();
    assert!(calls.len() >= 76, "{} calls", calls.len());
    assert!(calls.iter().all(|c| c.status == 200), "the server never had to throttle");
    let peak = max_in_window(&calls, window);
    assert!(peak <= 20, "{peak} calls within one window");
    assert!(peak >= 15, "the budget was used ({peak} at peak)");
}

#[tokio::test]
async fn edge_acknowledgement_overtakes_5000_queued_stock_updates() {
    let window = Duration::from_secs(2);
    let (sb, rl) = scaled(60, window);
    let r = rig(sb, rl, |_| {}).await;
    let pid = ProductId(r.sandbox.add_product("58000128", None, 0).to_string());
    let order = r.sandbox.create_order(NewOrder::new("JL-URGENT").line("58000128", 1, "2.00"));

    let mut stock = tokio::task::JoinSet::new();
    for q in 0..5000u32 {
        let (edge, pid) = (r.edge.clone(), pid.clone());
        stock.spawn(async move { edge.update_stock(&pid, q).await });
    }
    // Let the backlog flow for a while.
    let t0 = Instant::now();
    while r.sandbox.calls().iter().filter(|c| c.method == "PATCH").count() < 90 {
        assert!(t0.elapsed() < Duration::from_secs(20), "stock updates are not flowing");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before = r.sandbox.call_log().len();
    let asked = Instant::now();
    let o = r.edge.get_order(&MarketplaceOrderId(order.to_string())).await.unwrap();
    r.edge.acknowledge(&o.id, &ack_lines(&o)).await.unwrap();
    let took = asked.elapsed();
    let usage = r.edge.rate_usage().await.unwrap();
    stock.abort_all();

    assert_eq!(r.sandbox.order_status(order).as_deref(), Some("ORDER_ACK"));
    assert!(usage.queued_low > 4500, "the backlog was still there: {usage:?}");
    let calls = r.sandbox.calls();
    let ack_at = calls.iter().position(|c| c.path.ends_with("/acknowledge/")).unwrap();
    let stock_between = calls[before..ack_at].iter().filter(|c| c.method == "PATCH").count();
    // Only stock calls already granted when the order work arrived may go first (≤ one window).
    assert!(stock_between <= 60, "{stock_between} stock updates went before the acknowledgement");
    assert!(took < 3 * window, "acknowledging took {took:?} behind the backlog");
    assert!(max_in_window(&calls, window) <= 60);
}
