//! `jlbridge mapping import FILE`: loads John Lewis's SKU ↔ part number spreadsheet, reports
//! the rows it refused, then checks the mappings against the products API when configured.
use crate::config::Config;
use crate::store::{self, mapping};
use crate::sync::stock::{mapping_file, verify};
use sea_orm::DatabaseConnection;
use std::path::{Path, PathBuf};

#[derive(clap::Subcommand, Debug)]
pub enum MappingAction {
    /// Import a CSV (header `sku,part_number`) or XLSX (same columns on the first sheet).
    Import {
        file: PathBuf,
        /// Do not check the mappings against the products API.
        #[arg(long)]
        no_verify: bool,
    },
}

/// What an import did, for the caller to print or check.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportOutcome {
    pub counts: mapping::ImportCounts,
    pub refused: Vec<crate::domain::mapping_sheet::Refused>,
    pub verification: Option<verify::VerifyReport>,
    /// Why the mappings were not verified, when they were not.
    pub not_verified: Option<String>,
}

/// Reads, stores and (when a marketplace is given) verifies one mapping file.
pub async fn import_file(
    db: &DatabaseConnection,
    path: &Path,
    market: Option<&dyn crate::marketplace::Marketplace>,
) -> anyhow::Result<ImportOutcome> {
    let sheet = mapping_file::read(path)?;
    let rows: Vec<mapping::MappingRow> = sheet
        .accepted
        .iter()
        .map(|r| mapping::MappingRow { sku: r.sku.clone(), part_number: r.part_number.clone(), extra: r.extra.clone() })
        .collect();
    let counts = mapping::import(db, &rows).await?;
    let verification = match market {
        Some(m) => {
            let mut stored = Vec::with_capacity(rows.len());
            for r in &rows {
                stored.extend(mapping::get(db, &r.sku).await?);
            }
            Some(verify::verify(db, m, &stored).await?)
        }
        None => None,
    };
    Ok(ImportOutcome { counts, refused: sheet.refused, verification, not_verified: None })
}

pub fn print(o: &ImportOutcome) {
    let c = &o.counts;
    println!(
        "mappings: {} added, {} with a new part number, {} unchanged, {} part numbers moved from another SKU",
        c.added, c.part_number_changed, c.unchanged, c.moved_from_other_sku
    );
    if o.refused.is_empty() {
        println!("refused rows: none");
    } else {
        println!("refused rows: {}", o.refused.len());
        for r in &o.refused {
            println!("  row {}: {}", r.row, r.reason);
        }
    }
    match (&o.verification, &o.not_verified) {
        (Some(v), _) => {
            println!(
                "verified against the products API: {} ok, {} not found, {} tradedCode mismatches, {} lookups failed",
                v.verified,
                v.not_found.len(),
                v.mismatched.len(),
                v.errors.len()
            );
            for (sku, pn) in &v.not_found {
                println!("  not found: SKU {sku:?} part number {pn} (part_number_unmapped opened)");
            }
            for (sku, tc, class) in &v.mismatched {
                println!("  mismatch: SKU {sku:?} tradedCode {tc:?} {} (sku_mismatch opened)", class.describe());
            }
            for (sku, e) in &v.errors {
                println!("  lookup failed: SKU {sku:?}: {e}");
            }
        }
        (None, Some(why)) => println!("not verified: {why}"),
        (None, None) => println!("not verified"),
    }
}

pub async fn run(config: Config, action: MappingAction) -> anyhow::Result<()> {
    let MappingAction::Import { file, no_verify } = action;
    let db = store::connect(&config.database).await?;
    if config.database.migrate_on_start {
        store::migrate(&db).await?;
    }
    let market = if no_verify {
        Err("--no-verify given".to_owned())
    } else if !config.stock.verify_mappings {
        Err("stock.verify_mappings is off".to_owned())
    } else {
        let missing: Vec<String> = config.missing_for_marketplace().iter().map(|m| m.to_string()).collect();
        match crate::connectors::build(&config, &db).map(|c| c.marketplace) {
            Ok(Some(m)) => Ok(m),
            Ok(None) => Err(format!("the marketplace is not configured ({})", missing.join("; "))),
            Err(e) => Err(format!("the marketplace client could not be built ({e})")),
        }
    };
    let mut outcome = import_file(&db, &file, market.as_ref().ok().map(|m| m.as_ref())).await?;
    outcome.not_verified = market.err();
    print(&outcome);
    Ok(())
}
