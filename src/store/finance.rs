//! Finance storage: weekly sales reports (one per week ending; a corrected report replaces
//! the lines), and the discrepancies of the last matching of each week. Hand-written SQL for
//! SQLite and PostgreSQL; money as decimal strings; dates as `YYYY-MM-DD` text.
use super::{now_ms, stmt};
use crate::domain::sales_report::{Report, ReportLine};
use crate::domain::settlement::{Discrepancy, Figure, SoldLine};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DbErr, QueryResult, Value};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReport {
    pub id: i64,
    pub week_ending: NaiveDate,
    pub content_hash: String,
    pub source_name: String,
    pub currency: String,
    pub line_count: i32,
    pub version: i32,
    pub imported_at: i64,
    pub replaced_at: Option<i64>,
}

/// What storing a report did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    New(StoredReport),
    /// Same week, same content: nothing changed.
    Unchanged(StoredReport),
    /// Same week, different content: lines replaced; `before` is the old report.
    Replaced { before: StoredReport, after: StoredReport },
}

fn date(s: &str) -> Result<NaiveDate, DbErr> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| DbErr::Custom(format!("stored date {s:?}: {e}")))
}

fn decimal(s: &str) -> Result<Decimal, DbErr> {
    s.parse().map_err(|e| DbErr::Custom(format!("stored amount {s:?}: {e}")))
}

fn report_row(r: &QueryResult) -> Result<StoredReport, DbErr> {
    Ok(StoredReport {
        id: r.try_get("", "id")?,
        week_ending: date(&r.try_get::<String>("", "week_ending")?)?,
        content_hash: r.try_get("", "content_hash")?,
        source_name: r.try_get("", "source_name")?,
        currency: r.try_get("", "currency")?,
        line_count: r.try_get("", "line_count")?,
        version: r.try_get("", "version")?,
        imported_at: r.try_get("", "imported_at")?,
        replaced_at: r.try_get("", "replaced_at")?,
    })
}

const REPORT_COLS: &str = "id, week_ending, content_hash, source_name, currency, line_count, version, imported_at, replaced_at";

pub async fn report_for_week<C: ConnectionTrait>(conn: &C, week: NaiveDate) -> Result<Option<StoredReport>, DbErr> {
    let sql = format!("SELECT {REPORT_COLS} FROM sales_reports WHERE week_ending = $1");
    conn.query_one(stmt(conn.get_database_backend(), &sql, [week.to_string().into()])).await?.as_ref().map(report_row).transpose()
}

/// The report with the latest week ending.
pub async fn latest_report<C: ConnectionTrait>(conn: &C) -> Result<Option<StoredReport>, DbErr> {
    let sql = format!("SELECT {REPORT_COLS} FROM sales_reports ORDER BY week_ending DESC LIMIT 1");
    conn.query_one(stmt(conn.get_database_backend(), &sql, [])).await?.as_ref().map(report_row).transpose()
}

async fn insert_lines<C: ConnectionTrait>(conn: &C, report_id: i64, lines: &[ReportLine]) -> Result<(), DbErr> {
    for l in lines {
        let vals: Vec<Value> = vec![
            report_id.into(),
            (l.row as i32).into(),
            l.day.to_string().into(),
            l.supplier_name.clone().into(),
            l.supplier_number.clone().into(),
            l.branch.clone().into(),
            l.branch_name.clone().into(),
            l.ean.clone().into(),
            l.part_number.clone().into(),
            l.description.clone().into(),
            l.units.into(),
            l.value.to_string().into(),
            serde_json::to_string(&l.extra).unwrap_or_else(|_| "{}".into()).into(),
        ];
        conn.execute(stmt(
            conn.get_database_backend(),
            "INSERT INTO sales_report_lines (report_id, row_no, day_date, supplier_name, supplier_number, branch, branch_name, \
               ean, part_number, description, units, sales_value, extra) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            vals,
        ))
        .await?;
    }
    Ok(())
}

/// Stores a report: new week inserted; same content left alone; different content replaces
/// the week's lines. Run it in a transaction (the caller adds the audit row in the same one).
pub async fn store_report<C: ConnectionTrait>(conn: &C, report: &Report, source_name: &str, currency: &str) -> Result<Stored, DbErr> {
    let b = conn.get_database_backend();
    let hash = report.content_hash();
    let now = now_ms();
    let n = report.lines.len() as i32;
    match report_for_week(conn, report.week_ending).await? {
        Some(old) if old.content_hash == hash => Ok(Stored::Unchanged(old)),
        Some(old) => {
            conn.execute(stmt(b, "DELETE FROM sales_report_lines WHERE report_id = $1", [old.id.into()])).await?;
            conn.execute(stmt(
                b,
                "UPDATE sales_reports SET content_hash = $1, source_name = $2, currency = $3, line_count = $4, \
                   version = version + 1, replaced_at = $5 WHERE id = $6",
                [hash.into(), source_name.into(), currency.into(), n.into(), now.into(), old.id.into()],
            ))
            .await?;
            insert_lines(conn, old.id, &report.lines).await?;
            let after = report_for_week(conn, report.week_ending).await?.ok_or(DbErr::RecordNotFound("sales report".into()))?;
            Ok(Stored::Replaced { before: old, after })
        }
        None => {
            let row = conn
                .query_one(stmt(
                    b,
                    "INSERT INTO sales_reports (week_ending, content_hash, source_name, currency, line_count, version, imported_at) \
                     VALUES ($1, $2, $3, $4, $5, 1, $6) RETURNING id",
                    [report.week_ending.to_string().into(), hash.into(), source_name.into(), currency.into(), n.into(), now.into()],
                ))
                .await?
                .ok_or(DbErr::RecordNotFound("inserted sales report".into()))?;
            let id: i64 = row.try_get("", "id")?;
            insert_lines(conn, id, &report.lines).await?;
            let r = report_for_week(conn, report.week_ending).await?.ok_or(DbErr::RecordNotFound("sales report".into()))?;
            Ok(Stored::New(r))
        }
    }
}

/// The lines of a week's report, in row order (empty when not imported).
pub async fn report_lines<C: ConnectionTrait>(conn: &C, week: NaiveDate) -> Result<Vec<ReportLine>, DbErr> {
    let rows = conn
        .query_all(stmt(
            conn.get_database_backend(),
            "SELECT l.row_no, l.day_date, l.supplier_name, l.supplier_number, l.branch, l.branch_name, l.ean, l.part_number, \
               l.description, l.units, l.sales_value, l.extra \
             FROM sales_report_lines l JOIN sales_reports r ON r.id = l.report_id WHERE r.week_ending = $1 ORDER BY l.row_no, l.id",
            [week.to_string().into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok(ReportLine {
                row: r.try_get::<i32>("", "row_no")? as usize,
                week_ending: week,
                day: date(&r.try_get::<String>("", "day_date")?)?,
                supplier_name: r.try_get("", "supplier_name")?,
                supplier_number: r.try_get("", "supplier_number")?,
                branch: r.try_get("", "branch")?,
                branch_name: r.try_get("", "branch_name")?,
                ean: r.try_get("", "ean")?,
                part_number: r.try_get("", "part_number")?,
                description: r.try_get("", "description")?,
                units: r.try_get("", "units")?,
                value: decimal(&r.try_get::<String>("", "sales_value")?)?,
                extra: serde_json::from_str(&r.try_get::<String>("", "extra")?).unwrap_or_default(),
            })
        })
        .collect()
}

fn day_of(ms: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.date_naive()).unwrap_or_default()
}

fn unit_price(price: Option<String>, total: Option<String>, qty: i32) -> Result<Decimal, DbErr> {
    match (price, total) {
        (Some(p), _) if !p.trim().is_empty() => decimal(p.trim()),
        (_, Some(t)) if !t.trim().is_empty() && qty > 0 => Ok(decimal(t.trim())? / Decimal::from(qty)),
        _ => Ok(Decimal::ZERO),
    }
}

/// What jlbridge dispatched (on the order's dispatch day, UTC) and cancelled post-dispatch
/// (on the day the cancellation was sent, negative) between `from` and `to` inclusive;
/// `order_reference` narrows it to one order.
pub async fn sold_lines<C: ConnectionTrait>(
    conn: &C,
    from: NaiveDate,
    to: NaiveDate,
    order_reference: Option<&str>,
) -> Result<Vec<SoldLine>, DbErr> {
    let b = conn.get_database_backend();
    let lo = from.and_hms_opt(0, 0, 0).expect("midnight").and_utc().timestamp_millis();
    let hi = to.succ_opt().unwrap_or(to).and_hms_opt(0, 0, 0).expect("midnight").and_utc().timestamp_millis();
    let filter = if order_reference.is_some() { " AND o.reference = $3" } else { "" };
    let mut vals: Vec<Value> = vec![lo.into(), hi.into()];
    if let Some(r) = order_reference {
        vals.push(r.into());
    }
    let mut out = Vec::new();
    let sql = format!(
        "SELECT o.reference, o.dispatched_at, l.part_number, l.dispatched_qty, l.quantity, l.unit_price, l.total \
         FROM orders o JOIN order_lines l ON l.order_id = o.id \
         WHERE o.dispatched_at >= $1 AND o.dispatched_at < $2 AND l.dispatched_qty > 0{filter} ORDER BY o.id, l.id"
    );
    for r in conn.query_all(stmt(b, &sql, vals.clone())).await? {
        let qty: i32 = r.try_get("", "dispatched_qty")?;
        let price = unit_price(r.try_get("", "unit_price")?, r.try_get("", "total")?, r.try_get("", "quantity")?)?;
        out.push(SoldLine {
            order_reference: r.try_get("", "reference")?,
            part_number: r.try_get("", "part_number")?,
            day: day_of(r.try_get("", "dispatched_at")?),
            units: qty as i64,
            value: (price * Decimal::from(qty)).round_dp(2),
        });
    }
    let filter = if order_reference.is_some() { " AND d.order_reference = $3" } else { "" };
    let sql = format!(
        "SELECT d.order_reference, d.sent_at, d.part_number, d.quantity, l.quantity AS ordered, l.unit_price, l.total \
         FROM dispatch_ledger d JOIN orders o ON o.reference = d.order_reference \
           JOIN order_lines l ON l.order_id = o.id AND l.line_ref = d.line_ref \
         WHERE d.kind = 'cancelled_post_dispatch' AND d.sent_at >= $1 AND d.sent_at < $2{filter} ORDER BY d.id"
    );
    for r in conn.query_all(stmt(b, &sql, vals)).await? {
        let qty: i32 = r.try_get("", "quantity")?;
        let price = unit_price(r.try_get("", "unit_price")?, r.try_get("", "total")?, r.try_get("", "ordered")?)?;
        out.push(SoldLine {
            order_reference: r.try_get("", "order_reference")?,
            part_number: r.try_get("", "part_number")?,
            day: day_of(r.try_get("", "sent_at")?),
            units: -(qty as i64),
            value: -(price * Decimal::from(qty)).round_dp(2),
        });
    }
    Ok(out)
}

/// A stored discrepancy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscrepancyRow {
    pub id: i64,
    pub week_ending: String,
    pub day: String,
    pub part_number: String,
    pub kind: String,
    pub entity: String,
    pub order_references: Vec<String>,
    pub report_figure: String,
    pub magento_figure: String,
    pub detail: String,
    pub status: String,
    pub found_at: i64,
}

pub fn figure_text(f: Option<Figure>, currency: &str) -> String {
    match f {
        None => "none".to_owned(),
        Some(f) => match f.units {
            Some(u) => format!("{u} units, {:.2} {currency}", f.value),
            None => format!("{:.2} {currency}", f.value),
        },
    }
}

/// Replaces a week's discrepancies with the latest matching's.
pub async fn replace_discrepancies<C: ConnectionTrait>(conn: &C, week: NaiveDate, found: &[Discrepancy], currency: &str) -> Result<(), DbErr> {
    let b = conn.get_database_backend();
    conn.execute(stmt(b, "DELETE FROM settlement_discrepancies WHERE week_ending = $1", [week.to_string().into()])).await?;
    let now = now_ms();
    for d in found {
        let vals: Vec<Value> = vec![
            week.to_string().into(),
            d.day.to_string().into(),
            d.part_number.clone().into(),
            d.kind.as_str().into(),
            d.entity().into(),
            d.order_references.join(",").into(),
            figure_text(d.report, currency).into(),
            figure_text(d.magento, currency).into(),
            d.detail.clone().into(),
            "open".into(),
            now.into(),
        ];
        conn.execute(stmt(
            b,
            "INSERT INTO settlement_discrepancies (week_ending, day_date, part_number, kind, entity, order_references, \
               report_figure, magento_figure, detail, status, found_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            vals,
        ))
        .await?;
    }
    Ok(())
}

fn discrepancy_row(r: &QueryResult) -> Result<DiscrepancyRow, DbErr> {
    let refs: String = r.try_get("", "order_references")?;
    Ok(DiscrepancyRow {
        id: r.try_get("", "id")?,
        week_ending: r.try_get("", "week_ending")?,
        day: r.try_get("", "day_date")?,
        part_number: r.try_get("", "part_number")?,
        kind: r.try_get("", "kind")?,
        entity: r.try_get("", "entity")?,
        order_references: refs.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
        report_figure: r.try_get("", "report_figure")?,
        magento_figure: r.try_get("", "magento_figure")?,
        detail: r.try_get("", "detail")?,
        status: r.try_get("", "status")?,
        found_at: r.try_get("", "found_at")?,
    })
}

/// A page of discrepancies, newest id first, below `before` when given.
pub async fn list_discrepancies<C: ConnectionTrait>(
    conn: &C,
    week: Option<&str>,
    status: Option<&str>,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<DiscrepancyRow>, DbErr> {
    let mut sql = "SELECT id, week_ending, day_date, part_number, kind, entity, order_references, report_figure, magento_figure, \
                   detail, status, found_at FROM settlement_discrepancies WHERE 1 = 1"
        .to_owned();
    let mut vals: Vec<Value> = Vec::new();
    for (col, v) in [("week_ending", week.map(str::to_owned)), ("status", status.map(str::to_owned))] {
        if let Some(v) = v {
            vals.push(v.into());
            sql.push_str(&format!(" AND {col} = ${}", vals.len()));
        }
    }
    if let Some(b) = before {
        vals.push(b.into());
        sql.push_str(&format!(" AND id < ${}", vals.len()));
    }
    sql.push_str(&format!(" ORDER BY id DESC LIMIT {limit}"));
    conn.query_all(stmt(conn.get_database_backend(), &sql, vals)).await?.iter().map(discrepancy_row).collect()
}
