//! Runs the matching for a week (or for one order's weeks): loads the report, the next
//! week's (for last-day slips) and what jlbridge dispatched, stores the discrepancies, raises
//! one `settlement_mismatch` per discrepancy (both figures in the detail) and resolves those
//! that a corrected report or later dispatch has cleared.
use crate::domain::exception::ExceptionKind;
use crate::domain::money::Currency;
use crate::domain::sales_report::week_start;
use crate::domain::settlement::{self, Discrepancy, Inputs, Reconciliation};
use crate::ops::Ops;
use crate::store::exceptions::{self as store_exceptions, NewException};
use crate::store::finance;
use chrono::{Datelike, Days, NaiveDate};
use sea_orm::{DatabaseConnection, DbErr};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

fn figure_json(f: Option<settlement::Figure>) -> serde_json::Value {
    match f {
        None => serde_json::Value::Null,
        Some(f) => json!({ "units": f.units, "value": format!("{:.2}", f.value) }),
    }
}

fn exception_of(d: &Discrepancy, currency: Currency) -> NewException {
    let text = |f: Option<settlement::Figure>| f.map(|f| f.text(currency)).unwrap_or_else(|| "none".into());
    let msg = format!("{}: report {}, jlbridge {} ({})", d.kind, text(d.report), text(d.magento), d.detail);
    NewException::new(ExceptionKind::SettlementMismatch, d.entity(), msg).with_detail(json!({
        "kind": d.kind.as_str(),
        "week_ending": d.week_ending.to_string(),
        "day": d.day.to_string(),
        "part_number": d.part_number,
        "currency": currency.as_str(),
        "report": figure_json(d.report),
        "magento": figure_json(d.magento),
        "order_references": d.order_references,
        "report_rows": d.rows,
    }))
}

/// The matching of a week as it stands, with no side effect; `None` when no report is
/// imported for it.
pub async fn compute_week(db: &DatabaseConnection, week: NaiveDate, currency: Currency) -> Result<Option<Reconciliation>, DbErr> {
    if finance::report_for_week(db, week).await?.is_none() {
        return Ok(None);
    }
    let lines = finance::report_lines(db, week).await?;
    let next_week = week.checked_add_days(Days::new(7)).unwrap_or(week);
    let next = match finance::report_for_week(db, next_week).await? {
        Some(_) => Some(finance::report_lines(db, next_week).await?),
        None => None,
    };
    let from = week_start(week).checked_sub_days(Days::new(7)).unwrap_or(week);
    let sold = finance::sold_lines(db, from, week, None).await?;
    Ok(Some(settlement::reconcile(&Inputs { week_ending: week, currency, report: &lines, next_week: next.as_deref(), sold: &sold })))
}

/// Matches a week again and records the outcome: the week's discrepancies replaced, a
/// `settlement_mismatch` raised for each new or changed one, and resolved for each gone.
/// Running it again with nothing changed changes nothing. `None` when no report is imported.
pub async fn reconcile_week(
    db: &DatabaseConnection,
    ops: Option<&Ops>,
    week: NaiveDate,
    currency: Currency,
) -> Result<Option<Reconciliation>, DbErr> {
    let Some(r) = compute_week(db, week, currency).await? else { return Ok(None) };
    let before: BTreeMap<String, (String, String, String, String)> = finance::list_discrepancies(db, Some(&week.to_string()), None, None, i64::MAX as u64)
        .await?
        .into_iter()
        .map(|d| (d.entity, (d.kind, d.report_figure, d.magento_figure, d.detail)))
        .collect();
    let now: BTreeMap<String, (String, String, String, String)> = r
        .discrepancies
        .iter()
        .map(|d| {
            let t = |f| finance::figure_text(f, currency.as_str());
            (d.entity(), (d.kind.as_str().to_owned(), t(d.report), t(d.magento), d.detail.clone()))
        })
        .collect();
    if before == now {
        return Ok(Some(r));
    }
    let txn = crate::store::begin_write(db).await?;
    finance::replace_discrepancies(&txn, week, &r.discrepancies, currency.as_str()).await?;
    txn.commit().await?;
    for d in &r.discrepancies {
        if before.get(&d.entity()) == now.get(&d.entity()) {
            continue;
        }
        let e = exception_of(d, currency);
        match ops {
            Some(o) => {
                o.raise_exception(e).await?;
            }
            None => {
                store_exceptions::raise(db, &e).await?;
            }
        }
    }
    for gone in before.keys().filter(|k| !now.contains_key(*k)) {
        let note = "cleared by a later matching (corrected report or new dispatch)";
        match ops {
            Some(o) => {
                o.resolve_entity(ExceptionKind::SettlementMismatch, gone, note).await?;
            }
            None => {
                store_exceptions::resolve_entity(db, ExceptionKind::SettlementMismatch, gone, note).await?;
            }
        }
    }
    Ok(Some(r))
}

/// The week ending that contains `day`, given the weekday reports end on.
pub fn week_ending_for(day: NaiveDate, ends_on: chrono::Weekday) -> NaiveDate {
    let ahead = (7 + ends_on.num_days_from_monday() as i64 - day.weekday().num_days_from_monday() as i64) % 7;
    day.checked_add_days(Days::new(ahead as u64)).unwrap_or(day)
}

/// One order's figures against the reports: re-matches every imported week its dispatches
/// and returns fall in, and returns its lines and the discrepancies that name it.
pub struct OrderReconciliation {
    pub sold: Vec<settlement::SoldLine>,
    /// Weeks with an imported report that were matched.
    pub weeks: Vec<NaiveDate>,
    /// Days with figures for which no report is imported yet.
    pub unreported_days: Vec<NaiveDate>,
    pub discrepancies: Vec<finance::DiscrepancyRow>,
}

pub async fn reconcile_order(
    db: &DatabaseConnection,
    ops: Option<&Ops>,
    reference: &str,
    currency: Currency,
) -> Result<OrderReconciliation, DbErr> {
    let far = NaiveDate::from_ymd_opt(2000, 1, 1).expect("date");
    let end = NaiveDate::from_ymd_opt(2100, 1, 1).expect("date");
    let sold = finance::sold_lines(db, far, end, Some(reference)).await?;
    // Reports end on the same weekday; take it from the latest one.
    let ends_on = finance::latest_report(db).await?.map(|r| r.week_ending.weekday());
    let mut weeks = BTreeSet::new();
    let mut unreported = BTreeSet::new();
    for s in &sold {
        let Some(wd) = ends_on else {
            unreported.insert(s.day);
            continue;
        };
        let w = week_ending_for(s.day, wd);
        if finance::report_for_week(db, w).await?.is_some() {
            weeks.insert(w);
        } else {
            unreported.insert(s.day);
        }
    }
    let mut discrepancies = Vec::new();
    for w in &weeks {
        reconcile_week(db, ops, *w, currency).await?;
        let rows = finance::list_discrepancies(db, Some(&w.to_string()), None, None, i64::MAX as u64).await?;
        discrepancies.extend(rows.into_iter().filter(|d| d.order_references.iter().any(|r| r == reference)));
    }
    Ok(OrderReconciliation {
        sold,
        weeks: weeks.into_iter().collect(),
        unreported_days: unreported.into_iter().collect(),
        discrepancies,
    })
}
