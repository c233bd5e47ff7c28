//! The simulated store's data and its inventory rules (MSI): products, sources, stocks,
//! source items, reservations and salable quantity.
//!
//! Salable quantity of a SKU for a stock = Σ quantity of its in-stock source items on the
//! stock's sources + Σ reservations (negative for open orders). Storefront orders reserve
//! (−qty); `POST /V1/orders` does not (as in real Magento, magento/magento2#26575); a
//! shipment deducts the source and appends +qty; a cancel appends +qty for what was open.
use super::order_index::OrderIndex;
use crate::magento::wire::num;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A Magento-shaped error: status, `message` with placeholders, `parameters`.
#[derive(Debug, Clone, PartialEq)]
pub struct SbError {
    pub status: u16,
    pub message: String,
    pub parameters: Option<Value>,
}

impl SbError {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        SbError { status, message: message.into(), parameters: None }
    }
    pub fn with(mut self, parameters: Value) -> Self {
        self.parameters = Some(parameters);
        self
    }
    pub fn no_entity() -> Self {
        Self::new(404, "The entity that was requested doesn't exist. Verify the entity and try again.")
    }
    pub fn body(&self) -> Value {
        let mut v = json!({"message": self.message});
        if let Some(p) = &self.parameters {
            v["parameters"] = p.clone();
        }
        v
    }
}

pub type SbResult<T> = Result<T, SbError>;

/// What the simulated store tells the outside (signed webhooks, DESIGN §3.1).
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    StockChanged(Vec<(String, Decimal)>),
    ShipmentCreated(Value),
    OrderCanceled(Value),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SourceItem {
    pub quantity: Decimal,
    /// 1 = in stock, 0 = out of stock.
    pub status: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reservation {
    pub sku: String,
    pub stock_id: i64,
    pub quantity: Decimal,
    pub reason: &'static str,
}

pub fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Reads a JSON number or numeric string.
pub fn dec(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => n.to_string().parse().ok(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[derive(Debug)]
pub struct State {
    pub stores: BTreeMap<String, i64>,
    pub products: BTreeMap<String, Value>,
    pub stock_sources: BTreeMap<i64, Vec<String>>,
    pub source_items: BTreeMap<(String, String), SourceItem>,
    pub reservations: Vec<Reservation>,
    /// Orders by entity id; stored through `save_order` only, which keeps `order_index`.
    pub orders: BTreeMap<i64, Value>,
    /// Magento's keys on the orders: unique (increment id, store), by `ext_order_id`.
    pub order_index: OrderIndex,
    pub shipments: BTreeMap<i64, Value>,
    /// The stock the website sells from (storefront reservations, webhook quantities).
    pub sales_stock_id: i64,
    /// The jlbridge Magento module is installed (reservations for its orders).
    pub connector_module: bool,
    pub events: Vec<Event>,
    last_salable: HashMap<String, Decimal>,
    next_id: i64,
    next_increment: u64,
}

impl Default for State {
    fn default() -> Self {
        State {
            stores: BTreeMap::from([("default".to_owned(), 1), ("all".to_owned(), 0)]),
            products: BTreeMap::new(),
            stock_sources: BTreeMap::from([(1, vec!["default".to_owned()])]),
            source_items: BTreeMap::new(),
            reservations: Vec::new(),
            orders: BTreeMap::new(),
            order_index: OrderIndex::default(),
            shipments: BTreeMap::new(),
            sales_stock_id: 1,
            connector_module: false,
            events: Vec::new(),
            last_salable: HashMap::new(),
            next_id: 1,
            next_increment: 1,
        }
    }
}

impl State {
    /// A fresh entity id (one sequence for every table keeps ids distinct and readable).
    pub fn id(&mut self) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Magento's default order / shipment increment ids: `000000001`, …
    pub fn increment(&mut self) -> String {
        let n = self.next_increment;
        self.next_increment += 1;
        format!("{n:09}")
    }

    pub fn store_id(&self, code: &str) -> SbResult<i64> {
        self.stores.get(code).copied().ok_or_else(|| {
            SbError::new(404, "The store that was requested wasn't found. Verify the store and try again.")
        })
    }

    pub fn add_product(&mut self, sku: &str, name: &str, price: Decimal, type_id: &str) -> i64 {
        if let Some(p) = self.products.get(sku) {
            return p["id"].as_i64().unwrap_or_default();
        }
        let id = self.id();
        let t = now();
        self.products.insert(
            sku.to_owned(),
            json!({"id": id, "sku": sku, "name": name, "attribute_set_id": 4, "price": num(price), "status": 1,
                   "visibility": 4, "type_id": type_id, "created_at": t, "updated_at": t, "weight": null,
                   "extension_attributes": {"website_ids": [1]}, "custom_attributes": []}),
        );
        id
    }

    pub fn product_id(&self, sku: &str) -> Option<i64> {
        self.products.get(sku).and_then(|p| p["id"].as_i64())
    }

    /// Sets a source item (creating the source on the default stock's side if new).
    pub fn set_source_item(&mut self, sku: &str, source: &str, quantity: Decimal, status: i64) {
        self.source_items.insert((sku.to_owned(), source.to_owned()), SourceItem { quantity, status });
        self.stock_changed([sku.to_owned()]);
    }

    pub fn salable(&self, sku: &str, stock_id: i64) -> SbResult<Decimal> {
        let product = self.products.get(sku).ok_or_else(|| {
            SbError::new(404, "The product that was requested doesn't exist. Verify the product and try again.")
        })?;
        if matches!(product["type_id"].as_str(), Some("configurable" | "bundle" | "grouped")) {
            return Err(SbError::new(400, "Can't check requested quantity for products without Source Items support."));
        }
        let sources = self
            .stock_sources
            .get(&stock_id)
            .ok_or_else(|| SbError::new(404, "Stock with id \"%value\" does not exist.").with(json!({"value": stock_id})))?;
        let on_hand: Decimal = sources
            .iter()
            .filter_map(|s| self.source_items.get(&(sku.to_owned(), s.clone())))
            .filter(|i| i.status == 1)
            .map(|i| i.quantity)
            .sum();
        if on_hand <= Decimal::ZERO && !sources.iter().any(|s| self.source_items.contains_key(&(sku.to_owned(), s.clone()))) {
            return Ok(Decimal::ZERO);
        }
        let reserved: Decimal =
            self.reservations.iter().filter(|r| r.sku == sku && r.stock_id == stock_id).map(|r| r.quantity).sum();
        Ok(on_hand + reserved)
    }

    pub fn reserve(&mut self, sku: &str, quantity: Decimal, reason: &'static str) {
        self.reservations.push(Reservation { sku: sku.to_owned(), stock_id: self.sales_stock_id, quantity, reason });
    }

    /// The stock holding a source (for shipment compensation), default stock when unknown.
    pub fn stock_of_source(&self, source: &str) -> i64 {
        self.stock_sources.iter().find(|(_, s)| s.iter().any(|c| c == source)).map(|(id, _)| *id).unwrap_or(1)
    }

    /// Records a `stock.changed` event for the SKUs whose salable quantity (sales stock) moved.
    pub fn stock_changed(&mut self, skus: impl IntoIterator<Item = String>) {
        let mut changed = Vec::new();
        let unique: BTreeSet<String> = skus.into_iter().collect();
        for sku in unique {
            let Ok(qty) = self.salable(&sku, self.sales_stock_id) else { continue };
            if self.last_salable.get(&sku) != Some(&qty) {
                self.last_salable.insert(sku.clone(), qty);
                changed.push((sku, qty));
            }
        }
        if !changed.is_empty() {
            self.events.push(Event::StockChanged(changed));
        }
    }

    pub fn source_item_rows(&self) -> Vec<Value> {
        self.source_items
            .iter()
            .map(|((sku, source), i)| json!({"sku": sku, "source_code": source, "quantity": num(i.quantity), "status": i.status}))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salable_is_sources_of_the_stock_minus_reservations() {
        let mut s = State::default();
        s.add_product("A", "A", Decimal::TEN, "simple");
        s.stock_sources.insert(2, vec!["wh2".into()]);
        s.set_source_item("A", "default", Decimal::from(8), 1);
        s.set_source_item("A", "wh2", Decimal::from(100), 1);
        s.reserve("A", Decimal::from(-3), "order_placed");
        assert_eq!(s.salable("A", 1), Ok(Decimal::from(5)));
        assert_eq!(s.salable("A", 2), Ok(Decimal::from(100)));
        s.set_source_item("A", "default", Decimal::from(8), 0);
        assert_eq!(s.salable("A", 1), Ok(Decimal::from(-3)), "out-of-stock source counts nothing");
        assert_eq!(s.salable("B", 1).unwrap_err().status, 404);
        s.add_product("C", "C", Decimal::TEN, "configurable");
        assert_eq!(s.salable("C", 1).unwrap_err().status, 400);
    }

    #[test]
    fn stock_events_only_when_salable_moves() {
        let mut s = State::default();
        s.add_product("A", "A", Decimal::TEN, "simple");
        s.set_source_item("A", "default", Decimal::from(8), 1);
        s.set_source_item("A", "default", Decimal::from(8), 1);
        assert_eq!(s.events, [Event::StockChanged(vec![("A".into(), Decimal::from(8))])]);
    }
}
