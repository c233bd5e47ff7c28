//! The order rules of the simulated Edge: what the seller may send in which status, and what
//! the retailer (John Lewis) may do. Acknowledge every line in full before anything else; whole
//! quantities; cancellation requests while New/Processing/Backorder; known carrier slugs.
use super::state::{Line, NewLine, NewOrder, Refusal, Return, ShipTo, Store};
use chrono::{NaiveDate, NaiveDateTime, Utc};
use serde_json::Value;

pub const CANCELLED_POST_DISPATCH: &str = "CANCELLED POST-DISPATCH";

/// One parsed request line (`items[]`).
pub struct Item<'a> {
    pub part_number: String,
    pub line_ref: String,
    pub quantity: u32,
    pub raw: &'a Value,
}

impl Item<'_> {
    pub fn text(&self, key: &str) -> Option<String> {
        match self.raw.get(key)? {
            Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
}

fn text_field(v: &Value, key: &str) -> Result<String, Refusal> {
    match v.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => Err(Refusal::required(key)),
    }
}

/// A "Create an Order" body (retailer side). The documented example has no `part_number` per
/// item; the retailer SKU is the part number then, as in the documented order listing.
pub fn new_order_from_json(v: &Value) -> Result<NewOrder, Refusal> {
    let reference = text_field(v, "order_reference")?;
    let mut order = NewOrder::new(reference);
    order.order_date = match v.get("order_date").and_then(Value::as_str) {
        Some(d) => Some(
            NaiveDateTime::parse_from_str(d, "%Y-%m-%dT%H:%M:%S")
                .map_err(|_| Refusal::validation("INVALID_DATE", "order_date must be YYYY-MM-DDTHH:MM:SS"))?,
        ),
        None => return Err(Refusal::required("order_date")),
    };
    order.comment = v.get("comment").and_then(Value::as_str).map(str::to_owned);
    let a = v.get("shipping_address").ok_or_else(|| Refusal::required("shipping_address"))?;
    let opt = |k: &str| a.get(k).and_then(Value::as_str).map(str::to_owned);
    order.ship_to = ShipTo {
        full_name: text_field(a, "full_name")?,
        line_1: text_field(a, "line_1")?,
        line_2: opt("line_2"),
        city: opt("city"),
        postal_code: text_field(a, "postal_code")?,
        country: text_field(a, "country")?,
        phone: opt("phone"),
        email: opt("email"),
    };
    let items = v.get("items").and_then(Value::as_array).filter(|i| !i.is_empty()).ok_or_else(|| Refusal::required("items"))?;
    for it in items {
        let part = text_field(it, "part_number").or_else(|_| text_field(it, "retailer_sku_reference"))?;
        let quantity = it.get("quantity").and_then(Value::as_u64).filter(|q| *q > 0).ok_or_else(|| Refusal::required("quantity"))?;
        let price = it.get("unit_cost_price").and_then(Value::as_str).unwrap_or("0.00");
        let price = price.parse().map_err(|_| Refusal::validation("INVALID_PRICE", format!("unit_cost_price {price:?}")))?;
        let name = it.get("name").and_then(Value::as_str).map(str::to_owned);
        let line_ref = text_field(it, "line_reference").ok();
        order.lines.push(NewLine { line_ref, part_number: part, quantity: quantity as u32, unit_price: price, name });
    }
    Ok(order)
}

/// Reads `{"items": [...]}` with whole, positive quantities.
pub fn parse_items(body: &Value) -> Result<Vec<Item<'_>>, Refusal> {
    let items = body.get("items").and_then(Value::as_array).ok_or_else(|| Refusal::required("items"))?;
    if items.is_empty() {
        return Err(Refusal::validation("ITEMS_REQUIRED", "At least one item is required"));
    }
    items
        .iter()
        .map(|raw| {
            let quantity = match raw.get("quantity") {
                Some(Value::Number(n)) => n.as_u64().filter(|q| *q > 0).ok_or_else(|| {
                    Refusal::validation("INVALID_QUANTITY", format!("Quantity {n} must be a whole number above zero"))
                })?,
                Some(Value::String(s)) => s.trim().parse::<u64>().ok().filter(|q| *q > 0).ok_or_else(|| {
                    Refusal::validation("INVALID_QUANTITY", format!("Quantity {s:?} must be a whole number above zero"))
                })?,
                _ => return Err(Refusal::required("quantity")),
            };
            Ok(Item {
                part_number: text_field(raw, "part_number")?,
                line_ref: text_field(raw, "line_ref")?,
                quantity: quantity as u32,
                raw,
            })
        })
        .collect()
}

fn transition(line: &Line, to: &str) -> Refusal {
    Refusal::validation(
        "INVALID_STATUS_TRANSITION",
        format!("Not allowed to change state of item {} from {} to {to}", line.line_ref, line.status),
    )
}

fn valid_datetime(s: &str) -> bool {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").is_ok()
}

fn valid_date(s: &str) -> bool {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}


impl Store {
    /// Seller actions: `acknowledge`, `backorder`, `cancel_acknowledge`, `dispatch`, `return_acknowledge`.
    pub fn order_action(&mut self, id: u64, action: &str, body: &Value) -> Result<(), Refusal> {
        let carriers: Vec<String> = self.carriers.iter().map(|c| c.1.clone()).collect();
        let items = parse_items(body)?;
        let order = self.order_mut(id)?;
        // Validate everything first: an update applies whole or not at all.
        let mut idx = Vec::new();
        for it in &items {
            let i = order.lines.iter().position(|l| l.line_ref == it.line_ref).ok_or_else(|| {
                Refusal::validation("ORDER_LINE_REFERENCE_NOT_FOUND", format!("Line {} not found", it.line_ref))
            })?;
            if order.lines[i].part_number != it.part_number {
                return Err(Refusal::validation(
                    "PART_NUMBER_MISMATCH",
                    format!("Part number {} does not match item {}", it.part_number, it.line_ref),
                ));
            }
            idx.push(i);
        }
        match action {
            "acknowledge" => {
                for (it, &i) in items.iter().zip(&idx) {
                    let l = &order.lines[i];
                    if l.status != "ORDER" {
                        return Err(transition(l, "ORDER_ACK"));
                    }
                    if it.quantity != l.quantity {
                        return Err(Refusal::validation(
                            "PARTIAL_ACKNOWLEDGEMENT",
                            format!("Acknowledge quantity {} differs from ordered {} for item {}", it.quantity, l.quantity, l.line_ref),
                        ));
                    }
                    for k in ["supplier_dispatch_date", "supplier_delivery_date"] {
                        if it.text(k).is_some_and(|d| !valid_datetime(&d)) {
                            return Err(Refusal::validation("INVALID_DATE", format!("{k} must be YYYY-MM-DDTHH:MM:SS")));
                        }
                    }
                }
                if order.lines.iter().enumerate().any(|(i, _)| !idx.contains(&i)) {
                    return Err(Refusal::validation("PARTIAL_ACKNOWLEDGEMENT", "Every line of the order must be acknowledged"));
                }
                for (it, &i) in items.iter().zip(&idx) {
                    let l = &mut order.lines[i];
                    l.status = "ORDER_ACK".into();
                    l.sub_status = it.text("sub_status");
                    l.dispatch_date = it.text("supplier_dispatch_date");
                    l.delivery_date = it.text("supplier_delivery_date");
                    l.comment = it.text("comment");
                    l.fulfillment_route = it.text("fulfillment_route");
                }
            }
            "backorder" => {
                for (it, &i) in items.iter().zip(&idx) {
                    let l = &order.lines[i];
                    if !matches!(l.status.as_str(), "ORDER_ACK" | "BACKORDER") {
                        return Err(transition(l, "BACKORDER"));
                    }
                    it.text("sub_status").ok_or_else(|| Refusal::required("sub_status"))?;
                    let d = it.text("supplier_dispatch_date").ok_or_else(|| Refusal::required("supplier_dispatch_date"))?;
                    if !valid_datetime(&d) {
                        return Err(Refusal::validation("INVALID_DATE", "supplier_dispatch_date must be YYYY-MM-DDTHH:MM:SS"));
                    }
                }
                for (it, &i) in items.iter().zip(&idx) {
                    let l = &mut order.lines[i];
                    l.status = "BACKORDER".into();
                    l.sub_status = it.text("sub_status");
                    l.dispatch_date = it.text("supplier_dispatch_date");
                }
            }
            "cancel_acknowledge" => {
                for (it, &i) in items.iter().zip(&idx) {
                    let l = &order.lines[i];
                    if l.status != "CANCEL" {
                        return Err(transition(l, "CANCEL_ACK"));
                    }
                    if it.quantity != l.quantity - l.dispatched {
                        return Err(Refusal::validation(
                            "PARTIAL_CANCELLATION",
                            format!("Partial cancellation not allowed item {}", l.line_ref),
                        ));
                    }
                }
                for &i in &idx {
                    order.lines[i].status = "CANCEL_ACK".into();
                }
            }
            "dispatch" => {
                for (it, &i) in items.iter().zip(&idx) {
                    let l = &order.lines[i];
                    let carrier = it.text("carrier").ok_or_else(|| Refusal::required("carrier"))?;
                    let tracking = it.text("tracking_number").ok_or_else(|| Refusal::required("tracking_number"))?;
                    let date = it.text("supplier_dispatch_date").ok_or_else(|| Refusal::required("supplier_dispatch_date"))?;
                    if !valid_date(&date) {
                        return Err(Refusal::validation("INVALID_DATE", "supplier_dispatch_date must be YYYY-MM-DD"));
                    }
                    if !carriers.contains(&carrier) {
                        return Err(Refusal::validation("CARRIER_NOT_FOUND", format!("Carrier {carrier:?} is not a known slug")));
                    }
                    if tracking == CANCELLED_POST_DISPATCH {
                        if l.status != "DISPATCH" || it.quantity > l.dispatched - l.cancelled_post_dispatch {
                            return Err(transition(l, CANCELLED_POST_DISPATCH));
                        }
                        continue;
                    }
                    if !matches!(l.status.as_str(), "ORDER_ACK" | "BACKORDER" | "CANCEL") {
                        return Err(transition(l, "DISPATCH"));
                    }
                    if it.quantity > l.quantity - l.dispatched {
                        return Err(Refusal::validation(
                            "DISPATCH_QUANTITY_EXCEEDED",
                            format!("Dispatch quantity value {} is bigger than allowed for item {}", it.quantity, l.line_ref),
                        ));
                    }
                }
                for (it, &i) in items.iter().zip(&idx) {
                    let l = &mut order.lines[i];
                    if it.text("tracking_number").as_deref() == Some(CANCELLED_POST_DISPATCH) {
                        l.cancelled_post_dispatch += it.quantity;
                        continue;
                    }
                    l.dispatched += it.quantity;
                    if l.dispatched == l.quantity {
                        l.status = "DISPATCH".into();
                    }
                    l.carrier = it.text("carrier");
                    l.tracking_number = it.text("tracking_number");
                    l.tracking_url = it.text("tracking_url");
                    l.dispatch_date = it.text("supplier_dispatch_date");
                    l.delivery_date = it.text("supplier_delivery_date");
                }
            }
            "return_acknowledge" => {
                for &i in &idx {
                    if order.lines[i].status != "RMA" {
                        return Err(transition(&order.lines[i], "RMA_ACK"));
                    }
                }
                let refs: Vec<String> = idx.iter().map(|&i| order.lines[i].line_ref.clone()).collect();
                for &i in &idx {
                    order.lines[i].status = "RMA_ACK".into();
                }
                for r in self.returns.iter_mut().filter(|r| r.order_id == id && refs.contains(&r.line_ref)) {
                    r.status = "RMA_ACK".into();
                }
            }
            _ => return Err(Refusal::not_found("Not found.", "NOT_FOUND")),
        }
        Ok(())
    }

    /// John Lewis asks to cancel the whole order (allowed while New, Processing or Backorder).
    pub fn request_cancellation(&mut self, id: u64, reason_code: u16) -> Result<(), Refusal> {
        let order = self.order_mut(id)?;
        if let Some(l) = order.lines.iter().find(|l| !matches!(l.status.as_str(), "ORDER" | "ORDER_ACK" | "BACKORDER")) {
            return Err(transition(l, "CANCEL"));
        }
        order.lines.iter_mut().for_each(|l| l.status = "CANCEL".into());
        order.cancel_reason = Some(reason_code);
        Ok(())
    }

    /// `POST …/cancel_request/` (retailer side): every line, full quantity, one reason code.
    pub fn cancel_request(&mut self, id: u64, body: &Value) -> Result<(), Refusal> {
        let items = parse_items(body)?;
        let order = self.order_mut(id)?;
        for l in &order.lines {
            if !items.iter().any(|it| it.line_ref == l.line_ref && it.quantity == l.quantity) {
                return Err(Refusal::validation("PARTIAL_CANCELLATION", format!("Partial cancellation not allowed item {}", l.line_ref)));
            }
        }
        let reason = items[0].text("reason_code").ok_or_else(|| Refusal::required("reason_code"))?;
        let reason = reason.parse().map_err(|_| Refusal::validation("INVALID_REASON_CODE", format!("Unknown reason code {reason}")))?;
        self.request_cancellation(id, reason)
    }

    /// John Lewis raises a return for dispatched units of a line.
    pub fn create_return(&mut self, id: u64, line_ref: &str, quantity: u32, reason_code: &str) -> Result<String, Refusal> {
        let order = self.order_mut(id)?;
        let line = order
            .lines
            .iter_mut()
            .find(|l| l.line_ref == line_ref)
            .ok_or_else(|| Refusal::validation("ORDER_LINE_REFERENCE_NOT_FOUND", format!("Line {line_ref} not found")))?;
        if line.status != "DISPATCH" || quantity == 0 || quantity > line.dispatched {
            return Err(Refusal::validation(
                "RETURN_QUANTITY",
                format!("Return quantity value {quantity} is greater than dispatch quantity {} for order item '{}'", line.dispatched, line.item_id),
            ));
        }
        line.status = "RMA".into();
        let r = Return {
            id: uuid::Uuid::new_v4().to_string(),
            order_id: id,
            line_ref: line_ref.into(),
            quantity,
            reason_code: reason_code.into(),
            status: "RMA".into(),
            created_at: Utc::now().naive_utc(),
        };
        let rid = r.id.clone();
        self.returns.push(r);
        Ok(rid)
    }

}
