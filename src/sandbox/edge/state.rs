//! The simulated Edge's data and rules: products and stock, orders through their statuses, returns.
//! Rules follow Virtualstock's description and John Lewis's notes: acknowledge every line in
//! full before anything else; whole quantities; the retailer may request a cancellation while
//! New/Processing/Backorder; dispatch needs a known carrier slug.
use chrono::{NaiveDate, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;

pub const CANCELLED_POST_DISPATCH: &str = "CANCELLED POST-DISPATCH";

#[derive(Clone, Debug)]
pub struct Product {
    pub id: u64,
    pub part_number: String,
    pub traded_code: Option<String>,
    pub stock: i64,
    /// While set, stock updates answer `409` (product being published).
    pub publishing: bool,
    pub stock_updates: u32,
}

#[derive(Clone, Debug)]
pub struct Line {
    pub item_id: u64,
    pub line_ref: String,
    pub part_number: String,
    pub quantity: u32,
    pub status: String,
    pub sub_status: Option<String>,
    pub name: Option<String>,
    pub unit_price: Decimal,
    pub tax_rate: Decimal,
    pub promised_date: Option<NaiveDateTime>,
    pub dispatched: u32,
    pub cancelled_post_dispatch: u32,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub tracking_url: Option<String>,
    pub dispatch_date: Option<String>,
    pub delivery_date: Option<String>,
    pub comment: Option<String>,
    pub fulfillment_route: Option<String>,
}

/// Shipping address as John Lewis sends it (test data only).
#[derive(Clone, Debug, Default)]
pub struct ShipTo {
    pub full_name: String,
    pub line_1: String,
    pub line_2: Option<String>,
    pub city: Option<String>,
    pub postal_code: String,
    pub country: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Order {
    pub id: u64,
    pub reference: String,
    pub order_date: NaiveDateTime,
    pub currency: String,
    pub lines: Vec<Line>,
    pub ship_to: ShipTo,
    pub comment: Option<String>,
    pub cancel_reason: Option<u16>,
    pub test_flag: bool,
}

impl Order {
    /// The order-level status derived from its lines.
    pub fn status(&self) -> String {
        let st: Vec<&str> = self.lines.iter().map(|l| l.status.as_str()).collect();
        let first = st.first().copied().unwrap_or("ORDER");
        if st.iter().all(|s| *s == first) {
            return first.to_owned();
        }
        for s in ["CANCEL", "ORDER", "RMA", "RMA_ACK", "BACKORDER", "ORDER_ACK", "DISPATCH"] {
            if st.contains(&s) {
                return s.to_owned();
            }
        }
        first.to_owned()
    }
}

/// A line of a new order, as John Lewis would send it.
#[derive(Clone, Debug)]
pub struct NewLine {
    pub part_number: String,
    pub quantity: u32,
    pub unit_price: Decimal,
    pub name: Option<String>,
}

#[derive(Clone, Debug)]
pub struct NewOrder {
    pub reference: String,
    pub order_date: Option<NaiveDateTime>,
    pub lines: Vec<NewLine>,
    pub ship_to: ShipTo,
    pub comment: Option<String>,
}

impl NewOrder {
    pub fn new(reference: impl Into<String>) -> Self {
        NewOrder {
            reference: reference.into(),
            order_date: None,
            lines: Vec::new(),
            ship_to: ShipTo {
                full_name: "Test Customer".into(),
                line_1: "1 Test Street".into(),
                city: Some("Reading".into()),
                postal_code: "RG1 1AA".into(),
                country: "GB".into(),
                ..Default::default()
            },
            comment: None,
        }
    }
    /// Adds a line (`unit_price` as a decimal string, e.g. `"9.99"`).
    pub fn line(mut self, part_number: &str, quantity: u32, unit_price: &str) -> Self {
        self.lines.push(NewLine {
            part_number: part_number.into(),
            quantity,
            unit_price: unit_price.parse().expect("unit price must be a decimal"),
            name: Some(format!("Item {part_number}")),
        });
        self
    }
}

#[derive(Clone, Debug)]
pub struct Return {
    pub id: String,
    pub order_id: u64,
    pub line_ref: String,
    pub quantity: u32,
    pub reason_code: String,
    pub status: String,
    pub created_at: NaiveDateTime,
}

/// A refusal: HTTP status and JSON body, in the Edge's shapes.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub status: u16,
    pub body: Value,
}

impl Refusal {
    pub fn validation(code: &str, detail: impl Into<String>) -> Self {
        Refusal { status: 400, body: serde_json::json!({"detail": format!("Validation error: {}", detail.into()), "code": code}) }
    }
    pub fn required(field: &str) -> Self {
        Refusal { status: 400, body: serde_json::json!({ field: ["This field is required."] }) }
    }
    pub fn not_found(detail: &str, code: &str) -> Self {
        Refusal { status: 404, body: serde_json::json!({"detail": detail, "code": code}) }
    }
}

#[derive(Default)]
pub struct Store {
    pub products: BTreeMap<u64, Product>,
    pub orders: BTreeMap<u64, Order>,
    pub returns: Vec<Return>,
    pub carriers: Vec<(i64, String, String)>,
    next_id: u64,
}

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
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn add_product(&mut self, part_number: &str, traded_code: Option<&str>, stock: i64) -> u64 {
        let id = 600_000 + self.next_id();
        let p = Product {
            id,
            part_number: part_number.into(),
            traded_code: traded_code.map(str::to_owned),
            stock,
            publishing: false,
            stock_updates: 0,
        };
        self.products.insert(id, p);
        id
    }

    pub fn create_order(&mut self, o: NewOrder) -> u64 {
        let id = 250_000 + self.next_id();
        let mut lines = Vec::new();
        for (i, l) in o.lines.into_iter().enumerate() {
            let item_id = 270_000 + self.next_id();
            lines.push(Line {
                item_id,
                line_ref: (i + 1).to_string(),
                part_number: l.part_number,
                quantity: l.quantity,
                status: "ORDER".into(),
                sub_status: None,
                name: l.name,
                unit_price: l.unit_price,
                tax_rate: Decimal::new(2000, 2),
                promised_date: None,
                dispatched: 0,
                cancelled_post_dispatch: 0,
                carrier: None,
                tracking_number: None,
                tracking_url: None,
                dispatch_date: None,
                delivery_date: None,
                comment: None,
                fulfillment_route: None,
            });
        }
        let order_date = o.order_date.unwrap_or_else(|| Utc::now().naive_utc().with_nanosecond(0).expect("ns"));
        let order = Order {
            id,
            reference: o.reference,
            order_date,
            currency: "GBP".into(),
            lines,
            ship_to: o.ship_to,
            comment: o.comment,
            cancel_reason: None,
            test_flag: false,
        };
        self.orders.insert(id, order);
        id
    }

    fn order_mut(&mut self, id: u64) -> Result<&mut Order, Refusal> {
        self.orders.get_mut(&id).ok_or_else(|| Refusal::not_found("Not found.", "ORDER_NOT_FOUND"))
    }

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

    /// `PATCH /api/v4/products/{id}/stock` with `{"supplier_free_stock": n}`.
    pub fn update_stock(&mut self, id: u64, body: &Value) -> Result<(), Refusal> {
        let p = self.products.get_mut(&id).ok_or_else(|| Refusal::not_found("Product not found.", "PRODUCT_NOT_FOUND"))?;
        let qty = match body.get("supplier_free_stock") {
            Some(Value::Number(n)) => n.as_i64().filter(|q| *q >= 0),
            Some(Value::String(s)) => s.trim().parse::<i64>().ok().filter(|q| *q >= 0),
            _ => return Err(Refusal::required("supplier_free_stock")),
        };
        let qty = qty.ok_or_else(|| Refusal {
            status: 400,
            body: serde_json::json!({"supplier_free_stock": ["A valid integer is required."]}),
        })?;
        if p.publishing {
            return Err(Refusal { status: 409, body: serde_json::json!({"detail": "Can't update a product which is in a publishing status."}) });
        }
        p.stock = qty;
        p.stock_updates += 1;
        Ok(())
    }
}

use chrono::Timelike;
