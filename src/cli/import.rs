//! `jlbridge import sales-report FILE` and `jlbridge finance summary --week … --out …`.
use crate::config::Config;
use crate::store;
use crate::sync::finance;
use anyhow::{anyhow, Context};
use std::path::PathBuf;

#[derive(clap::Subcommand, Debug)]
pub enum ImportAction {
    /// Import John Lewis's weekly sales report (XLSX as downloaded, or CSV), then match it
    /// against what jlbridge dispatched. Importing the same report again changes nothing; a
    /// corrected report for the same week replaces the earlier one (audited).
    SalesReport { file: PathBuf },
}

#[derive(clap::Subcommand, Debug)]
pub enum FinanceAction {
    /// Write a week's settlement summary (per product and total) as CSV.
    Summary {
        /// Week ending date of the report (YYYY-MM-DD); the latest imported week when omitted.
        #[arg(long)]
        week: Option<String>,
        /// Output file; standard output when omitted.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

async fn open(config: &Config) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let db = store::connect(&config.database).await?;
    store::migrate(&db).await?;
    Ok(db)
}

pub async fn run_import(config: Config, action: ImportAction) -> anyhow::Result<()> {
    let db = open(&config).await?;
    match action {
        ImportAction::SalesReport { file } => {
            let o = finance::import_file(&db, None, &file, "cli", config.finance.currency()).await?;
            println!("{}", o.summary());
            if let Some(r) = &o.reconciliation {
                for d in &r.discrepancies {
                    println!("  settlement_mismatch {}: {} ({})", d.entity(), d.kind, d.detail);
                }
            }
            Ok(())
        }
    }
}

pub async fn run_finance(config: Config, action: FinanceAction) -> anyhow::Result<()> {
    let db = open(&config).await?;
    match action {
        FinanceAction::Summary { week, out } => {
            let week = match week {
                Some(w) => crate::domain::sales_report::parse_date(&w).map_err(|e| anyhow!("--week: {e}"))?,
                None => store::finance::latest_report(&db).await?.ok_or_else(|| anyhow!("no sales report imported yet"))?.week_ending,
            };
            let r = finance::compute_week(&db, week, config.finance.currency())
                .await?
                .ok_or_else(|| anyhow!("no sales report imported for the week ending {week}"))?;
            match out {
                Some(path) => {
                    let f = std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
                    finance::summary_csv::write(f, &r)?;
                    eprintln!(
                        "week ending {week}: gross {:.2}, returns {:.2} {}; {} discrepancies; written to {}",
                        r.total.gross_sales,
                        r.total.returns,
                        r.currency,
                        r.discrepancies.len(),
                        path.display()
                    );
                }
                None => finance::summary_csv::write(std::io::stdout().lock(), &r)?,
            }
            Ok(())
        }
    }
}
