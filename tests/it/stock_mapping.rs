//! `jlbridge mapping import`: CSV and XLSX, the refused-rows report, verification against the
//! simulated Edge (exact, near misses, another SKU, missing product) and the CLI itself.
use crate::edge_support::default_rig;
use crate::support::*;
use jlbridge::cli::mapping::import_file;
use jlbridge::domain::exception::ExceptionKind;
use jlbridge::domain::sku_match::SkuMatch;
use jlbridge::store::{self, exceptions, mapping};
use sea_orm::DatabaseConnection;
use std::path::Path;

const CSV: &str = "\u{feff}sku,part_number,Description\n\
TEE-RED-M,58000128,Red tee\n\
,58000129,no sku\n\
MUG,5800013,\n\
DUP,11111111,\n\
DUP,22222222,\n\
tee-case,33333333,\n\
TEE SPACE,44444444,\n\
TEE/CHAR,55555555,\n\
OTHER,66666666,\n\
GHOST,77777777,\n\
NOCODE,88888888,\n";

async fn db() -> (DatabaseConnection, tempfile::TempDir) {
    let (cfg, dir) = sqlite_config();
    let db = store::connect(&cfg).await.unwrap();
    store::migrate(&db).await.unwrap();
    (db, dir)
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[tokio::test]
async fn csv_import_reports_refused_rows_and_keeps_extra_columns() {
    let (db, dir) = db().await;
    let out = import_file(&db, &write(dir.path(), "map.csv", CSV), None).await.unwrap();
    let refused: Vec<(usize, &str)> = out.refused.iter().map(|r| (r.row, r.reason.as_str())).collect();
    assert_eq!(refused.len(), 4, "{refused:#?}");
    assert_eq!(refused[0], (3, "empty SKU"));
    assert!(refused[1].0 == 4 && refused[1].1.contains("bad part number \"5800013\""));
    assert!(refused[2].0 == 5 && refused[2].1.starts_with("duplicate SKU \"DUP\""));
    assert!(refused[3].0 == 6 && refused[3].1.starts_with("duplicate SKU \"DUP\""));
    assert_eq!(out.counts.added, 7);
    let m = mapping::get(&db, "TEE-RED-M").await.unwrap().unwrap();
    assert_eq!(m.part_number, "58000128");
    assert_eq!(serde_json::from_str::<serde_json::Value>(m.extra.as_deref().unwrap()).unwrap()["Description"], "Red tee");
    assert!(!m.verified);
}

#[tokio::test]
async fn xlsx_first_sheet_with_numeric_part_numbers() {
    let (db, dir) = db().await;
    let path = dir.path().join("map.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "SKU").unwrap();
    ws.write_string(0, 1, "Part Number").unwrap();
    ws.write_string(0, 2, "Brand").unwrap();
    ws.write_string(1, 0, "X-1").unwrap();
    ws.write_number(1, 1, 58000128.0).unwrap();
    ws.write_string(1, 2, "Acme").unwrap();
    ws.write_string(2, 0, "X-2").unwrap();
    ws.write_number(2, 1, 1234567.0).unwrap(); // a leading zero lost
    ws.write_string(3, 0, "X-3").unwrap();
    ws.write_string(3, 1, "58000130").unwrap();
    let other = wb.add_worksheet();
    other.write_string(0, 0, "ignored").unwrap();
    wb.save(&path).unwrap();

    let out = import_file(&db, &path, None).await.unwrap();
    assert_eq!(out.counts.added, 2);
    assert_eq!(out.refused.len(), 1);
    assert_eq!(out.refused[0].row, 3);
    assert!(out.refused[0].reason.contains("leading zero"), "{}", out.refused[0].reason);
    let m = mapping::get(&db, "X-1").await.unwrap().unwrap();
    assert_eq!(m.part_number, "58000128");
    assert!(m.extra.unwrap().contains("Acme"));
}

#[tokio::test]
async fn verification_flags_near_misses_and_missing_products() {
    let (db, dir) = db().await;
    let rig = default_rig().await;
    let sb = &rig.sandbox;
    sb.add_product("58000128", Some("TEE-RED-M"), 0);
    sb.add_product("33333333", Some("TEE-CASE"), 0);
    sb.add_product("44444444", Some("TEE  SPACE"), 0);
    sb.add_product("55555555", Some("TEE-CHAR"), 0);
    sb.add_product("66666666", Some("SOMETHING-ELSE"), 0);
    sb.add_product("88888888", None, 0);
    let market: &dyn jlbridge::marketplace::Marketplace = rig.edge.as_ref();
    let out = import_file(&db, &write(dir.path(), "map.csv", CSV), Some(market)).await.unwrap();
    let v = out.verification.unwrap();
    assert_eq!(v.verified, 2, "{v:?}");
    assert_eq!(v.not_found, [("GHOST".to_string(), "77777777".to_string())]);
    let mut mm: Vec<(&str, SkuMatch)> = v.mismatched.iter().map(|(s, _, c)| (s.as_str(), *c)).collect();
    mm.sort_by_key(|(s, _)| s.to_string());
    assert_eq!(
        mm,
        [
            ("OTHER", SkuMatch::Different),
            ("TEE SPACE", SkuMatch::SpaceMismatch),
            ("TEE/CHAR", SkuMatch::CharacterMismatch),
            ("tee-case", SkuMatch::CaseMismatch),
        ]
    );
    let ok = mapping::get(&db, "TEE-RED-M").await.unwrap().unwrap();
    assert!(ok.verified && !ok.blocked && ok.product_id.is_some());
    let near = mapping::get(&db, "tee-case").await.unwrap().unwrap();
    assert!(!near.verified && !near.blocked, "a near miss keeps its stock flowing while the exception is open");
    assert_eq!(near.traded_code.as_deref(), Some("TEE-CASE"), "never fixed silently");
    assert!(mapping::get(&db, "OTHER").await.unwrap().unwrap().blocked);
    assert!(mapping::get(&db, "GHOST").await.unwrap().unwrap().blocked);
    assert!(mapping::get(&db, "NOCODE").await.unwrap().unwrap().verified);
    assert_eq!(exceptions::count_open(&db, ExceptionKind::SkuMismatch).await.unwrap(), 4);
    assert_eq!(exceptions::count_open(&db, ExceptionKind::PartNumberUnmapped).await.unwrap(), 1);
    let list = exceptions::list(&db, Some(ExceptionKind::SkuMismatch), None, 0, 10).await.unwrap();
    let case = list.iter().find(|e| e.entity == "tee-case").unwrap();
    assert!(case.last_error.contains("differs only in letter case"), "{}", case.last_error);

    // Large imports verify from one product listing instead of one lookup each.
    let mut big = String::from("sku,part_number\n");
    for i in 0..40 {
        sb.add_product(&format!("9{:07}", i), Some(&format!("BULK-{i}")), 0);
        big.push_str(&format!("BULK-{i},9{:07}\n", i));
    }
    let before = sb.calls().len();
    let out = import_file(&db, &write(dir.path(), "big.csv", &big), Some(market)).await.unwrap();
    assert_eq!(out.verification.unwrap().verified, 40);
    assert!(sb.calls().len() - before < 10, "listed, not looked up one by one");
}

#[tokio::test]
async fn cli_prints_the_report() {
    let (cfg, dir) = sqlite_config();
    let file = write(dir.path(), "map.csv", CSV);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jlbridge"))
        .args(["mapping", "import"])
        .arg(&file)
        .env("JLBRIDGE_DATABASE_URL", &cfg.url)
        .env_remove("JLBRIDGE_EDGE_BASE_URL")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("mappings: 7 added"), "{stdout}");
    assert!(stdout.contains("refused rows: 4"), "{stdout}");
    assert!(stdout.contains("  row 3: empty SKU"), "{stdout}");
    assert!(stdout.contains("not verified: the marketplace is not configured (edge.base_url is missing"), "{stdout}");
}
