//! The Edge REST v4 JSON, as Virtualstock documents it. Every field has a default, unknown
//! fields are ignored, statuses stay text (converted tolerantly), money stays decimal.
use super::lenient;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A `limit`/`offset` page.
#[derive(Debug, Deserialize)]
#[serde(default, bound(deserialize = "T: Deserialize<'de>"))]
pub struct Page<T> {
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub count: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub next: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub previous: Option<String>,
    #[serde(deserialize_with = "lenient::null_default")]
    pub results: Vec<T>,
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Page { count: None, next: None, previous: None, results: Vec::new() }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Order {
    pub url: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub retailer: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub order_reference: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub order_date: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub status: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub purchase_order_reference: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub end_user_purchase_order_reference: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub additional_order_reference: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub comment: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub channel: Option<String>,
    #[serde(deserialize_with = "lenient::flag")]
    pub test_flag: bool,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub supplier: Option<String>,
    #[serde(deserialize_with = "lenient::null_default")]
    pub items: Vec<Item>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub currency_code: Option<String>,
    #[serde(deserialize_with = "lenient::opt_decimal")]
    pub subtotal: Option<Decimal>,
    #[serde(deserialize_with = "lenient::opt_decimal")]
    pub tax: Option<Decimal>,
    #[serde(deserialize_with = "lenient::opt_decimal")]
    pub total: Option<Decimal>,
    pub shipping_address: Option<Address>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub delivery_service_code: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Item {
    #[serde(deserialize_with = "lenient::opt_string")]
    pub url: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub part_number: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub retailer_sku_reference: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub supplier_sku_reference: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub line_reference: Option<String>,
    #[serde(deserialize_with = "lenient::opt_u32")]
    pub quantity: Option<u32>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub description: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub status: Option<String>,
    #[serde(deserialize_with = "lenient::opt_decimal")]
    pub unit_cost_price: Option<Decimal>,
    #[serde(deserialize_with = "lenient::opt_decimal")]
    pub subtotal: Option<Decimal>,
    #[serde(deserialize_with = "lenient::opt_decimal")]
    pub tax: Option<Decimal>,
    #[serde(deserialize_with = "lenient::opt_decimal")]
    pub tax_rate: Option<Decimal>,
    #[serde(deserialize_with = "lenient::opt_decimal")]
    pub total: Option<Decimal>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub promised_date: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub retailer_additional_reference: Option<String>,
}

/// Shipping address: personal data. No `Debug` output of the contents.
#[derive(Default, Deserialize)]
#[serde(default)]
pub struct Address {
    #[serde(deserialize_with = "lenient::opt_string")]
    pub country: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub line_1: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub line_2: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub city: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub postal_code: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub state: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub phone: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub full_name: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub email: Option<String>,
}

impl std::fmt::Debug for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Address { .. (personal data redacted) }")
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Carrier {
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub id: Option<i64>,
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Product {
    pub url: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub part_number: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub category: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub client: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub supplier: Option<String>,
    /// Retailer-defined data model (JL: `tradedCode`, `free_stock`, lead times …).
    #[serde(deserialize_with = "lenient::null_default")]
    pub data: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Return {
    #[serde(deserialize_with = "lenient::opt_string")]
    pub id: Option<String>,
    #[serde(deserialize_with = "lenient::opt_u32")]
    pub quantity: Option<u32>,
    pub order: Option<Order>,
    pub order_item: Option<Item>,
    pub return_reason: Option<Coded>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub return_reason_code: Option<String>,
    /// `{"code","description"}` as documented; a bare string is tolerated too.
    pub status: Option<serde_json::Value>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub return_date: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub created_at: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Coded {
    #[serde(deserialize_with = "lenient::opt_string")]
    pub code: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub description: Option<String>,
}

// ---- authentication ----

#[derive(Serialize)]
pub struct Login<'a> {
    pub username: &'a str,
    pub password: &'a str,
}

#[derive(Serialize)]
pub struct Refresh<'a> {
    pub refresh: &'a str,
}

/// `POST /restapi/v4/token` answer (and `token/refresh`, which only carries `access`).
#[derive(Default, Deserialize)]
#[serde(default)]
pub struct Tokens {
    pub refresh: Option<String>,
    pub access: Option<String>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens { .. (secret) }")
    }
}

// ---- request bodies ----

#[derive(Debug, Serialize)]
pub struct Items<T> {
    #[serde(deserialize_with = "lenient::null_default")]
    pub items: Vec<T>,
}

/// Acknowledge and backorder line (`DateTime 19`: `YYYY-MM-DDTHH:MM:SS`).
#[derive(Debug, Serialize)]
pub struct AckItem {
    pub part_number: String,
    pub line_ref: String,
    pub quantity: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "lenient::opt_string")]
    pub sub_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "lenient::opt_string")]
    pub supplier_dispatch_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "lenient::opt_string")]
    pub supplier_delivery_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "lenient::opt_string")]
    pub comment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "lenient::opt_string")]
    pub fulfillment_route: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct CancelItem {
    pub part_number: String,
    pub line_ref: String,
    pub quantity: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "lenient::opt_string")]
    pub comment: Option<String>,
}

/// Dispatch line (`Date 10`: `YYYY-MM-DD`; tracking number is text).
#[derive(Debug, Serialize)]
pub struct DispatchItem {
    pub part_number: String,
    pub line_ref: String,
    pub quantity: u32,
    pub carrier: String,
    pub tracking_number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "lenient::opt_string")]
    pub tracking_url: Option<String>,
    pub supplier_dispatch_date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "lenient::opt_string")]
    pub supplier_delivery_date: Option<String>,
}

/// Return acknowledgement line. The collection's only example sends the quantity as a string
/// (`"quantity": "2"`), and no attribute table says otherwise, so it is sent as documented.
#[derive(Debug, Serialize)]
pub struct ReturnAckItem {
    pub part_number: String,
    pub line_ref: String,
    pub quantity: String,
}

#[derive(Debug, Serialize)]
pub struct Stock {
    pub supplier_free_stock: u32,
}

/// Error answers: `{"detail", "code"}`, field errors `{"field": ["…"]}`, or plain text.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ErrorBody {
    #[serde(deserialize_with = "lenient::opt_string")]
    pub detail: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub code: Option<String>,
}
