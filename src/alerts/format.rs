//! Message bodies: Slack-compatible `{"text": …}` or a generic JSON document (which also
//! carries `text`). Only kinds, entity ids and exception ids: never error text, which may
//! quote addresses or names.
use super::batch::Message;
use super::{AlertItem, ConditionItem};
use crate::config::AlertFormat;
use crate::domain::exception::ExceptionKind;
use serde_json::{json, Value};

/// Lines listed per section before "… and N more".
const MAX_LINES: usize = 20;

/// What the kind means for the shop, in a few words.
pub fn meaning(kind: ExceptionKind) -> &'static str {
    match kind {
        ExceptionKind::SkuMismatch => "SKU does not match exactly between Magento and John Lewis",
        ExceptionKind::PartNumberUnmapped => "no John Lewis part number mapped for the SKU",
        ExceptionKind::CarrierUnmapped => "Magento carrier has no approved John Lewis carrier",
        ExceptionKind::AddressInvalid => "order address cannot be used in Magento",
        ExceptionKind::MarketplaceRejected => "John Lewis refused an update",
        ExceptionKind::MagentoRejected => "Magento refused a request",
        ExceptionKind::PollFailed => "orders are not being downloaded from John Lewis",
        ExceptionKind::AcknowledgeOverdue => "an order is waiting too long for acknowledgement",
        ExceptionKind::ShippedNotConfirmed => "a shipped parcel is not confirmed to John Lewis",
        ExceptionKind::StockDrift => "John Lewis shows a different stock level than intended",
        ExceptionKind::SettlementMismatch => "a sales report line does not match Magento",
        ExceptionKind::WebhookUnprocessable => "a Magento webhook could not be processed",
    }
}

fn lines(items: &[AlertItem], out: &mut String) {
    for i in items.iter().take(MAX_LINES) {
        out.push_str(&format!("\n• {} — {} (exception #{})", i.kind, i.entity, i.id));
    }
    if items.len() > MAX_LINES {
        out.push_str(&format!("\n… and {} more", items.len() - MAX_LINES));
    }
}

/// The human-readable text of a message.
pub fn text(m: &Message) -> String {
    let mut out = String::new();
    if m.urgent {
        if let Some(c) = m.raised.first() {
            out.push_str(&format!(":rotating_light: jlbridge: {} — {}: {}.", c.condition.as_str(), c.condition.meaning(), c.detail));
            return out;
        }
        if let Some(i) = m.opened.first() {
            out.push_str(&format!(
                ":rotating_light: jlbridge: {} — {} (exception #{}): {}.",
                i.kind,
                i.entity,
                i.id,
                meaning(i.kind)
            ));
        }
        return out;
    }
    if !m.opened.is_empty() {
        let n = m.opened.len();
        out.push_str(&format!(":warning: jlbridge: {n} new exception{}", if n == 1 { "" } else { "s" }));
        lines(&m.opened, &mut out);
    }
    if !m.resolved.is_empty() {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&format!(":white_check_mark: jlbridge: {} resolved", m.resolved.len()));
        lines(&m.resolved, &mut out);
    }
    for c in &m.cleared {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&format!(":white_check_mark: jlbridge: {} ended ({})", c.condition.as_str(), c.detail));
    }
    out
}

fn conditions_json(items: &[ConditionItem]) -> Value {
    items.iter().map(|c| json!({"condition": c.condition.as_str(), "detail": c.detail})).collect()
}

fn items_json(items: &[AlertItem]) -> Value {
    items
        .iter()
        .map(|i| json!({"id": i.id, "kind": i.kind.as_str(), "entity": i.entity, "count": i.count}))
        .collect()
}

/// The request body for the configured format.
pub fn body(format: AlertFormat, m: &Message) -> Value {
    match format {
        AlertFormat::Slack => json!({ "text": text(m) }),
        AlertFormat::Json => json!({
            "source": "jlbridge",
            "urgent": m.urgent,
            "text": text(m),
            "opened": items_json(&m.opened),
            "resolved": items_json(&m.resolved),
            "conditions_raised": conditions_json(&m.raised),
            "conditions_cleared": conditions_json(&m.cleared),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_name_kind_entity_and_id() {
        let item = AlertItem { id: 7, kind: ExceptionKind::CarrierUnmapped, entity: "order 123".into(), count: 2 };
        let m = Message { opened: vec![item.clone()], resolved: vec![item], ..Message::default() };
        let t = text(&m);
        assert!(t.contains("1 new exception\n• carrier_unmapped — order 123 (exception #7)"), "{t}");
        assert!(t.contains("1 resolved"), "{t}");
        assert_eq!(body(AlertFormat::Json, &m)["opened"][0]["entity"], "order 123");
        assert!(body(AlertFormat::Slack, &m).get("opened").is_none());
    }
}
