//! "Why is SKU Y at that quantity": a signed stock webhook flows through the real binary to
//! the Edge sandbox and grpcurl explains the pushed value; `PreviewBuffer`; `TriggerFullSync`
//! needs an operate token, is audited, and really reconciles.
use crate::grpc_flows_support::*;
use crate::grpc_support::*;
use crate::support::*;
use jlbridge::domain::webhook_signature::sign;
use jlbridge::store::entities::audit_log;
use rust_decimal::Decimal;
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::{json, Value};

const CONFIG: &str = r#"
[stock.buffer]
safety = 2

[[stock.buffer.overrides]]
sku = "SKU-0001"
maximum = 5
"#;

async fn post_stock(f: &Flows, id: &str, sku: &str, qty: i64) -> u16 {
    let body = json!({"type": "stock.changed", "timestamp": chrono::Utc::now().to_rfc3339(),
        "data": {"items": [{"sku": sku, "salable_qty": qty}]}})
    .to_string();
    let ts = chrono::Utc::now().timestamp();
    reqwest::Client::new()
        .post(format!("http://{}/webhooks/magento", f.http))
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", sign(HOOK_KEY, id, ts, body.as_bytes()))
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn sku_until(f: &Flows, sku: &str, secs: u64, check: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    let done = eventually(secs, || {
        let (ok, out) = f.script("sku.sh", READ_TOKEN, &[sku]);
        let ready = ok && {
            last = json(&out);
            check(&last)
        };
        async move { ready }
    })
    .await;
    assert!(done, "SKU {sku} never got there: {last}");
    last
}

fn rules(e: &Value) -> Vec<String> {
    e["rules"].as_array().map(|r| r.iter().map(|x| x["rule"].as_str().unwrap_or("").to_owned()).collect()).unwrap_or_default()
}

#[tokio::test]
async fn grpcurl_explains_a_pushed_sku_previews_rules_and_triggers_a_full_sync() {
    if !grpcurl_or_skip("grpcurl_explains_a_pushed_sku_previews_rules_and_triggers_a_full_sync") {
        return;
    }
    let f = Flows::start(3, CONFIG).await;

    // Magento says 12; safety 2 → John Lewis is sent 10.
    assert_eq!(post_stock(&f, "evt-1", &sku(0), 12).await, 202);
    let s = sku_until(&f, &sku(0), 30, |s| s["sentAt"].as_str().is_some_and(|t| !t.is_empty())).await;
    assert_eq!(f.edge.product_stock(&part(0)), Some(10));
    assert_eq!((s["partNumber"].as_str(), s["magentoQuantity"].as_str(), s["sentQuantity"].as_str()), (Some(part(0).as_str()), Some("12"), Some("10")), "{s}");
    assert_eq!(s["shownQuantity"], "10", "{s}");
    assert!(s.get("pending").is_none(), "nothing pending once sent: {s}");
    let e = &s["explanation"];
    assert_eq!((e["input"].as_str(), e["output"].as_str(), e["inputText"].as_str()), (Some("12"), Some("10"), Some("12")), "{s}");
    assert_eq!(rules(e), ["safety 2 (default)"], "{s}");
    assert_eq!(e["rules"][0]["before"], "12");
    assert!(s["observedAt"].as_str().is_some_and(|t| !t.is_empty()), "{s}");
    let (ok, out) = f.script("sku.sh", READ_TOKEN, &["sku-0000"]);
    assert!(!ok && out.contains("NotFound") && out.contains("exactly"), "SKUs are never case-folded: {out}");

    // PreviewBuffer: the SKU's override (maximum 5) on top of the default safety; nothing stored.
    let p = f.ok("preview-buffer.sh", READ_TOKEN, &[&sku(1), "12"]);
    let e = &p["explanation"];
    assert_eq!(e["output"], "5", "{p}");
    assert_eq!(rules(e), ["safety 2 (default)", "maximum 5 (sku SKU-0001)"], "{p}");
    assert_eq!(e["layers"], json!(["default", "sku SKU-0001"]), "{p}");
    let p = f.ok("preview-buffer.sh", READ_TOKEN, &[&sku(0)]);
    assert_eq!(p["explanation"]["output"], "10", "the last observed quantity by default: {p}");
    let (ok, out) = f.script("preview-buffer.sh", READ_TOKEN, &[&sku(2)]);
    assert!(!ok && out.contains("FailedPrecondition") && out.contains("magento_quantity"), "{out}");
    let (ok, out) = f.script("sku.sh", READ_TOKEN, &[&sku(1)]);
    assert!(ok && !out.contains("explanation"), "a preview stores nothing: {out}");

    // TriggerFullSync: read token refused; operate starts a reconciliation that reads Magento.
    f.magento.set_source_qty(&sku(2), "default", Decimal::from(7));
    let (ok, out) = f.script("full-sync.sh", READ_TOKEN, &[]);
    assert!(!ok && out.contains("PermissionDenied"), "{out}");
    let r = f.ok("full-sync.sh", OPERATE_TOKEN, &[]);
    assert_eq!(r["status"], "queued", "{r}");
    let s = sku_until(&f, &sku(2), 60, |s| s["sentQuantity"] == "5").await;
    assert_eq!(s["magentoQuantity"], "7", "{s}");
    assert_eq!(f.edge.product_stock(&part(2)), Some(5));

    let rows = audit_log::Entity::find().order_by_asc(audit_log::Column::Id).all(&f.db).await.unwrap();
    let calls: Vec<(&str, &str, &str)> = rows
        .iter()
        .filter(|r| r.action == "jlbridge.v1.StockService/TriggerFullSync")
        .map(|r| (r.actor.as_str(), r.result.as_str(), r.args.as_str()))
        .collect();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(calls[0].0 == "read-token-1" && calls[0].1.starts_with("PermissionDenied"), "{calls:?}");
    assert_eq!((calls[1].0, calls[1].1), ("operate-token-2", "ok: full sync queued"), "{calls:?}");
    assert!(calls[1].2.contains("dry_run"), "{calls:?}");
}
