use super::*;
use crate::domain::money::Money;
use crate::domain::order::{Address, MarketplaceOrderId, OrderReference};
use chrono::TimeZone;
use std::str::FromStr;

fn gbp(s: &str) -> Option<Money> {
    Some(Money::parse(s, Currency::GBP).unwrap())
}

fn line(line_ref: &str, part: &str, qty: u32) -> OrderLine {
    OrderLine {
        line_ref: line_ref.into(),
        part_number: PartNumber::parse(part).unwrap(),
        retailer_sku: None,
        supplier_sku: None,
        quantity: qty,
        name: Some("Linen shirt".into()),
        description: None,
        status: OrderStatus::Order,
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
        id: MarketplaceOrderId("987654".into()),
        reference: OrderReference("Y100009263".into()),
        status: OrderStatus::Order,
        order_date: Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap(),
        currency: Currency::GBP,
        lines,
        shipping_address: Address {
            full_name: "Jane Doe".into(),
            line_1: "1 High Street".into(),
            city: Some("Reading".into()),
            postal_code: "rg1 1aa".into(),
            country: "GBR".into(),
            phone: Some("07700 900123".into()),
            ..Default::default()
        },
        subtotal: None,
        tax: None,
        total: None,
        delivery_service_code: None,
        comment: None,
        test_flag: false,
    }
}
use chrono::Utc;

fn skus(p: &PartNumber) -> Option<String> {
    match p.as_str() {
        "58000128" => Some("SHIRT-M".into()),
        "58000129" => Some("SHIRT-L".into()),
        _ => None,
    }
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

#[test]
fn maps_a_vat_inclusive_order() {
    let mut a = line("1", "58000128", 2);
    a.unit_price = gbp("24.99");
    let mut b = line("2", "58000129", 1);
    b.total = gbp("30.00");
    b.tax = gbp("5.00");
    b.tax_rate = Some(d("0.20"));
    let draft = map_order(&order(vec![a, b]), &skus, &MappingOptions::default()).unwrap();
    assert_eq!(draft.increment_id, "JL-Y100009263");
    assert_eq!(draft.ext_order_id, "Y100009263");
    assert_eq!(draft.address.postcode, "RG1 1AA");
    let i = &draft.items[0];
    assert_eq!((i.sku.as_str(), i.ext_order_item_id.as_str()), ("SHIRT-M", "1"));
    assert_eq!(i.row_total_incl_tax, d("49.98"));
    assert_eq!(i.tax_amount, d("8.33"), "49.98 / 1.2 = 41.65 net");
    assert_eq!(i.row_total, d("41.65"));
    assert_eq!(i.price_incl_tax, d("24.99"));
    assert_eq!(i.tax_percent, d("20"));
    let j = &draft.items[1];
    assert_eq!((j.row_total, j.tax_amount, j.tax_percent), (d("25.00"), d("5.00"), d("20")));
    assert_eq!(draft.grand_total, d("79.98"));
    assert_eq!(draft.subtotal + draft.tax_amount, draft.grand_total, "no shipping charge");
    assert_eq!(draft.total_qty, 3);
    assert!(draft.shipping_description.contains("John Lewis"));
    assert_eq!(draft.customer_email, MappingOptions::default().placeholder_email);
    let shown = format!("{draft:?}");
    assert!(shown.contains("JL-Y100009263") && !shown.contains("Jane") && !shown.contains("RG1"), "{shown}");
}

#[test]
fn cancelled_lines_are_left_out_and_zero_rated_lines_have_no_tax() {
    let mut a = line("1", "58000128", 1);
    a.unit_price = gbp("10.00");
    a.tax_rate = Some(Decimal::ZERO);
    let mut b = line("2", "58000129", 1);
    b.status = OrderStatus::Cancel;
    let draft = map_order(&order(vec![a, b]), &skus, &MappingOptions::default()).unwrap();
    assert_eq!(draft.items.len(), 1);
    assert_eq!(draft.tax_amount, Decimal::ZERO);
    assert_eq!(draft.grand_total, d("10.00"));
}

#[test]
fn every_problem_is_listed() {
    let mut unmapped = line("1", "11111111", 1);
    unmapped.unit_price = gbp("5.00");
    let unpriced = line("2", "58000128", 1);
    let mut o = order(vec![unmapped, unpriced]);
    o.shipping_address.postal_code = "NOT A CODE".into();
    o.reference = OrderReference("a reference far too long for magento ext_order_id".into());
    let problems = map_order(&o, &skus, &MappingOptions::default()).unwrap_err();
    let codes: Vec<_> = problems.iter().map(|p| p.code).collect();
    assert_eq!(codes, ["order_reference_unusable", "postcode_bad_length", "part_number_unmapped", "price_missing"]);
    assert_eq!(problems[1].category, ProblemCategory::Address);
    assert_eq!(problems[2].category, ProblemCategory::Sku);
    assert_eq!(problems[3].field, "lines[2]");
}

#[test]
fn an_order_of_only_cancelled_lines_cannot_be_mapped() {
    let mut a = line("1", "58000128", 1);
    a.status = OrderStatus::CancelAck;
    let problems = map_order(&order(vec![a]), &skus, &MappingOptions::default()).unwrap_err();
    assert_eq!(problems.iter().map(|p| p.code).collect::<Vec<_>>(), ["no_lines"]);
}
