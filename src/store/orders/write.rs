//! State steps, Magento ids, line quantities, timeline entries.
use super::EventKind;
use crate::domain::order_state::{OrderState, Step};
use crate::store::{now_ms, stmt};
use sea_orm::{ConnectionTrait, DbErr, Value};

/// Appends a timeline entry. `detail` is for people: never personal data.
pub async fn add_event<C: ConnectionTrait>(conn: &C, order_id: i64, kind: EventKind, detail: Option<&str>) -> Result<(), DbErr> {
    conn.execute(stmt(
        conn.get_database_backend(),
        "INSERT INTO order_events (order_id, at, kind, detail) VALUES ($1, $2, $3, $4)",
        [order_id.into(), now_ms().into(), kind.as_str().into(), detail.map(str::to_owned).into()],
    ))
    .await?;
    Ok(())
}

/// Appends many timeline entries in one statement (per 200), e.g. a batch's outcomes.
pub async fn add_events<C: ConnectionTrait>(conn: &C, entries: &[(i64, EventKind, Option<String>)]) -> Result<(), DbErr> {
    let now = now_ms();
    for chunk in entries.chunks(200) {
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 4);
        let mut rows = Vec::with_capacity(chunk.len());
        for (i, (order_id, kind, detail)) in chunk.iter().enumerate() {
            rows.push(format!("(${}, ${}, ${}, ${})", i * 4 + 1, i * 4 + 2, i * 4 + 3, i * 4 + 4));
            values.extend([(*order_id).into(), now.into(), kind.as_str().into(), detail.clone().into()]);
        }
        let sql = format!("INSERT INTO order_events (order_id, at, kind, detail) VALUES {}", rows.join(", "));
        conn.execute(stmt(conn.get_database_backend(), &sql, values)).await?;
    }
    Ok(())
}

fn stamp_column(step: Step) -> Option<&'static str> {
    match step {
        Step::Acknowledged => Some("acknowledged_at"),
        Step::Injected => Some("injected_at"),
        Step::Dispatched => Some("dispatched_at"),
        Step::CancelRequested => Some("cancel_requested_at"),
        Step::Cancelled => Some("cancelled_at"),
    }
}

/// Applies a state-machine step if the stored state allows it (one conditional UPDATE per
/// possible current state, so a concurrent change is never overwritten). Returns the new
/// state, or `None` when the step did not apply.
pub async fn advance<C: ConnectionTrait>(conn: &C, order_id: i64, step: Step) -> Result<Option<OrderState>, DbErr> {
    let b = conn.get_database_backend();
    let now = now_ms();
    let row = conn.query_one(stmt(b, "SELECT state FROM orders WHERE id = $1", [order_id.into()])).await?;
    let Some(row) = row else { return Ok(None) };
    let from = OrderState::parse(&row.try_get::<String>("", "state")?).unwrap_or(OrderState::Downloaded);
    let Some(to) = from.after(step) else { return Ok(None) };
    let stamp = stamp_column(step).map(|c| format!(", {c} = COALESCE({c}, $3)")).unwrap_or_default();
    let sql = format!("UPDATE orders SET state = $1, updated_at = $2{stamp} WHERE id = $4 AND state = $5");
    let res = conn
        .execute(stmt(b, &sql, [to.as_str().into(), now.into(), now.into(), order_id.into(), from.as_str().into()]))
        .await?;
    Ok((res.rows_affected() == 1).then_some(to))
}

/// Stores the Magento order created for this John Lewis order and moves it to `injected`
/// (unless a cancellation request is pending, which keeps its state).
pub async fn record_injected<C: ConnectionTrait>(conn: &C, order_id: i64, entity_id: i64, increment_id: &str) -> Result<(), DbErr> {
    let now = now_ms();
    conn.execute(stmt(
        conn.get_database_backend(),
        "UPDATE orders SET magento_entity_id = $1, magento_increment_id = $2, injected_at = COALESCE(injected_at, $3), \
           last_error = NULL, updated_at = $4, state = CASE WHEN state = 'acknowledged' THEN 'injected' ELSE state END WHERE id = $5",
        [entity_id.into(), increment_id.into(), now.into(), now.into(), order_id.into()],
    ))
    .await?;
    Ok(())
}

/// Keeps the last error on the order (for the dashboard), or clears it.
pub async fn set_error<C: ConnectionTrait>(conn: &C, order_id: i64, error: Option<&str>) -> Result<(), DbErr> {
    conn.execute(stmt(
        conn.get_database_backend(),
        "UPDATE orders SET last_error = $1, updated_at = $2 WHERE id = $3",
        [error.map(str::to_owned).into(), now_ms().into(), order_id.into()],
    ))
    .await?;
    Ok(())
}

async fn bump_line<C: ConnectionTrait>(conn: &C, column: &str, order_id: i64, line_ref: &str, qty: u32) -> Result<bool, DbErr> {
    let sql = format!(
        "UPDATE order_lines SET {column} = {column} + $1, updated_at = $2 \
         WHERE order_id = $3 AND line_ref = $4 AND quantity - dispatched_qty - cancelled_qty >= $5"
    );
    let vals: [Value; 5] = [(qty as i32).into(), now_ms().into(), order_id.into(), line_ref.into(), (qty as i32).into()];
    Ok(conn.execute(stmt(conn.get_database_backend(), &sql, vals)).await?.rows_affected() == 1)
}

/// Adds dispatched units to a line; `false` when more than its open quantity (nothing changed).
pub async fn add_dispatched<C: ConnectionTrait>(conn: &C, order_id: i64, line_ref: &str, qty: u32) -> Result<bool, DbErr> {
    bump_line(conn, "dispatched_qty", order_id, line_ref, qty).await
}

/// Adds cancelled units to a line; `false` when more than its open quantity (nothing changed).
pub async fn add_cancelled<C: ConnectionTrait>(conn: &C, order_id: i64, line_ref: &str, qty: u32) -> Result<bool, DbErr> {
    bump_line(conn, "cancelled_qty", order_id, line_ref, qty).await
}

/// Units still open (neither dispatched nor cancelled) over the whole order.
pub async fn open_units<C: ConnectionTrait>(conn: &C, order_id: i64) -> Result<i64, DbErr> {
    let row = conn
        .query_one(stmt(
            conn.get_database_backend(),
            "SELECT COALESCE(SUM(quantity - dispatched_qty - cancelled_qty), 0) AS n FROM order_lines WHERE order_id = $1",
            [order_id.into()],
        ))
        .await?
        .ok_or(DbErr::RecordNotFound("order lines".into()))?;
    // SUM is BIGINT on PostgreSQL and INTEGER on SQLite.
    row.try_get::<i64>("", "n").or_else(|_| row.try_get::<i32>("", "n").map(i64::from))
}

/// Records the Magento SKU a line maps to.
pub async fn set_line_sku<C: ConnectionTrait>(conn: &C, order_id: i64, line_ref: &str, sku: &str) -> Result<(), DbErr> {
    conn.execute(stmt(
        conn.get_database_backend(),
        "UPDATE order_lines SET sku = $1, updated_at = $2 WHERE order_id = $3 AND line_ref = $4",
        [sku.into(), now_ms().into(), order_id.into(), line_ref.into()],
    ))
    .await?;
    Ok(())
}

/// Marks a line as one that cannot be fulfilled, with the reason kept.
pub async fn set_line_unfulfillable<C: ConnectionTrait>(conn: &C, order_id: i64, line_ref: &str, reason: &str) -> Result<(), DbErr> {
    conn.execute(stmt(
        conn.get_database_backend(),
        "UPDATE order_lines SET unfulfillable = $1, updated_at = $2 WHERE order_id = $3 AND line_ref = $4",
        [reason.into(), now_ms().into(), order_id.into(), line_ref.into()],
    ))
    .await?;
    Ok(())
}

/// Sets the marketplace status seen for an order (e.g. after a re-read).
pub async fn set_marketplace_status<C: ConnectionTrait>(conn: &C, order_id: i64, status: &str) -> Result<(), DbErr> {
    conn.execute(stmt(
        conn.get_database_backend(),
        "UPDATE orders SET marketplace_status = $1, updated_at = $2 WHERE id = $3",
        [status.into(), now_ms().into(), order_id.into()],
    ))
    .await?;
    Ok(())
}

pub use crate::store::begin_write;
