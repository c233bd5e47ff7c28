//! The weekly settlement summary as CSV: one row per product, then a TOTAL row.
use crate::domain::settlement::{ProductSummary, Reconciliation};

pub const HEADER: &[&str] = &[
    "week_ending",
    "part_number",
    "currency",
    "gross_sales",
    "returns",
    "net_sales",
    "units_sold",
    "units_returned",
    "magento_gross",
    "magento_returns",
    "lines",
    "matched_lines",
    "unmatched_lines",
];

fn row(week: &str, currency: &str, p: &ProductSummary) -> Vec<String> {
    vec![
        week.to_owned(),
        p.part_number.clone(),
        currency.to_owned(),
        format!("{:.2}", p.gross_sales),
        format!("{:.2}", p.returns),
        format!("{:.2}", p.net()),
        p.units_sold.to_string(),
        p.units_returned.to_string(),
        format!("{:.2}", p.magento_gross),
        format!("{:.2}", p.magento_returns),
        p.lines.to_string(),
        p.matched_lines.to_string(),
        p.unmatched_lines.to_string(),
    ]
}

pub fn write<W: std::io::Write>(out: W, r: &Reconciliation) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(HEADER)?;
    let week = r.week_ending.to_string();
    for p in &r.products {
        w.write_record(row(&week, r.currency.as_str(), p))?;
    }
    w.write_record(row(&week, r.currency.as_str(), &r.total))?;
    w.flush()?;
    Ok(())
}
