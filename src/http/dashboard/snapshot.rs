//! What the dashboard shows, read from the stores in one pass: a plain `Snapshot` of figures
//! (counts, ages, references and SKUs only: no names, addresses or error texts, which may
//! quote them). The arithmetic is in pure functions so it can be tested without a database.
use crate::domain::exception::ExceptionKind;
use crate::domain::order_state::OrderState;
use crate::marketplace::rate_limit::{Priority, RateLimiter, RateUsage};
use crate::store::jobs::JobKind;
use crate::store::{cursors, stmt};
use crate::sync::orders::poller::CURSOR_LAST_POLL;
use serde_json::Value;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};

/// SKUs listed by name under "pending" (the oldest first); the count covers the rest.
pub const PENDING_LISTED: usize = 8;

#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// When it was taken (Unix ms); ages below are relative to it.
    pub at_ms: i64,
    pub last_poll: Option<PollSummary>,
    /// Orders downloaded since midnight UTC, by their state now (every state listed).
    pub orders_today: Vec<(OrderState, i64)>,
    pub acknowledgement: Lag,
    pub injection: Lag,
    pub stock: StockSummary,
    /// `None` while the marketplace is not configured.
    pub rate: Option<RateSummary>,
    /// Every kind, in DESIGN §5 order.
    pub exceptions: Vec<KindSummary>,
    /// Magento shipments whose dispatch to John Lewis has not finished yet.
    pub shipments_awaiting_dispatch: i64,
    /// Open `shipped_not_confirmed`: shipped, and not confirmed within the watchdog's limit.
    pub shipped_not_confirmed: u64,
    /// Open `settlement_mismatch`.
    pub settlement_discrepancies: u64,
    pub jobs: JobsSummary,
}

/// The last order poll, without its error text (it may quote marketplace payloads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollSummary {
    pub at_ms: i64,
    pub ok: bool,
    pub listed: usize,
    pub new_orders: usize,
    pub cancel_requests: usize,
    pub duration_ms: u64,
}

/// How long a step takes: over the last 24 h (done), and what still waits for it now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lag {
    pub done_last_day: i64,
    pub average_ms: Option<i64>,
    pub max_ms: Option<i64>,
    pub waiting: i64,
    pub oldest_waiting_ms: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StockSummary {
    /// SKUs whose value still has to reach John Lewis.
    pub pending: i64,
    /// The oldest of them, by when its value changed.
    pub oldest_pending_ms: Option<i64>,
    pub pending_skus: Vec<String>,
    pub last_push_at_ms: Option<i64>,
    pub pushed_last_hour: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateSummary {
    pub limit: u32,
    pub window_secs: u64,
    pub calls_in_window: u32,
    pub paused_for_ms: Option<u64>,
    /// Waiting callers by priority: orders, lookups, stock.
    pub queued: [usize; 3],
    /// The longest wait so far per priority (ms).
    pub longest_wait_ms: [Option<u64>; 3],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindSummary {
    pub kind: ExceptionKind,
    /// Open or retrying.
    pub open: i64,
    pub oldest_age_ms: Option<i64>,
    /// The entity (SKU, order reference …) of the oldest one.
    pub oldest_entity: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobsSummary {
    pub queued: i64,
    pub running: i64,
    pub dead: i64,
}

impl Snapshot {
    pub fn open_exceptions(&self) -> i64 {
        self.exceptions.iter().map(|k| k.open).sum()
    }
    pub fn orders_today_total(&self) -> i64 {
        self.orders_today.iter().map(|(_, n)| n).sum()
    }
    pub fn orders_today_in(&self, state: OrderState) -> i64 {
        self.orders_today.iter().find(|(s, _)| *s == state).map(|(_, n)| *n).unwrap_or(0)
    }
    pub fn kind(&self, kind: ExceptionKind) -> Option<&KindSummary> {
        self.exceptions.iter().find(|k| k.kind == kind)
    }
}

/// Midnight UTC of the day `now_ms` falls in.
pub fn start_of_day_ms(now_ms: i64) -> i64 {
    now_ms - now_ms.rem_euclid(86_400_000)
}

/// One order's times as the lags need them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderTimes {
    pub state: Option<OrderState>,
    pub downloaded_at: i64,
    pub acknowledged_at: Option<i64>,
    pub injected_at: Option<i64>,
}

/// Lag of a step from `from` to `to`: done in the 24 h before `now`, and waiting (in `waiting_state`).
fn lag(
    orders: &[OrderTimes],
    now: i64,
    waiting_state: OrderState,
    from: impl Fn(&OrderTimes) -> Option<i64>,
    to: impl Fn(&OrderTimes) -> Option<i64>,
) -> Lag {
    let day_ago = now - 86_400_000;
    let done: Vec<i64> = orders
        .iter()
        .filter_map(|o| Some((from(o)?, to(o)?)))
        .filter(|(_, t)| *t >= day_ago)
        .map(|(f, t)| (t - f).max(0))
        .collect();
    let waiting: Vec<i64> =
        orders.iter().filter(|o| o.state == Some(waiting_state)).filter_map(|o| from(o).map(|f| (now - f).max(0))).collect();
    Lag {
        done_last_day: done.len() as i64,
        average_ms: (!done.is_empty()).then(|| done.iter().sum::<i64>() / done.len() as i64),
        max_ms: done.iter().copied().max(),
        waiting: waiting.len() as i64,
        oldest_waiting_ms: waiting.iter().copied().max(),
    }
}

/// Acknowledgement (downloaded → acknowledged) and injection (acknowledged → in Magento) lags.
pub fn order_lags(orders: &[OrderTimes], now: i64) -> (Lag, Lag) {
    let ack = lag(orders, now, OrderState::Downloaded, |o| Some(o.downloaded_at), |o| o.acknowledged_at);
    let inject = lag(orders, now, OrderState::Acknowledged, |o| o.acknowledged_at, |o| o.injected_at);
    (ack, inject)
}

/// Every order state with its count (zero when absent); unknown states are left out.
pub fn states_counted(rows: &[(String, i64)]) -> Vec<(OrderState, i64)> {
    OrderState::ALL
        .iter()
        .map(|s| (*s, rows.iter().filter(|(name, _)| name == s.as_str()).map(|(_, n)| n).sum()))
        .collect()
}

/// Open exceptions `(kind, entity, first_seen)` summarised per kind, every kind listed.
pub fn exceptions_by_kind(open: &[(String, String, i64)], now: i64) -> Vec<KindSummary> {
    ExceptionKind::ALL
        .iter()
        .map(|kind| {
            let rows: Vec<_> = open.iter().filter(|(k, _, _)| k == kind.as_str()).collect();
            let oldest = rows.iter().min_by_key(|(_, e, first)| (*first, e.clone()));
            KindSummary {
                kind: *kind,
                open: rows.len() as i64,
                oldest_age_ms: oldest.map(|(_, _, first)| (now - first).max(0)),
                oldest_entity: oldest.map(|(_, e, _)| e.clone()),
            }
        })
        .collect()
}

pub fn rate_summary(u: &RateUsage) -> RateSummary {
    RateSummary {
        limit: u.limit,
        window_secs: u.window.as_secs(),
        calls_in_window: u.calls_in_window,
        paused_for_ms: u.paused_for.map(|d| d.as_millis() as u64),
        queued: [u.queued_high, u.queued_normal, u.queued_low],
        longest_wait_ms: Priority::ALL.map(|p| u.longest_wait(p).map(|d| d.as_millis() as u64)),
    }
}

async fn count<C: ConnectionTrait>(db: &C, sql: &str, values: Vec<sea_orm::Value>) -> Result<i64, DbErr> {
    let row = db.query_one(stmt(db.get_database_backend(), sql, values)).await?;
    Ok(row.map(|r| r.try_get::<Option<i64>>("", "n")).transpose()?.flatten().unwrap_or(0))
}

/// Reads everything the dashboard shows at `now` (Unix ms).
pub async fn collect(db: &DatabaseConnection, limiter: Option<&RateLimiter>, now: i64) -> Result<Snapshot, DbErr> {
    let backend = db.get_database_backend();
    // The poller's `PollReport`, read field by field (tolerant of additions).
    let last_poll = cursors::get(db, CURSOR_LAST_POLL).await?.and_then(|s| serde_json::from_str::<Value>(&s).ok()).map(|r| {
        let n = |k: &str| r[k].as_u64().unwrap_or(0);
        PollSummary {
            at_ms: r["at_ms"].as_i64().unwrap_or(0),
            ok: r["ok"].as_bool().unwrap_or(false),
            listed: n("listed") as usize,
            new_orders: n("new_orders") as usize,
            cancel_requests: n("cancel_requests") as usize,
            duration_ms: n("duration_ms"),
        }
    });

    let today = start_of_day_ms(now);
    let rows = db
        .query_all(stmt(backend, "SELECT state, COUNT(*) AS n FROM orders WHERE downloaded_at >= $1 GROUP BY state", [today.into()]))
        .await?;
    let by_state: Vec<(String, i64)> =
        rows.iter().map(|r| Ok((r.try_get("", "state")?, r.try_get("", "n")?))).collect::<Result<_, DbErr>>()?;

    let day_ago = now - 86_400_000;
    let rows = db
        .query_all(stmt(
            backend,
            "SELECT state, downloaded_at, acknowledged_at, injected_at FROM orders \
             WHERE state IN ('downloaded', 'acknowledged') OR acknowledged_at >= $1 OR injected_at >= $2",
            [day_ago.into(), day_ago.into()],
        ))
        .await?;
    let times: Vec<OrderTimes> = rows
        .iter()
        .map(|r| {
            Ok(OrderTimes {
                state: OrderState::parse(&r.try_get::<String>("", "state")?),
                downloaded_at: r.try_get("", "downloaded_at")?,
                acknowledged_at: r.try_get("", "acknowledged_at")?,
                injected_at: r.try_get("", "injected_at")?,
            })
        })
        .collect::<Result<_, DbErr>>()?;
    let (acknowledgement, injection) = order_lags(&times, now);

    let pending = count(db, "SELECT COUNT(*) AS n FROM stock_state WHERE pending = TRUE", vec![]).await?;
    let oldest_changed = db
        .query_one(stmt(backend, "SELECT MIN(changed_at) AS t FROM stock_state WHERE pending = TRUE", []))
        .await?
        .map(|r| r.try_get::<Option<i64>>("", "t"))
        .transpose()?
        .flatten();
    let skus = db
        .query_all(stmt(
            backend,
            "SELECT sku FROM stock_state WHERE pending = TRUE ORDER BY changed_at, sku LIMIT $1",
            [(PENDING_LISTED as i64).into()],
        ))
        .await?;
    let last_push = db
        .query_one(stmt(backend, "SELECT MAX(sent_at) AS t FROM stock_state", []))
        .await?
        .map(|r| r.try_get::<Option<i64>>("", "t"))
        .transpose()?
        .flatten();
    let stock = StockSummary {
        pending,
        oldest_pending_ms: oldest_changed.map(|t| (now - t).max(0)),
        pending_skus: skus.iter().map(|r| r.try_get("", "sku")).collect::<Result<_, DbErr>>()?,
        last_push_at_ms: last_push,
        pushed_last_hour: count(db, "SELECT COUNT(*) AS n FROM stock_state WHERE sent_at >= $1", vec![(now - 3_600_000).into()]).await?,
    };

    let rows = db
        .query_all(stmt(backend, "SELECT kind, entity, first_seen FROM exceptions WHERE status IN ('open', 'retrying')", []))
        .await?;
    let open: Vec<(String, String, i64)> = rows
        .iter()
        .map(|r| Ok((r.try_get("", "kind")?, r.try_get("", "entity")?, r.try_get("", "first_seen")?)))
        .collect::<Result<_, DbErr>>()?;
    let exceptions = exceptions_by_kind(&open, now);
    let open_of = |k: ExceptionKind| exceptions.iter().find(|s| s.kind == k).map(|s| s.open.max(0) as u64).unwrap_or(0);

    let shipments_awaiting_dispatch = count(
        db,
        "SELECT COUNT(*) AS n FROM jobs WHERE kind = $1 AND state <> 'done'",
        vec![JobKind::ShipmentDispatch.as_str().into()],
    )
    .await?;
    let jobs = JobsSummary {
        queued: count(db, "SELECT COUNT(*) AS n FROM jobs WHERE state = 'queued'", vec![]).await?,
        running: count(db, "SELECT COUNT(*) AS n FROM jobs WHERE state = 'running'", vec![]).await?,
        dead: count(db, "SELECT COUNT(*) AS n FROM jobs WHERE state = 'dead'", vec![]).await?,
    };

    let rate = match limiter {
        Some(l) => Some(rate_summary(&l.usage().await)),
        None => None,
    };
    Ok(Snapshot {
        at_ms: now,
        last_poll,
        orders_today: states_counted(&by_state),
        acknowledgement,
        injection,
        stock,
        rate,
        shipped_not_confirmed: open_of(ExceptionKind::ShippedNotConfirmed),
        settlement_discrepancies: open_of(ExceptionKind::SettlementMismatch),
        exceptions,
        shipments_awaiting_dispatch,
        jobs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lags_cover_the_last_day_and_what_waits() {
        let now = 10 * 86_400_000;
        let o = |state, d, a: Option<i64>, i: Option<i64>| OrderTimes {
            state: Some(state),
            downloaded_at: now - d,
            acknowledged_at: a.map(|a| now - a),
            injected_at: i.map(|i| now - i),
        };
        let orders = [
            o(OrderState::Injected, 10_000, Some(8_000), Some(2_000)), // ack 2 s, inject 6 s
            o(OrderState::Injected, 20_000, Some(16_000), Some(15_000)), // ack 4 s, inject 1 s
            o(OrderState::Acknowledged, 9_000, Some(5_000), None),    // ack 4 s, waiting 5 s
            o(OrderState::Downloaded, 30_000, None, None),             // waiting 30 s
            o(OrderState::Injected, 200_000_000, Some(199_000_000), Some(190_000_000)), // too old
        ];
        let (ack, inj) = order_lags(&orders, now);
        assert_eq!(ack, Lag { done_last_day: 3, average_ms: Some(3_333), max_ms: Some(4_000), waiting: 1, oldest_waiting_ms: Some(30_000) });
        assert_eq!(inj, Lag { done_last_day: 2, average_ms: Some(3_500), max_ms: Some(6_000), waiting: 1, oldest_waiting_ms: Some(5_000) });
    }

    #[test]
    fn every_kind_and_state_is_listed() {
        let k = exceptions_by_kind(&[("sku_mismatch".into(), "B".into(), 50), ("sku_mismatch".into(), "A".into(), 20)], 100);
        assert_eq!(k.len(), ExceptionKind::ALL.len());
        let s = k.iter().find(|s| s.kind == ExceptionKind::SkuMismatch).unwrap();
        assert_eq!((s.open, s.oldest_age_ms, s.oldest_entity.as_deref()), (2, Some(80), Some("A")));
        let st = states_counted(&[("injected".into(), 3), ("weird".into(), 9)]);
        assert_eq!(st.len(), OrderState::ALL.len());
        assert_eq!(st.iter().map(|(_, n)| n).sum::<i64>(), 3);
    }

    #[test]
    fn day_starts_at_midnight_utc() {
        assert_eq!(start_of_day_ms(86_400_000 * 3 + 5), 86_400_000 * 3);
    }
}
