//! The simulated Edge's data: products and stock, orders and their lines, returns. The order
//! rules (which update is allowed in which status) are in `order_rules`.
use chrono::{NaiveDateTime, Timelike, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;


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
    /// The retailer's line id; `None`: numbered 1, 2, … in order.
    pub line_ref: Option<String>,
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
            line_ref: None,
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
                line_ref: l.line_ref.unwrap_or_else(|| (i + 1).to_string()),
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

    pub(super) fn order_mut(&mut self, id: u64) -> Result<&mut Order, Refusal> {
        self.orders.get_mut(&id).ok_or_else(|| Refusal::not_found("Not found.", "ORDER_NOT_FOUND"))
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

