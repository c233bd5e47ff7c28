//! The adapter's own tables (`migrations/…_000050_sftp.rs`): files seen and written, orders
//! imported, stock waiting for the next inventory file.
use crate::domain::order::{MarketplaceOrder, OrderStatus};
use crate::store::{now_ms, stmt};
use sea_orm::{ConnectionTrait, DbErr};

/// A file row.
#[derive(Debug, Clone)]
pub struct FileRow {
    pub id: i64,
    pub name: String,
    pub status: String,
    pub body: Option<String>,
    pub meta: Option<String>,
}

fn file_row(r: sea_orm::QueryResult) -> Result<FileRow, DbErr> {
    Ok(FileRow { id: r.try_get("", "id")?, name: r.try_get("", "name")?, status: r.try_get("", "status")?, body: r.try_get("", "body")?, meta: r.try_get("", "meta")? })
}

pub async fn file<C: ConnectionTrait>(c: &C, folder: &str, name: &str) -> Result<Option<FileRow>, DbErr> {
    let b = c.get_database_backend();
    c.query_one(stmt(b, "SELECT id, name, status, body, meta FROM sftp_files WHERE folder = $1 AND name = $2", [folder.into(), name.into()]))
        .await?
        .map(file_row)
        .transpose()
}

pub async fn by_key<C: ConnectionTrait>(c: &C, key: &str) -> Result<Option<FileRow>, DbErr> {
    let b = c.get_database_backend();
    c.query_one(stmt(b, "SELECT id, name, status, body, meta FROM sftp_files WHERE msg_key = $1", [key.into()])).await?.map(file_row).transpose()
}

/// The oldest outbound file in `folder` not yet fully written.
pub async fn unsent<C: ConnectionTrait>(c: &C, folder: &str) -> Result<Option<FileRow>, DbErr> {
    let b = c.get_database_backend();
    c.query_one(stmt(
        b,
        "SELECT id, name, status, body, meta FROM sftp_files WHERE folder = $1 AND direction = 'out' AND status = 'pending' ORDER BY id LIMIT 1",
        [folder.into()],
    ))
    .await?
    .map(file_row)
    .transpose()
}

pub struct NewFile<'a> {
    pub folder: &'a str,
    pub name: &'a str,
    pub direction: &'a str,
    pub key: Option<&'a str>,
    pub order_number: Option<&'a str>,
    pub status: &'a str,
    pub problem: Option<&'a str>,
    pub body: Option<&'a str>,
    pub meta: Option<&'a str>,
}

/// Inserts a file row; `false` when the name (or the key) is already taken.
pub async fn insert_file<C: ConnectionTrait>(c: &C, f: &NewFile<'_>) -> Result<bool, DbErr> {
    let b = c.get_database_backend();
    let now = now_ms();
    let opt = |v: Option<&str>| -> sea_orm::Value { v.map(|s| s.to_owned()).into() };
    let r = c
        .execute(stmt(
            b,
            "INSERT INTO sftp_files (folder, name, direction, msg_key, order_number, status, problem, body, meta, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING",
            [
                f.folder.into(),
                f.name.into(),
                f.direction.into(),
                opt(f.key),
                opt(f.order_number),
                f.status.into(),
                opt(f.problem),
                opt(f.body),
                opt(f.meta),
                now.into(),
                now.into(),
            ],
        ))
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn set_file_status<C: ConnectionTrait>(c: &C, id: i64, status: &str) -> Result<(), DbErr> {
    let b = c.get_database_backend();
    c.execute(stmt(b, "UPDATE sftp_files SET status = $1, updated_at = $2 WHERE id = $3", [status.into(), now_ms().into(), id.into()])).await?;
    Ok(())
}

/// An imported order and the file it came from.
pub async fn order<C: ConnectionTrait>(c: &C, number: &str) -> Result<Option<(String, MarketplaceOrder)>, DbErr> {
    let b = c.get_database_backend();
    let Some(r) = c.query_one(stmt(b, "SELECT file_name, body FROM sftp_orders WHERE order_number = $1", [number.into()])).await? else {
        return Ok(None);
    };
    let body: String = r.try_get("", "body")?;
    let o = serde_json::from_str(&body).map_err(|e| DbErr::Custom(format!("sftp_orders {number}: {e}")))?;
    Ok(Some((r.try_get("", "file_name")?, o)))
}

pub async fn orders_in<C: ConnectionTrait>(c: &C, status: &OrderStatus) -> Result<Vec<MarketplaceOrder>, DbErr> {
    let b = c.get_database_backend();
    let rows = c.query_all(stmt(b, "SELECT body FROM sftp_orders WHERE status = $1 ORDER BY imported_at, order_number", [status.as_str().into()])).await?;
    rows.into_iter()
        .map(|r| {
            let body: String = r.try_get("", "body")?;
            serde_json::from_str(&body).map_err(|e| DbErr::Custom(format!("sftp_orders: {e}")))
        })
        .collect()
}

/// Records an order from `file`, or says which file already brought that order number.
pub async fn import_order<C: crate::store::BeginWrite>(db: &C, folder: &str, file: &str, o: &MarketplaceOrder) -> Result<Result<(), String>, DbErr> {
    let txn = crate::store::begin_write(db).await?;
    let number = o.reference.0.as_str();
    if let Some((earlier, _)) = order(&txn, number).await? {
        let problem = format!("order {number} was already imported from {earlier}");
        insert_file(
            &txn,
            &NewFile { folder, name: file, direction: "in", key: None, order_number: Some(number), status: "duplicate", problem: Some(&problem), body: None, meta: None },
        )
        .await?;
        txn.commit().await?;
        return Ok(Err(problem));
    }
    let b = txn.get_database_backend();
    let body = serde_json::to_string(o).expect("order serialises");
    let now = now_ms();
    txn.execute(stmt(
        b,
        "INSERT INTO sftp_orders (order_number, file_name, status, body, imported_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
        [number.into(), file.into(), o.status.as_str().into(), body.into(), now.into(), now.into()],
    ))
    .await?;
    insert_file(&txn, &NewFile { folder, name: file, direction: "in", key: None, order_number: Some(number), status: "imported", problem: None, body: None, meta: None })
        .await?;
    txn.commit().await?;
    Ok(Ok(()))
}

pub async fn save_order<C: ConnectionTrait>(c: &C, o: &MarketplaceOrder) -> Result<(), DbErr> {
    let b = c.get_database_backend();
    let body = serde_json::to_string(o).expect("order serialises");
    c.execute(stmt(
        b,
        "UPDATE sftp_orders SET status = $1, body = $2, updated_at = $3 WHERE order_number = $4",
        [o.status.as_str().into(), body.into(), now_ms().into(), o.reference.0.clone().into()],
    ))
    .await?;
    Ok(())
}

/// Sets the latest stock value for a part number (a newer one replaces a waiting one).
pub async fn stock_pending<C: ConnectionTrait>(c: &C, part_number: &str, qty: u32) -> Result<(), DbErr> {
    let b = c.get_database_backend();
    let now = now_ms();
    c.execute(stmt(
        b,
        "INSERT INTO sftp_stock_pending (part_number, quantity, version, updated_at) VALUES ($1, $2, 1, $3) \
         ON CONFLICT (part_number) DO UPDATE SET quantity = excluded.quantity, version = sftp_stock_pending.version + 1, updated_at = excluded.updated_at",
        [part_number.into(), (qty as i64).into(), now.into()],
    ))
    .await?;
    Ok(())
}

/// (part number, quantity, version) waiting, by part number.
pub async fn stock_waiting<C: ConnectionTrait>(c: &C) -> Result<Vec<(String, i64, i64)>, DbErr> {
    let b = c.get_database_backend();
    let rows = c.query_all(stmt(b, "SELECT part_number, quantity, version FROM sftp_stock_pending ORDER BY part_number", [])).await?;
    rows.into_iter().map(|r| Ok((r.try_get("", "part_number")?, r.try_get("", "quantity")?, r.try_get("", "version")?))).collect()
}

/// Forgets the values a written file carried (a newer value, with a higher version, stays).
pub async fn stock_sent<C: ConnectionTrait>(c: &C, sent: &[(String, i64)]) -> Result<(), DbErr> {
    let b = c.get_database_backend();
    for (pn, version) in sent {
        c.execute(stmt(b, "DELETE FROM sftp_stock_pending WHERE part_number = $1 AND version = $2", [pn.clone().into(), (*version).into()])).await?;
    }
    Ok(())
}
