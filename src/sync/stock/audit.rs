//! `jlbridge audit skus`: reads the Magento catalogue (paged), the mapping and The Edge's
//! products, classifies with `domain::sku_audit` and writes a CSV report with prices and stock.
use crate::domain::sku_audit::{self, Category, Product};
use crate::magento::{MagentoClient, SearchCriteria};
use crate::marketplace::Marketplace;
use crate::store::{mapping, stock};
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::DatabaseConnection;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditSummary {
    pub rows: usize,
    pub by_category: BTreeMap<&'static str, usize>,
}

fn spinner(show: bool, msg: &'static str) -> ProgressBar {
    let pb = if show { ProgressBar::new_spinner() } else { ProgressBar::hidden() };
    pb.set_message(msg);
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}

pub async fn run(
    db: &DatabaseConnection,
    magento: &MagentoClient,
    market: &dyn Marketplace,
    out: &Path,
    page_size: u32,
    progress: bool,
) -> anyhow::Result<AuditSummary> {
    let pb = spinner(progress, "reading the Magento catalogue");
    let catalogue = magento.products(SearchCriteria::new(), page_size).await?;
    pb.finish_with_message(format!("Magento: {} products", catalogue.len()));
    let pb = spinner(progress, "reading John Lewis products");
    let listed = market.list_products().await.map_err(|e| anyhow::anyhow!("listing marketplace products: {e}"))?;
    pb.finish_with_message(format!("John Lewis: {} products", listed.len()));

    let skus: Vec<String> = catalogue.iter().map(|p| p.sku.clone()).filter(|s| !s.is_empty()).collect();
    let mappings: BTreeMap<String, String> = mapping::all(db).await?.into_iter().map(|m| (m.sku, m.part_number)).collect();
    let stock_of: HashMap<String, Option<i64>> = listed.iter().map(|p| (p.id.0.clone(), p.free_stock)).collect();
    let products: Vec<Product> = listed
        .into_iter()
        .map(|p| Product { id: p.id.0, part_number: p.part_number.0, traded_code: p.traded_code })
        .collect();
    let rows = sku_audit::audit(&skus, &mappings, &products);

    let bar = if progress { ProgressBar::new(rows.len() as u64) } else { ProgressBar::hidden() };
    bar.set_style(ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len}").expect("template").progress_chars("=> "));
    bar.set_message("writing the report");
    let mut w = csv::Writer::from_path(out)?;
    w.write_record(["category", "sku", "part_number", "product_id", "traded_code", "john_lewis_stock", "magento_price", "detail"])?;
    let mut summary = AuditSummary { rows: rows.len(), ..Default::default() };
    for r in &rows {
        *summary.by_category.entry(r.category.as_str()).or_default() += 1;
        let jl = r.product_id.as_ref().and_then(|id| stock_of.get(id).copied().flatten()).map(|s| s.to_string()).unwrap_or_default();
        let price = match &r.sku {
            Some(s) if r.category != Category::OnlyOnJohnLewis => stock::price(db, s).await?.map(|p| p.to_string()).unwrap_or_default(),
            _ => String::new(),
        };
        w.write_record([
            r.category.as_str(),
            r.sku.as_deref().unwrap_or(""),
            r.part_number.as_deref().unwrap_or(""),
            r.product_id.as_deref().unwrap_or(""),
            r.traded_code.as_deref().unwrap_or(""),
            &jl,
            &price,
            &r.detail,
        ])?;
        bar.inc(1);
    }
    w.flush()?;
    bar.finish_with_message("report written");
    Ok(summary)
}
