//! Imports one sales report file: parse (CSV or the first sheet of a workbook), store it
//! (idempotent per week; a corrected report replaces the old one with an audit entry), then
//! match the week, and the week before (its last-day sales may be in this report).
use super::reconcile::{compute_week, reconcile_week};
use crate::sync::sheet as table;
use crate::domain::money::Currency;
use crate::domain::sales_report::{self, Report};
use crate::domain::settlement::Reconciliation;
use crate::ops::Ops;
use crate::store::{audit, finance};
use anyhow::anyhow;
use chrono::Days;
use sea_orm::DatabaseConnection;
use serde_json::json;
use std::path::Path;

#[derive(Debug, Clone)]
pub struct ImportOutcome {
    pub stored: finance::Stored,
    pub lines: usize,
    /// The week's matching (after the import).
    pub reconciliation: Option<Reconciliation>,
}

impl ImportOutcome {
    pub fn summary(&self) -> String {
        let (what, r) = match &self.stored {
            finance::Stored::New(r) => ("imported", r),
            finance::Stored::Unchanged(r) => ("unchanged (already imported with the same content)", r),
            finance::Stored::Replaced { after, .. } => ("replaced the earlier report for the week", after),
        };
        let found = self.reconciliation.as_ref().map(|r| r.discrepancies.len()).unwrap_or(0);
        format!("week ending {}: {what}; {} lines; {found} discrepancies", r.week_ending, self.lines)
    }
}

/// Parses a file into a report; errors name the file, row and column.
pub fn parse_file(path: &Path) -> anyhow::Result<Report> {
    let t = table::read(path)?;
    sales_report::parse(&t.header, &t.rows, t.header_row).map_err(|e| anyhow!("{}: {e}", path.display()))
}

/// Imports a parsed report. `actor` is who asked (`cli`, `inbox`) for the audit row.
pub async fn import_report(
    db: &DatabaseConnection,
    ops: Option<&Ops>,
    report: &Report,
    source_name: &str,
    actor: &str,
    currency: Currency,
) -> anyhow::Result<ImportOutcome> {
    let txn = crate::store::begin_write(db).await?;
    let stored = finance::store_report(&txn, report, source_name, currency.as_str()).await?;
    let week = report.week_ending.to_string();
    match &stored {
        finance::Stored::Unchanged(_) => {}
        finance::Stored::New(r) => {
            let args = json!({ "week_ending": week, "file": source_name, "lines": r.line_count, "content_hash": r.content_hash });
            audit::record(&txn, actor, "finance.sales_report.import", &args, "ok: imported").await?;
        }
        finance::Stored::Replaced { before, after } => {
            let args = json!({
                "week_ending": week,
                "file": source_name,
                "previous_file": before.source_name,
                "previous_lines": before.line_count,
                "previous_hash": before.content_hash,
                "lines": after.line_count,
                "content_hash": after.content_hash,
                "version": after.version,
            });
            audit::record(&txn, actor, "finance.sales_report.replace", &args, "ok: replaced").await?;
        }
    }
    txn.commit().await?;
    if let finance::Stored::Unchanged(_) = stored {
        // Same week, same content: nothing is written, nothing raised again.
        let reconciliation = compute_week(db, report.week_ending, currency).await?;
        return Ok(ImportOutcome { stored, lines: report.lines.len(), reconciliation });
    }
    let reconciliation = reconcile_week(db, ops, report.week_ending, currency).await?;
    {
        if let Some(prev) = report.week_ending.checked_sub_days(Days::new(7)) {
            reconcile_week(db, ops, prev, currency).await?;
        }
    }
    Ok(ImportOutcome { stored, lines: report.lines.len(), reconciliation })
}

/// Reads and imports one file.
pub async fn import_file(
    db: &DatabaseConnection,
    ops: Option<&Ops>,
    path: &Path,
    actor: &str,
    currency: Currency,
) -> anyhow::Result<ImportOutcome> {
    let report = parse_file(path)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    import_report(db, ops, &report, &name, actor, currency).await
}
