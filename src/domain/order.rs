//! A marketplace order as the flows see it, whatever adapter (REST, SFTP) brought it in.
//! Wire types live beside each adapter and convert into these.
use super::money::{Currency, Money};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The John Lewis customer order number (`order_reference`): what people see.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrderReference(pub String);

/// The Edge's own id for the order (the number at the end of the order `url`); for API calls only.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MarketplaceOrderId(pub String);

/// John Lewis 8-digit stock number.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PartNumber(pub String);

impl PartNumber {
    /// Accepts exactly eight ASCII digits.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(PartNumber(s.to_owned()))
        } else {
            Err(format!("part number {s:?} is not 8 digits"))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! show_inner {
    ($($t:ty),*) => {$(
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { write!(f, "{:?}", self.0) }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(&self.0) }
        }
    )*};
}
show_inner!(OrderReference, MarketplaceOrderId, PartNumber);

/// The Edge's order (and line) status. New values from the marketplace are kept, never refused.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OrderStatus {
    Order,
    OrderAck,
    Backorder,
    Dispatch,
    Cancel,
    CancelAck,
    /// Any `RMA…` status (returns), with the exact value.
    Return(String),
    Other(String),
}

impl OrderStatus {
    pub fn parse(s: &str) -> Self {
        match s.trim() {
            "ORDER" => OrderStatus::Order,
            "ORDER_ACK" => OrderStatus::OrderAck,
            "BACKORDER" => OrderStatus::Backorder,
            "DISPATCH" => OrderStatus::Dispatch,
            "CANCEL" => OrderStatus::Cancel,
            "CANCEL_ACK" => OrderStatus::CancelAck,
            s if s.starts_with("RMA") => OrderStatus::Return(s.to_owned()),
            s => OrderStatus::Other(s.to_owned()),
        }
    }
    pub fn as_str(&self) -> &str {
        match self {
            OrderStatus::Order => "ORDER",
            OrderStatus::OrderAck => "ORDER_ACK",
            OrderStatus::Backorder => "BACKORDER",
            OrderStatus::Dispatch => "DISPATCH",
            OrderStatus::Cancel => "CANCEL",
            OrderStatus::CancelAck => "CANCEL_ACK",
            OrderStatus::Return(s) | OrderStatus::Other(s) => s,
        }
    }
}

/// Shipping address and contact. Personal data: `Debug` never prints the contents.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub full_name: String,
    pub line_1: String,
    pub line_2: Option<String>,
    pub line_3: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: String,
    /// As the marketplace sent it (ISO alpha-2 or alpha-3); mapping normalises it.
    pub country: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address {{ country: {:?}, .. (personal data redacted) }}", self.country)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderLine {
    /// The retailer's line id within the order (`line_reference` / `line_ref`).
    pub line_ref: String,
    pub part_number: PartNumber,
    /// The retailer's SKU reference, when sent.
    pub retailer_sku: Option<String>,
    /// The seller's own code, when the marketplace echoes it.
    pub supplier_sku: Option<String>,
    pub quantity: u32,
    pub name: Option<String>,
    pub description: Option<String>,
    pub status: OrderStatus,
    /// Unit price as sent (VAT treatment per `tax_rate`).
    pub unit_price: Option<Money>,
    pub subtotal: Option<Money>,
    pub tax: Option<Money>,
    pub tax_rate: Option<Decimal>,
    pub total: Option<Money>,
    pub promised_date: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MarketplaceOrder {
    pub id: MarketplaceOrderId,
    pub reference: OrderReference,
    pub status: OrderStatus,
    pub order_date: DateTime<Utc>,
    pub currency: Currency,
    pub lines: Vec<OrderLine>,
    pub shipping_address: Address,
    pub subtotal: Option<Money>,
    pub tax: Option<Money>,
    pub total: Option<Money>,
    pub delivery_service_code: Option<String>,
    pub comment: Option<String>,
    pub test_flag: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_status_is_kept() {
        assert_eq!(OrderStatus::parse("ORDER_ACK"), OrderStatus::OrderAck);
        assert_eq!(OrderStatus::parse("RMA_REQUESTED"), OrderStatus::Return("RMA_REQUESTED".into()));
        assert_eq!(OrderStatus::parse("NEW_THING").as_str(), "NEW_THING");
    }

    #[test]
    fn address_debug_hides_personal_data() {
        let a = Address { full_name: "Jane Example".into(), postal_code: "RG1 1AA".into(), country: "GBR".into(), ..Default::default() };
        let shown = format!("{a:?}");
        assert!(!shown.contains("Jane") && !shown.contains("RG1"));
    }

    #[test]
    fn part_numbers_are_eight_digits() {
        assert!(PartNumber::parse("58000128").is_ok());
        assert!(PartNumber::parse("5800012").is_err());
        assert!(PartNumber::parse("5800012A").is_err());
    }
}
