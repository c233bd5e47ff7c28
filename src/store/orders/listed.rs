//! The poller's write: store an order as listed (insert once, then keep its status, lines and
//! payload current). Never duplicates: the reference is unique and lines are unique per order.
use super::{add_event, EventKind};
use crate::domain::order::MarketplaceOrder;
use crate::domain::order_state::OrderState;
use crate::store::stmt;
use sea_orm::{ConnectionTrait, DbErr};

/// What storing a listed order found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub id: i64,
    /// Our state before this listing; `None` when the order is new.
    pub before: Option<OrderState>,
    /// The marketplace status stored before, when it differed from the listed one.
    pub status_was: Option<String>,
}

impl Listed {
    pub fn inserted(&self) -> bool {
        self.before.is_none()
    }
}

/// Inserts the order and its lines, or refreshes status, payload and lines of a stored one.
/// Call it inside the transaction that also enqueues what the order needs.
pub async fn upsert_listed<C: ConnectionTrait>(conn: &C, o: &MarketplaceOrder, now: i64) -> Result<Listed, DbErr> {
    let b = conn.get_database_backend();
    let raw = serde_json::to_string(o).map_err(|e| DbErr::Custom(format!("order payload: {e}")))?;
    let status = o.status.as_str().to_owned();
    let found = conn
        .query_one(stmt(b, "SELECT id, state, marketplace_status FROM orders WHERE reference = $1", [o.reference.0.clone().into()]))
        .await?;
    let listed = match found {
        None => {
            let inserted = conn
                .query_one(stmt(
                    b,
                    "INSERT INTO orders (reference, marketplace_id, marketplace_status, state, order_date, currency, raw, \
                       downloaded_at, last_seen_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (reference) DO NOTHING RETURNING id",
                    [
                        o.reference.0.clone().into(),
                        o.id.0.clone().into(),
                        status.clone().into(),
                        OrderState::Downloaded.as_str().into(),
                        o.order_date.timestamp_millis().into(),
                        o.currency.to_string().into(),
                        raw.into(),
                        now.into(),
                        now.into(),
                        now.into(),
                    ],
                ))
                .await?;
            let Some(row) = inserted else {
                // Stored by someone else between the read and the insert: read it again.
                return Box::pin(upsert_listed(conn, o, now)).await;
            };
            let id: i64 = row.try_get("", "id")?;
            add_event(conn, id, EventKind::Downloaded, Some(&format!("status {status}, {} line(s)", o.lines.len()))).await?;
            Listed { id, before: None, status_was: None }
        }
        Some(row) => {
            let id: i64 = row.try_get("", "id")?;
            let state: String = row.try_get("", "state")?;
            let was: String = row.try_get("", "marketplace_status")?;
            conn.execute(stmt(
                b,
                "UPDATE orders SET marketplace_status = $1, raw = $2, last_seen_at = $3, updated_at = $4 WHERE id = $5",
                [status.clone().into(), raw.into(), now.into(), now.into(), id.into()],
            ))
            .await?;
            let status_was = (was != status).then_some(was);
            if let Some(was) = &status_was {
                add_event(conn, id, EventKind::StatusChanged, Some(&format!("{was} -> {status}"))).await?;
            }
            Listed { id, before: Some(OrderState::parse(&state).unwrap_or(OrderState::Downloaded)), status_was }
        }
    };
    for l in &o.lines {
        conn.execute(stmt(
            b,
            "INSERT INTO order_lines (order_id, line_ref, part_number, quantity, dispatched_qty, cancelled_qty, unit_price, total, \
               currency, status, updated_at) VALUES ($1, $2, $3, $4, 0, 0, $5, $6, $7, $8, $9) \
             ON CONFLICT (order_id, line_ref) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at",
            [
                listed.id.into(),
                l.line_ref.clone().into(),
                l.part_number.0.clone().into(),
                (l.quantity as i32).into(),
                l.unit_price.as_ref().map(|m| m.amount.to_string()).into(),
                l.total.as_ref().map(|m| m.amount.to_string()).into(),
                o.currency.to_string().into(),
                l.status.as_str().to_owned().into(),
                now.into(),
            ],
        ))
        .await?;
    }
    Ok(listed)
}
