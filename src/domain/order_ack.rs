//! What an acknowledgement says, and which lines cannot be fulfilled. Pure.
//!
//! John Lewis wants every order acknowledged in full (all lines, full quantity) with an
//! expected dispatch date and delivery date and the `fulfillment_route`; lines we cannot
//! fulfil are then cancelled (pre-dispatch cancellation, whole units) or backordered with a
//! new date, by configured rule.
use super::order::PartNumber;
use crate::marketplace::{AckLine, BackorderLine, CancelLine};
use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use serde::Deserialize;

/// What to do with a line that cannot be fulfilled, after the acknowledgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum UnfulfillableRule {
    /// Cancel the line (its open units) with the reason as comment.
    #[default]
    Cancel,
    /// Put the line on backorder with a later dispatch date.
    Backorder,
}

/// `n` working days (Monday to Friday) after `from`; `n = 0` is `from` itself when it is a
/// working day, else the next working day.
pub fn add_working_days(from: NaiveDate, n: u32) -> NaiveDate {
    let working = |d: NaiveDate| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
    let mut d = from;
    while !working(d) {
        d = d.succ_opt().expect("date in range");
    }
    let mut left = n;
    while left > 0 {
        d = d.succ_opt().expect("date in range");
        if working(d) {
            left -= 1;
        }
    }
    d
}

/// Dispatch and delivery dates promised in an acknowledgement (end of the working day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AckDates {
    pub dispatch: NaiveDateTime,
    pub delivery: NaiveDateTime,
}

pub fn ack_dates(today: NaiveDate, handling_days: u32, delivery_days: u32) -> AckDates {
    let at = NaiveTime::from_hms_opt(17, 0, 0).expect("valid time");
    let dispatch = add_working_days(today, handling_days);
    let delivery = add_working_days(dispatch, delivery_days.max(1));
    AckDates { dispatch: dispatch.and_time(at), delivery: delivery.and_time(at) }
}

/// A stored line as the acknowledgement rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineFacts {
    pub line_ref: String,
    pub part_number: PartNumber,
    pub quantity: u32,
    /// The Magento SKU from the mapping, if any.
    pub sku: Option<String>,
    /// The quantity we may sell now (after buffer rules), when known.
    pub available: Option<i64>,
}

/// The acknowledgement: every line, full quantity.
pub fn ack_lines(lines: &[LineFacts], dates: AckDates, route: &str, sub_status: &str) -> Vec<AckLine> {
    lines
        .iter()
        .map(|l| AckLine {
            line_ref: l.line_ref.clone(),
            part_number: l.part_number.clone(),
            quantity: l.quantity,
            sub_status: Some(sub_status.to_owned()),
            dispatch_date: Some(dates.dispatch),
            delivery_date: Some(dates.delivery),
            comment: None,
            fulfillment_route: Some(route.to_owned()),
        })
        .collect()
}

/// Lines that cannot be fulfilled, with the reason (kept on the line and sent as comment).
/// Lines of one SKU share its available quantity, in line order.
pub fn unfulfillable(lines: &[LineFacts]) -> Vec<(String, String)> {
    let mut used: std::collections::HashMap<&str, i64> = Default::default();
    let mut out = Vec::new();
    for l in lines {
        let Some(sku) = &l.sku else {
            out.push((l.line_ref.clone(), format!("part number {} is not mapped to a Magento SKU", l.part_number)));
            continue;
        };
        if let Some(avail) = l.available {
            let taken = used.entry(sku.as_str()).or_default();
            if avail - *taken < l.quantity as i64 {
                out.push((l.line_ref.clone(), format!("not enough stock for {sku}: {} available after buffer", (avail - *taken).max(0))));
                continue;
            }
            *taken += l.quantity as i64;
        }
    }
    out
}

/// Cancellation lines for `(line, open units, reason)`; lines with nothing open are left out.
pub fn cancel_lines(lines: &[(&LineFacts, u32, &str)]) -> Vec<CancelLine> {
    lines
        .iter()
        .filter(|(_, open, _)| *open > 0)
        .map(|(l, open, reason)| CancelLine {
            line_ref: l.line_ref.clone(),
            part_number: l.part_number.clone(),
            quantity: *open,
            comment: Some(truncate(reason, 255)),
        })
        .collect()
}

pub fn backorder_lines(lines: &[(&LineFacts, &str)], dates: AckDates, route: &str) -> Vec<BackorderLine> {
    lines
        .iter()
        .map(|(l, reason)| BackorderLine {
            line_ref: l.line_ref.clone(),
            part_number: l.part_number.clone(),
            quantity: l.quantity,
            sub_status: "Backorder".into(),
            dispatch_date: dates.dispatch,
            delivery_date: Some(dates.delivery),
            comment: Some(truncate(reason, 255)),
            fulfillment_route: Some(route.to_owned()),
        })
        .collect()
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn line(r: &str, sku: Option<&str>, qty: u32, avail: Option<i64>) -> LineFacts {
        LineFacts { line_ref: r.into(), part_number: PartNumber("58000128".into()), quantity: qty, sku: sku.map(Into::into), available: avail }
    }

    #[test]
    fn working_days_skip_weekends() {
        // 2026-11-27 is a Friday.
        assert_eq!(add_working_days(d(2026, 11, 27), 0), d(2026, 11, 27));
        assert_eq!(add_working_days(d(2026, 11, 27), 1), d(2026, 11, 30));
        assert_eq!(add_working_days(d(2026, 11, 28), 0), d(2026, 11, 30), "Saturday rolls to Monday");
        assert_eq!(add_working_days(d(2026, 11, 25), 5), d(2026, 12, 2));
        let dates = ack_dates(d(2026, 11, 27), 1, 3);
        assert_eq!(dates.dispatch.date(), d(2026, 11, 30));
        assert_eq!(dates.delivery.date(), d(2026, 12, 3));
    }

    #[test]
    fn acknowledgement_is_in_full() {
        let lines = [line("1", Some("A"), 2, None), line("2", None, 3, None)];
        let ack = ack_lines(&lines, ack_dates(d(2026, 11, 27), 1, 3), "Direct to customer", "Pending");
        assert_eq!(ack.iter().map(|a| a.quantity).collect::<Vec<_>>(), [2, 3]);
        assert!(ack.iter().all(|a| a.fulfillment_route.as_deref() == Some("Direct to customer")));
    }

    #[test]
    fn unknown_part_numbers_and_short_stock_are_unfulfillable() {
        let lines = [line("1", Some("A"), 2, Some(3)), line("2", Some("A"), 2, Some(3)), line("3", None, 1, None), line("4", Some("B"), 5, None)];
        let bad = unfulfillable(&lines);
        assert_eq!(bad.iter().map(|b| b.0.as_str()).collect::<Vec<_>>(), ["2", "3"]);
        assert!(bad[0].1.contains("1 available"), "{}", bad[0].1);
        assert!(bad[1].1.contains("not mapped"));
    }

    #[test]
    fn cancellation_is_whole_open_units() {
        let l = line("1", Some("A"), 3, None);
        let c = cancel_lines(&[(&l, 2, "out of stock"), (&l, 0, "none left")]);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].quantity, 2);
    }
}
