//! A corpus of bad requests: each gets its status and error code, and none stores anything
//! (inbox, jobs and exceptions are unchanged after every one).
use crate::webhook_support::*;
use jlbridge::domain::webhook_signature::sign;
use serde_json::json;

struct Case {
    name: &'static str,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    status: u16,
    code: &'static str,
    /// Text the error message must contain (the field named), when it matters.
    names: &'static str,
}

fn signed_with(key: &[u8], id: &str, ts: i64, body: &[u8]) -> Vec<(&'static str, String)> {
    vec![
        ("content-type", "application/json".into()),
        ("webhook-id", id.into()),
        ("webhook-timestamp", ts.to_string()),
        ("webhook-signature", sign(key, id, ts, body)),
    ]
}

fn case(name: &'static str, headers: Vec<(&'static str, String)>, body: &[u8], status: u16, code: &'static str) -> Case {
    Case { name, headers, body: body.to_vec(), status, code, names: "" }
}

/// A correctly signed body that is wrong in its content.
fn bad_body(name: &'static str, body: &[u8], code: &'static str, names: &'static str) -> Case {
    Case { names, ..case(name, signed_with(KEY_A, &new_id(), now(), body), body, 400, code) }
}

fn with(mut h: Vec<(&'static str, String)>, name: &'static str, value: Option<&str>) -> Vec<(&'static str, String)> {
    h.retain(|(n, _)| *n != name);
    if let Some(v) = value {
        h.push((name, v.to_owned()));
    }
    h
}

fn corpus() -> Vec<Case> {
    let good = stock_event("SKU-1", 3);
    let g = good.as_bytes();
    let t = now();
    let ok = |id: &str| signed_with(KEY_A, id, t, g);
    let items = |v: serde_json::Value| event("stock.changed", json!({"items": v}));
    let ship = |tracks: serde_json::Value| {
        event("shipment.created", json!({"order_increment_id": "1", "marketplace_order_reference": "JL1", "shipment_id": 5, "items": [{"sku": "A", "qty": 1}], "tracks": tracks}))
    };
    let mut big = good.clone().into_bytes();
    big.resize(1024 * 1024 + 1, b' ');
    vec![
        // 415: not JSON
        case("no content type", with(ok("m1"), "content-type", None), g, 415, "unsupported_media_type"),
        case("text/plain", with(ok("m2"), "content-type", Some("text/plain")), g, 415, "unsupported_media_type"),
        case("form encoded", with(ok("m3"), "content-type", Some("application/x-www-form-urlencoded")), g, 415, "unsupported_media_type"),
        case("xml", with(ok("m4"), "content-type", Some("application/xml")), g, 415, "unsupported_media_type"),
        case("jsonp lookalike", with(ok("m5"), "content-type", Some("application/jsonp")), g, 415, "unsupported_media_type"),
        // 413: over the 1 MiB default
        case("body over 1 MiB", signed_with(KEY_A, "m6", t, &big), &big, 413, "body_too_large"),
        // 401: authenticity
        case("no webhook-id", with(ok("m7"), "webhook-id", None), g, 401, "missing_header"),
        case("no webhook-timestamp", with(ok("m8"), "webhook-timestamp", None), g, 401, "missing_header"),
        case("no webhook-signature", with(ok("m9"), "webhook-signature", None), g, 401, "missing_header"),
        case("empty signature", with(ok("m10"), "webhook-signature", Some("")), g, 401, "missing_header"),
        case("id with a dot", signed_with(KEY_A, "m.11", t, g), g, 401, "malformed_header"),
        case("id with a space", signed_with(KEY_A, "m 12", t, g), g, 401, "malformed_header"),
        case("id too long", signed_with(KEY_A, &"m".repeat(129), t, g), g, 401, "malformed_header"),
        case("id not ASCII", with(ok("m14"), "webhook-id", Some("m\u{e9}14")), g, 401, "malformed_header"),
        case("timestamp not a number", with(ok("m15"), "webhook-timestamp", Some("soon")), g, 401, "malformed_header"),
        case("timestamp negative", with(ok("m16"), "webhook-timestamp", Some("-5")), g, 401, "malformed_header"),
        case("timestamp with fraction", with(ok("m17"), "webhook-timestamp", Some(&format!("{t}.5"))), g, 401, "malformed_header"),
        case("timestamp stale", signed_with(KEY_A, "m18", t - 302, g), g, 401, "stale_timestamp"),
        case("timestamp in the future", signed_with(KEY_A, "m19", t + 360, g), g, 401, "future_timestamp"),
        case("unknown key", signed_with(KEY_WRONG, "m20", t, g), g, 401, "bad_signature"),
        case("signature for another id", with(ok("m21"), "webhook-signature", Some(&sign(KEY_A, "m99", t, g))), g, 401, "bad_signature"),
        case("signature for another time", with(ok("m22"), "webhook-signature", Some(&sign(KEY_A, "m22", t - 1, g))), g, 401, "bad_signature"),
        case("tampered body", ok("m23"), stock_event("SKU-1", 4).as_bytes(), 401, "bad_signature"),
        case("only a v2 entry", with(ok("m24"), "webhook-signature", Some(&sign(KEY_A, "m24", t, g).replacen("v1,", "v2,", 1))), g, 401, "bad_signature"),
        case("signature not base64", with(ok("m25"), "webhook-signature", Some("v1,@@@@ v1,!!")), g, 401, "bad_signature"),
        case("truncated signature", with(ok("m26"), "webhook-signature", Some(&sign(KEY_A, "m26", t, g)[..20])), g, 401, "bad_signature"),
        case("raw HMAC without version", with(ok("m27"), "webhook-signature", Some(&sign(KEY_A, "m27", t, g)[3..])), g, 401, "bad_signature"),
        {
            let mut h = ok("m28");
            h.push(("webhook-id", "m28b".into()));
            case("webhook-id twice", h, g, 401, "malformed_header")
        },
        // 400: authentic but malformed
        bad_body("not JSON", b"{\"type\": ", "malformed_json", "not valid JSON"),
        bad_body("empty body", b"", "malformed_json", "not valid JSON"),
        bad_body("not UTF-8", b"{\"type\":\"stock.changed\xff\"}", "malformed_json", "not valid JSON"),
        bad_body("JSON array", b"[1,2]", "invalid_field", "body must be a JSON object"),
        bad_body("no type", br#"{"timestamp":"2026-11-27T10:00:00Z","data":{}}"#, "missing_field", "type is missing"),
        bad_body("type a number", br#"{"type":3}"#, "invalid_field", "type must be a string"),
        bad_body("type with spaces", br#"{"type":"stock changed"}"#, "invalid_field", "type must be"),
        bad_body("no timestamp", br#"{"type":"stock.changed","data":{"items":[{"sku":"A"}]}}"#, "missing_field", "timestamp is missing"),
        bad_body("timestamp not RFC 3339", br#"{"type":"stock.changed","timestamp":"27/11/2026","data":{}}"#, "invalid_field", "timestamp must be an RFC 3339"),
        bad_body("no data", br#"{"type":"order.canceled","timestamp":"2026-11-27T10:00:00Z"}"#, "missing_field", "data is missing"),
        bad_body("data a string", br#"{"type":"order.canceled","timestamp":"2026-11-27T10:00:00Z","data":"x"}"#, "invalid_field", "data must be an object"),
        bad_body("no items", event("stock.changed", json!({})).as_bytes(), "missing_field", "data.items is missing"),
        bad_body("items empty", items(json!([])).as_bytes(), "invalid_field", "data.items is empty"),
        bad_body("third sku missing", items(json!([{"sku": "A"}, {"sku": "B"}, {"salable_qty": 1}])).as_bytes(), "missing_field", "data.items[2].sku is missing"),
        bad_body("sku null", items(json!([{"sku": null}])).as_bytes(), "missing_field", "data.items[0].sku is missing"),
        bad_body("qty fractional", items(json!([{"sku": "A", "salable_qty": 2.5}])).as_bytes(), "invalid_field", "data.items[0].salable_qty must be a whole number"),
        bad_body("qty a word", items(json!([{"sku": "A", "salable_qty": "many"}])).as_bytes(), "invalid_field", "data.items[0].salable_qty"),
        bad_body("price a float", event("price.changed", json!({"items": [{"sku": "A", "price": 9.99}]})).as_bytes(), "invalid_field", "data.items[0].price must be a decimal string"),
        bad_body("price missing", event("price.changed", json!({"items": [{"sku": "A"}]})).as_bytes(), "missing_field", "data.items[0].price is missing"),
        bad_body("cancel without reference", event("order.canceled", json!({"order_increment_id": "1"})).as_bytes(), "missing_field", "data.marketplace_order_reference is missing"),
        bad_body("shipment id not a number", event("shipment.created", json!({"order_increment_id": "1", "marketplace_order_reference": "R", "shipment_id": "abc"})).as_bytes(), "invalid_field", "data.shipment_id must be a whole number"),
        bad_body("shipment without tracks", ship(json!(null)).as_bytes(), "missing_field", "data.tracks is missing"),
        bad_body("track without number", ship(json!([{"carrier_code": "dpd", "title": "DPD"}])).as_bytes(), "missing_field", "data.tracks[0].track_number is missing"),
    ]
}

#[tokio::test]
async fn every_bad_request_gets_its_status_and_stores_nothing() {
    let s = Service::start().await;
    let cases = corpus();
    assert!(cases.len() >= 30, "corpus has {} cases", cases.len());
    let before = s.counts().await;
    let mut failures = Vec::new();
    for c in &cases {
        let mut req = s.client.post(&s.url).body(c.body.clone());
        for (name, value) in &c.headers {
            req = req.header(*name, value.as_str());
        }
        let (status, v) = answer(req).await;
        let message = v["error"]["message"].as_str().unwrap_or("");
        if status != c.status || code(&v) != c.code || !message.contains(c.names) {
            failures.push(format!("{}: got {status} {v}, want {} {} naming {:?}", c.name, c.status, c.code, c.names));
        }
        let now = s.counts().await;
        if now != before {
            failures.push(format!("{}: stored something: {now:?} (before {before:?})", c.name));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    println!("{} bad requests refused, nothing stored", cases.len());
    // The same service still accepts a good one.
    assert_eq!(s.post_signed(KEY_A, &new_id(), now(), &stock_event("SKU-1", 3)).await.0, 202);
    s.app.stop().await;
}

/// A body with no Content-Length (chunked) that grows past the limit is refused mid-stream.
#[tokio::test]
async fn a_chunked_body_over_the_limit_gets_413() {
    use std::io::{Read, Write};
    let s = Service::start_with(|c| c.http.body_limit_bytes = 1000).await;
    let addr = s.app.http_addr;
    let reply = tokio::task::spawn_blocking(move || {
        let mut c = std::net::TcpStream::connect(addr).unwrap();
        c.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
        let head = "POST /webhooks/magento HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
        c.write_all(head.as_bytes()).unwrap();
        let chunk = format!("{:x}\r\n{}\r\n", 600, " ".repeat(600));
        let _ = c.write_all(chunk.as_bytes());
        let _ = c.write_all(chunk.as_bytes());
        let mut buf = [0u8; 2048];
        let n = c.read(&mut buf).unwrap_or(0);
        String::from_utf8_lossy(&buf[..n]).into_owned()
    })
    .await
    .unwrap();
    assert!(reply.starts_with("HTTP/1.1 413") && reply.contains("body_too_large"), "{reply}");
    assert_eq!(s.counts().await, Counts { inbox: 0, jobs: 0, exceptions: 0 });
    s.app.stop().await;
}
