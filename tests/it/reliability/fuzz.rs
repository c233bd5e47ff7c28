//! Scenario 4b: property-based fuzzing of the webhook verifier and the payload parser.
//! 256 cases per property by default; `PROPTEST_CASES=100000` for a longer run.
use super::summary::record;
use jlbridge::domain::webhook_event::{parse, EventData, Parsed};
use jlbridge::domain::webhook_signature::{sign, SignedHeaders, Verifier};
use proptest::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};

static CASES: AtomicU64 = AtomicU64::new(0);
const NOW: i64 = 1_800_000_000;

fn headers<'a>(id: &'a str, ts: &'a str, sig: &'a str) -> SignedHeaders<'a> {
    SignedHeaders { id: Some(Ok(id)), timestamp: Some(Ok(ts)), signature: Some(Ok(sig)) }
}

/// Any string: ASCII, unicode, NUL, metacharacters, long runs.
fn nasty() -> impl Strategy<Value = String> {
    prop_oneof![
        ".*",
        "[\\x00-\\x7f]{0,64}",
        Just("'; DROP TABLE jobs; --".to_owned()),
        Just("<script>alert(1)</script>".to_owned()),
        Just("$(rm -rf /) `id` | cat /etc/passwd".to_owned()),
        Just("\u{0}\u{202e}\u{1F600}".to_owned()),
        (1usize..20_000).prop_map(|n| "Ω".repeat(n)),
    ]
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        nasty().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![nasty(), Just("type".into()), Just("data".into()), Just("items".into()), Just("sku".into()), Just("timestamp".into())],
                inner,
                0..8
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn a_signature_verifies_and_any_change_fails(key in prop::collection::vec(any::<u8>(), 1..64), id in "[a-zA-Z0-9_-]{1,64}",
                                                  body in prop::collection::vec(any::<u8>(), 0..2048), flip in any::<usize>(), bit in 0u8..8) {
        CASES.fetch_add(1, Ordering::Relaxed);
        let v = Verifier::new(vec![key.clone()], 300).unwrap();
        let sig = sign(&key, &id, NOW, &body);
        let ts = NOW.to_string();
        prop_assert!(v.verify(headers(&id, &ts, &sig), &body, NOW).is_ok());
        if !body.is_empty() {
            let mut b = body.clone();
            let i = flip % b.len();
            b[i] ^= 1 << bit;
            prop_assert!(v.verify(headers(&id, &ts, &sig), &b, NOW).is_err(), "a changed body is refused");
        }
        let stale = (NOW - 301).to_string();
        let sig_stale = sign(&key, &id, NOW - 301, &body);
        prop_assert!(v.verify(headers(&id, &stale, &sig_stale), &body, NOW).is_err(), "stale is refused");
        let other = Verifier::new(vec![[key.as_slice(), b"x"].concat()], 300).unwrap();
        prop_assert!(other.verify(headers(&id, &ts, &sig), &body, NOW).is_err(), "another key is refused");
    }

    #[test]
    fn arbitrary_headers_never_panic_and_never_pass(id in nasty(), ts in nasty(), sig in nasty(), body in prop::collection::vec(any::<u8>(), 0..512)) {
        CASES.fetch_add(1, Ordering::Relaxed);
        let v = Verifier::new(vec![b"fuzz-key".to_vec()], 300).unwrap();
        prop_assert!(v.verify(headers(&id, &ts, &sig), &body, NOW).is_err());
        let missing = SignedHeaders { id: None, timestamp: Some(Err(())), signature: Some(Ok(&sig)) };
        prop_assert!(v.verify(missing, &body, NOW).is_err());
    }

    #[test]
    fn the_parser_never_panics_on_bytes(body in prop::collection::vec(any::<u8>(), 0..4096)) {
        CASES.fetch_add(1, Ordering::Relaxed);
        let _ = parse(&body);
    }

    #[test]
    fn the_parser_never_panics_on_json(v in json_value()) {
        CASES.fetch_add(1, Ordering::Relaxed);
        let _ = parse(v.to_string().as_bytes());
    }

    #[test]
    fn strings_in_events_are_kept_verbatim_or_refused_with_a_code(s in nasty(), q in any::<i64>()) {
        CASES.fetch_add(1, Ordering::Relaxed);
        let body = serde_json::json!({"type": "stock.changed", "timestamp": "2026-11-27T10:00:00Z",
            "data": {"items": [{"sku": s, "salable_qty": q}]}, "extra": {"unknown": [1, 2]}}).to_string();
        match parse(body.as_bytes()) {
            Ok(Parsed::Known(e)) => match e.data {
                EventData::StockChanged(c) => prop_assert_eq!(&c.items[0].sku, &s),
                other => prop_assert!(false, "{other:?}"),
            },
            Ok(other) => prop_assert!(false, "{other:?}"),
            Err(e) => prop_assert!(["missing_field", "invalid_field"].contains(&e.code) && !e.message.is_empty()),
        }
        let body = serde_json::json!({"type": "order.canceled", "timestamp": "2026-11-27T10:00:00Z",
            "data": {"order_increment_id": s, "marketplace_order_reference": s, "reason": s}}).to_string();
        if let Err(e) = parse(body.as_bytes()) {
            prop_assert!(["missing_field", "invalid_field"].contains(&e.code));
        }
    }
}

/// Runs after the properties in most orders; records the figures.
#[test]
fn zz_fuzz_summary() {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256u64);
    record("4b fuzz (proptest)", "pass", &[("properties", "5".into()), ("cases per property", cases.to_string()), ("cases run so far", CASES.load(Ordering::Relaxed).to_string())]);
}
