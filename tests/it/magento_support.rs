//! Shared set-up for the Magento tests: a sample John Lewis order, its mapped draft, a
//! seeded sandbox and a webhook receiver.
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::Router;
use chrono::TimeZone;
use jlbridge::domain::magento_order::{map_order, MagentoOrderDraft, MappingOptions};
use jlbridge::domain::money::{Currency, Money};
use jlbridge::domain::order::{Address, MarketplaceOrder, MarketplaceOrderId, OrderLine, OrderReference, OrderStatus, PartNumber};
use jlbridge::magento::MagentoClient;
use jlbridge::sandbox::magento::MagentoSandbox;
use rust_decimal::Decimal;
use std::sync::{Arc, Mutex};

pub const EDGE_ID: &str = "98765432";

pub fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn line(line_ref: &str, part: &str, qty: u32, total: &str) -> OrderLine {
    OrderLine {
        line_ref: line_ref.into(),
        part_number: PartNumber::parse(part).unwrap(),
        retailer_sku: None,
        supplier_sku: None,
        quantity: qty,
        name: Some("Linen shirt".into()),
        description: None,
        status: OrderStatus::Order,
        unit_price: None,
        subtotal: None,
        tax: None,
        tax_rate: Some(dec("0.2")),
        total: Some(Money::parse(total, Currency::GBP).unwrap()),
        promised_date: None,
    }
}

pub fn sample_order(reference: &str) -> MarketplaceOrder {
    MarketplaceOrder {
        id: MarketplaceOrderId(EDGE_ID.into()),
        reference: OrderReference(reference.into()),
        status: OrderStatus::Order,
        order_date: chrono::Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap(),
        currency: Currency::GBP,
        lines: vec![line("1", "58000128", 2, "49.98"), line("2", "58000129", 1, "30.00")],
        shipping_address: Address {
            full_name: "Jane Doe".into(),
            line_1: "1 High Street".into(),
            city: Some("Reading".into()),
            postal_code: "RG1 1AA".into(),
            country: "GBR".into(),
            phone: Some("07700 900123".into()),
            ..Default::default()
        },
        subtotal: None,
        tax: None,
        total: None,
        delivery_service_code: Some("STANDARD".into()),
        comment: None,
        test_flag: false,
    }
}

pub fn draft(reference: &str) -> MagentoOrderDraft {
    let skus = |p: &PartNumber| match p.as_str() {
        "58000128" => Some("SHIRT-M".to_owned()),
        "58000129" => Some("SHIRT-L".to_owned()),
        _ => None,
    };
    map_order(&sample_order(reference), &skus, &MappingOptions::default()).expect("sample order maps")
}

/// A sandbox with the two sample SKUs (10 and 5 on the default source) and a client for it.
pub async fn seeded() -> (MagentoSandbox, MagentoClient) {
    let sb = MagentoSandbox::start().await.unwrap();
    sb.add_product("SHIRT-M", "Linen shirt M", dec("24.99"));
    sb.add_product("SHIRT-L", "Linen shirt L", dec("30.00"));
    sb.set_source_qty("SHIRT-M", "default", dec("10"));
    sb.set_source_qty("SHIRT-L", "default", dec("5"));
    let client = MagentoClient::new(sb.client_config()).unwrap();
    (sb, client)
}

#[derive(Clone, Debug)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A loopback HTTP endpoint recording every POST; returns (url, received).
pub async fn webhook_receiver() -> (String, Arc<Mutex<Vec<Received>>>) {
    let got: Arc<Mutex<Vec<Received>>> = Arc::default();
    let sink = got.clone();
    let app = Router::new().route(
        "/webhooks/magento",
        post(move |headers: HeaderMap, body: Bytes| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push(Received { headers, body });
                (axum::http::StatusCode::ACCEPTED, "{\"status\":\"accepted\"}")
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhooks/magento", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, got)
}

/// Waits (up to 5 s) until `f` holds.
pub async fn eventually(mut f: impl FnMut() -> bool) -> bool {
    for _ in 0..100 {
        if f() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}
