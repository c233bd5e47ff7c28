//! Finance: weekly sales reports imported (CSV, real XLSX, inbox folder) and matched against
//! orders stored through the orders store. Every planted discrepancy, and only those, is
//! reported; totals are exact to the penny; importing twice changes nothing; a corrected
//! report replaces the old one with an audit row; malformed rows are named by row and column.
use crate::finance_support::*;
use crate::support::*;
use jlbridge::domain::money::Currency;
use jlbridge::domain::settlement::{DiscrepancyKind, Reconciliation};
use jlbridge::store::{self, finance as fstore};
use jlbridge::sync::finance::{self, inbox, summary_csv};
use rust_decimal::Decimal;
use sea_orm::DatabaseConnection;
use std::time::Duration;

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

async fn db() -> (DatabaseConnection, tempfile::TempDir) {
    let (cfg, dir) = sqlite_config();
    let db = store::connect(&cfg).await.unwrap();
    store::migrate(&db).await.unwrap();
    (db, dir)
}

fn found(r: &Reconciliation) -> Vec<(DiscrepancyKind, String)> {
    let mut v: Vec<_> = r.discrepancies.iter().map(|d| (d.kind, d.entity())).collect();
    v.sort_by(|a, b| a.1.cmp(&b.1));
    v
}

fn planted() -> Vec<(DiscrepancyKind, String)> {
    let mut v = vec![
        (DiscrepancyKind::AmountDiffers, format!("week 2026-11-22 part {P3} day 2026-11-18")),
        (DiscrepancyKind::MissingFromReport, format!("week 2026-11-22 part {P1} day 2026-11-19")),
        (DiscrepancyKind::DuplicateLine, format!("week 2026-11-22 part {P2} day 2026-11-20 row 6")),
        (DiscrepancyKind::LateDay, format!("week 2026-11-22 part {P1} day 2026-11-22")),
    ];
    v.sort_by(|a, b| a.1.cmp(&b.1));
    v
}

async fn import(db: &DatabaseConnection, path: &std::path::Path) -> finance::ImportOutcome {
    finance::import_file(db, None, path, "test", Currency::GBP).await.expect("import")
}

async fn open_mismatches(db: &DatabaseConnection) -> Vec<(String, String)> {
    let rows = jlbridge::store::exceptions::list(db, Some(jlbridge::domain::exception::ExceptionKind::SettlementMismatch), None, 0, 100)
        .await
        .unwrap();
    let mut v: Vec<_> = rows.into_iter().filter(|r| r.status == "open").map(|r| (r.entity, r.last_error)).collect();
    v.sort();
    v
}

#[tokio::test]
async fn planted_discrepancies_and_only_those_with_exact_totals() {
    let (db, dir) = db().await;
    planted_week(&db, &dir).await;
}

#[tokio::test]
async fn planted_discrepancies_on_postgres() {
    let Some(admin) = postgres_or_skip("planted_discrepancies_on_postgres") else { return };
    let db = store::connect(&fresh_postgres(&admin).await).await.unwrap();
    store::migrate(&db).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    planted_week(&db, &dir).await;
    let again = dir.path().join("week-2026-11-22.csv");
    let before = count(&db, "SELECT COUNT(*) FROM audit_log").await;
    assert!(matches!(import(&db, &again).await.stored, fstore::Stored::Unchanged(_)));
    assert_eq!(count(&db, "SELECT COUNT(*) FROM audit_log").await, before);
}

async fn planted_week(db: &DatabaseConnection, dir: &tempfile::TempDir) {
    let db = db.clone();
    plant_orders(&db).await;
    let this = dir.path().join("week-2026-11-22.csv");
    let next = dir.path().join("week-2026-11-29.csv");
    write_csv(&this, week(), &week_rows());
    write_csv(&next, next_week(), &next_week_rows());
    import(&db, &this).await;
    let o = import(&db, &next).await;
    assert!(o.reconciliation.unwrap().discrepancies.is_empty(), "next week matches, the slipped line included");

    let r = finance::compute_week(&db, week(), Currency::GBP).await.unwrap().unwrap();
    assert_eq!(found(&r), planted());
    let t = &r.total;
    assert_eq!(t.gross_sales, dec("425.83"), "report gross, the duplicate included (as John Lewis will pay it)");
    assert_eq!(t.returns, dec("-12.35"));
    assert_eq!(t.net(), dec("413.48"));
    assert_eq!((t.units_sold, t.units_returned), (9, 1));
    assert_eq!(t.magento_gross, dec("380.36"));
    assert_eq!(t.magento_returns, dec("-12.35"));
    assert_eq!((t.lines, t.matched_lines, t.unmatched_lines), (7, 5, 2));
    let p3 = r.products.iter().find(|p| p.part_number == P3).unwrap();
    assert_eq!((p3.gross_sales, p3.returns, p3.magento_gross), (dec("49.35"), dec("-12.35"), dec("49.40")));
    let sum: Decimal = r.products.iter().map(|p| p.gross_sales).sum();
    assert_eq!(sum, t.gross_sales, "products add up to the total");

    // Both figures on each exception; the late day named as such, not as missing.
    let open = open_mismatches(&db).await;
    assert_eq!(open.len(), 4, "{open:?}");
    let amount = open.iter().find(|(e, _)| e.ends_with("day 2026-11-18")).unwrap();
    assert!(amount.1.contains("report 3 units, 37.00 GBP") && amount.1.contains("jlbridge 3 units, 37.05 GBP"), "{}", amount.1);
    let late = open.iter().find(|(e, _)| e.ends_with("day 2026-11-22")).unwrap();
    assert!(late.1.starts_with("late_day"), "{}", late.1);

    // The summary CSV: one row per product, then the total, to the penny.
    let mut out = Vec::new();
    summary_csv::write(&mut out, &r).unwrap();
    let text = String::from_utf8(out).unwrap();
    let last = text.lines().last().unwrap();
    assert_eq!(last, "2026-11-22,TOTAL,GBP,425.83,-12.35,413.48,9,1,380.36,-12.35,7,5,2");
    assert_eq!(text.lines().count(), 1 + 3 + 1);
}

#[tokio::test]
async fn late_day_waits_for_next_week_and_then_matches_across_the_boundary() {
    let (db, dir) = db().await;
    plant_orders(&db).await;
    let this = dir.path().join("w1.csv");
    write_csv(&this, week(), &week_rows());
    let o = import(&db, &this).await;
    let r = o.reconciliation.unwrap();
    let late = r.discrepancies.iter().find(|d| d.day == day(22)).unwrap();
    assert_eq!(late.kind, DiscrepancyKind::LateDay, "not called missing before next week's report is in");
    assert!(late.detail.contains("import the following week"), "{}", late.detail);
    let next = dir.path().join("w2.csv");
    write_csv(&next, next_week(), &next_week_rows());
    import(&db, &next).await;
    let stored = fstore::list_discrepancies(&db, Some("2026-11-22"), None, None, 100).await.unwrap();
    let late = stored.iter().find(|d| d.day == "2026-11-22").unwrap();
    assert_eq!(late.kind, "late_day");
    assert!(late.detail.contains("following week's report (1 units, 29.99 GBP)"), "{}", late.detail);
    assert_eq!(late.order_references, vec!["JL500007".to_owned()]);

    // With no slip in next week's report either, it is missing.
    let (db2, dir2) = self::db().await;
    plant_orders(&db2).await;
    let a = dir2.path().join("a.csv");
    let b = dir2.path().join("b.csv");
    write_csv(&a, week(), &week_rows());
    write_csv(&b, next_week(), &[(day(24), P2, 1, "105.50")]);
    import(&db2, &a).await;
    import(&db2, &b).await;
    let r = finance::compute_week(&db2, week(), Currency::GBP).await.unwrap().unwrap();
    let d = r.discrepancies.iter().find(|d| d.day == day(22)).unwrap();
    assert_eq!(d.kind, DiscrepancyKind::MissingFromReport);
}

#[tokio::test]
async fn importing_the_same_report_twice_changes_nothing() {
    let (db, dir) = db().await;
    plant_orders(&db).await;
    let f = dir.path().join("report.csv");
    write_csv(&f, week(), &week_rows());
    assert!(matches!(import(&db, &f).await.stored, fstore::Stored::New(_)));
    let snapshot = |db: DatabaseConnection| async move {
        (
            count(&db, "SELECT COUNT(*) FROM sales_reports").await,
            count(&db, "SELECT COALESCE(MAX(id), 0) FROM sales_report_lines").await,
            count(&db, "SELECT COUNT(*) FROM sales_report_lines").await,
            count(&db, "SELECT COALESCE(MAX(id), 0) FROM settlement_discrepancies").await,
            count(&db, "SELECT COUNT(*) FROM audit_log").await,
            count(&db, "SELECT COALESCE(SUM(count), 0) FROM exceptions").await,
            count(&db, "SELECT COALESCE(MAX(last_seen), 0) FROM exceptions").await,
        )
    };
    let before = snapshot(db.clone()).await;
    // The same content, rows in another order and under another file name.
    let again = dir.path().join("report-again.csv");
    let mut rows = week_rows();
    rows.reverse();
    write_csv(&again, week(), &rows);
    let o = import(&db, &again).await;
    assert!(matches!(o.stored, fstore::Stored::Unchanged(_)), "{:?}", o.stored);
    assert_eq!(o.reconciliation.unwrap().discrepancies.len(), 4);
    import(&db, &f).await;
    assert_eq!(snapshot(db.clone()).await, before);
}

#[tokio::test]
async fn a_corrected_report_replaces_the_old_one_with_an_audit_row() {
    let (db, dir) = db().await;
    plant_orders(&db).await;
    let f = dir.path().join("report.csv");
    write_csv(&f, week(), &week_rows());
    import(&db, &f).await;
    assert_eq!(open_mismatches(&db).await.len(), 4);
    let fixed = dir.path().join("report-corrected.csv");
    write_csv(&fixed, week(), &corrected_rows());
    let o = import(&db, &fixed).await;
    let fstore::Stored::Replaced { before, after } = &o.stored else { panic!("{:?}", o.stored) };
    assert_eq!((before.id, before.version, after.version), (after.id, 1, 2));
    assert_eq!(after.source_name, "report-corrected.csv");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM sales_reports").await, 1);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM sales_report_lines").await, corrected_rows().len() as i64);
    let audit = jlbridge::store::entities::audit_log::Entity::find_all_actions(&db).await;
    assert_eq!(audit, ["finance.sales_report.import", "finance.sales_report.replace"]);
    // The amount now agrees: that discrepancy is gone and its exception resolved.
    let kinds: Vec<DiscrepancyKind> = o.reconciliation.unwrap().discrepancies.iter().map(|d| d.kind).collect();
    assert!(!kinds.contains(&DiscrepancyKind::AmountDiffers), "{kinds:?}");
    let open = open_mismatches(&db).await;
    assert_eq!(open.len(), 3);
    assert!(!open.iter().any(|(e, _)| e.ends_with("day 2026-11-18")));
}

trait AuditActions {
    async fn find_all_actions(db: &DatabaseConnection) -> Vec<String>;
}
impl AuditActions for jlbridge::store::entities::audit_log::Entity {
    async fn find_all_actions(db: &DatabaseConnection) -> Vec<String> {
        use sea_orm::{EntityTrait, QueryOrder};
        Self::find()
            .order_by_asc(jlbridge::store::entities::audit_log::Column::Id)
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.action)
            .collect()
    }
}

#[tokio::test]
async fn a_real_xlsx_round_trips() {
    let (db, dir) = db().await;
    plant_orders(&db).await;
    let x = dir.path().join("SOR report w-e 22-11-2026.xlsx");
    write_xlsx(&x, week(), &week_rows());
    let report = finance::import::parse_file(&x).unwrap();
    let c = dir.path().join("same.csv");
    write_csv(&c, week(), &week_rows());
    let from_csv = finance::import::parse_file(&c).unwrap();
    assert_eq!(report.week_ending, week());
    assert_eq!(report.lines.len(), 7);
    assert_eq!(report.lines[2].value, dec("37.00"));
    assert_eq!(report.lines[6].value, dec("-12.35"));
    assert_eq!(report.lines[6].units, Some(-1));
    assert_eq!(report.lines[0].extra.get("Tax Code").map(String::as_str), Some("S"));
    assert_eq!(report.content_hash(), from_csv.content_hash(), "the workbook reads as the same report as the CSV");
    import(&db, &x).await;
    let o = import(&db, &c).await;
    assert!(matches!(o.stored, fstore::Stored::Unchanged(_)), "CSV of the same report after the XLSX changes nothing");
    let r = o.reconciliation.unwrap();
    assert_eq!(r.total.gross_sales, dec("425.83"));
}

#[tokio::test]
async fn malformed_rows_name_row_and_column_and_nothing_is_stored() {
    let (db, dir) = db().await;
    let f = dir.path().join("bad.csv");
    let mut w = csv::Writer::from_path(&f).unwrap();
    w.write_record(HEADER).unwrap();
    w.write_record(cells(week(), &(day(16), P1, 2, "59.98"))).unwrap();
    w.write_record(cells(week(), &(day(17), P1, 1, "29.9x"))).unwrap();
    let mut bad_day = cells(week(), &(day(18), P2, 1, "105.50"));
    bad_day[1] = "31/11/2026".into();
    w.write_record(bad_day).unwrap();
    w.flush().unwrap();
    drop(w);
    let e = finance::import_file(&db, None, &f, "test", Currency::GBP).await.unwrap_err().to_string();
    assert!(e.contains("row 3 column J (\"Total Sales Value\"): \"29.9x\" is not an amount of money"), "{e}");
    assert!(e.contains("row 4 column B (\"Day Date\")"), "{e}");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM sales_reports").await, 0);

    let missing = dir.path().join("no-value.csv");
    std::fs::write(&missing, "Week Ending Date,Day Date,Product Code\n2026-11-22,2026-11-20,71000012\n").unwrap();
    let e = finance::import_file(&db, None, &missing, "test", Currency::GBP).await.unwrap_err().to_string();
    assert!(e.contains("lacks required column(s): Total Sales Value"), "{e}");
}

#[tokio::test]
async fn the_inbox_imports_good_files_and_rejects_bad_ones_with_the_reason() {
    let (db, dir) = db().await;
    plant_orders(&db).await;
    let inbox_dir = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox_dir).unwrap();
    write_xlsx(&inbox_dir.join("week-22.xlsx"), week(), &week_rows());
    std::fs::write(inbox_dir.join("broken.csv"), format!("{}\n2026-11-22,2026-11-20,A,1,561,JL,5,71000012,K,abc,1,S\n", HEADER.join(","))).unwrap();
    std::fs::write(inbox_dir.join("notes.txt"), "not a report").unwrap();
    let pass = inbox::poll_once(&db, None, &inbox_dir, Currency::GBP, Duration::ZERO).await.unwrap();
    assert_eq!(pass.processed, vec![inbox_dir.join("processed").join("week-22.xlsx")]);
    assert_eq!(pass.rejected, vec![inbox_dir.join("rejected").join("broken.csv")]);
    let why = std::fs::read_to_string(inbox_dir.join("rejected").join("broken.csv.error.txt")).unwrap();
    assert!(why.contains("row 2 column J"), "{why}");
    assert!(inbox_dir.join("notes.txt").exists(), "other files are left alone");
    assert!(fstore::report_for_week(&db, week()).await.unwrap().is_some());
    let again = inbox::poll_once(&db, None, &inbox_dir, Currency::GBP, Duration::ZERO).await.unwrap();
    assert_eq!(again, inbox::InboxPass::default(), "nothing left to do");
}
