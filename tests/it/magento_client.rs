//! The Magento client against the simulated store: stock reads, paging, errors, comments,
//! cancel, shipments, OAuth.
use crate::magento_support::{dec, draft, seeded};
use jlbridge::domain::retry::{Classify, Transience};
use jlbridge::magento::{MagentoAuth, MagentoClient, MagentoError, OAuth1Credentials, SearchCriteria, SignatureMethod};
use jlbridge::sandbox::magento::{MagentoSandbox, SandboxOAuth};
use secrecy::SecretString;
use std::time::Duration;

fn api_message(e: &MagentoError) -> (u16, String) {
    match e {
        MagentoError::Api { status, message, .. } => (*status, message.clone()),
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn salable_quantity_counts_storefront_reservations() {
    let (sb, client) = seeded().await;
    assert_eq!(client.salable_qty("SHIRT-M", 1).await.unwrap(), dec("10"));
    sb.place_storefront_order(&[("SHIRT-M", dec("3"))]).unwrap();
    assert_eq!(client.salable_qty("SHIRT-M", 1).await.unwrap(), dec("7"));
    sb.add_product_of_type("SHIRT", "Linen shirt", dec("24.99"), "configurable");
    let (status, message) = api_message(&client.salable_qty("SHIRT", 1).await.unwrap_err());
    assert_eq!((status, message.as_str()), (400, "Can't check requested quantity for products without Source Items support."));
    let (status, message) = api_message(&client.salable_qty("NOPE", 1).await.unwrap_err());
    assert_eq!(status, 404);
    assert!(message.contains("product that was requested doesn't exist"), "{message}");
    // A SKU with a slash stays one path segment.
    sb.add_product("A/B 1", "Odd", dec("1"));
    sb.set_source_qty("A/B 1", "default", dec("4"));
    assert_eq!(client.salable_qty("A/B 1", 1).await.unwrap(), dec("4"));
}

#[tokio::test]
async fn paging_stops_on_total_count() {
    let (sb, client) = seeded().await;
    for i in 0..5 {
        let sku = format!("P-{i}");
        sb.add_product(&sku, &sku, dec("1"));
        sb.set_source_qty(&sku, "default", dec("2"));
    }
    let count_calls = |path: &str| sb.calls().iter().filter(|c| c.path.ends_with(path)).count();
    sb.clear_calls();
    let products = client.products(SearchCriteria::new().and("sku", "like", "P-%"), 2).await.unwrap();
    let mut skus: Vec<_> = products.iter().map(|p| p.sku.clone()).collect();
    skus.dedup();
    assert_eq!(skus, ["P-0", "P-1", "P-2", "P-3", "P-4"], "no page twice, none missed");
    assert_eq!(count_calls("/V1/products"), 3, "5 rows in pages of 2: three calls, not a fourth repeating the last");
    sb.clear_calls();
    assert_eq!(client.products(SearchCriteria::new(), 7).await.unwrap().len(), 7);
    assert_eq!(count_calls("/V1/products"), 1, "an exact fit ends at once");
    sb.clear_calls();
    let items = client.source_items(SearchCriteria::new(), 3).await.unwrap();
    assert_eq!(items.len(), 7);
    assert_eq!(count_calls("/V1/inventory/source-items"), 3);
    assert!(items.iter().any(|i| i.sku == "SHIRT-L" && i.quantity == dec("5") && i.status == 1));
}

#[tokio::test]
async fn magento_errors_read_clearly_and_are_classified() {
    let (sb, client) = seeded().await;
    let bad = MagentoClient::new(jlbridge::magento::MagentoConfig::bearer(sb.base_url(), "wrong")).unwrap();
    let err = bad.get_order(1).await.unwrap_err();
    assert_eq!(api_message(&err), (401, "The consumer isn't authorized to access Magento_Sales::actions_view.".into()));
    assert_eq!(err.transience(), Transience::Permanent);
    assert!(err.to_string().contains("GET /V1/orders/1 answered 401"), "{err}");

    let err = client.get_order(424242).await.unwrap_err();
    assert_eq!(api_message(&err).1, "The entity that was requested doesn't exist. Verify the entity and try again.");

    sb.fail_next(400, r#"{"message":"Invalid product data: %1","parameters":["attribute set %2"],"trace":null}"#, None);
    let err = client.salable_qty("SHIRT-M", 1).await.unwrap_err();
    assert_eq!(api_message(&err), (400, "Invalid product data: attribute set %2".into()));

    sb.fail_next(429, r#"{"message":"Too Many Requests","trace":null}"#, Some(30));
    let err = client.salable_qty("SHIRT-M", 1).await.unwrap_err();
    assert_eq!(err.transience(), Transience::Retryable { retry_after: Some(Duration::from_secs(30)) });

    sb.fail_next(502, "<html><body>Bad gateway</body></html>", None);
    let err = client.salable_qty("SHIRT-M", 1).await.unwrap_err();
    assert_eq!(api_message(&err), (502, "non-JSON body: <html><body>Bad gateway</body></html>".into()));
    assert_eq!(err.transience(), Transience::Retryable { retry_after: None });

    let gone = MagentoClient::new(jlbridge::magento::MagentoConfig::bearer("http://127.0.0.1:9", "t")).unwrap();
    let err = gone.salable_qty("SHIRT-M", 1).await.unwrap_err();
    assert!(matches!(err, MagentoError::Connection { .. }), "{err:?}");
    assert!(err.transience() != Transience::Permanent);
}

#[tokio::test]
async fn comments_keep_the_status_and_cancel_reports_refusal() {
    let (sb, client) = seeded().await;
    let order = client.create_order_once(&draft("Y200000001")).await.unwrap().order().clone();
    assert!(client.add_order_comment_keeping_status(order.entity_id, "John Lewis order Y200000001").await.unwrap());
    let read = client.get_order(order.entity_id).await.unwrap();
    assert_eq!(read.status.as_deref(), Some("processing"), "status kept (Magento nulls it when not sent)");
    assert_eq!(read.status_histories.last().unwrap().comment.as_deref(), Some("John Lewis order Y200000001"));

    assert!(client.cancel_order(order.entity_id).await.unwrap());
    assert_eq!(client.get_order(order.entity_id).await.unwrap().state.as_deref(), Some("canceled"));
    assert!(!client.cancel_order(order.entity_id).await.unwrap(), "already cancelled: Magento says false");

    let (shipped, _) = sb.place_storefront_order(&[("SHIRT-L", dec("1"))]).unwrap();
    sb.ship(shipped, &[("SHIRT-L", dec("1"))], &[("custom", "Royal Mail", "RM1")], "default").unwrap();
    assert!(!client.cancel_order(shipped).await.unwrap(), "a shipped order cannot be cancelled");
}

#[tokio::test]
async fn shipments_are_read_since_a_time_with_tracks() {
    let (sb, client) = seeded().await;
    let start = chrono::Utc::now() - chrono::Duration::seconds(2);
    let order = client.create_order_once(&draft("Y200000002")).await.unwrap().order().clone();
    let sid = sb
        .ship(order.entity_id, &[("SHIRT-M", dec("2"))], &[("custom", "Royal Mail Tracked 24", "JD0002240000000001")], "default")
        .unwrap();
    let (other, _) = sb.place_storefront_order(&[("SHIRT-L", dec("1"))]).unwrap();
    sb.ship(other, &[], &[("dpd", "DPD", "15501234567890")], "default").unwrap();

    let found = client.shipments_created_since(start, 1).await.unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].entity_id, sid);
    assert_eq!(found[0].order_id, order.entity_id);
    assert_eq!(found[0].tracks[0].track_number.as_deref(), Some("JD0002240000000001"));
    assert_eq!(found[0].items[0].qty, Some(dec("2")));
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    assert!(client.shipments_created_since(later, 50).await.unwrap().is_empty());

    let one = client.get_shipment(sid).await.unwrap();
    assert_eq!(one.tracks[0].title.as_deref(), Some("Royal Mail Tracked 24"));
    assert_eq!(one.extension_attributes.unwrap().source_code.as_deref(), Some("default"));
    let order_now = client.get_order(order.entity_id).await.unwrap();
    assert_eq!(order_now.items[0].qty_shipped, Some(dec("2")));
    assert_eq!(order_now.state.as_deref(), Some("processing"), "line 2 is still to ship");
}

#[tokio::test]
async fn oauth_signed_requests_are_accepted_and_bad_signatures_refused() {
    let secrets = SandboxOAuth {
        consumer_key: "ck-1".into(),
        consumer_secret: "cs-1".into(),
        access_token: "at-1".into(),
        access_token_secret: "ats-1".into(),
    };
    let sb = MagentoSandbox::start_with("bearer-not-used", Some(secrets)).await.unwrap();
    sb.add_product("A", "A", dec("1"));
    sb.set_source_qty("A", "default", dec("3"));
    let client_with = |secret: &str, method| {
        let mut cfg = sb.client_config();
        cfg.auth = MagentoAuth::OAuth1(OAuth1Credentials {
            consumer_key: "ck-1".into(),
            consumer_secret: SecretString::from(secret.to_owned()),
            access_token: "at-1".into(),
            access_token_secret: SecretString::from("ats-1"),
            method,
        });
        MagentoClient::new(cfg).unwrap()
    };
    let good = client_with("cs-1", SignatureMethod::HmacSha256);
    assert_eq!(good.salable_qty("A", 1).await.unwrap(), dec("3"));
    // Query parameters are signed too.
    assert_eq!(good.products(SearchCriteria::new().and("sku", "eq", "A"), 10).await.unwrap().len(), 1);
    assert_eq!(client_with("cs-1", SignatureMethod::HmacSha1).salable_qty("A", 1).await.unwrap(), dec("3"));
    let err = client_with("wrong", SignatureMethod::HmacSha256).salable_qty("A", 1).await.unwrap_err();
    assert_eq!(err.status(), Some(401));
}
