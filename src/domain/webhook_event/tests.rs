use super::*;
use serde_json::json;

fn body(t: &str, data: Value) -> Vec<u8> {
    json!({"type": t, "timestamp": "2026-11-27T10:00:00.250Z", "data": data})
        .to_string()
        .into_bytes()
}

fn known(b: &[u8]) -> Event {
    match parse(b).unwrap() {
        Parsed::Known(e) => e,
        other => panic!("expected a known event, got {other:?}"),
    }
}

fn err(b: &[u8]) -> String {
    parse(b).unwrap_err().message
}

#[test]
fn parses_stock_changed_with_and_without_quantities() {
    let e = known(&body(
        "stock.changed",
        json!({"items": [{"sku": "AB-1", "salable_qty": 12}, {"sku": "AB-2"}, {"sku": "c", "salable_qty": "-3.0000", "extra": true}]}),
    ));
    assert_eq!(e.event_type, EventType::StockChanged);
    assert_eq!(e.timestamp_ms, 1_795_773_600_250);
    assert_eq!(e.timestamp_us, 1_795_773_600_250_000);
    let EventData::StockChanged(s) = e.data else {
        panic!()
    };
    assert_eq!(
        s.items[0],
        StockItem {
            sku: "AB-1".into(),
            salable_qty: Some(12)
        }
    );
    assert_eq!(s.items[1].salable_qty, None);
    assert_eq!(s.items[2].salable_qty, Some(-3));
}

#[test]
fn parses_price_shipment_and_cancel() {
    let e = known(&body(
        "price.changed",
        json!({"items": [{"sku": "A", "price": "12.50"}]}),
    ));
    let EventData::PriceChanged(p) = e.data else {
        panic!()
    };
    assert_eq!(p.items[0].price.to_string(), "12.50");

    let e = known(&body(
        "shipment.created",
        json!({"order_increment_id": "000000123", "marketplace_order_reference": "JL123", "shipment_id": 77,
               "items": [{"sku": "A", "qty": 1, "marketplace_line_ref": "L1"}, {"sku": "B", "qty": "2.0000"}],
               "tracks": [{"carrier_code": "dpd", "title": "DPD", "track_number": "15501234"}]}),
    ));
    let EventData::ShipmentCreated(s) = e.data else {
        panic!()
    };
    assert_eq!((s.shipment_id, s.items[1].qty, s.tracks.len()), (77, 2, 1));

    let e = known(&body(
        "order.canceled",
        json!({"order_increment_id": "1", "marketplace_order_reference": "JL1"}),
    ));
    assert_eq!(
        e.data,
        EventData::OrderCanceled(OrderCanceled {
            order_increment_id: "1".into(),
            marketplace_order_reference: "JL1".into(),
            reason: None
        })
    );
}

#[test]
fn names_the_faulty_field() {
    let items = |v: Value| body("stock.changed", json!({"items": v}));
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"{".to_vec(), "body is not valid JSON"),
        (b"[]".to_vec(), "body must be a JSON object"),
        (
            br#"{"timestamp":"2026-11-27T10:00:00Z","data":{}}"#.to_vec(),
            "type is missing",
        ),
        (br#"{"type":7}"#.to_vec(), "type must be a string"),
        (br#"{"type":"stock changed!"}"#.to_vec(), "type must be"),
        (
            br#"{"type":"stock.changed","data":{"items":[]}}"#.to_vec(),
            "timestamp is missing",
        ),
        (
            br#"{"type":"stock.changed","timestamp":"yesterday","data":{}}"#.to_vec(),
            "timestamp must be an RFC 3339",
        ),
        (
            br#"{"type":"stock.changed","timestamp":"2026-11-27T10:00:00Z"}"#.to_vec(),
            "data is missing",
        ),
        (
            br#"{"type":"stock.changed","timestamp":"2026-11-27T10:00:00Z","data":[]}"#.to_vec(),
            "data must be an object",
        ),
        (items(json!([])), "data.items is empty"),
        (items(json!({})), "data.items must be an array"),
        (
            items(json!([{"sku": "a"}, {"sku": "b"}, {"qty": 1}])),
            "data.items[2].sku is missing",
        ),
        (items(json!([{"sku": ""}])), "data.items[0].sku is empty"),
        (
            items(json!([{"sku": 5}])),
            "data.items[0].sku must be a string",
        ),
        (
            items(json!([{"sku": "a", "salable_qty": 1.5}])),
            "data.items[0].salable_qty must be a whole number",
        ),
        (
            items(json!([{"sku": "a", "salable_qty": "lots"}])),
            "data.items[0].salable_qty must be a whole number",
        ),
        (items(json!(["a"])), "data.items[0] must be an object"),
        (
            body(
                "price.changed",
                json!({"items": [{"sku": "a", "price": 12.5}]}),
            ),
            "data.items[0].price must be a decimal string",
        ),
        (
            body(
                "price.changed",
                json!({"items": [{"sku": "a", "price": "-1"}]}),
            ),
            "data.items[0].price must be a decimal string",
        ),
        (
            body("order.canceled", json!({"order_increment_id": "1"})),
            "data.marketplace_order_reference is missing",
        ),
        (
            body(
                "shipment.created",
                json!({"order_increment_id": "1", "marketplace_order_reference": "R", "shipment_id": 0}),
            ),
            "data.shipment_id must be greater than 0",
        ),
        (
            body(
                "shipment.created",
                json!({"order_increment_id": "1", "marketplace_order_reference": "R", "shipment_id": 9, "items": [{"sku": "a", "qty": 1}], "tracks": [{"carrier_code": "dpd", "title": "DPD"}]}),
            ),
            "data.tracks[0].track_number is missing",
        ),
    ];
    for (b, want) in cases {
        let got = err(&b);
        assert!(
            got.starts_with(want),
            "{}: got {got:?}, want {want:?}",
            String::from_utf8_lossy(&b)
        );
    }
}

#[test]
fn unknown_types_are_kept_not_refused() {
    let p = parse(
        br#"{"type":"product.deleted","timestamp":"2026-11-27T10:00:00Z","data":{"anything":1}}"#,
    )
    .unwrap();
    assert_eq!(
        p,
        Parsed::Unknown {
            event_type: "product.deleted".into(),
            timestamp_ms: Some(1_795_773_600_000)
        }
    );
    let p = parse(br#"{"type":"x"}"#).unwrap();
    assert_eq!(
        p,
        Parsed::Unknown {
            event_type: "x".into(),
            timestamp_ms: None
        }
    );
}

#[test]
fn newer_event_wins_then_later_webhook() {
    let o = |e, w| ObservationOrder {
        event_timestamp_ms: e,
        webhook_timestamp: w,
    };
    assert!(o(2, 1) > o(1, 9));
    assert!(o(1, 2) > o(1, 1));
    assert!(o(1, 1) <= o(1, 1));
}

#[test]
fn job_payloads_round_trip() {
    let p = StockObservedPayload {
        webhook_id: "msg_1".into(),
        webhook_timestamp: 1_795_773_600,
        event_timestamp_ms: 1_795_773_600_250,
        event_timestamp_us: Some(1_795_773_600_250_346),
        data: StockChanged {
            items: vec![StockItem {
                sku: "A".into(),
                salable_qty: Some(3),
            }],
        },
    };
    let v = serde_json::to_value(&p).unwrap();
    assert_eq!(v["data"]["items"][0]["salable_qty"], 3);
    let back: StockObservedPayload = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(back, p);
    // A job queued before the µs field existed still reads.
    let mut old = v;
    old.as_object_mut().unwrap().remove("event_timestamp_us");
    let back: StockObservedPayload = serde_json::from_value(old).unwrap();
    assert_eq!(back.event_timestamp_us, None);
    assert_eq!(
        back.order(),
        ObservationOrder {
            event_timestamp_ms: 1_795_773_600_250,
            webhook_timestamp: 1_795_773_600
        }
    );
    let price = PriceItem {
        sku: "A".into(),
        price: Decimal::from_str("9.90").unwrap(),
    };
    assert_eq!(serde_json::to_value(&price).unwrap()["price"], "9.90");
}
