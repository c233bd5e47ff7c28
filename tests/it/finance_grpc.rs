//! ReconciliationService over a tonic client: the weekly summary to the penny, discrepancies
//! paged, one order reconciled (audited, operate role only).
use crate::finance_support::*;
use crate::grpc_support::*;
use jlbridge::domain::money::Currency;
use jlbridge::grpc::pb::reconciliation_service_client::ReconciliationServiceClient;
use jlbridge::grpc::pb::{GetSettlementSummaryRequest, ListDiscrepanciesRequest, ReconcileOrderRequest};
use jlbridge::sync::finance;

#[tokio::test]
async fn reconciliation_service_over_grpc() {
    let (app, dir) = start_app(None).await;
    let db = app.state.db.clone();
    plant_orders(&db).await;
    let a = dir.path().join("w1.csv");
    let b = dir.path().join("w2.csv");
    write_csv(&a, week(), &week_rows());
    write_csv(&b, next_week(), &next_week_rows());
    finance::import_file(&db, Some(&app.state.ops), &a, "test", Currency::GBP).await.unwrap();
    finance::import_file(&db, Some(&app.state.ops), &b, "test", Currency::GBP).await.unwrap();
    let mut c = ReconciliationServiceClient::new(channel(app.grpc_addr).await);

    let s = c
        .get_settlement_summary(authed(GetSettlementSummaryRequest { report_id: "2026-11-22".into() }, READ_TOKEN))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((s.gross_sales.as_str(), s.returns.as_str(), s.net_payable.as_str()), ("425.83", "-12.35", "413.48"));
    assert_eq!((s.magento_gross.as_str(), s.magento_returns.as_str()), ("380.36", "-12.35"));
    assert_eq!((s.lines, s.matched_lines, s.unmatched_lines, s.discrepancies), (7, 5, 2, 4));
    assert_eq!((s.period_start.as_str(), s.period_end.as_str(), s.currency.as_str()), ("2026-11-16", "2026-11-22", "GBP"));
    assert_eq!(s.products.len(), 3);
    let latest = c.get_settlement_summary(authed(GetSettlementSummaryRequest::default(), READ_TOKEN)).await.unwrap().into_inner();
    assert_eq!(latest.report_id, "2026-11-29");
    let nf = c.get_settlement_summary(authed(GetSettlementSummaryRequest { report_id: "2026-12-06".into() }, READ_TOKEN)).await.unwrap_err();
    assert_eq!(nf.code(), tonic::Code::NotFound);

    // Paged: 4 discrepancies in pages of 3.
    let page = |token: String| ListDiscrepanciesRequest { report_id: "2026-11-22".into(), page_size: 3, page_token: token, ..Default::default() };
    let p1 = c.list_discrepancies(authed(page(String::new()), READ_TOKEN)).await.unwrap().into_inner();
    assert_eq!(p1.discrepancies.len(), 3);
    assert!(!p1.next_page_token.is_empty());
    let p2 = c.list_discrepancies(authed(page(p1.next_page_token.clone()), READ_TOKEN)).await.unwrap().into_inner();
    assert_eq!(p2.discrepancies.len(), 1);
    assert!(p2.next_page_token.is_empty());
    let mut kinds: Vec<String> = p1.discrepancies.iter().chain(&p2.discrepancies).map(|d| d.kind.clone()).collect();
    kinds.sort();
    assert_eq!(kinds, ["amount_differs", "duplicate_line", "late_day", "missing_from_report"]);
    let only = c
        .list_discrepancies(authed(ListDiscrepanciesRequest { kind: "amount_differs".into(), ..Default::default() }, READ_TOKEN))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(only.discrepancies.len(), 1);
    let d = &only.discrepancies[0];
    assert_eq!((d.expected.as_str(), d.actual.as_str(), d.order_reference.as_str()), ("3 units, 37.05 GBP", "3 units, 37.00 GBP", "JL500003"));

    // One order: a read token may not, an operate token may (and is audited).
    let denied = c.reconcile_order(authed(ReconcileOrderRequest { order_reference: "JL500003".into() }, READ_TOKEN)).await.unwrap_err();
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
    let r = c
        .reconcile_order(authed(ReconcileOrderRequest { order_reference: "JL500003".into() }, OPERATE_TOKEN))
        .await
        .unwrap()
        .into_inner();
    assert!(!r.matched);
    assert_eq!(r.discrepancies.len(), 1);
    assert_eq!(r.figures.len(), 1);
    assert_eq!((r.figures[0].value.as_str(), r.figures[0].week_ending.as_str()), ("37.05", "2026-11-22"));
    let ok = c
        .reconcile_order(authed(ReconcileOrderRequest { order_reference: "JL500001".into() }, OPERATE_TOKEN))
        .await
        .unwrap()
        .into_inner();
    assert!(ok.matched, "{ok:?}");
    let missing = c.reconcile_order(authed(ReconcileOrderRequest { order_reference: "JL999".into() }, OPERATE_TOKEN)).await.unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);
    let n = count(&db, "SELECT COUNT(*) FROM audit_log WHERE action = 'jlbridge.v1.ReconciliationService/ReconcileOrder'").await;
    assert_eq!(n, 4, "every call audited, refusals included");
    app.stop().await;
}
