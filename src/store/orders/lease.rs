//! The per-order lease: whoever holds it is the only one sending an update for (or creating
//! the Magento order of) that order. It expires, so a crashed holder never blocks for good.
use crate::store::{now_ms, stmt};
use sea_orm::{ConnectionTrait, DbErr};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLease {
    pub order_id: i64,
    pub token: String,
    pub until: i64,
}

/// Takes the lease of `order_id` for `ttl`, unless someone else holds a live one.
pub async fn take<C: ConnectionTrait>(conn: &C, order_id: i64, holder: &str, ttl: Duration) -> Result<Option<OrderLease>, DbErr> {
    let now = now_ms();
    let token = format!("{holder}/{}", uuid::Uuid::new_v4().simple());
    let until = now + ttl.as_millis() as i64;
    let res = conn
        .execute(stmt(
            conn.get_database_backend(),
            "UPDATE orders SET lease_token = $1, lease_until = $2 WHERE id = $3 AND (lease_until IS NULL OR lease_until < $4)",
            [token.clone().into(), until.into(), order_id.into(), now.into()],
        ))
        .await?;
    Ok((res.rows_affected() == 1).then_some(OrderLease { order_id, token, until }))
}

/// Extends a held lease; `false` when it was lost (expired and taken by someone else).
pub async fn renew<C: ConnectionTrait>(conn: &C, lease: &OrderLease, ttl: Duration) -> Result<bool, DbErr> {
    let until = now_ms() + ttl.as_millis() as i64;
    let res = conn
        .execute(stmt(
            conn.get_database_backend(),
            "UPDATE orders SET lease_until = $1 WHERE id = $2 AND lease_token = $3",
            [until.into(), lease.order_id.into(), lease.token.clone().into()],
        ))
        .await?;
    Ok(res.rows_affected() == 1)
}

/// Gives the lease back (no-op when it had already passed to someone else).
pub async fn release<C: ConnectionTrait>(conn: &C, lease: &OrderLease) -> Result<(), DbErr> {
    conn.execute(stmt(
        conn.get_database_backend(),
        "UPDATE orders SET lease_token = NULL, lease_until = NULL WHERE id = $1 AND lease_token = $2",
        [lease.order_id.into(), lease.token.clone().into()],
    ))
    .await?;
    Ok(())
}

/// Whether `lease` is still held (checked before recording an outcome).
pub async fn held<C: ConnectionTrait>(conn: &C, lease: &OrderLease) -> Result<bool, DbErr> {
    let row = conn
        .query_one(stmt(
            conn.get_database_backend(),
            "SELECT id FROM orders WHERE id = $1 AND lease_token = $2",
            [lease.order_id.into(), lease.token.clone().into()],
        ))
        .await?;
    Ok(row.is_some())
}
