//! Orders, their lines and timeline. The API other flows use:
//!
//! * read: [`get`] (by John Lewis reference), [`get_by_id`], [`get_by_increment_id`], [`list`],
//!   [`unfinished`], [`events`];
//! * write: [`upsert_listed`] (the poller: store first), [`advance`] (state machine step),
//!   [`record_injected`], [`add_dispatched`] / [`add_cancelled`] (line quantities),
//!   [`add_event`] (timeline), [`set_error`];
//! * "one update in flight per order": [`lease::take`] / [`lease::release`].
//!
//! All of it takes any `ConnectionTrait`, so callers can group writes in one transaction.
pub mod lease;
mod listed;
mod write;

pub use listed::{upsert_listed, Listed};
pub use write::*;

use super::entities::{order, order_event, order_line};
use super::stmt;
use crate::domain::exception::string_enum;
use crate::domain::order::MarketplaceOrder;
use crate::domain::order_state::OrderState;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

pub use order::Model as OrderRow;
pub use order_event::Model as EventRow;
pub use order_line::Model as LineRow;

string_enum!(
    /// Timeline entry kinds.
    EventKind {
        Downloaded => "downloaded",
        StatusChanged => "status_changed",
        Acknowledged => "acknowledged",
        AcknowledgeFailed => "acknowledge_failed",
        LinesCancelled => "lines_cancelled",
        LinesBackordered => "lines_backordered",
        Injected => "injected",
        InjectFailed => "inject_failed",
        MagentoCommented => "magento_commented",
        CancelRequested => "cancel_requested",
        CancelAcknowledged => "cancel_acknowledged",
        MagentoCancelled => "magento_cancelled",
        CancelBlocked => "cancel_blocked",
        CancelledInMagento => "cancelled_in_magento",
        CancellationSent => "cancellation_sent",
        CancellationFailed => "cancellation_failed",
        Dispatched => "dispatched",
        DispatchFailed => "dispatch_failed",
        Note => "note",
    }
);

/// An order with its lines (ordered by `line_ref` as stored).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredOrder {
    pub order: OrderRow,
    pub lines: Vec<LineRow>,
}

impl StoredOrder {
    pub fn state(&self) -> OrderState {
        OrderState::parse(&self.order.state).unwrap_or(OrderState::Downloaded)
    }
    pub fn reference(&self) -> &str {
        &self.order.reference
    }
    /// The order as last downloaded.
    pub fn marketplace_order(&self) -> Result<MarketplaceOrder, DbErr> {
        serde_json::from_str(&self.order.raw).map_err(|e| DbErr::Custom(format!("order {} raw payload: {e}", self.order.reference)))
    }
    pub fn line(&self, line_ref: &str) -> Option<&LineRow> {
        self.lines.iter().find(|l| l.line_ref == line_ref)
    }
}

impl LineRow {
    /// Units neither dispatched nor cancelled.
    pub fn open_qty(&self) -> i32 {
        (self.quantity - self.dispatched_qty - self.cancelled_qty).max(0)
    }
}

async fn with_lines<C: ConnectionTrait>(conn: &C, order: Option<OrderRow>) -> Result<Option<StoredOrder>, DbErr> {
    let Some(order) = order else { return Ok(None) };
    let lines = order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(order.id))
        .order_by_asc(order_line::Column::Id)
        .all(conn)
        .await?;
    Ok(Some(StoredOrder { order, lines }))
}

/// The orders with these references, each with its lines (unknown references are left out).
pub async fn get_many<C: ConnectionTrait>(conn: &C, references: &[String]) -> Result<Vec<StoredOrder>, DbErr> {
    if references.is_empty() {
        return Ok(Vec::new());
    }
    let found = order::Entity::find().filter(order::Column::Reference.is_in(references.iter().cloned())).all(conn).await?;
    with_lines_many(conn, found).await
}

/// The orders with these ids, each with its lines.
pub async fn get_many_by_id<C: ConnectionTrait>(conn: &C, ids: &[i64]) -> Result<Vec<StoredOrder>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let found = order::Entity::find().filter(order::Column::Id.is_in(ids.iter().copied())).all(conn).await?;
    with_lines_many(conn, found).await
}

async fn with_lines_many<C: ConnectionTrait>(conn: &C, found: Vec<OrderRow>) -> Result<Vec<StoredOrder>, DbErr> {
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let lines = order_line::Entity::find()
        .filter(order_line::Column::OrderId.is_in(found.iter().map(|o| o.id)))
        .order_by_asc(order_line::Column::Id)
        .all(conn)
        .await?;
    let mut per_order: std::collections::HashMap<i64, Vec<LineRow>> = std::collections::HashMap::new();
    for l in lines {
        per_order.entry(l.order_id).or_default().push(l);
    }
    Ok(found.into_iter().map(|o| StoredOrder { lines: per_order.remove(&o.id).unwrap_or_default(), order: o }).collect())
}

/// The order with this John Lewis order reference.
pub async fn get<C: ConnectionTrait>(conn: &C, reference: &str) -> Result<Option<StoredOrder>, DbErr> {
    let o = order::Entity::find().filter(order::Column::Reference.eq(reference)).one(conn).await?;
    with_lines(conn, o).await
}

pub async fn get_by_id<C: ConnectionTrait>(conn: &C, id: i64) -> Result<Option<StoredOrder>, DbErr> {
    let o = order::Entity::find_by_id(id).one(conn).await?;
    with_lines(conn, o).await
}

/// The order whose Magento increment id is this (e.g. `JL-<reference>`).
pub async fn get_by_increment_id<C: ConnectionTrait>(conn: &C, increment_id: &str) -> Result<Option<StoredOrder>, DbErr> {
    let o = order::Entity::find().filter(order::Column::MagentoIncrementId.eq(increment_id)).one(conn).await?;
    with_lines(conn, o).await
}

/// A page of orders, newest first, optionally in one state.
pub async fn list<C: ConnectionTrait>(conn: &C, state: Option<OrderState>, offset: u64, limit: u64) -> Result<Vec<OrderRow>, DbErr> {
    let mut q = order::Entity::find();
    if let Some(s) = state {
        q = q.filter(order::Column::State.eq(s.as_str()));
    }
    q.order_by_desc(order::Column::Id).offset(offset).limit(limit).all(conn).await
}

/// Orders not yet dispatched or cancelled, oldest first.
pub async fn unfinished<C: ConnectionTrait>(conn: &C, limit: u64) -> Result<Vec<OrderRow>, DbErr> {
    let finals: Vec<&str> = OrderState::ALL.iter().filter(|s| s.is_final()).map(|s| s.as_str()).collect();
    order::Entity::find()
        .filter(order::Column::State.is_not_in(finals))
        .order_by_asc(order::Column::Id)
        .limit(limit)
        .all(conn)
        .await
}

/// Orders downloaded before `before_ms` and still not acknowledged.
pub async fn unacknowledged_since<C: ConnectionTrait>(conn: &C, before_ms: i64) -> Result<Vec<OrderRow>, DbErr> {
    order::Entity::find()
        .filter(order::Column::State.eq(OrderState::Downloaded.as_str()))
        .filter(order::Column::DownloadedAt.lt(before_ms))
        .order_by_asc(order::Column::Id)
        .all(conn)
        .await
}

/// The timeline of an order, oldest first.
pub async fn events<C: ConnectionTrait>(conn: &C, order_id: i64) -> Result<Vec<EventRow>, DbErr> {
    order_event::Entity::find()
        .filter(order_event::Column::OrderId.eq(order_id))
        .order_by_asc(order_event::Column::Id)
        .all(conn)
        .await
}

/// Orders counted per state (for status pages).
pub async fn count_by_state<C: ConnectionTrait>(conn: &C) -> Result<Vec<(String, i64)>, DbErr> {
    let rows = conn
        .query_all(stmt(conn.get_database_backend(), "SELECT state, COUNT(*) AS n FROM orders GROUP BY state ORDER BY state", []))
        .await?;
    rows.iter().map(|r| Ok((r.try_get("", "state")?, r.try_get("", "n")?))).collect()
}
