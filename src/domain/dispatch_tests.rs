use super::*;
use crate::domain::money::Currency;
use crate::domain::order::{Address, MarketplaceOrderId, OrderReference};
use chrono::{TimeZone, Utc};

fn line(line_ref: &str, part: &str, qty: u32, status: OrderStatus) -> OrderLine {
    OrderLine {
        line_ref: line_ref.into(),
        part_number: PartNumber::parse(part).unwrap(),
        retailer_sku: None,
        supplier_sku: None,
        quantity: qty,
        name: None,
        description: None,
        status,
        unit_price: None,
        subtotal: None,
        tax: None,
        tax_rate: None,
        total: None,
        promised_date: None,
    }
}

fn order(lines: Vec<OrderLine>) -> MarketplaceOrder {
    MarketplaceOrder {
        id: MarketplaceOrderId("250001".into()),
        reference: OrderReference("JL000123".into()),
        status: OrderStatus::OrderAck,
        order_date: Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap(),
        currency: Currency::GBP,
        lines,
        shipping_address: Address::default(),
        subtotal: None,
        tax: None,
        total: None,
        delivery_service_code: None,
        comment: None,
        test_flag: false,
    }
}

fn item(sku: &str, qty: i64, line_ref: Option<&str>) -> ShipmentItem {
    ShipmentItem { sku: sku.into(), qty, marketplace_line_ref: line_ref.map(str::to_owned) }
}

fn mapping(sku: &str) -> Option<PartNumber> {
    match sku {
        "SHIRT-M" => Some(PartNumber("58000128".into())),
        "SOCKS" => Some(PartNumber("66682708".into())),
        _ => None,
    }
}

fn acked() -> MarketplaceOrder {
    order(vec![line("1", "58000128", 2, OrderStatus::OrderAck), line("2", "66682708", 3, OrderStatus::OrderAck)])
}

#[test]
fn by_line_ref_then_by_mapped_part_number() {
    let o = acked();
    let planned = plan_lines(&[item("ANY", 1, Some("2")), item("SHIRT-M", 2, None)], &o, &mapping).unwrap();
    assert_eq!(
        planned,
        vec![
            PlannedLine { line_ref: "1".into(), part_number: PartNumber("58000128".into()), quantity: 2 },
            PlannedLine { line_ref: "2".into(), part_number: PartNumber("66682708".into()), quantity: 1 },
        ]
    );
}

#[test]
fn by_supplier_sku_and_items_of_one_line_add_up() {
    let mut o = acked();
    o.lines[1].supplier_sku = Some("SOCK-PACK".into());
    let planned = plan_lines(&[item("SOCK-PACK", 1, None), item("SOCK-PACK", 1, None)], &o, &|_| None).unwrap();
    assert_eq!(planned.len(), 1);
    assert_eq!((planned[0].line_ref.as_str(), planned[0].quantity), ("2", 2));
}

#[test]
fn partial_shipment_keeps_only_its_lines_and_quantities() {
    let planned = plan_lines(&[item("SOCKS", 1, None)], &acked(), &mapping).unwrap();
    assert_eq!(planned, vec![PlannedLine { line_ref: "2".into(), part_number: PartNumber("66682708".into()), quantity: 1 }]);
}

#[test]
fn refusals() {
    let o = acked();
    assert_eq!(plan_lines(&[item("NOPE", 1, None)], &o, &mapping), Err(PlanError::LineNotFound { sku: "NOPE".into() }));
    assert!(matches!(plan_lines(&[item("SOCKS", 4, None)], &o, &mapping), Err(PlanError::TooMany { shipped: 4, ordered: 3, .. })));
    let new = order(vec![line("1", "58000128", 2, OrderStatus::Order)]);
    assert_eq!(plan_lines(&[item("SHIRT-M", 1, None)], &new, &mapping), Err(PlanError::NotAcknowledged { line_ref: "1".into() }));
    let cancelled = order(vec![line("1", "58000128", 2, OrderStatus::CancelAck)]);
    assert!(matches!(plan_lines(&[item("SHIRT-M", 1, None)], &cancelled, &mapping), Err(PlanError::LineCancelled { .. })));
}

#[test]
fn what_landed_is_not_sent_again() {
    let mut o = acked();
    let planned = plan_lines(&[item("SHIRT-M", 2, None), item("SOCKS", 3, None)], &o, &mapping).unwrap();
    let none = BTreeMap::new();
    assert_eq!(still_to_send(&planned, &none, &o).len(), 2);
    // The ledger says line 2 went out for this shipment.
    let sent = BTreeMap::from([("2".to_string(), 3u32)]);
    let left = still_to_send(&planned, &sent, &o);
    assert_eq!(left.iter().map(|p| p.line_ref.as_str()).collect::<Vec<_>>(), ["1"]);
    // The Edge shows line 1 dispatched (the call landed but was not recorded).
    o.lines[0].status = OrderStatus::Dispatch;
    assert!(still_to_send(&planned, &sent, &o).is_empty());
}

#[test]
fn working_days_skip_weekends() {
    let fri = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
    assert_eq!(add_working_days(fri, 1), NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
    assert_eq!(add_working_days(fri, 0), fri);
    let mon = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    assert_eq!(add_working_days(mon, 2), NaiveDate::from_ymd_opt(2026, 12, 2).unwrap());
}

#[test]
fn post_dispatch_cancellation_caps_at_what_is_dispatched() {
    let l = |r: &str, d: u32, c: u32| DispatchedLine {
        line_ref: r.into(),
        part_number: PartNumber("58000128".into()),
        dispatched: d,
        cancelled: c,
        carrier: "dpd".into(),
    };
    let lines = [l("1", 2, 0), l("2", 3, 1), l("3", 1, 1)];
    let all = post_dispatch_cancellations(&lines, None);
    assert_eq!(all.iter().map(|(l, q)| (l.line_ref.as_str(), *q)).collect::<Vec<_>>(), [("1", 2), ("2", 2)]);
    let asked = BTreeMap::from([("2".to_string(), 5u32), ("3".to_string(), 1)]);
    let some = post_dispatch_cancellations(&lines, Some(&asked));
    assert_eq!(some.iter().map(|(l, q)| (l.line_ref.as_str(), *q)).collect::<Vec<_>>(), [("2", 2)]);
}

#[test]
fn whole_units_only() {
    use rust_decimal::Decimal;
    assert_eq!(whole_units(Decimal::new(20000, 4)), Some(2));
    assert_eq!(whole_units(Decimal::new(15, 1)), None);
    assert_eq!(whole_units(Decimal::new(-1, 0)), None);
}
