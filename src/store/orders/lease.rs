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

/// Takes the leases of many orders at once (one statement, one token): returns those taken;
/// an order whose lease someone else holds is left out.
pub async fn take_many<C: ConnectionTrait>(conn: &C, order_ids: &[i64], holder: &str, ttl: Duration) -> Result<Vec<OrderLease>, DbErr> {
    if order_ids.is_empty() {
        return Ok(Vec::new());
    }
    let now = now_ms();
    let token = format!("{holder}/{}", uuid::Uuid::new_v4().simple());
    let until = now + ttl.as_millis() as i64;
    let ids = (4..4 + order_ids.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "UPDATE orders SET lease_token = $1, lease_until = $2 WHERE (lease_until IS NULL OR lease_until < $3) AND id IN ({ids}) RETURNING id"
    );
    let mut values: Vec<sea_orm::Value> = vec![token.clone().into(), until.into(), now.into()];
    values.extend(order_ids.iter().map(|id| sea_orm::Value::from(*id)));
    let rows = conn.query_all(stmt(conn.get_database_backend(), &sql, values)).await?;
    rows.iter()
        .map(|r| Ok(OrderLease { order_id: r.try_get("", "id")?, token: token.clone(), until }))
        .collect()
}

/// Gives many leases back (one statement per token; no-op for those already passed on).
pub async fn release_many<C: ConnectionTrait>(conn: &C, leases: &[&OrderLease]) -> Result<(), DbErr> {
    let mut tokens: Vec<&str> = leases.iter().map(|l| l.token.as_str()).collect();
    tokens.sort_unstable();
    tokens.dedup();
    for token in tokens {
        let ids: Vec<i64> = leases.iter().filter(|l| l.token == token).map(|l| l.order_id).collect();
        let list = (2..2 + ids.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let mut values: Vec<sea_orm::Value> = vec![token.into()];
        values.extend(ids.iter().map(|id| sea_orm::Value::from(*id)));
        conn.execute(stmt(
            conn.get_database_backend(),
            &format!("UPDATE orders SET lease_token = NULL, lease_until = NULL WHERE lease_token = $1 AND id IN ({list})"),
            values,
        ))
        .await?;
    }
    Ok(())
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
