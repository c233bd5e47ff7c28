//! Stored orders (with lines, timeline and open exceptions) as `pb::Order`.
use super::convert::rfc3339;
use super::pb;
use crate::store::entities::exception::{self, Entity as Exceptions};
use crate::store::orders::{self, LineRow, OrderRow, StoredOrder};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use std::str::FromStr;

fn stamp(ms: Option<i64>) -> String {
    ms.map(rfc3339).unwrap_or_default()
}

fn line(l: &LineRow) -> pb::OrderLine {
    pb::OrderLine {
        sku: l.sku.clone().unwrap_or_default(),
        part_number: l.part_number.clone(),
        quantity: l.quantity.max(0) as u32,
        unit_price: l.unit_price.clone().unwrap_or_default(),
        marketplace_line_ref: l.line_ref.clone(),
        state: l.status.clone(),
        dispatched_quantity: l.dispatched_qty.max(0) as u32,
        cancelled_quantity: l.cancelled_qty.max(0) as u32,
        unfulfillable: l.unfulfillable.clone().unwrap_or_default(),
    }
}

/// The order total as John Lewis gave it; else line totals (unit price × quantity where a
/// line has none).
fn total(o: &StoredOrder) -> String {
    if let Some(t) = o.marketplace_order().ok().and_then(|m| m.total) {
        return t.amount.to_string();
    }
    let lines = &o.lines;
    let mut sum = Decimal::ZERO;
    let mut any = false;
    for l in lines {
        let t = l.total.as_deref().and_then(|t| Decimal::from_str(t).ok()).or_else(|| {
            l.unit_price.as_deref().and_then(|p| Decimal::from_str(p).ok()).map(|p| p * Decimal::from(l.quantity))
        });
        if let Some(t) = t {
            sum += t;
            any = true;
        }
    }
    if any {
        sum.to_string()
    } else {
        String::new()
    }
}

/// The order's summary fields (no lines, no timeline): what a list shows.
pub fn summary(o: &OrderRow) -> pb::Order {
    pb::Order {
        order_reference: o.reference.clone(),
        edge_order_id: o.marketplace_id.clone(),
        increment_id: o.magento_increment_id.clone().unwrap_or_default(),
        state: o.state.clone(),
        marketplace_status: o.marketplace_status.clone(),
        placed_at: rfc3339(o.order_date),
        acknowledged_at: stamp(o.acknowledged_at),
        injected_at: stamp(o.injected_at),
        dispatched_at: stamp(o.dispatched_at),
        currency: o.currency.clone(),
        last_error: o.last_error.clone().unwrap_or_default(),
        ..Default::default()
    }
}

/// Ids of the open (or retrying) exceptions about `entity`, oldest first.
pub async fn open_exception_ids<C: ConnectionTrait>(conn: &C, entity: &str) -> Result<Vec<i64>, DbErr> {
    let rows = Exceptions::find()
        .filter(exception::Column::Entity.eq(entity))
        .filter(exception::Column::Status.is_in(["open", "retrying"]))
        .order_by_asc(exception::Column::Id)
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// The whole order: lines, total, timeline (oldest first) and open exceptions.
pub async fn full<C: ConnectionTrait>(conn: &C, o: &StoredOrder) -> Result<pb::Order, DbErr> {
    let timeline = orders::events(conn, o.order.id)
        .await?
        .into_iter()
        .map(|e| pb::TimelineEntry { at: rfc3339(e.at), event: e.kind, detail: e.detail.unwrap_or_default() })
        .collect();
    Ok(pb::Order {
        lines: o.lines.iter().map(line).collect(),
        total: total(o),
        timeline,
        open_exception_ids: open_exception_ids(conn, &o.order.reference).await?,
        ..summary(&o.order)
    })
}
