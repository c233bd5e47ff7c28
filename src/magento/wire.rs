//! Magento JSON as it travels. Responses: every field optional or defaulted, nulls read as
//! absent, unknown fields ignored (Magento adds fields per module and edition). Requests:
//! built from domain values; amounts become JSON numbers (the decimal's exact digits: a
//! money value with ≤ 15 significant digits survives the f64 text round trip unchanged).
use crate::domain::magento_order::MagentoOrderDraft;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};

fn null_default<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// `{items, search_criteria, total_count}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct SearchResult<T> {
    #[serde(default, deserialize_with = "null_default")]
    pub items: Vec<T>,
    #[serde(default, deserialize_with = "null_default")]
    pub total_count: u64,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Order {
    pub entity_id: i64,
    pub increment_id: Option<String>,
    pub ext_order_id: Option<String>,
    pub state: Option<String>,
    pub status: Option<String>,
    pub store_id: Option<i64>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub order_currency_code: Option<String>,
    pub grand_total: Option<Decimal>,
    pub subtotal: Option<Decimal>,
    pub tax_amount: Option<Decimal>,
    pub shipping_amount: Option<Decimal>,
    pub shipping_description: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub items: Vec<OrderItem>,
    #[serde(default, deserialize_with = "null_default")]
    pub status_histories: Vec<StatusHistory>,
    pub payment: Option<Payment>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Payment {
    pub method: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct OrderItem {
    pub item_id: Option<i64>,
    pub parent_item_id: Option<i64>,
    #[serde(default, deserialize_with = "null_default")]
    pub sku: String,
    pub name: Option<String>,
    pub product_type: Option<String>,
    pub qty_ordered: Option<Decimal>,
    pub qty_shipped: Option<Decimal>,
    pub qty_canceled: Option<Decimal>,
    pub price: Option<Decimal>,
    pub price_incl_tax: Option<Decimal>,
    pub row_total_incl_tax: Option<Decimal>,
    pub tax_amount: Option<Decimal>,
    pub ext_order_item_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct StatusHistory {
    pub entity_id: Option<i64>,
    pub comment: Option<String>,
    pub status: Option<String>,
    pub created_at: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Shipment {
    pub entity_id: i64,
    pub increment_id: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub order_id: i64,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub items: Vec<ShipmentItem>,
    #[serde(default, deserialize_with = "null_default")]
    pub tracks: Vec<Track>,
    pub extension_attributes: Option<ShipmentExtension>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ShipmentExtension {
    pub source_code: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ShipmentItem {
    pub order_item_id: Option<i64>,
    pub sku: Option<String>,
    pub qty: Option<Decimal>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Track {
    pub entity_id: Option<i64>,
    pub track_number: Option<String>,
    pub title: Option<String>,
    pub carrier_code: Option<String>,
    pub created_at: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Product {
    pub id: Option<i64>,
    #[serde(default, deserialize_with = "null_default")]
    pub sku: String,
    pub name: Option<String>,
    pub price: Option<Decimal>,
    pub status: Option<i64>,
    pub type_id: Option<String>,
    pub updated_at: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub custom_attributes: Vec<CustomAttribute>,
}

impl Product {
    /// A custom attribute's value as text (string values only; arrays are skipped).
    pub fn attribute(&self, code: &str) -> Option<&str> {
        self.custom_attributes.iter().find(|a| a.attribute_code == code)?.value.as_str()
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct CustomAttribute {
    #[serde(default, deserialize_with = "null_default")]
    pub attribute_code: String,
    /// A string, or an array (e.g. `category_ids`).
    #[serde(default)]
    pub value: Value,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SourceItem {
    #[serde(default, deserialize_with = "null_default")]
    pub sku: String,
    #[serde(default, deserialize_with = "null_default")]
    pub source_code: String,
    #[serde(default, deserialize_with = "null_default")]
    pub quantity: Decimal,
    /// 1 = in stock, 0 = out of stock.
    #[serde(default, deserialize_with = "null_default")]
    pub status: i64,
}

/// A decimal as a JSON number (integers stay integers).
pub fn num(d: Decimal) -> Value {
    let d = d.normalize();
    if d.scale() == 0 {
        if let Some(i) = d.to_i64() {
            return json!(i);
        }
    }
    d.to_f64().map(Value::from).unwrap_or(Value::Null)
}

fn address(d: &MagentoOrderDraft, kind: &str) -> Value {
    let a = &d.address;
    json!({
        "address_type": kind,
        "firstname": a.firstname, "lastname": a.lastname,
        "street": a.street, "city": a.city, "region": a.region,
        "postcode": a.postcode, "country_id": a.country_id,
        "telephone": a.telephone, "email": d.customer_email,
    })
}

/// The `POST /V1/orders` body for a mapped marketplace order (amounts: base = order currency).
pub fn order_create_body(d: &MagentoOrderDraft) -> Value {
    let items: Vec<Value> = d
        .items
        .iter()
        .map(|i| {
            json!({
                "sku": i.sku, "name": i.name, "product_type": "simple",
                "qty_ordered": i.qty, "ext_order_item_id": i.ext_order_item_id,
                "price": num(i.price), "base_price": num(i.price), "original_price": num(i.price_incl_tax),
                "base_original_price": num(i.price_incl_tax),
                "price_incl_tax": num(i.price_incl_tax), "base_price_incl_tax": num(i.price_incl_tax),
                "row_total": num(i.row_total), "base_row_total": num(i.row_total),
                "row_total_incl_tax": num(i.row_total_incl_tax), "base_row_total_incl_tax": num(i.row_total_incl_tax),
                "tax_amount": num(i.tax_amount), "base_tax_amount": num(i.tax_amount),
                "tax_percent": num(i.tax_percent), "discount_amount": 0, "store_id": d.store_id,
            })
        })
        .collect();
    let zero = json!(0);
    let cur = d.currency.as_str();
    let mut entity = json!({
        "store_id": d.store_id,
        "increment_id": d.increment_id,
        "ext_order_id": d.ext_order_id,
        "state": d.state, "status": d.status,
        "customer_is_guest": 1,
        "customer_email": d.customer_email,
        "customer_firstname": d.address.firstname, "customer_lastname": d.address.lastname,
        "order_currency_code": cur, "base_currency_code": cur,
        "global_currency_code": cur, "store_currency_code": cur,
        "base_to_order_rate": 1, "base_to_global_rate": 1, "store_to_order_rate": 1, "store_to_base_rate": 1,
    });
    let totals = json!({
        "subtotal": num(d.subtotal), "base_subtotal": num(d.subtotal),
        "subtotal_incl_tax": num(d.subtotal_incl_tax), "base_subtotal_incl_tax": num(d.subtotal_incl_tax),
        "tax_amount": num(d.tax_amount), "base_tax_amount": num(d.tax_amount),
        "shipping_amount": zero, "base_shipping_amount": zero, "shipping_incl_tax": zero,
        "base_shipping_incl_tax": zero, "shipping_tax_amount": zero, "discount_amount": zero,
        "grand_total": num(d.grand_total), "base_grand_total": num(d.grand_total),
        "total_paid": num(d.grand_total), "base_total_paid": num(d.grand_total),
        "total_due": zero, "base_total_due": zero,
        "total_qty_ordered": d.total_qty, "total_item_count": d.items.len(),
    });
    let rest = json!({
        "shipping_description": d.shipping_description,
        "payment": {"method": d.payment_method, "additional_information": d.payment_note,
                    "amount_ordered": num(d.grand_total), "base_amount_ordered": num(d.grand_total)},
        "billing_address": address(d, "billing"),
        "items": items,
        "extension_attributes": {"shipping_assignments": [{"shipping": {
            "address": address(d, "shipping"),
            "method": d.shipping_method,
            "total": {"shipping_amount": 0, "base_shipping_amount": 0},
        }}]},
    });
    let map = entity.as_object_mut().expect("object");
    for part in [totals, rest] {
        if let Value::Object(m) = part {
            map.extend(m);
        }
    }
    json!({ "entity": entity })
}

/// The `POST /V1/orders/{id}/comments` body; `status` is always sent (Magento nulls the
/// order status when it is missing, magento/magento2#34180).
pub fn comment_body(order_id: i64, comment: &str, status: &str) -> Value {
    json!({"statusHistory": {
        "comment": comment, "is_customer_notified": 0, "is_visible_on_front": 0,
        "parent_id": order_id, "status": status, "entity_name": "order",
    }})
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn tolerant_of_nulls_and_unknown_fields() {
        let o: Order = serde_json::from_value(json!({
            "entity_id": 3, "increment_id": "000000003", "ext_order_id": null, "items": null,
            "grand_total": 24.99, "gw_base_price": "0.00", "new_field": {"x": 1}, "status_histories": [
                {"comment": null, "status": "processing", "unknown": true}]
        }))
        .unwrap();
        assert_eq!((o.entity_id, o.items.len(), o.ext_order_id), (3, 0, None));
        assert_eq!(o.grand_total, Some(Decimal::from_str("24.99").unwrap()));
        let p: Product = serde_json::from_value(json!({"sku": "A", "custom_attributes": [
            {"attribute_code": "ean", "value": "5012345678900"}, {"attribute_code": "category_ids", "value": ["3"]}]}))
        .unwrap();
        assert_eq!(p.attribute("ean"), Some("5012345678900"));
        assert_eq!(p.attribute("category_ids"), None);
        let r: SearchResult<SourceItem> = serde_json::from_value(json!({"items": [{"sku": "A", "quantity": 8.5, "status": 1}], "total_count": 1})).unwrap();
        assert_eq!(r.items[0].quantity, Decimal::from_str("8.5").unwrap());
    }

    #[test]
    fn decimals_become_exact_json_numbers() {
        assert_eq!(num(Decimal::from_str("24.99").unwrap()).to_string(), "24.99");
        assert_eq!(num(Decimal::from_str("20.00").unwrap()).to_string(), "20");
        assert_eq!(num(Decimal::from_str("4.17").unwrap()).to_string(), "4.17");
        assert_eq!(num(Decimal::from_str("1234567.89").unwrap()).to_string(), "1234567.89");
    }
}
