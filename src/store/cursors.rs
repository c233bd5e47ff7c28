//! Named watermarks that survive restarts.
use super::{now_ms, stmt};
use sea_orm::{ConnectionTrait, DbErr};

pub async fn get<C: ConnectionTrait>(conn: &C, name: &str) -> Result<Option<String>, DbErr> {
    let row = conn
        .query_one(stmt(conn.get_database_backend(), "SELECT value FROM sync_cursors WHERE name = $1", [name.into()]))
        .await?;
    row.map(|r| r.try_get::<String>("", "value")).transpose()
}

pub async fn set<C: ConnectionTrait>(conn: &C, name: &str, value: &str) -> Result<(), DbErr> {
    conn.execute(stmt(
        conn.get_database_backend(),
        "INSERT INTO sync_cursors (name, value, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        [name.into(), value.into(), now_ms().into()],
    ))
    .await?;
    Ok(())
}
