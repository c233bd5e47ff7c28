//! Scenario 4: bad input and abuse against the real binary. Forged, replayed, stale, future,
//! oversized, malformed, non-JSON and unknown-type webhooks; injection attempts (SQL, HTML,
//! shell metacharacters, very long strings, NUL, unicode) in every string field of each
//! webhook type and of the gRPC requests; gRPC without a token, with a wrong one, and with a
//! read token on mutations. The service stays up, stores accepted bodies verbatim, refuses
//! the rest with a JSON error naming the problem, and executes nothing.
use super::harness::*;
use super::summary::record;
use jlbridge::domain::webhook_signature::sign;
use jlbridge::grpc::pb::exception_service_client::ExceptionServiceClient;
use jlbridge::grpc::pb::sync_service_client::SyncServiceClient;
use jlbridge::grpc::pb::*;
use jlbridge::sandbox::edge::EdgeSandboxConfig;
use jlbridge::store::entities::webhook_inbox;
use sea_orm::EntityTrait;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use tonic::Code;

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The marker file a shell payload would create if anything ran it.
fn pwned() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("jlbridge-pwned-{}", std::process::id()))
}

fn payloads() -> Vec<String> {
    let p = pwned().display().to_string();
    vec![
        "'; DROP TABLE webhook_inbox; --".into(),
        "\" OR 1=1 --".into(),
        "Robert'); DELETE FROM jobs WHERE ('1'='1".into(),
        "<script>alert('x')</script><img src=x onerror=alert(1)>".into(),
        format!("$(touch {p})"),
        format!("`touch {p}`; touch {p} && touch {p} | touch {p}"),
        "../../../../etc/passwd".into(),
        "%s%s%s%n{0}{{}}${jndi:ldap://x/a}".into(),
        "nul\u{0}inside".into(),
        "\u{202e}Ω≈ç√ 🚚 漢字 \u{feff}".into(),
        "x".repeat(100_000),
        String::new(),
        " padded ".into(),
    ]
}

/// Every string field (by JSON pointer) of each webhook type, in a valid body.
fn templates() -> Vec<(&'static str, Value, Vec<&'static str>)> {
    vec![
        ("stock.changed", json!({"items": [{"sku": "REL-000", "salable_qty": 3}]}), vec!["/items/0/sku"]),
        (
            "shipment.created",
            json!({"order_increment_id": "JL-1", "marketplace_order_reference": "JLX1", "shipment_id": 5,
                   "items": [{"sku": "REL-000", "qty": 1, "marketplace_line_ref": "1"}],
                   "tracks": [{"carrier_code": "custom", "title": "Royal Mail", "track_number": "RM1GB"}]}),
            vec!["/order_increment_id", "/marketplace_order_reference", "/items/0/sku", "/items/0/marketplace_line_ref",
                 "/tracks/0/carrier_code", "/tracks/0/title", "/tracks/0/track_number"],
        ),
        ("order.canceled", json!({"order_increment_id": "JL-1", "marketplace_order_reference": "JLX1", "reason": "r"}),
            vec!["/order_increment_id", "/marketplace_order_reference", "/reason"]),
        ("price.changed", json!({"items": [{"sku": "REL-000", "price": "9.99"}]}), vec!["/items/0/sku", "/items/0/price"]),
    ]
}

struct Poster {
    client: reqwest::Client,
    url: String,
}

impl Poster {
    async fn raw(&self, id: &str, ts: i64, sig: Option<String>, ctype: &str, body: Vec<u8>) -> (u16, Value) {
        let mut req = self.client.post(&self.url).header("content-type", ctype).header("webhook-id", id).header("webhook-timestamp", ts.to_string());
        if let Some(sig) = sig {
            req = req.header("webhook-signature", sig);
        }
        let resp = req.body(body).send().await.expect("the service answers");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }
    async fn signed(&self, id: &str, body: &[u8]) -> (u16, Value) {
        let ts = now();
        self.raw(id, ts, Some(sign(KEY, id, ts, body)), "application/json", body.to_vec()).await
    }
}

fn event(kind: &str, data: &Value) -> Vec<u8> {
    json!({"type": kind, "timestamp": chrono::Utc::now().to_rfc3339(), "data": data}).to_string().into_bytes()
}

fn error_code(v: &Value) -> String {
    v["error"]["code"].as_str().unwrap_or("").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_replayed_stale_oversized_malformed_and_injected_input_is_refused_or_stored_verbatim() {
    let w = World::start(WorldOptions { skus: 2, edge: EdgeSandboxConfig::default(), db_url: None }).await;
    let mut svc = w.spawn("abuse", &[]);
    svc.wait_up(60).await;
    let p = Poster { client: reqwest::Client::new(), url: svc.webhook_url() };
    let mut figures: BTreeMap<String, usize> = BTreeMap::new();
    let mut count = |k: &str| *figures.entry(k.to_owned()).or_default() += 1;
    let good = event("stock.changed", &json!({"items": [{"sku": "REL-000", "salable_qty": 3}]}));

    // Forged: wrong key, tampered body, garbage, missing signature, another scheme.
    let ts = now();
    for (sig, body) in [
        (Some(sign(b"not-the-key", "f1", ts, &good)), good.clone()),
        (Some(sign(KEY, "f1", ts, &good)), [good.as_slice(), b" "].concat()),
        (Some("v1,AAAA".into()), good.clone()),
        (Some("v1a,".to_owned() + &sign(KEY, "f1", ts, &good)[3..]), good.clone()),
        (None, good.clone()),
    ] {
        let (s, v) = p.raw("f1", ts, sig, "application/json", body).await;
        assert_eq!(s, 401, "forged: {v}");
        assert!(!error_code(&v).is_empty(), "JSON error: {v}");
        count("forged → 401");
    }
    // Stale and future timestamps, correctly signed.
    for ts in [now() - 301, now() - 86_400, now() + 301] {
        let (s, _) = p.raw("st1", ts, Some(sign(KEY, "st1", ts, &good)), "application/json", good.clone()).await;
        assert_eq!(s, 401);
        count("stale/future → 401");
    }
    // Replayed: the same id again (even with another body) is a duplicate, stored once.
    assert_eq!(p.signed("rp1", &good).await.0, 202);
    for body in [good.clone(), event("stock.changed", &json!({"items": [{"sku": "REL-001", "salable_qty": 9}]}))] {
        let (s, v) = p.signed("rp1", &body).await;
        assert_eq!((s, v["status"].as_str()), (200, Some("duplicate")));
        count("replayed → 200 duplicate");
    }
    // Oversized.
    let big = event("stock.changed", &json!({"items": [{"sku": "x".repeat(1_100_000), "salable_qty": 1}]}));
    assert_eq!(p.signed("big1", &big).await.0, 413);
    count("oversized → 413");
    // Malformed, missing fields, not JSON, unknown type.
    for (body, want) in [
        (b"{not json".to_vec(), 400),
        (b"[]".to_vec(), 400),
        (json!({"type": "stock.changed", "data": {}}).to_string().into_bytes(), 400),
        (event("stock.changed", &json!({"items": [{"salable_qty": 1}]})), 400),
        (event("shipment.created", &json!({"order_increment_id": "1"})), 400),
        (event("stock.changed", &json!({"items": [{"sku": "A", "salable_qty": "many"}]})), 400),
    ] {
        let (s, v) = p.signed(&format!("m{}", uuid::Uuid::new_v4().simple()), &body).await;
        assert_eq!(s, want, "{v}");
        assert!(!v["error"]["message"].as_str().unwrap_or("").is_empty(), "the error says what is wrong: {v}");
        count("malformed → 400");
    }
    let (s, _) = p.raw("ct1", now(), Some(sign(KEY, "ct1", now(), b"sku=1")), "text/plain", b"sku=1".to_vec()).await;
    assert_eq!(s, 415);
    count("not JSON → 415");
    let (s, _) = p.signed("unk1", &event("catalog.rewritten", &json!({}))).await;
    assert_eq!(s, 422);
    count("unknown type → 422");

    // Injection attempts in every string field of each webhook type.
    let mut stored = Vec::new();
    for (kind, data, fields) in templates() {
        for field in &fields {
            for (k, payload) in payloads().iter().enumerate() {
                let mut d = data.clone();
                *d.pointer_mut(field).unwrap() = Value::String(payload.clone());
                let body = event(kind, &d);
                let id = format!("inj-{}-{}-{k}", kind.replace('.', "_"), field.replace('/', "_"));
                let (s, v) = p.signed(&id, &body).await;
                match s {
                    202 => {
                        stored.push((id, body));
                        count("injection → 202 stored");
                    }
                    400 | 413 => {
                        assert!(!error_code(&v).is_empty(), "{kind} {field}: {v}");
                        count("injection → refused (400/413)");
                    }
                    other => panic!("{kind} {field} payload {k}: unexpected {other} {v}"),
                }
            }
        }
    }
    // gRPC: authentication, roles, injection.
    let ch = svc.grpc_channel().await;
    let mut ex = ExceptionServiceClient::new(ch.clone());
    let mut sync = SyncServiceClient::new(ch);
    let e = ex.list_exceptions(ListExceptionsRequest::default()).await.unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated);
    let e = sync.get_sync_status(authed(GetSyncStatusRequest {}, "wrong-token")).await.unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated);
    let e = sync.get_sync_status(tonic::Request::new(GetSyncStatusRequest {})).await.unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated);
    count("gRPC no/wrong token → UNAUTHENTICATED");
    count("gRPC no/wrong token → UNAUTHENTICATED");
    count("gRPC no/wrong token → UNAUTHENTICATED");
    assert!(sync.get_sync_status(authed(GetSyncStatusRequest {}, READ_TOKEN)).await.is_ok(), "read token reads");
    let denied = [
        ex.retry_exception(authed(RetryExceptionRequest { id: 1 }, READ_TOKEN)).await.map(|_| ()),
        ex.retry_exceptions(authed(RetryExceptionsRequest { kind: "poll_failed".into() }, READ_TOKEN)).await.map(|_| ()),
        ex.resolve_exception(authed(ResolveExceptionRequest { id: 1, note: "n".into() }, READ_TOKEN)).await.map(|_| ()),
    ];
    for d in denied {
        assert_eq!(d.unwrap_err().code(), Code::PermissionDenied, "read token on a mutation");
        count("gRPC read token on mutation → PERMISSION_DENIED");
    }
    let bad_codes = [Code::Internal, Code::Unknown, Code::Unavailable, Code::DataLoss];
    for payload in payloads() {
        let results: Vec<Result<(), tonic::Status>> = vec![
            ex.list_exceptions(authed(ListExceptionsRequest { kind: payload.clone(), status: payload.clone(), page_size: 10, page_token: payload.clone() }, READ_TOKEN)).await.map(|_| ()),
            ex.retry_exceptions(authed(RetryExceptionsRequest { kind: payload.clone() }, OPERATE_TOKEN)).await.map(|_| ()),
            ex.resolve_exception(authed(ResolveExceptionRequest { id: 999_999, note: payload.clone() }, OPERATE_TOKEN)).await.map(|_| ()),
        ];
        for r in results {
            if let Err(e) = r {
                assert!(!bad_codes.contains(&e.code()), "refused clearly, not {:?}: {}", e.code(), e.message());
            }
            count("gRPC injection → ok or clear refusal");
        }
    }

    // Still up, nothing executed, tables intact, accepted bodies stored byte for byte.
    assert!(svc.alive(), "the service is still running");
    svc.wait_up(5).await;
    assert!(!pwned().exists(), "a shell payload was executed");
    let db = w.db().await;
    let inbox = webhook_inbox::Entity::find().all(&db).await.expect("inbox table intact");
    let by_id: BTreeMap<&str, &str> = inbox.iter().map(|r| (r.id.as_str(), r.body.as_str())).collect();
    for (id, body) in &stored {
        assert_eq!(by_id.get(id.as_str()).copied(), Some(std::str::from_utf8(body).unwrap()), "{id} stored verbatim");
    }
    assert!(drained(&db, 60).await.is_some(), "job table intact and the jobs ran");
    assert!(svc.alive(), "still running after the jobs ran");
    let (files, bytes) = w.assert_no_leaks();
    let mut figs: Vec<(&str, String)> = figures.iter().map(|(k, v)| (k.as_str(), v.to_string())).collect();
    figs.push(("logs scanned", format!("{files} files, {bytes} B")));
    record("4 bad input and abuse", "pass", &figs);
}
