//! Fixtures for the finance tests: John Lewis orders stored through the orders store and
//! dispatched (or cancelled post-dispatch) on chosen days, and generated sales reports.
#![allow(dead_code)]
use chrono::{NaiveDate, TimeZone};
use jlbridge::domain::money::{Currency, Money};
use jlbridge::domain::order::{Address, MarketplaceOrder, MarketplaceOrderId, OrderLine, OrderReference, OrderStatus, PartNumber};
use jlbridge::domain::order_state::Step;
use jlbridge::store::dispatches::{self, LedgerLine, KIND_CANCELLED_POST_DISPATCH};
use jlbridge::store::{now_ms, orders, stmt};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use std::path::Path;

pub const P1: &str = "71000012";
pub const P2: &str = "71000013";
pub const P3: &str = "71000014";

pub fn price(part: &str) -> &'static str {
    match part {
        P1 => "29.99",
        P2 => "105.50",
        _ => "12.35",
    }
}

pub fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

pub fn week() -> NaiveDate {
    day(22)
}

pub fn next_week() -> NaiveDate {
    day(29)
}

fn noon_ms(d: NaiveDate) -> i64 {
    chrono::Utc.from_utc_datetime(&d.and_hms_opt(12, 0, 0).unwrap()).timestamp_millis()
}

fn order(reference: &str, part: &str, qty: u32) -> MarketplaceOrder {
    let unit = Money::parse(price(part), Currency::GBP).unwrap();
    MarketplaceOrder {
        id: MarketplaceOrderId(format!("9{}", &reference[2..])),
        reference: OrderReference(reference.into()),
        status: OrderStatus::Order,
        order_date: chrono::Utc.with_ymd_and_hms(2026, 11, 15, 9, 0, 0).unwrap(),
        currency: Currency::GBP,
        lines: vec![OrderLine {
            line_ref: "1".into(),
            part_number: PartNumber::parse(part).unwrap(),
            retailer_sku: None,
            supplier_sku: None,
            quantity: qty,
            name: Some("Product".into()),
            description: None,
            status: OrderStatus::Order,
            unit_price: Some(unit),
            subtotal: None,
            tax: None,
            tax_rate: None,
            total: Some(Money::new(unit.amount * rust_decimal::Decimal::from(qty), Currency::GBP)),
            promised_date: None,
        }],
        shipping_address: Address {
            full_name: "Jane Doe".into(),
            line_1: "1 High Street".into(),
            city: Some("Reading".into()),
            postal_code: "RG1 1AA".into(),
            country: "GBR".into(),
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

/// Stores, acknowledges, injects and dispatches a one-line order on `on` (noon UTC).
pub async fn dispatched(db: &DatabaseConnection, reference: &str, part: &str, qty: u32, on: NaiveDate) -> i64 {
    let o = order(reference, part, qty);
    let id = orders::upsert_listed(db, &o, now_ms()).await.unwrap().id;
    orders::advance(db, id, Step::Acknowledged).await.unwrap();
    orders::record_injected(db, id, id + 1000, &format!("JL-{reference}")).await.unwrap();
    assert!(orders::add_dispatched(db, id, "1", qty).await.unwrap());
    orders::advance(db, id, Step::Dispatched).await.unwrap();
    db.execute(stmt(db.get_database_backend(), "UPDATE orders SET dispatched_at = $1 WHERE id = $2", [noon_ms(on).into(), id.into()]))
        .await
        .unwrap();
    id
}

/// A post-dispatch cancellation (a return) of `qty` units of the order's line, sent on `on`.
pub async fn returned(db: &DatabaseConnection, reference: &str, part: &str, qty: u32, on: NaiveDate) {
    let source = format!("cancel:{reference}");
    dispatches::record(
        db,
        &[LedgerLine {
            order_reference: reference.into(),
            source: source.clone(),
            line_ref: "1".into(),
            part_number: part.into(),
            kind: KIND_CANCELLED_POST_DISPATCH,
            quantity: qty,
            carrier: "royal-mail".into(),
            tracking_number: None,
        }],
    )
    .await
    .unwrap();
    db.execute(stmt(db.get_database_backend(), "UPDATE dispatch_ledger SET sent_at = $1 WHERE source = $2", [noon_ms(on).into(), source.into()]))
        .await
        .unwrap();
}

pub const HEADER: &[&str] = &[
    "Week Ending Date",
    "Day Date",
    "Ordering Supplier Name",
    "Ordering Supplier Number",
    "Branch",
    "Branch Short Name",
    "EAN Product Code",
    "Product Code",
    "Product_Description",
    "Total Sales Value",
    "Units",
    "Tax Code",
];

/// One report row: (day, part, units, value).
pub type Row = (NaiveDate, &'static str, i64, &'static str);

pub fn cells(week: NaiveDate, r: &Row) -> Vec<String> {
    vec![
        week.format("%d/%m/%Y").to_string(),
        r.0.to_string(),
        "Acme Homeware Ltd".into(),
        "400123".into(),
        "561".into(),
        "JL.com D2C".into(),
        format!("50{}000", r.1),
        r.1.into(),
        format!("Product {}", r.1),
        r.3.into(),
        r.2.to_string(),
        "S".into(),
    ]
}

pub fn write_csv(path: &Path, week: NaiveDate, rows: &[Row]) {
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record(HEADER).unwrap();
    for r in rows {
        w.write_record(cells(week, r)).unwrap();
    }
    w.flush().unwrap();
}

/// The same report as a real workbook: dates as Excel dates, values and units as numbers.
pub fn write_xlsx(path: &Path, week: NaiveDate, rows: &[Row]) {
    use chrono::Datelike;
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let date_fmt = Format::new().set_num_format("dd/mm/yyyy");
    let money_fmt = Format::new().set_num_format("#,##0.00");
    for (c, h) in HEADER.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    let xd = |d: NaiveDate| ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8).unwrap();
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        let text = cells(week, r);
        ws.write_datetime_with_format(row, 0, xd(week), &date_fmt).unwrap();
        ws.write_datetime_with_format(row, 1, xd(r.0), &date_fmt).unwrap();
        for (c, t) in text.iter().enumerate().take(9).skip(2) {
            ws.write_string(row, c as u16, t).unwrap();
        }
        ws.write_number_with_format(row, 9, r.3.parse::<f64>().unwrap(), &money_fmt).unwrap();
        ws.write_number(row, 10, r.2 as f64).unwrap();
        ws.write_string(row, 11, "S").unwrap();
    }
    wb.save(path).unwrap();
}

/// The planted week: orders stored and dispatched, and the report rows John Lewis sent.
///
/// * A1 P1 ×2 on the 16th, A2 P2 ×1 on the 17th: reported as dispatched;
/// * A3 P3 ×3 on the 18th (37.05): reported as 37.00 — amount differs;
/// * A4 P1 ×1 on the 19th: not in the report — missing from report;
/// * A5 P2 ×1 on the 20th: reported twice — duplicate line;
/// * A6 P3 ×1 on the 16th, returned on the 21st: both reported (the return negative);
/// * A7 P1 ×1 on the 22nd (last day): in next week's report — late day;
/// * A8 P2 ×1 on the 24th: next week's report.
pub async fn plant_orders(db: &DatabaseConnection) {
    dispatched(db, "JL500001", P1, 2, day(16)).await;
    dispatched(db, "JL500002", P2, 1, day(17)).await;
    dispatched(db, "JL500003", P3, 3, day(18)).await;
    dispatched(db, "JL500004", P1, 1, day(19)).await;
    dispatched(db, "JL500005", P2, 1, day(20)).await;
    dispatched(db, "JL500006", P3, 1, day(16)).await;
    returned(db, "JL500006", P3, 1, day(21)).await;
    dispatched(db, "JL500007", P1, 1, day(22)).await;
    dispatched(db, "JL500008", P2, 1, day(24)).await;
}

pub fn week_rows() -> Vec<Row> {
    vec![
        (day(16), P1, 2, "59.98"),
        (day(17), P2, 1, "105.50"),
        (day(18), P3, 3, "37.00"),
        (day(20), P2, 1, "105.50"),
        (day(20), P2, 1, "105.50"),
        (day(16), P3, 1, "12.35"),
        (day(21), P3, -1, "-12.35"),
    ]
}

/// The week's report as corrected by John Lewis: the wrong amount fixed.
pub fn corrected_rows() -> Vec<Row> {
    let mut r = week_rows();
    r[2] = (day(18), P3, 3, "37.05");
    r
}

pub fn next_week_rows() -> Vec<Row> {
    vec![(day(22), P1, 1, "29.99"), (day(24), P2, 1, "105.50")]
}

pub async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db.query_one(stmt(db.get_database_backend(), sql, [])).await.unwrap().unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}
