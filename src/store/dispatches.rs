//! The dispatch ledger: what was sent to John Lewis, per source (`shipment:<id>` or
//! `cancel:<key>`) and line. Written right after The Edge accepted the update; read before
//! sending so a retried job sends only what did not land.
use super::{now_ms, stmt};
use crate::domain::dispatch::DispatchedLine;
use crate::domain::order::PartNumber;
use sea_orm::{ConnectionTrait, DbErr};
use std::collections::BTreeMap;

pub const KIND_DISPATCH: &str = "dispatch";
pub const KIND_CANCELLED_POST_DISPATCH: &str = "cancelled_post_dispatch";

/// One line accepted by The Edge.
#[derive(Debug, Clone)]
pub struct LedgerLine {
    pub order_reference: String,
    pub source: String,
    pub line_ref: String,
    pub part_number: String,
    pub kind: &'static str,
    pub quantity: u32,
    pub carrier: String,
    pub tracking_number: Option<String>,
}

pub fn shipment_source(shipment_id: i64) -> String {
    format!("shipment:{shipment_id}")
}

/// Records accepted lines (a line recorded again for the same source adds its quantity).
pub async fn record<C: ConnectionTrait>(conn: &C, lines: &[LedgerLine]) -> Result<(), DbErr> {
    let now = now_ms();
    for l in lines {
        conn.execute(stmt(
            conn.get_database_backend(),
            "INSERT INTO dispatch_ledger (order_reference, source, line_ref, part_number, kind, quantity, carrier, tracking_number, sent_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (source, line_ref, kind) DO UPDATE SET quantity = dispatch_ledger.quantity + excluded.quantity, \
               tracking_number = excluded.tracking_number, sent_at = excluded.sent_at",
            [
                l.order_reference.clone().into(),
                l.source.clone().into(),
                l.line_ref.clone().into(),
                l.part_number.clone().into(),
                l.kind.into(),
                (l.quantity as i32).into(),
                l.carrier.clone().into(),
                l.tracking_number.clone().into(),
                now.into(),
            ],
        ))
        .await?;
    }
    Ok(())
}

/// Units already sent for one source and kind, per line.
pub async fn sent_for<C: ConnectionTrait>(conn: &C, source: &str, kind: &str) -> Result<BTreeMap<String, u32>, DbErr> {
    let rows = conn
        .query_all(stmt(
            conn.get_database_backend(),
            "SELECT line_ref, quantity FROM dispatch_ledger WHERE source = $1 AND kind = $2",
            [source.into(), kind.into()],
        ))
        .await?;
    let mut out = BTreeMap::new();
    for r in rows {
        out.insert(r.try_get::<String>("", "line_ref")?, r.try_get::<i32>("", "quantity")?.max(0) as u32);
    }
    Ok(out)
}

/// Per line of an order: units dispatched and cancelled post-dispatch, and the last carrier.
pub async fn dispatched_lines<C: ConnectionTrait>(conn: &C, order_reference: &str) -> Result<Vec<DispatchedLine>, DbErr> {
    let rows = conn
        .query_all(stmt(
            conn.get_database_backend(),
            "SELECT line_ref, part_number, kind, quantity, carrier FROM dispatch_ledger WHERE order_reference = $1 ORDER BY id",
            [order_reference.into()],
        ))
        .await?;
    let mut by_line: BTreeMap<String, DispatchedLine> = BTreeMap::new();
    for r in rows {
        let line_ref: String = r.try_get("", "line_ref")?;
        let kind: String = r.try_get("", "kind")?;
        let q = r.try_get::<i32>("", "quantity")?.max(0) as u32;
        let carrier: String = r.try_get("", "carrier")?;
        let e = by_line.entry(line_ref.clone()).or_insert_with(|| DispatchedLine {
            line_ref,
            part_number: PartNumber(String::new()),
            dispatched: 0,
            cancelled: 0,
            carrier: carrier.clone(),
        });
        e.part_number = PartNumber(r.try_get("", "part_number")?);
        if kind == KIND_DISPATCH {
            e.dispatched += q;
            e.carrier = carrier;
        } else {
            e.cancelled += q;
        }
    }
    Ok(by_line.into_values().collect())
}

/// Whether anything was ever dispatched for this order reference.
pub async fn any_dispatched<C: ConnectionTrait>(conn: &C, order_reference: &str) -> Result<bool, DbErr> {
    Ok(dispatched_lines(conn, order_reference).await?.iter().any(|l| l.dispatched > 0))
}
