//! Webhook bodies from Magento (DESIGN §3.1) and the job payloads they become.
//!
//! `parse` checks a body `{"type", "timestamp", "data"}` per type and names the faulty field
//! in its error (`data.items[2].sku is missing`). Unknown fields are ignored; an unknown
//! `type` is not an error here but `Parsed::Unknown` (the receiver keeps it for review).
//!
//! Flows read their job payloads as `WebhookJob<T>`:
//! ```ignore
//! let p: StockObservedPayload = serde_json::from_value(job.payload.clone())?;
//! for item in &p.data.items { /* p.order() orders this observation against stored ones */ }
//! ```
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    StockChanged,
    PriceChanged,
    ShipmentCreated,
    OrderCanceled,
}

impl EventType {
    pub const ALL: [EventType; 4] = [
        EventType::StockChanged,
        EventType::PriceChanged,
        EventType::ShipmentCreated,
        EventType::OrderCanceled,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::StockChanged => "stock.changed",
            EventType::PriceChanged => "price.changed",
            EventType::ShipmentCreated => "shipment.created",
            EventType::OrderCanceled => "order.canceled",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        EventType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// `stock.changed` item. `salable_qty` absent: the stock flow reads it from Magento.
/// It may be negative (reservations beyond stock); buffer rules clamp at 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockItem {
    pub sku: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salable_qty: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockChanged {
    pub items: Vec<StockItem>,
}

/// `price.changed` item; the price is exact (sent and kept as a decimal string).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceItem {
    pub sku: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub price: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceChanged {
    pub items: Vec<PriceItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentItem {
    pub sku: String,
    pub qty: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketplace_line_ref: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentTrack {
    pub carrier_code: String,
    pub title: String,
    pub track_number: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentCreated {
    pub order_increment_id: String,
    pub marketplace_order_reference: String,
    /// Magento's shipment entity id.
    pub shipment_id: i64,
    pub items: Vec<ShipmentItem>,
    /// May be empty: tracking can be added in Magento after the shipment.
    pub tracks: Vec<ShipmentTrack>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCanceled {
    pub order_increment_id: String,
    pub marketplace_order_reference: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventData {
    StockChanged(StockChanged),
    PriceChanged(PriceChanged),
    ShipmentCreated(ShipmentCreated),
    OrderCanceled(OrderCanceled),
}

/// A valid event of a known type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub event_type: EventType,
    /// The body's `timestamp`: when Magento observed the change, Unix ms.
    pub timestamp_ms: i64,
    /// The same, Unix µs: two changes of one SKU within a millisecond keep their order.
    pub timestamp_us: i64,
    pub data: EventData,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Known(Event),
    /// An authentic event of a type this build does not handle.
    Unknown {
        event_type: String,
        timestamp_ms: Option<i64>,
    },
}

/// A body that cannot be accepted; `code` is `malformed_json`, `missing_field` or `invalid_field`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct EventError {
    pub code: &'static str,
    pub message: String,
}

impl EventError {
    fn missing(path: &str) -> Self {
        EventError {
            code: "missing_field",
            message: format!("{path} is missing"),
        }
    }
    fn invalid(path: &str, must: &str) -> Self {
        EventError {
            code: "invalid_field",
            message: format!("{path} {must}"),
        }
    }
}

/// Ordering facts of an observation: a newer event timestamp wins; when equal, the later
/// webhook timestamp wins. Compare with `>`: `new.order() > stored` means apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObservationOrder {
    pub event_timestamp_ms: i64,
    pub webhook_timestamp: i64,
}

/// The payload of a job caused by a webhook: its data plus where and when it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookJob<T> {
    /// `webhook-id`: the inbox row holding the raw body.
    pub webhook_id: String,
    /// `webhook-timestamp` header, Unix seconds.
    pub webhook_timestamp: i64,
    /// The body's `timestamp`, Unix ms.
    pub event_timestamp_ms: i64,
    /// The body's `timestamp`, Unix µs (absent from jobs queued before it was added).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_timestamp_us: Option<i64>,
    pub data: T,
}

impl<T> WebhookJob<T> {
    pub fn order(&self) -> ObservationOrder {
        ObservationOrder {
            event_timestamp_ms: self.event_timestamp_ms,
            webhook_timestamp: self.webhook_timestamp,
        }
    }
}

/// `JobKind::StockObserved`.
pub type StockObservedPayload = WebhookJob<StockChanged>;
/// `JobKind::PriceObserved`.
pub type PriceObservedPayload = WebhookJob<PriceChanged>;
/// `JobKind::ShipmentDispatch` (dedupe key `shipment:<shipment_id>`).
pub type ShipmentDispatchPayload = WebhookJob<ShipmentCreated>;
/// `JobKind::OrderCancelFromMagento` (dedupe key `order-cancel:<reference>:<webhook id>`).
pub type OrderCancelPayload = WebhookJob<OrderCanceled>;

const MAX_TYPE_LEN: usize = 100;

/// Parses and validates a body (already authenticated; never re-serialised for storage).
pub fn parse(body: &[u8]) -> Result<Parsed, EventError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| EventError {
        code: "malformed_json",
        message: format!("body is not valid JSON: {e}"),
    })?;
    let root = Obj::at(&v, "")?;
    let type_text = root.string("type")?;
    let type_ok = !type_text.is_empty()
        && type_text.len() <= MAX_TYPE_LEN
        && type_text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !type_ok {
        return Err(EventError::invalid(
            "type",
            "must be 1-100 letters, digits, '.', '_' or '-'",
        ));
    }
    let Some(event_type) = EventType::parse(&type_text) else {
        let timestamp_ms = root
            .get("timestamp")
            .and_then(Value::as_str)
            .and_then(rfc3339_ms);
        return Ok(Parsed::Unknown {
            event_type: type_text,
            timestamp_ms,
        });
    };
    let ts = root.string("timestamp")?;
    let timestamp_us = chrono::DateTime::parse_from_rfc3339(&ts)
        .map(|t| t.timestamp_micros())
        .map_err(|_| EventError::invalid("timestamp", "must be an RFC 3339 date-time"))?;
    let timestamp_ms = timestamp_us.div_euclid(1000);
    let d = root.obj("data")?;
    let data = match event_type {
        EventType::StockChanged => EventData::StockChanged(StockChanged {
            items: d
                .list("items", false)?
                .iter()
                .map(|i| {
                    Ok(StockItem {
                        sku: i.sku()?,
                        salable_qty: i.opt_whole("salable_qty")?,
                    })
                })
                .collect::<Result<_, _>>()?,
        }),
        EventType::PriceChanged => EventData::PriceChanged(PriceChanged {
            items: d
                .list("items", false)?
                .iter()
                .map(|i| {
                    Ok(PriceItem {
                        sku: i.sku()?,
                        price: i.price("price")?,
                    })
                })
                .collect::<Result<_, _>>()?,
        }),
        EventType::ShipmentCreated => EventData::ShipmentCreated(ShipmentCreated {
            order_increment_id: d.nonempty("order_increment_id")?,
            marketplace_order_reference: d.nonempty("marketplace_order_reference")?,
            shipment_id: d.positive("shipment_id")?,
            items: d
                .list("items", false)?
                .iter()
                .map(|i| {
                    Ok(ShipmentItem {
                        sku: i.sku()?,
                        qty: i.positive("qty")?,
                        marketplace_line_ref: i.opt_text("marketplace_line_ref")?,
                    })
                })
                .collect::<Result<_, _>>()?,
            tracks: d
                .list("tracks", true)?
                .iter()
                .map(|t| {
                    Ok(ShipmentTrack {
                        carrier_code: t.string("carrier_code")?,
                        title: t.string("title")?,
                        track_number: t.nonempty("track_number")?,
                    })
                })
                .collect::<Result<_, _>>()?,
        }),
        EventType::OrderCanceled => EventData::OrderCanceled(OrderCanceled {
            order_increment_id: d.nonempty("order_increment_id")?,
            marketplace_order_reference: d.nonempty("marketplace_order_reference")?,
            reason: d.opt_text("reason")?,
        }),
    };
    Ok(Parsed::Known(Event {
        event_type,
        timestamp_ms,
        timestamp_us,
        data,
    }))
}

fn rfc3339_ms(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// A JSON object and its path in the body, for error messages.
struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Obj<'a> {
    fn at(v: &'a Value, path: &str) -> Result<Self, EventError> {
        match v {
            Value::Object(map) => Ok(Obj {
                map,
                path: path.to_owned(),
            }),
            _ if path.is_empty() => Err(EventError::invalid("body", "must be a JSON object")),
            _ => Err(EventError::invalid(path, "must be an object")),
        }
    }
    fn path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }
    /// The value, with `null` read as absent.
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }
    fn req(&self, key: &str) -> Result<&'a Value, EventError> {
        self.get(key)
            .ok_or_else(|| EventError::missing(&self.path(key)))
    }
    fn obj(&self, key: &str) -> Result<Obj<'a>, EventError> {
        Obj::at(self.req(key)?, &self.path(key))
    }
    fn string(&self, key: &str) -> Result<String, EventError> {
        self.req(key)?
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| EventError::invalid(&self.path(key), "must be a string"))
    }
    fn nonempty(&self, key: &str) -> Result<String, EventError> {
        let s = self.string(key)?;
        if s.is_empty() {
            Err(EventError::invalid(&self.path(key), "is empty"))
        } else {
            Ok(s)
        }
    }
    /// SKUs are kept exactly as sent: a near-miss is for the flows to report, never to fix.
    fn sku(&self) -> Result<String, EventError> {
        self.nonempty("sku")
    }
    /// Optional text; a number is accepted and kept as its decimal text.
    fn opt_text(&self, key: &str) -> Result<Option<String>, EventError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(EventError::invalid(&self.path(key), "must be a string")),
        }
    }
    /// A whole number, written as a JSON number or as text (Magento often sends `"12.0000"`).
    fn opt_whole(&self, key: &str) -> Result<Option<i64>, EventError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let text = match v {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.trim().to_owned(),
            _ => String::new(),
        };
        let d = Decimal::from_str(&text).or_else(|_| Decimal::from_scientific(&text));
        match d
            .ok()
            .filter(|d| d.fract().is_zero())
            .and_then(|d| i64::try_from(d).ok())
        {
            Some(n) => Ok(Some(n)),
            None => Err(EventError::invalid(
                &self.path(key),
                "must be a whole number",
            )),
        }
    }
    fn positive(&self, key: &str) -> Result<i64, EventError> {
        match self.opt_whole(key)? {
            None => Err(EventError::missing(&self.path(key))),
            Some(n) if n > 0 => Ok(n),
            Some(_) => Err(EventError::invalid(
                &self.path(key),
                "must be greater than 0",
            )),
        }
    }
    fn price(&self, key: &str) -> Result<Decimal, EventError> {
        let must = "must be a decimal string like \"12.50\"";
        let text = self
            .req(key)?
            .as_str()
            .ok_or_else(|| EventError::invalid(&self.path(key), must))?;
        let ok = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        match Decimal::from_str(text) {
            Ok(d) if ok => Ok(d),
            _ => Err(EventError::invalid(&self.path(key), must)),
        }
    }
    /// An array of objects; element paths are `key[i]`.
    fn list(&self, key: &str, may_be_empty: bool) -> Result<Vec<Obj<'a>>, EventError> {
        let path = self.path(key);
        let arr = self
            .req(key)?
            .as_array()
            .ok_or_else(|| EventError::invalid(&path, "must be an array"))?;
        if arr.is_empty() && !may_be_empty {
            return Err(EventError::invalid(&path, "is empty"));
        }
        arr.iter()
            .enumerate()
            .map(|(i, v)| Obj::at(v, &format!("{path}[{i}]")))
            .collect()
    }
}

#[cfg(test)]
mod tests;
