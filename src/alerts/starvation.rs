//! Rate-limit starvation: order calls (High priority) waiting longer than `orders_after`, or a
//! stock update (Low) waiting longer than `stock_after`, for the account's one limiter. Raised
//! once while it lasts (the batcher suppresses repeats), with a cleared notice after.
use super::{Alerter, Condition, ConditionItem, Notice};
use crate::marketplace::rate_limit::{Priority, RateLimiter, RateUsage};
use std::collections::HashSet;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StarvationLimits {
    pub orders_after: Duration,
    pub stock_after: Duration,
}

/// The starvation conditions true for this usage, with a one-line detail each (figures only).
pub fn starving(u: &RateUsage, limits: &StarvationLimits) -> Vec<ConditionItem> {
    let mut out = Vec::new();
    let checks = [
        (Condition::OrderCallsStarved, Priority::High, limits.orders_after, u.queued_high),
        (Condition::StockPushesStarved, Priority::Low, limits.stock_after, u.queued_low),
    ];
    for (condition, priority, after, queued) in checks {
        if let Some(waited) = u.longest_wait(priority).filter(|w| *w > after) {
            out.push(ConditionItem {
                condition,
                detail: format!(
                    "{queued} waiting, the longest for {} s (limit {} s); {} of {} calls used in the window{}",
                    waited.as_secs(),
                    after.as_secs(),
                    u.calls_in_window,
                    u.limit,
                    u.paused_for.map(|p| format!(", paused by John Lewis for {} s more", p.as_secs())).unwrap_or_default()
                ),
            });
        }
    }
    out
}

/// Turns one reading into notices: newly starving raised, no longer starving cleared.
/// `active` is what this watcher has raised and not cleared.
pub fn notices(now: Vec<ConditionItem>, active: &mut HashSet<Condition>) -> Vec<Notice> {
    let mut out = Vec::new();
    let current: HashSet<Condition> = now.iter().map(|c| c.condition).collect();
    for c in now {
        if active.insert(c.condition) {
            out.push(Notice::Raised(c));
        }
    }
    let gone: Vec<Condition> = active.difference(&current).copied().collect();
    for condition in gone {
        active.remove(&condition);
        out.push(Notice::Cleared(ConditionItem { condition, detail: "calls are flowing again".into() }));
    }
    out
}

/// Checks the limiter every `every` until `stop`; notices go to the alerter.
pub async fn watch(limiter: RateLimiter, alerter: Alerter, limits: StarvationLimits, every: Duration, stop: CancellationToken) {
    let mut active = HashSet::new();
    loop {
        let usage = limiter.usage().await;
        for n in notices(starving(&usage, &limits), &mut active) {
            if let Notice::Raised(c) = &n {
                tracing::warn!(condition = c.condition.as_str(), "rate-limit starvation: {}", c.detail);
                metrics::counter!("jlbridge_rate_limit_starvation_total", "condition" => c.condition.as_str()).increment(1);
            }
            alerter.notify(n);
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.cancelled() => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(high: Option<u64>, low: Option<u64>) -> RateUsage {
        RateUsage {
            limit: 250,
            window: Duration::from_secs(60),
            calls_in_window: 250,
            paused_for: None,
            queued_high: high.is_some() as usize,
            queued_normal: 0,
            queued_low: low.is_some() as usize,
            granted_total: 0,
            longest_wait: [high.map(Duration::from_secs), None, low.map(Duration::from_secs)],
        }
    }

    #[test]
    fn raised_once_while_it_lasts_then_cleared() {
        let limits = StarvationLimits { orders_after: Duration::from_secs(30), stock_after: Duration::from_secs(600) };
        let mut active = HashSet::new();
        assert!(notices(starving(&usage(Some(10), Some(100)), &limits), &mut active).is_empty());
        let n = notices(starving(&usage(Some(31), Some(100)), &limits), &mut active);
        assert!(matches!(&n[..], [Notice::Raised(c)] if c.condition == Condition::OrderCallsStarved), "{n:?}");
        assert!(notices(starving(&usage(Some(45), Some(700)), &limits), &mut active)
            .iter()
            .all(|n| matches!(n, Notice::Raised(c) if c.condition == Condition::StockPushesStarved)));
        assert!(notices(starving(&usage(Some(50), Some(800)), &limits), &mut active).is_empty(), "not repeated");
        let n = notices(starving(&usage(None, None), &limits), &mut active);
        assert_eq!(n.iter().filter(|n| matches!(n, Notice::Cleared(_))).count(), 2);
    }
}
