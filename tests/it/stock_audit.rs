//! `jlbridge audit skus` against the simulated Magento and Edge: planted mismatches are found,
//! and only those.
use crate::edge_support::default_rig;
use crate::support::*;
use jlbridge::domain::order::PartNumber;
use jlbridge::magento::MagentoClient;
use jlbridge::sandbox::magento::MagentoSandbox;
use jlbridge::store::{self, mapping, mapping::MappingRow, now_ms, stock};
use rust_decimal::Decimal;
use std::collections::BTreeSet;

#[tokio::test]
async fn the_audit_finds_planted_mismatches_and_only_those() {
    let (cfg, dir) = sqlite_config();
    let db = store::connect(&cfg).await.unwrap();
    store::migrate(&db).await.unwrap();
    let magento = MagentoSandbox::start().await.unwrap();
    let rig = default_rig().await;
    let edge = &rig.sandbox;
    let mut rows = Vec::new();
    // 60 clean products: in Magento, mapped, tradedCode exact.
    for i in 0..60 {
        let (sku, pn) = (format!("CLEAN-{i:03}"), format!("{}", 60_000_000 + i));
        magento.add_product(&sku, "Clean", Decimal::new(1999, 2));
        edge.add_product(&pn, Some(&sku), 3);
        rows.push(MappingRow { sku, part_number: PartNumber::parse(&pn).unwrap(), extra: None });
    }
    // Planted problems.
    let planted = [
        ("Tee-Case", "61000001", Some("TEE-CASE"), true, "case_mismatch"),
        ("TEE-SPACE", "61000002", Some("TEE- SPACE"), true, "space_mismatch"),
        ("TEE/CHAR", "61000003", Some("TEE-CHAR"), true, "character_mismatch"),
        ("TEE-WRONG", "61000004", Some("SOMEONE-ELSE"), true, "different_sku"),
        ("NOT-LISTED", "61000005", None, true, "only_in_magento"),
        ("NEVER-MAPPED", "61000006", Some("NEVER-MAPPED"), false, "unmapped"),
    ];
    for (sku, pn, tc, mapped, category) in planted {
        magento.add_product(sku, "Planted", Decimal::new(500, 2));
        if category != "only_in_magento" {
            edge.add_product(pn, tc, 1);
        }
        if mapped {
            rows.push(MappingRow { sku: sku.into(), part_number: PartNumber::parse(pn).unwrap(), extra: None });
        }
    }
    edge.add_product("61000007", Some("JL-ONLY"), 4);
    magento.add_product("MAGENTO-ONLY", "Only here", Decimal::new(100, 2));
    mapping::import(&db, &rows).await.unwrap();
    stock::observe_price(&db, "CLEAN-000", "19.990".parse().unwrap(), 1, 1, now_ms()).await.unwrap();

    let client = MagentoClient::new(magento.client_config()).unwrap();
    let out = dir.path().join("audit.csv");
    let summary = jlbridge::sync::stock::audit::run(&db, &client, rig.edge.as_ref(), &out, 25, false).await.unwrap();
    let mut r = csv::Reader::from_path(&out).unwrap();
    let records: Vec<csv::StringRecord> = r.records().map(|r| r.unwrap()).collect();
    assert_eq!(summary.rows, records.len());
    let problems: BTreeSet<(String, String)> = records
        .iter()
        .filter(|r| &r[0] != "exact_match")
        .map(|r| (r[0].to_string(), if r[1].is_empty() { r[2].to_string() } else { r[1].to_string() }))
        .collect();
    let expect: BTreeSet<(String, String)> = [
        ("case_mismatch", "Tee-Case"),
        ("space_mismatch", "TEE-SPACE"),
        ("character_mismatch", "TEE/CHAR"),
        ("different_sku", "TEE-WRONG"),
        ("only_in_magento", "NOT-LISTED"),
        ("unmapped", "NEVER-MAPPED"),
        ("only_on_john_lewis", "61000007"),
        ("only_in_magento", "MAGENTO-ONLY"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(problems, expect);
    assert_eq!(summary.by_category["exact_match"], 60);
    let clean = records.iter().find(|r| &r[1] == "CLEAN-000").unwrap();
    assert_eq!((&clean[5], &clean[6]), ("3", "19.990"), "John Lewis stock and the stored price, scale kept");
}
