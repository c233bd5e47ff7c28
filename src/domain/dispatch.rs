//! Dispatch rules: which John Lewis lines and quantities a Magento shipment confirms, what is
//! left to send after earlier attempts, expected delivery dates, and the post-dispatch
//! cancellation lines. Pure: the caller reads the order and the ledger.
//!
//! * Only the shipment's own lines and quantities are dispatched (John Lewis has not said it
//!   wants every shipped line resent as Argos does, `reference/jl-edge.md` §7; The Edge adds
//!   partial dispatch quantities up per line).
//! * A line is found by `marketplace_line_ref`, else by SKU (the line's supplier/retailer SKU)
//!   or by the SKU's mapped part number.
//! * Acknowledgement first: a line still in `ORDER` means "not yet, retry later".
//! * What already landed is not sent again: quantities recorded for this shipment are taken
//!   off, and a line The Edge already shows as `DISPATCH` is not sent at all.
use super::order::{MarketplaceOrder, OrderLine, OrderStatus, PartNumber};
use super::webhook_event::ShipmentItem;
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use std::collections::BTreeMap;
use std::fmt;

/// One John Lewis line and the units a shipment confirms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedLine {
    pub line_ref: String,
    pub part_number: PartNumber,
    pub quantity: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanError {
    /// The order (or a shipped line) is not acknowledged yet: retry once it is.
    NotAcknowledged { line_ref: String },
    /// No John Lewis line for this shipped SKU.
    LineNotFound { sku: String },
    /// The line was cancelled on John Lewis; Magento shipped it anyway.
    LineCancelled { line_ref: String, status: String },
    /// More units shipped than the line holds.
    TooMany { line_ref: String, shipped: u64, ordered: u32 },
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::NotAcknowledged { line_ref } => write!(f, "line {line_ref} is not acknowledged on John Lewis yet"),
            PlanError::LineNotFound { sku } => {
                write!(f, "no John Lewis order line for shipped SKU {sku:?} (no line ref, SKU or mapped part number matches)")
            }
            PlanError::LineCancelled { line_ref, status } => {
                write!(f, "line {line_ref} is {status} on John Lewis but Magento shipped it")
            }
            PlanError::TooMany { line_ref, shipped, ordered } => {
                write!(f, "shipment confirms {shipped} units of line {line_ref}, which has {ordered}")
            }
        }
    }
}

fn find_line<'a>(
    item: &ShipmentItem,
    order: &'a MarketplaceOrder,
    part_for_sku: &dyn Fn(&str) -> Option<PartNumber>,
) -> Option<&'a OrderLine> {
    if let Some(r) = item.marketplace_line_ref.as_deref().filter(|r| !r.trim().is_empty()) {
        if let Some(l) = order.lines.iter().find(|l| l.line_ref == r) {
            return Some(l);
        }
    }
    let part = part_for_sku(&item.sku);
    order.lines.iter().find(|l| {
        l.supplier_sku.as_deref() == Some(item.sku.as_str())
            || l.retailer_sku.as_deref() == Some(item.sku.as_str())
            || part.as_ref() == Some(&l.part_number)
    })
}

/// The lines and quantities a shipment confirms (items of one line are added up).
pub fn plan_lines(
    items: &[ShipmentItem],
    order: &MarketplaceOrder,
    part_for_sku: &dyn Fn(&str) -> Option<PartNumber>,
) -> Result<Vec<PlannedLine>, PlanError> {
    let mut per_line: BTreeMap<String, (PartNumber, u64, u32)> = BTreeMap::new();
    for item in items.iter().filter(|i| i.qty > 0) {
        let line = find_line(item, order, part_for_sku).ok_or_else(|| PlanError::LineNotFound { sku: item.sku.clone() })?;
        match &line.status {
            OrderStatus::Order => return Err(PlanError::NotAcknowledged { line_ref: line.line_ref.clone() }),
            OrderStatus::CancelAck => {
                return Err(PlanError::LineCancelled { line_ref: line.line_ref.clone(), status: line.status.as_str().into() })
            }
            _ => {}
        }
        let e = per_line.entry(line.line_ref.clone()).or_insert((line.part_number.clone(), 0, line.quantity));
        e.1 += item.qty as u64;
    }
    per_line
        .into_iter()
        .map(|(line_ref, (part_number, shipped, ordered))| {
            if shipped > u64::from(ordered) {
                return Err(PlanError::TooMany { line_ref, shipped, ordered });
            }
            Ok(PlannedLine { line_ref, part_number, quantity: shipped as u32 })
        })
        .collect()
}

/// What is left to send: units already recorded for this shipment are taken off, and lines
/// The Edge already shows as dispatched are dropped (the earlier call landed).
pub fn still_to_send(planned: &[PlannedLine], sent: &BTreeMap<String, u32>, order: &MarketplaceOrder) -> Vec<PlannedLine> {
    planned
        .iter()
        .filter(|p| !order.lines.iter().any(|l| l.line_ref == p.line_ref && l.status == OrderStatus::Dispatch))
        .filter_map(|p| {
            let left = p.quantity.saturating_sub(sent.get(&p.line_ref).copied().unwrap_or(0));
            (left > 0).then(|| PlannedLine { quantity: left, ..p.clone() })
        })
        .collect()
}

/// `days` working days (Monday–Friday) after `from`.
pub fn add_working_days(from: NaiveDate, days: u32) -> NaiveDate {
    let mut d = from;
    let mut left = days;
    while left > 0 {
        d += Duration::days(1);
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    d
}

/// A line as dispatched so far, for post-dispatch cancellations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DispatchedLine {
    pub line_ref: String,
    pub part_number: PartNumber,
    pub dispatched: u32,
    pub cancelled: u32,
    pub carrier: String,
}

/// Units to cancel post-dispatch, per line: what was asked (`None`: everything dispatched),
/// capped at what is dispatched and not yet cancelled. Whole units only by type.
pub fn post_dispatch_cancellations(lines: &[DispatchedLine], requested: Option<&BTreeMap<String, u32>>) -> Vec<(DispatchedLine, u32)> {
    lines
        .iter()
        .filter_map(|l| {
            let open = l.dispatched.saturating_sub(l.cancelled);
            let want = match requested {
                None => open,
                Some(r) => r.get(&l.line_ref).copied().unwrap_or(0),
            };
            let q = want.min(open);
            (q > 0).then(|| (l.clone(), q))
        })
        .collect()
}

/// A credit-memo quantity as whole units; `None` for fractions or negatives.
pub fn whole_units(qty: rust_decimal::Decimal) -> Option<u32> {
    use rust_decimal::prelude::ToPrimitive;
    if qty.fract().is_zero() {
        qty.to_u32()
    } else {
        None
    }
}

#[cfg(test)]
#[path = "dispatch_tests.rs"]
mod tests;
