//! `jlbridge audit skus`: the pre-go-live SKU audit as a CSV report.
use crate::config::Config;
use crate::store;
use crate::sync::stock::audit;
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(clap::Subcommand, Debug)]
pub enum AuditAction {
    /// Compare the Magento catalogue, the mapping and John Lewis's products.
    Skus {
        /// Where to write the CSV report.
        #[arg(long, default_value = "sku-audit.csv")]
        out: PathBuf,
    },
}

pub async fn run(config: Config, action: AuditAction) -> anyhow::Result<()> {
    let AuditAction::Skus { out } = action;
    let db = store::connect(&config.database).await?;
    if config.database.migrate_on_start {
        store::migrate(&db).await?;
    }
    let missing: Vec<String> =
        config.missing_for_magento().into_iter().chain(config.missing_for_marketplace()).map(|m| m.to_string()).collect();
    let connectors = crate::connectors::build(&config, &db)?;
    let (Some(magento), Some(market)) = (connectors.magento, connectors.marketplace) else {
        anyhow::bail!("the audit needs Magento and the marketplace: {}", missing.join("; "));
    };
    let progress = std::io::stderr().is_terminal();
    let s = audit::run(&db, &magento, market.as_ref(), &out, config.stock.magento_page_size, progress).await?;
    println!("{} rows written to {}", s.rows, out.display());
    for (category, n) in &s.by_category {
        println!("  {category}: {n}");
    }
    Ok(())
}
