//! Wire ⇄ domain conversions for The Edge.
use super::wire;
use crate::domain::money::{Currency, Money};
use crate::domain::order::{
    Address, MarketplaceOrder, MarketplaceOrderId, OrderLine, OrderReference, OrderStatus, PartNumber,
};
use crate::marketplace::types::*;
use crate::marketplace::MarketplaceError;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rust_decimal::Decimal;

/// The REST id at the end of a resource `url` (`…/restapi/v4/orders/234419/` → `234419`).
pub fn id_from_url(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next()?;
    let last = path.trim_end_matches('/').rsplit('/').next()?;
    (!last.is_empty() && !last.contains(':') && !last.contains('{')).then(|| last.to_owned())
}

/// The Edge sends naive timestamps (`2021-02-23T10:41:59`, `2021-02-01 13:47:40`); they are
/// read as UTC. Offsets, when present, are honoured.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc());
        }
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%z"] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Some(t.with_timezone(&Utc));
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().map(|d| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
}

fn decode(msg: String) -> MarketplaceError {
    MarketplaceError::Decode(msg)
}

fn money(amount: Option<Decimal>, currency: Currency) -> Option<Money> {
    amount.map(|a| Money::new(a, currency))
}

pub fn order(w: wire::Order) -> Result<MarketplaceOrder, MarketplaceError> {
    let id = id_from_url(&w.url).ok_or_else(|| decode(format!("order without a usable url ({:?})", w.url)))?;
    let reference = w.order_reference.filter(|r| !r.trim().is_empty());
    let reference = reference.ok_or_else(|| decode(format!("order {id} has no order_reference")))?;
    let currency = match w.currency_code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => Currency::parse(c).map_err(decode)?,
        None => Currency::GBP,
    };
    let order_date = w
        .order_date
        .as_deref()
        .and_then(parse_time)
        .ok_or_else(|| decode(format!("order {id} has no readable order_date")))?;
    let lines = w
        .items
        .into_iter()
        .map(|i| line(i, currency, &id))
        .collect::<Result<Vec<_>, _>>()?;
    let status = OrderStatus::parse(w.status.as_deref().unwrap_or(""));
    let a = w.shipping_address.unwrap_or_default();
    let shipping_address = Address {
        full_name: a.full_name.unwrap_or_default(),
        line_1: a.line_1.unwrap_or_default(),
        line_2: a.line_2.filter(|s| !s.is_empty()),
        line_3: None,
        city: a.city.filter(|s| !s.is_empty()),
        state: a.state.filter(|s| !s.is_empty()),
        postal_code: a.postal_code.unwrap_or_default(),
        country: a.country.unwrap_or_default(),
        phone: a.phone.filter(|s| !s.is_empty()),
        email: a.email.filter(|s| !s.is_empty()),
    };
    Ok(MarketplaceOrder {
        id: MarketplaceOrderId(id),
        reference: OrderReference(reference),
        status,
        order_date,
        currency,
        lines,
        shipping_address,
        subtotal: money(w.subtotal, currency),
        tax: money(w.tax, currency),
        total: money(w.total, currency),
        delivery_service_code: w.delivery_service_code,
        comment: w.comment,
        test_flag: w.test_flag,
    })
}

fn line(i: wire::Item, currency: Currency, order_id: &str) -> Result<OrderLine, MarketplaceError> {
    let line_ref = i.line_reference.ok_or_else(|| decode(format!("order {order_id}: line without line_reference")))?;
    let part = i.part_number.ok_or_else(|| decode(format!("order {order_id} line {line_ref}: no part_number")))?;
    let quantity = i.quantity.ok_or_else(|| decode(format!("order {order_id} line {line_ref}: no quantity")))?;
    Ok(OrderLine {
        line_ref,
        part_number: PartNumber(part),
        retailer_sku: i.retailer_sku_reference,
        supplier_sku: i.supplier_sku_reference,
        quantity,
        name: i.name,
        description: i.description,
        status: OrderStatus::parse(i.status.as_deref().unwrap_or("")),
        unit_price: money(i.unit_cost_price, currency),
        subtotal: money(i.subtotal, currency),
        tax: money(i.tax, currency),
        tax_rate: i.tax_rate,
        total: money(i.total, currency),
        promised_date: i.promised_date.as_deref().and_then(parse_time),
    })
}

pub fn product(w: wire::Product) -> Result<MarketplaceProduct, MarketplaceError> {
    let id = id_from_url(&w.url).ok_or_else(|| decode(format!("product without a usable url ({:?})", w.url)))?;
    let part = w.part_number.ok_or_else(|| decode(format!("product {id} has no part_number")))?;
    let text = |k: &str| match w.data.get(k) {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let stock = ["free_stock", "supplier_free_stock"].iter().find_map(|k| match w.data.get(*k) {
        Some(serde_json::Value::Number(n)) => n.as_i64(),
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    });
    Ok(MarketplaceProduct {
        id: ProductId(id),
        part_number: PartNumber(part),
        traded_code: text("tradedCode"),
        free_stock: stock,
        supplier: w.supplier,
    })
}

pub fn carrier(w: wire::Carrier) -> Carrier {
    Carrier { id: w.id, slug: w.slug, name: w.name }
}

pub fn return_(w: wire::Return) -> Result<MarketplaceReturn, MarketplaceError> {
    let id = w.id.ok_or_else(|| decode("return without id".into()))?;
    let status_code = match &w.status {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(serde_json::Value::Object(m)) => m.get("code").and_then(|c| c.as_str()).map(str::to_owned),
        _ => None,
    };
    let item = w.order_item.as_ref();
    let status = status_code
        .or_else(|| item.and_then(|i| i.status.clone()))
        .map(|s| OrderStatus::parse(&s))
        .unwrap_or_else(|| OrderStatus::Other(String::new()));
    Ok(MarketplaceReturn {
        id,
        order_id: w.order.as_ref().and_then(|o| id_from_url(&o.url)).map(MarketplaceOrderId),
        order_reference: w.order.as_ref().and_then(|o| o.order_reference.clone()).map(OrderReference),
        line_ref: item.and_then(|i| i.line_reference.clone()),
        part_number: item.and_then(|i| i.part_number.clone()).map(PartNumber),
        quantity: w.quantity.or(item.and_then(|i| i.quantity)).unwrap_or(0),
        status,
        reason_code: w.return_reason_code.or_else(|| w.return_reason.as_ref().and_then(|r| r.code.clone())),
        reason: w.return_reason.and_then(|r| r.description),
        created_at: w.created_at.as_deref().or(w.return_date.as_deref()).and_then(parse_time),
    })
}

// ---- domain → wire ----

const DATETIME_19: &str = "%Y-%m-%dT%H:%M:%S";
const DATE_10: &str = "%Y-%m-%d";

pub fn ack_items(lines: &[AckLine]) -> wire::Items<wire::AckItem> {
    wire::Items {
        items: lines
            .iter()
            .map(|l| wire::AckItem {
                part_number: l.part_number.0.clone(),
                line_ref: l.line_ref.clone(),
                quantity: l.quantity,
                sub_status: l.sub_status.clone(),
                supplier_dispatch_date: l.dispatch_date.map(|d| d.format(DATETIME_19).to_string()),
                supplier_delivery_date: l.delivery_date.map(|d| d.format(DATETIME_19).to_string()),
                comment: l.comment.clone(),
                fulfillment_route: l.fulfillment_route.clone(),
            })
            .collect(),
    }
}

/// A backorder line is an acknowledgement line whose sub-status and new dispatch date are
/// required: the same wire body.
pub fn backorder_items(lines: &[BackorderLine]) -> wire::Items<wire::AckItem> {
    let as_ack: Vec<AckLine> = lines
        .iter()
        .map(|l| AckLine {
            line_ref: l.line_ref.clone(),
            part_number: l.part_number.clone(),
            quantity: l.quantity,
            sub_status: Some(l.sub_status.clone()),
            dispatch_date: Some(l.dispatch_date),
            delivery_date: l.delivery_date,
            comment: l.comment.clone(),
            fulfillment_route: l.fulfillment_route.clone(),
        })
        .collect();
    ack_items(&as_ack)
}

pub fn cancel_items(lines: &[CancelLine]) -> wire::Items<wire::CancelItem> {
    wire::Items {
        items: lines
            .iter()
            .map(|l| wire::CancelItem {
                part_number: l.part_number.0.clone(),
                line_ref: l.line_ref.clone(),
                quantity: l.quantity,
                comment: l.comment.clone(),
            })
            .collect(),
    }
}

pub fn dispatch_items(lines: &[DispatchLine]) -> wire::Items<wire::DispatchItem> {
    wire::Items {
        items: lines
            .iter()
            .map(|l| wire::DispatchItem {
                part_number: l.part_number.0.clone(),
                line_ref: l.line_ref.clone(),
                quantity: l.quantity,
                carrier: l.carrier.clone(),
                tracking_number: l.tracking_number.clone(),
                tracking_url: l.tracking_url.clone(),
                supplier_dispatch_date: l.dispatch_date.format(DATE_10).to_string(),
                supplier_delivery_date: l.delivery_date.map(|d| d.format(DATE_10).to_string()),
            })
            .collect(),
    }
}

pub fn return_items(lines: &[ReturnLine]) -> wire::Items<wire::ReturnAckItem> {
    wire::Items {
        items: lines
            .iter()
            .map(|l| wire::ReturnAckItem {
                part_number: l.part_number.0.clone(),
                line_ref: l.line_ref.clone(),
                quantity: l.quantity.to_string(),
            })
            .collect(),
    }
}

/// `(code, message)` from an error answer, whatever its shape; the message is kept short.
pub fn error_body(body: &[u8]) -> (Option<String>, String) {
    let text = String::from_utf8_lossy(body);
    let short = |s: &str| s.chars().take(500).collect::<String>();
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v @ serde_json::Value::Object(_)) => {
            let e: wire::ErrorBody = serde_json::from_value(v.clone()).unwrap_or_default();
            match e.detail {
                Some(d) => (e.code, short(&d)),
                None => (e.code, short(&v.to_string())),
            }
        }
        Ok(serde_json::Value::String(s)) => (None, short(&s)),
        _ => (None, short(text.trim())),
    }
}

/// The wait in "Request was throttled. Expected available in 12.0 seconds."
pub fn throttle_wait(message: &str) -> Option<std::time::Duration> {
    let rest = message.split("available in").nth(1)?;
    let number: String = rest.trim_start().chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    let secs: f64 = number.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| std::time::Duration::from_secs_f64(secs.min(3600.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_from_urls() {
        assert_eq!(id_from_url("https://x/restapi/v4/orders/234419/").as_deref(), Some("234419"));
        assert_eq!(id_from_url("https://x/api/v4/products/617172/?format=json").as_deref(), Some("617172"));
        assert_eq!(id_from_url("").as_deref(), None);
    }

    #[test]
    fn throttle_message_gives_the_wait() {
        let m = "Request was throttled. Request was throttled. Expected available in 12.0 seconds.";
        assert_eq!(throttle_wait(m), Some(std::time::Duration::from_secs(12)));
        assert_eq!(throttle_wait("Request was throttled."), None);
    }

    #[test]
    fn error_bodies_keep_code_and_message() {
        let (c, m) = error_body(br#"{"detail": "Product not found.", "code": "PRODUCT_NOT_FOUND"}"#);
        assert_eq!((c.as_deref(), m.as_str()), (Some("PRODUCT_NOT_FOUND"), "Product not found."));
        let (c, m) = error_body(br#"{"supplier_free_stock": ["This field is required."]}"#);
        assert!(c.is_none() && m.contains("supplier_free_stock"));
        let (_, m) = error_body(b"Validation error: Return quantity value 3 is greater");
        assert!(m.starts_with("Validation error"));
    }

    #[test]
    fn unknown_fields_and_statuses_and_string_money_parse() {
        let json = r#"{"url":"https://x/restapi/v4/orders/7/","order_reference":"R1","order_date":"2021-02-23T10:41:59",
          "status":"SOMETHING_NEW","brand_new_field":{"a":1},"currency_code":"GBP","total":"12.50",
          "items":[{"part_number":58000128,"line_reference":1,"quantity":"2","status":"ORDER","unit_cost_price":5.1}]}"#;
        let o = order(serde_json::from_str(json).unwrap()).unwrap();
        assert_eq!(o.id.0, "7");
        assert_eq!(o.status, OrderStatus::Other("SOMETHING_NEW".into()));
        assert_eq!(o.total.unwrap().amount.to_string(), "12.50");
        assert_eq!(o.lines[0].part_number.0, "58000128");
        assert_eq!(o.lines[0].quantity, 2);
        assert_eq!(o.lines[0].unit_price.unwrap().amount.to_string(), "5.1");
    }

    #[test]
    fn nulls_and_odd_shapes_do_not_break_parsing() {
        let json = r#"{"url":"https://x/restapi/v4/orders/8/","order_reference":"R2","order_date":"2021-02-23 10:41:59",
          "status":{"code":"ORDER"},"items":null,"shipping_address":null,"comment":null,"test_flag":"Y"}"#;
        let o = order(serde_json::from_str(json).unwrap()).unwrap();
        assert!(o.lines.is_empty() && o.test_flag);
        assert_eq!(o.status, OrderStatus::Other(String::new()));
        let page: wire::Page<wire::Product> = serde_json::from_str(r#"{"count":0,"next":null,"results":null}"#).unwrap();
        assert!(page.results.is_empty());
        let bad: Result<wire::Order, _> = serde_json::from_str(r#"{"url":"u","total":"twelve"}"#);
        assert!(bad.is_err(), "unreadable money is an error, never a guess");
    }
}
