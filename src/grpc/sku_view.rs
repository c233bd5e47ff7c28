//! A SKU's stock state as `pb::Sku`, and buffer explanations as `pb::BufferExplanation`.
use super::convert::rfc3339;
use super::pb;
use crate::domain::buffer::Explanation;
use crate::store::mapping::Mapping;
use crate::store::stock::StockState;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use std::str::FromStr;

pub fn explanation(e: &Explanation) -> pb::BufferExplanation {
    let whole = Decimal::from_str(&e.input).ok().and_then(|d| d.floor().to_i64()).unwrap_or_default();
    pb::BufferExplanation {
        input: whole,
        rules: e.steps.iter().map(|s| pb::AppliedRule { rule: s.rule.clone(), before: s.before, after: s.after }).collect(),
        output: i64::from(e.output),
        input_text: e.input.clone(),
        layers: e.layers.clone(),
    }
}

fn stamp(ms: Option<i64>) -> String {
    ms.map(rfc3339).unwrap_or_default()
}

/// Everything known about a SKU; `state` is `None` before any observation.
pub fn sku(
    sku: &str,
    mapping: Option<&Mapping>,
    state: Option<&StockState>,
    price: Option<Decimal>,
    open_exception_ids: Vec<i64>,
) -> pb::Sku {
    let mut out = pb::Sku {
        sku: sku.to_owned(),
        part_number: mapping.map(|m| m.part_number.clone()).unwrap_or_default(),
        price: price.map(|p| p.to_string()).unwrap_or_default(),
        open_exception_ids,
        ..Default::default()
    };
    let Some(s) = state else { return out };
    out.magento_quantity =
        s.observed_qty.as_deref().and_then(|q| Decimal::from_str(q).ok()).and_then(|d| d.floor().to_i64()).unwrap_or_default();
    out.observed_at = stamp(s.observed_at.map(|us| us.div_euclid(1000)));
    out.explanation = s.explanation.as_deref().and_then(|e| serde_json::from_str::<Explanation>(e).ok()).map(|e| explanation(&e));
    out.sent_quantity = s.sent_value.unwrap_or_default();
    out.sent_at = stamp(s.sent_at);
    out.pending = s.pending;
    if s.pending {
        out.pending_quantity = s.computed_value.unwrap_or_default();
        out.pending_since = stamp(s.changed_at);
    }
    out.shown_quantity = s.shown_value.unwrap_or_default();
    out.shown_at = stamp(s.shown_at);
    out.last_error = s.last_error.clone().unwrap_or_default();
    out.push_attempts = s.attempts.max(0) as u32;
    out
}
