//! Exactly one Magento order per John Lewis order: concurrently, and after a timeout whose
//! request had in fact succeeded.
use crate::magento_support::{dec, draft, seeded, EDGE_ID};
use jlbridge::magento::{CreateOutcome, MagentoClient, MagentoError};
use std::time::Duration;

#[tokio::test]
async fn concurrent_creates_leave_one_order() {
    let (sb, client) = seeded().await;
    let d = draft("Y100000001");
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (c, d) = (client.clone(), d.clone());
            tokio::spawn(async move { c.create_order_once(&d).await })
        })
        .collect();
    let mut created = 0;
    let mut ids = Vec::new();
    for t in tasks {
        let outcome = t.await.unwrap().expect("every caller ends with the order");
        created += matches!(outcome, CreateOutcome::Created(_)) as usize;
        ids.push(outcome.order().entity_id);
    }
    assert_eq!(created, 1, "exactly one caller created it");
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "everyone sees the same order: {ids:?}");
    assert_eq!(sb.orders_with_ext_id("Y100000001").len(), 1);
    assert_eq!(sb.orders().len(), 1);
}

#[tokio::test]
async fn a_timed_out_create_that_succeeded_is_found_not_repeated() {
    let (sb, _) = seeded().await;
    let mut cfg = sb.client_config();
    cfg.timeout = Duration::from_millis(1000);
    let client = MagentoClient::new(cfg).unwrap();
    let d = draft("Y100000002");

    // 1. The create reaches Magento, but its answer comes too late.
    sb.delay_responses(Some("POST"), Duration::from_millis(2500));
    let err = client.create_order(&d).await.unwrap_err();
    assert!(matches!(err, MagentoError::Timeout { .. }), "{err:?}");
    assert!(err.outcome_unknown());
    assert!(super::magento_support::eventually(|| sb.orders().len() == 1).await, "the order was created anyway");

    // 2. A blind second create is refused by the unique increment id.
    sb.clear_delay();
    let refused = client.create_order(&d).await.unwrap_err();
    assert_eq!(refused.status(), Some(400));
    assert!(refused.to_string().contains("Unique constraint"), "{refused}");

    // 3. The job's retry (search before create) finds it.
    let outcome = client.create_order_once(&d).await.unwrap();
    assert!(matches!(outcome, CreateOutcome::AlreadyExisted(_)));
    assert_eq!(sb.orders_with_ext_id("Y100000002").len(), 1);
}

#[tokio::test]
async fn create_once_whose_own_post_times_out_finds_its_order() {
    let (sb, _) = seeded().await;
    let mut cfg = sb.client_config();
    cfg.timeout = Duration::from_millis(1000);
    let client = MagentoClient::new(cfg).unwrap();
    sb.delay_responses(Some("POST"), Duration::from_millis(2500));
    let outcome = client.create_order_once(&draft("Y100000003")).await.unwrap();
    assert!(matches!(outcome, CreateOutcome::AlreadyExisted(ref o) if o.increment_id.as_deref() == Some("JL-Y100000003")));
    assert_eq!(sb.orders().len(), 1);
}

#[tokio::test]
async fn a_failed_create_that_did_not_happen_is_reported() {
    let (sb, client) = seeded().await;
    let d = draft("Y100000004");
    // The search passes, the create is refused by a 503 before reaching the store.
    client.find_existing(&d).await.unwrap();
    sb.fail_next(503, "<html>Service Unavailable</html>", Some(7));
    let err = client.create_order(&d).await.unwrap_err();
    use jlbridge::domain::retry::{Classify, Transience};
    assert_eq!(err.transience(), Transience::Retryable { retry_after: Some(Duration::from_secs(7)) });
    assert!(sb.orders().is_empty());
    // Next attempt of the job succeeds.
    assert!(matches!(client.create_order_once(&d).await.unwrap(), CreateOutcome::Created(_)));
}

#[tokio::test]
async fn the_created_order_carries_the_marketplace_data() {
    let (sb, client) = seeded().await;
    let before = sb.salable_qty("SHIRT-M", 1).unwrap();
    let order = client.create_order_once(&draft("Y100000005")).await.unwrap().order().clone();
    let stored = sb.order(order.entity_id).unwrap();
    assert_eq!(stored["increment_id"], "JL-Y100000005");
    assert_eq!(stored["ext_order_id"], "Y100000005");
    assert_eq!(stored["items"][0]["ext_order_item_id"], "1");
    assert_eq!(stored["items"][1]["ext_order_item_id"], "2");
    assert_eq!(stored["grand_total"], serde_json::json!(79.98));
    assert_eq!(stored["items"][0]["row_total_incl_tax"], serde_json::json!(49.98));
    assert_eq!(stored["items"][0]["tax_amount"], serde_json::json!(8.33));
    assert_eq!(stored["shipping_amount"], 0);
    assert_eq!(stored["payment"]["method"], "jlbridge_marketplace");
    assert!(stored["shipping_description"].as_str().unwrap().contains("John Lewis"));
    assert_eq!(stored["extension_attributes"]["shipping_assignments"][0]["shipping"]["address"]["postcode"], "RG1 1AA");
    assert!(!stored.to_string().contains(EDGE_ID), "The Edge's numeric id stays out of Magento");
    // POST /V1/orders makes no MSI reservation (as in real Magento).
    assert_eq!(sb.salable_qty("SHIRT-M", 1).unwrap(), before);
    assert_eq!(before, dec("10"));
    // Found again by reference and by increment id.
    assert_eq!(client.find_orders_by_ext_order_id("Y100000005").await.unwrap().len(), 1);
    assert_eq!(client.find_orders_by_ext_order_id("y100000005").await.unwrap().len(), 0, "exact match only");
    assert!(client.find_order_by_increment_id("JL-Y100000005").await.unwrap().is_some());
}
