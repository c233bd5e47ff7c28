//! Per-SKU stock state and prices. The ordering rule (an older observation never overwrites a
//! newer one; on equal event times the later `webhook-timestamp` wins) lives in ONE conditional
//! upsert, so it holds whatever runs concurrently, on SQLite and PostgreSQL alike.
use super::entities::stock_state::{self, Entity as StockStates};
use super::stmt;
use crate::domain::buffer::Explanation;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryResult};

mod observation_priority;

pub use observation_priority::prioritise_observations;
pub(crate) use observation_priority::{last_observed_row, last_observed_stmt, BatchObservations, LAST_OBSERVED_CHUNK};
pub use stock_state::Model as StockState;

/// Magento's salable quantity for a SKU at a moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub sku: String,
    pub qty: Decimal,
    /// When Magento observed it (the event's `timestamp`, to the microsecond), Unix µs:
    /// two changes of one SKU within a millisecond keep their order.
    pub observed_at: i64,
    /// The `webhook-timestamp` header (Unix s); a reconciliation read uses its own clock.
    pub webhook_ts: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observed {
    /// Stored; `pending` says whether the value still has to reach John Lewis.
    Applied { pending: bool, version: i64 },
    /// A newer observation (or this same one) was already stored: nothing changed.
    Stale,
}

/// Stores an observation with its buffered value, unless a newer one is already there.
/// The value is marked pending when it differs from what John Lewis shows (or that is unknown).
pub async fn observe<C: ConnectionTrait>(conn: &C, o: &Observation, computed: &Explanation, now: i64) -> Result<Observed, DbErr> {
    let explanation = serde_json::to_string(computed).expect("explanation serialises");
    let row = conn
        .query_one(stmt(
            conn.get_database_backend(),
            "INSERT INTO stock_state (sku, observed_qty, observed_at, observed_webhook_ts, computed_value, explanation, \
               version, changed_at, pending, attempts, drift_count, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 1, $7, TRUE, 0, 0, $8) \
             ON CONFLICT (sku) DO UPDATE SET \
               observed_qty = excluded.observed_qty, observed_at = excluded.observed_at, \
               observed_webhook_ts = excluded.observed_webhook_ts, explanation = excluded.explanation, \
               version = CASE WHEN COALESCE(stock_state.computed_value, -1) <> excluded.computed_value \
                 THEN stock_state.version + 1 ELSE stock_state.version END, \
               changed_at = CASE WHEN COALESCE(stock_state.computed_value, -1) <> excluded.computed_value \
                 THEN excluded.changed_at ELSE stock_state.changed_at END, \
               attempts = CASE WHEN COALESCE(stock_state.computed_value, -1) <> excluded.computed_value \
                 THEN 0 ELSE stock_state.attempts END, \
               pending = CASE WHEN stock_state.shown_value IS NULL OR stock_state.shown_value <> excluded.computed_value \
                 OR (stock_state.inflight_until IS NOT NULL AND stock_state.pending) THEN TRUE ELSE FALSE END, \
               computed_value = excluded.computed_value, updated_at = excluded.updated_at \
             WHERE stock_state.observed_at IS NULL OR excluded.observed_at > stock_state.observed_at \
               OR (excluded.observed_at = stock_state.observed_at \
                   AND excluded.observed_webhook_ts > COALESCE(stock_state.observed_webhook_ts, -1)) \
             RETURNING pending, version",
            [
                o.sku.clone().into(),
                o.qty.normalize().to_string().into(),
                o.observed_at.into(),
                o.webhook_ts.into(),
                i64::from(computed.output).into(),
                explanation.into(),
                now.into(),
                now.into(),
            ],
        ))
        .await?;
    match row {
        Some(r) => Ok(Observed::Applied { pending: r.try_get("", "pending")?, version: r.try_get("", "version")? }),
        None => Ok(Observed::Stale),
    }
}

pub async fn get<C: ConnectionTrait>(conn: &C, sku: &str) -> Result<Option<StockState>, DbErr> {
    StockStates::find_by_id(sku.to_owned()).one(conn).await
}

/// A mapped SKU whose value waits to be pushed now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingPush {
    pub sku: String,
    pub part_number: String,
    pub product_id: Option<String>,
    pub value: i64,
    pub shown: Option<i64>,
    pub changed_at: i64,
}

/// Every mapped SKU that is pending, due, and not in flight (order them with `domain::push_priority`).
pub async fn due_pushes<C: ConnectionTrait>(conn: &C, now: i64) -> Result<Vec<PendingPush>, DbErr> {
    let rows = conn
        .query_all(stmt(
            conn.get_database_backend(),
            "SELECT s.sku, m.part_number, m.product_id, s.computed_value, s.shown_value, s.changed_at \
             FROM stock_state s JOIN product_mappings m ON m.sku = s.sku \
             WHERE s.pending = TRUE AND s.computed_value IS NOT NULL AND m.blocked = FALSE \
               AND (s.next_attempt_at IS NULL OR s.next_attempt_at <= $1) \
               AND (s.inflight_until IS NULL OR s.inflight_until < $2)",
            [now.into(), now.into()],
        ))
        .await?;
    rows.iter().map(pending_row).collect()
}

fn pending_row(r: &QueryResult) -> Result<PendingPush, DbErr> {
    Ok(PendingPush {
        sku: r.try_get("", "sku")?,
        part_number: r.try_get("", "part_number")?,
        product_id: r.try_get("", "product_id")?,
        value: r.try_get("", "computed_value")?,
        shown: r.try_get("", "shown_value")?,
        changed_at: r.try_get::<Option<i64>>("", "changed_at")?.unwrap_or(0),
    })
}

/// Pending SKUs not yet pushed (for status pages and tests).
pub async fn pending_count<C: ConnectionTrait>(conn: &C) -> Result<u64, DbErr> {
    let r = conn
        .query_one(stmt(conn.get_database_backend(), "SELECT COUNT(*) AS n FROM stock_state WHERE pending = TRUE", []))
        .await?
        .ok_or(DbErr::RecordNotFound("count".into()))?;
    Ok(r.try_get::<i64>("", "n")? as u64)
}

/// A SKU held for one push: the value and version it carries, and the lease end, which is
/// also the claim's token (a later claim of the same SKU writes another).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    pub value: i64,
    pub version: i64,
    pub until: i64,
}

/// Takes the SKU for a push until `now + lease_ms`, if it is still pending, due and free.
/// The lease end is made unique per SKU (one past the previous one when they would tie), so it
/// tells two claims apart.
pub async fn claim<C: ConnectionTrait>(conn: &C, sku: &str, now: i64, lease_ms: i64) -> Result<Option<Claim>, DbErr> {
    let row = conn
        .query_one(stmt(
            conn.get_database_backend(),
            "UPDATE stock_state SET inflight_version = version, \
               inflight_until = CASE WHEN inflight_until IS NOT NULL AND inflight_until >= $1 THEN inflight_until + 1 ELSE $2 END \
             WHERE sku = $3 AND pending = TRUE AND computed_value IS NOT NULL \
               AND (next_attempt_at IS NULL OR next_attempt_at <= $4) \
               AND (inflight_until IS NULL OR inflight_until < $5) \
             RETURNING computed_value, version, inflight_until",
            [(now + lease_ms).into(), (now + lease_ms).into(), sku.into(), now.into(), now.into()],
        ))
        .await?;
    row.map(|r| {
        Ok(Claim { value: r.try_get("", "computed_value")?, version: r.try_get("", "version")?, until: r.try_get("", "inflight_until")? })
    })
    .transpose()
}

/// John Lewis accepted the claimed value. Still pending if the value changed while in flight.
///
/// Fenced by the claim: when the lease ran out and another claim took the SKU, this push may
/// have landed after that one's, so nothing is recorded as shown; the SKU's version moves on
/// and it stays pending, so whatever is current is sent again (the other claim's success then
/// sees the version moved too). Returns whether the SKU is pending.
pub async fn push_succeeded<C: ConnectionTrait>(conn: &C, sku: &str, claim: &Claim, now: i64) -> Result<bool, DbErr> {
    let value = claim.value;
    let row = conn
        .query_one(stmt(
            conn.get_database_backend(),
            "UPDATE stock_state SET sent_value = $1, sent_at = $2, shown_value = $3, shown_at = $4, \
               inflight_version = NULL, inflight_until = NULL, attempts = 0, next_attempt_at = NULL, last_error = NULL, \
               pending = CASE WHEN computed_value <> $5 OR version <> $6 THEN TRUE ELSE FALSE END, updated_at = $7 \
             WHERE sku = $8 AND inflight_version = $9 AND inflight_until = $10 RETURNING pending",
            [
                value.into(),
                now.into(),
                value.into(),
                now.into(),
                value.into(),
                claim.version.into(),
                now.into(),
                sku.into(),
                claim.version.into(),
                claim.until.into(),
            ],
        ))
        .await?;
    match row {
        Some(r) => r.try_get::<bool>("", "pending"),
        None => {
            superseded(conn, sku, now).await?;
            Ok(true)
        }
    }
}

/// A push whose claim was taken over landed at an unknown moment: what John Lewis shows is
/// unknown, and the SKU goes again after whatever push is in flight now.
async fn superseded<C: ConnectionTrait>(conn: &C, sku: &str, now: i64) -> Result<(), DbErr> {
    tracing::info!(sku, "stock push finished after its claim was taken over; the current value goes again");
    conn.execute(stmt(
        conn.get_database_backend(),
        "UPDATE stock_state SET version = version + 1, pending = TRUE, shown_value = NULL, updated_at = $1 WHERE sku = $2",
        [now.into(), sku.into()],
    ))
    .await?;
    Ok(())
}

/// How a push ended when it did not succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushEnd {
    /// Refused or failed before reaching John Lewis: nothing changed there.
    Failed,
    /// No answer within the deadline: the value may or may not have landed.
    Unknown,
}

/// The push failed: stays pending, tried again from `retry_at`. Returns the failed attempts so
/// far, or `None` when the claim had been taken over (then nothing is counted; an `Unknown`
/// end sends the current value again, as in [`push_succeeded`]).
pub async fn push_failed<C: ConnectionTrait>(
    conn: &C,
    sku: &str,
    claim: &Claim,
    end: PushEnd,
    error: &str,
    retry_at: i64,
    now: i64,
) -> Result<Option<i32>, DbErr> {
    let row = conn
        .query_one(stmt(
            conn.get_database_backend(),
            "UPDATE stock_state SET inflight_version = NULL, inflight_until = NULL, attempts = attempts + 1, \
               next_attempt_at = $1, last_error = $2, updated_at = $3, \
               shown_value = CASE WHEN $4 THEN NULL ELSE shown_value END, pending = CASE WHEN $5 THEN TRUE ELSE pending END \
             WHERE sku = $6 AND inflight_version = $7 AND inflight_until = $8 RETURNING attempts",
            [
                retry_at.into(),
                error.into(),
                now.into(),
                (end == PushEnd::Unknown).into(),
                (end == PushEnd::Unknown).into(),
                sku.into(),
                claim.version.into(),
                claim.until.into(),
            ],
        ))
        .await?;
    match row {
        Some(r) => Ok(Some(r.try_get::<i32>("", "attempts")?)),
        None => {
            if end == PushEnd::Unknown {
                superseded(conn, sku, now).await?;
            }
            Ok(None)
        }
    }
}

/// What a reconciliation read on John Lewis for a SKU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShownCheck {
    /// Reconciliations in a row where John Lewis showed something else than was last sent.
    pub drift_count: i32,
    pub pending: bool,
}

/// Records the value John Lewis shows (read in a reconciliation); any difference from the
/// computed value becomes pending. A SKU with a push in flight is left alone.
pub async fn record_shown<C: ConnectionTrait>(conn: &C, sku: &str, shown: i64, now: i64) -> Result<Option<ShownCheck>, DbErr> {
    let row = conn
        .query_one(stmt(
            conn.get_database_backend(),
            "UPDATE stock_state SET shown_value = $1, shown_at = $2, \
               pending = CASE WHEN computed_value IS NOT NULL AND computed_value <> $3 THEN TRUE ELSE FALSE END, \
               drift_count = CASE WHEN sent_value IS NOT NULL AND sent_value <> $4 THEN drift_count + 1 ELSE 0 END, \
               updated_at = $5 \
             WHERE sku = $6 AND (inflight_until IS NULL OR inflight_until < $7) RETURNING drift_count, pending",
            [shown.into(), now.into(), shown.into(), shown.into(), now.into(), sku.into(), now.into()],
        ))
        .await?;
    row.map(|r| Ok(ShownCheck { drift_count: r.try_get("", "drift_count")?, pending: r.try_get("", "pending")? })).transpose()
}

/// Stores a price (decimal string) unless a newer one is already there (same ordering rule).
pub async fn observe_price<C: ConnectionTrait>(
    conn: &C,
    sku: &str,
    price: Decimal,
    observed_at: i64,
    webhook_ts: i64,
    now: i64,
) -> Result<bool, DbErr> {
    let row = conn
        .query_one(stmt(
            conn.get_database_backend(),
            "INSERT INTO sku_prices (sku, price, observed_at, observed_webhook_ts, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (sku) DO UPDATE SET price = excluded.price, observed_at = excluded.observed_at, \
               observed_webhook_ts = excluded.observed_webhook_ts, updated_at = excluded.updated_at \
             WHERE excluded.observed_at > sku_prices.observed_at \
               OR (excluded.observed_at = sku_prices.observed_at AND excluded.observed_webhook_ts > sku_prices.observed_webhook_ts) \
             RETURNING sku",
            [sku.into(), price.to_string().into(), observed_at.into(), webhook_ts.into(), now.into()],
        ))
        .await?;
    Ok(row.is_some())
}

/// The stored price of a SKU, as Magento sent it (scale kept).
pub async fn price<C: ConnectionTrait>(conn: &C, sku: &str) -> Result<Option<Decimal>, DbErr> {
    let row = conn
        .query_one(stmt(conn.get_database_backend(), "SELECT price FROM sku_prices WHERE sku = $1", [sku.into()]))
        .await?;
    Ok(row.map(|r| r.try_get::<String>("", "price")).transpose()?.and_then(|p| p.parse().ok()))
}
