//! Scenario 5: secrets and personal data never reach the logs. Every binary run in this suite
//! writes its stderr to a file that its scenario scans at the end (`World::assert_no_leaks`);
//! this scenario runs the flows at debug level through the paths most tempted to log
//! personal data or credentials: orders with bad addresses (address_invalid), Magento refusing
//! or failing order creation, The Edge refusing logins, webhooks with bad signatures, gRPC
//! calls with good and wrong tokens, a restart.
use super::harness::*;
use super::summary::record;
use crate::support::eventually;
use jlbridge::domain::webhook_signature::sign;
use jlbridge::grpc::pb::exception_service_client::ExceptionServiceClient;
use jlbridge::grpc::pb::*;
use jlbridge::sandbox::edge::EdgeSandboxConfig;
use jlbridge::sandbox::faults::{Fault, FaultRule};
use rust_decimal::Decimal;
use serde_json::json;
use std::time::Duration;

const WRONG_TOKEN: &str = "rel-mistyped-operate-token-77aa";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_token_password_or_customer_detail_appears_in_any_log() {
    let mut w = World::start(WorldOptions { skus: 4, edge: EdgeSandboxConfig::default(), db_url: None }).await;
    w.extra_needles.push(WRONG_TOKEN.into());
    let mut svc = w.spawn("secrets", &[("JLBRIDGE_LOG__LEVEL", "trace,h2=info,hyper=info,tower=info")]);
    svc.wait_up(60).await;
    w.magento.set_webhook_target(&svc.webhook_url(), &whsec());

    // Magento refuses an order with a message naming the customer (magento_rejected); then a
    // good order, and one with a bad postcode and no phone (address_invalid).
    let refusal = json!({"message": "Customer %1 is invalid", "parameters": [CUSTOMERS[2].0]});
    w.magento.faults().add(FaultRule::new("/rest/default/V1/orders", Fault::Json(400, refusal)).method(axum::http::Method::POST).times(1));
    w.edge.create_order(w.order("JLS000003", &[(2, 1)], 2));
    let refused = || w.magento.calls().iter().any(|c| c.method == "POST" && c.path == "/rest/default/V1/orders" && c.status == 400);
    assert!(eventually(60, || async { refused() }).await, "Magento refused the order");
    let good = w.edge.create_order(w.order("JLS000001", &[(0, 1)], 0));
    let mut bad = w.order("JLS000002", &[(1, 1)], 1);
    bad.ship_to.postal_code = "NOT A POSTCODE".into();
    bad.ship_to.phone = None;
    w.edge.create_order(bad);
    assert!(eventually(60, || async { !w.magento.orders_with_ext_id("JLS000001").is_empty() }).await, "the good order is injected");
    let m = w.magento.orders_with_ext_id("JLS000001")[0]["entity_id"].as_i64().unwrap();
    w.magento.ship(m, &[(&sku(0), Decimal::ONE)], &[("custom", "Royal Mail Tracked 48", "RM123456785GB")], "default").unwrap();
    assert!(eventually(60, || async { w.edge.order(good).is_some_and(|o| o.lines.iter().all(|l| l.status == "DISPATCH")) }).await);
    w.magento.set_source_qty(&sku(3), "default", Decimal::from(11));

    // Bad signatures, a wrong token, good tokens.
    let client = reqwest::Client::new();
    let body = json!({"type": "stock.changed", "timestamp": chrono::Utc::now().to_rfc3339(), "data": {"items": [{"sku": sku(1)}]}}).to_string();
    let ts = chrono::Utc::now().timestamp();
    for sig in [sign(b"wrong", "s1", ts, body.as_bytes()), format!("v1,{}", whsec())] {
        let r = client.post(svc.webhook_url()).header("content-type", "application/json").header("webhook-id", "s1")
            .header("webhook-timestamp", ts.to_string()).header("webhook-signature", sig).body(body.clone()).send().await.unwrap();
        assert_eq!(r.status(), 401);
    }
    let mut ex = ExceptionServiceClient::new(svc.grpc_channel().await);
    assert!(ex.list_exceptions(authed(ListExceptionsRequest::default(), WRONG_TOKEN)).await.is_err());
    assert!(ex.list_exceptions(authed(ListExceptionsRequest::default(), READ_TOKEN)).await.is_ok());
    let _ = ex.retry_exceptions(authed(RetryExceptionsRequest { kind: "address_invalid".into() }, OPERATE_TOKEN)).await;

    // The Edge refuses logins for a while (credentials in play), then a restart.
    w.edge.revoke_tokens();
    w.edge.faults().add(FaultRule::new("/restapi/v4/token", Fault::Status(401)).times(3));
    w.edge.create_order(w.order("JLS000004", &[(3, 1)], 0));
    tokio::time::sleep(Duration::from_secs(4)).await;
    svc.kill9();
    let svc = w.spawn("secrets-restart", &[("JLBRIDGE_LOG__LEVEL", "debug")]);
    svc.wait_up(60).await;
    assert!(eventually(60, || async { !w.magento.orders_with_ext_id("JLS000004").is_empty() }).await, "orders resume after the restart");
    drop(svc);
    let (files, bytes) = w.assert_no_leaks();
    record(
        "5 secrets and personal data",
        "pass",
        &[("needles", w.needles().len().to_string()), ("logs scanned (this scenario)", format!("{files} files, {bytes} B")), ("hits", "0".into())],
    );
}
