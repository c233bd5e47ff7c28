//! The whole order life through the port against the simulated Edge: the documented rules hold
//! and errors come back classified.
use crate::edge_support::*;
use jlbridge::domain::order::{MarketplaceOrderId, OrderStatus, PartNumber};
use jlbridge::domain::retry::{Classify, Transience};
use jlbridge::marketplace::{BackorderLine, CancelLine, DispatchLine, Marketplace, MarketplaceError, ProductId, ReturnLine};
use jlbridge::sandbox::edge::NewOrder;
use chrono::NaiveDate;

fn id(n: u64) -> MarketplaceOrderId {
    MarketplaceOrderId(n.to_string())
}

fn http_code(e: &MarketplaceError) -> (Option<u16>, Option<&str>) {
    (e.status(), e.code())
}

/// Drives every call of the port at least once (the conformance test reuses it).
pub async fn full_scenario(r: &Rig, between: impl std::future::Future<Output = ()>) {
    let (sb, edge) = (&r.sandbox, r.edge.as_ref());
    sb.add_product("58000128", Some("SKU-RED-1"), 5);
    sb.add_product("66682708", Some("SKU-BLUE-2"), 0);
    let a = sb.create_order(NewOrder::new("JL000000A1").line("58000128", 2, "19.99").line("66682708", 1, "5.00"));
    let b = sb.create_order(NewOrder::new("JL000000B2").line("58000128", 1, "19.99"));
    let c = sb.create_order(NewOrder::new("JL000000C3").line("66682708", 3, "5.00"));

    let new = edge.list_orders(&OrderStatus::Order).await.unwrap();
    assert_eq!(new.iter().map(|o| o.reference.0.as_str()).collect::<Vec<_>>(), ["JL000000A1", "JL000000B2", "JL000000C3"]);
    let order_a = edge.get_order(&id(a)).await.unwrap();
    assert_eq!(order_a.id.0, a.to_string());
    assert_eq!(order_a.lines.len(), 2);
    assert_eq!(order_a.subtotal.unwrap().amount.to_string(), "44.98");
    assert_eq!(order_a.lines[0].unit_price.unwrap().amount.to_string(), "19.99");

    // acknowledge before anything else; in full
    let early = edge.dispatch(&id(c), &[dispatch_line("1", "66682708", 3)]).await.unwrap_err();
    assert_eq!(http_code(&early), (Some(400), Some("INVALID_STATUS_TRANSITION")));
    assert_eq!(early.transience(), Transience::Permanent);
    let mut partial = ack_lines(&edge.get_order(&id(c)).await.unwrap());
    partial[0].quantity = 2;
    let e = edge.acknowledge(&id(c), &partial).await.unwrap_err();
    assert_eq!(http_code(&e), (Some(400), Some("PARTIAL_ACKNOWLEDGEMENT")));
    assert_eq!(sb.order_status(c).as_deref(), Some("ORDER"));

    edge.acknowledge(&id(a), &ack_lines(&order_a)).await.unwrap();
    assert_eq!(sb.order_status(a).as_deref(), Some("ORDER_ACK"));
    let line_a1 = &sb.order(a).unwrap().lines[0];
    assert_eq!(line_a1.fulfillment_route.as_deref(), Some("Direct to customer"));
    assert_eq!(line_a1.delivery_date.as_deref(), Some("2026-12-03T12:00:00"));

    between.await;

    let bo = BackorderLine {
        line_ref: "2".into(),
        part_number: PartNumber("66682708".into()),
        quantity: 1,
        sub_status: "Out of Stock".into(),
        dispatch_date: NaiveDate::from_ymd_opt(2026, 12, 10).unwrap().and_hms_opt(9, 0, 0).unwrap(),
        delivery_date: None,
        comment: None,
        fulfillment_route: None,
    };
    edge.backorder(&id(a), &[bo]).await.unwrap();
    assert_eq!(sb.order_status(a).as_deref(), Some("BACKORDER"));
    edge.dispatch(&id(a), &[dispatch_line("1", "58000128", 2), dispatch_line("2", "66682708", 1)]).await.unwrap();
    assert_eq!(sb.order_status(a).as_deref(), Some("DISPATCH"));
    let post = DispatchLine::cancelled_post_dispatch("1".into(), PartNumber("58000128".into()), 1, "dpd".into(),
        NaiveDate::from_ymd_opt(2026, 11, 29).unwrap());
    edge.dispatch(&id(a), &[post]).await.unwrap();
    assert_eq!(sb.order(a).unwrap().lines[0].cancelled_post_dispatch, 1);

    // John Lewis cancels B after acknowledgement; we accept
    let order_b = edge.get_order(&id(b)).await.unwrap();
    edge.acknowledge(&id(b), &ack_lines(&order_b)).await.unwrap();
    sb.request_cancellation(b, 126).unwrap();
    let cancels = edge.list_orders(&OrderStatus::Cancel).await.unwrap();
    assert_eq!(cancels.iter().map(|o| o.id.clone()).collect::<Vec<_>>(), [id(b)]);
    let lines: Vec<CancelLine> = cancels[0]
        .lines
        .iter()
        .map(|l| CancelLine { line_ref: l.line_ref.clone(), part_number: l.part_number.clone(), quantity: l.quantity, comment: Some("Accepted".into()) })
        .collect();
    edge.acknowledge_cancellation(&id(b), &lines).await.unwrap();
    assert_eq!(sb.order_status(b).as_deref(), Some("CANCEL_ACK"));

    // a return on A
    sb.create_return(a, "2", 1, "300").unwrap();
    let returns = edge.list_returns(Some("RMA")).await.unwrap();
    assert_eq!(returns.len(), 1);
    assert_eq!((returns[0].order_id.clone(), returns[0].line_ref.as_deref(), returns[0].quantity), (Some(id(a)), Some("2"), 1));
    assert_eq!(returns[0].status, OrderStatus::Return("RMA".into()));
    let rl = ReturnLine { line_ref: "2".into(), part_number: PartNumber("66682708".into()), quantity: 1 };
    edge.acknowledge_return(&id(a), &[rl]).await.unwrap();
    assert!(edge.list_returns(Some("RMA")).await.unwrap().is_empty());

    // carriers and products
    let carriers = edge.list_carriers().await.unwrap();
    assert!(carriers.iter().any(|c| c.slug == "dpd"));
    let p = edge.find_product(&PartNumber("58000128".into())).await.unwrap().expect("product found");
    assert_eq!((p.traded_code.as_deref(), p.free_stock), (Some("SKU-RED-1"), Some(5)));
    edge.update_stock(&p.id, 7).await.unwrap();
    assert_eq!(sb.product_stock("58000128"), Some(7));
    assert!(edge.find_product(&PartNumber("99999999".into())).await.unwrap().is_none());
    assert_eq!(edge.list_products().await.unwrap().len(), 2);

    sb.set_publishing("58000128", true);
    let busy = edge.update_stock(&p.id, 8).await.unwrap_err();
    assert_eq!(busy.status(), Some(409));
    assert!(matches!(busy.transience(), Transience::Retryable { retry_after: Some(_) }));
    assert_eq!(sb.product_stock("58000128"), Some(7));
    sb.set_publishing("58000128", false);
    let gone = edge.update_stock(&ProductId("1".into()), 1).await.unwrap_err();
    assert_eq!(http_code(&gone), (Some(404), Some("PRODUCT_NOT_FOUND")));
    assert_eq!(gone.transience(), Transience::Permanent);
}

#[tokio::test]
async fn edge_order_life_follows_the_documented_rules() {
    let r = default_rig().await;
    full_scenario(&r, async {}).await;
    let port: std::sync::Arc<dyn Marketplace> = r.edge.clone();
    let usage = port.rate_usage().await.expect("the Edge adapter has a budget");
    assert_eq!(usage.limit, 250);
    assert!(usage.calls_in_window as usize >= r.sandbox.calls().len() - 1);
    // nothing the client sent was refused for a missing slash or an unknown path
    assert!(r.sandbox.calls().iter().all(|c| c.status != 405), "a call was refused as 405");
}

#[tokio::test]
async fn edge_faults_are_classified_retryable() {
    use jlbridge::sandbox::{Fault, FaultRule};
    let r = rig(Default::default(), Default::default(), |c| c.request_timeout = std::time::Duration::from_millis(500)).await;
    let pid = r.sandbox.add_product("58000128", None, 1);
    let product = ProductId(pid.to_string());
    for (fault, what) in [(Fault::Status(503), "5xx"), (Fault::Drop, "dropped connection"), (Fault::Hang, "timeout")] {
        r.sandbox.faults().add(FaultRule::new("/api/v4/products/", fault).times(1));
        let e = r.edge.update_stock(&product, 3).await.unwrap_err();
        assert!(matches!(e.transience(), Transience::Retryable { .. }), "{what}: {e}");
        if what == "timeout" {
            assert!(matches!(e, MarketplaceError::Transport { timeout: true, .. }), "{e:?}");
        }
    }
    assert_eq!(r.sandbox.product_stock("58000128"), Some(1), "faulted calls were not applied");
    r.edge.update_stock(&product, 3).await.unwrap();
    assert_eq!(r.sandbox.product_stock("58000128"), Some(3));
}

#[tokio::test]
async fn edge_sandbox_takes_retailer_orders_and_cancellations_over_http() {
    let r = default_rig().await;
    let http = reqwest::Client::new();
    let base = r.sandbox.base_url().to_owned();
    let cfg = r.sandbox.config().clone();
    let tokens: serde_json::Value = http
        .post(format!("{base}/restapi/v4/token"))
        .json(&serde_json::json!({"username": cfg.username, "password": cfg.password}))
        .send().await.unwrap().json().await.unwrap();
    let bearer = format!("Bearer {}", tokens["access"].as_str().unwrap());
    // The documented "Create an Order" example body, items without part_number.
    let body = serde_json::json!({
        "supplier": format!("{base}/restapi/v4/suppliers/1/"), "order_reference": "TEST1234",
        "order_date": "2021-02-23T10:41:59", "test_flag": false, "currency_code": "GBP",
        "items": [{"retailer_sku_reference": "58000128", "line_reference": "123", "quantity": 2, "unit_cost_price": "5.00"}],
        "shipping_address": {"full_name": "A Person", "line_1": "London Road", "postal_code": "RG1 1AA", "country": "GB"}
    });
    let created = http.post(format!("{base}/restapi/v4/orders/?format=json")).header("authorization", &bearer).json(&body).send().await.unwrap();
    assert_eq!(created.status().as_u16(), 201);
    let url = created.json::<serde_json::Value>().await.unwrap()["url"].as_str().unwrap().to_owned();

    let orders = r.edge.list_orders(&OrderStatus::Order).await.unwrap();
    assert_eq!(orders.len(), 1);
    assert_eq!((orders[0].reference.0.as_str(), orders[0].lines[0].part_number.0.as_str()), ("TEST1234", "58000128"));
    assert!(url.ends_with(&format!("/restapi/v4/orders/{}/", orders[0].id.0)));

    let no_slash = http.post(format!("{url}cancel_request")).header("authorization", &bearer).json(&serde_json::json!({})).send().await.unwrap();
    assert_eq!(no_slash.status().as_u16(), 405, "POST without the trailing slash is refused as documented");
    let cancel = serde_json::json!({"items": [{"part_number": "58000128", "line_ref": "123", "quantity": "2", "reason_code": 101, "comment": ""}]});
    let resp = http.post(format!("{url}cancel_request/?format=json")).header("authorization", &bearer).json(&cancel).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(r.edge.list_orders(&OrderStatus::Cancel).await.unwrap().len(), 1);
}
