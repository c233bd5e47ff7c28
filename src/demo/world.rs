//! The demo's world: a simulated Edge (REST, or files over SFTP) and a simulated Magento
//! holding the same catalogue, a mapping spreadsheet as John Lewis would send it, and a few
//! planted problems.
use super::john_lewis::JohnLewis;
use crate::config::MarketplaceKind;
use crate::sandbox::magento::MagentoSandbox;
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};

/// One product of the catalogue.
#[derive(Debug, Clone)]
pub struct Item {
    pub sku: String,
    pub part_number: String,
    pub name: String,
    pub price: Decimal,
}

pub struct World {
    pub jl: JohnLewis,
    pub magento: MagentoSandbox,
    pub catalogue: Vec<Item>,
    /// The SKU whose John Lewis `tradedCode` carries a trailing space (a planted near-miss).
    pub near_miss_sku: String,
    pub mapping_csv: PathBuf,
}

const SOURCE: &str = "default";
const STOCK_ID: i64 = 1;

const RANGES: &[(&str, &str, u32)] = &[
    ("LIN", "Linen shirt", 4500),
    ("KNT", "Merino jumper", 7900),
    ("CUP", "Stoneware mug", 1200),
    ("THR", "Wool throw", 8900),
    ("LMP", "Table lamp", 6500),
    ("TWL", "Cotton towel", 1800),
];

fn catalogue(n: usize) -> Vec<Item> {
    (0..n)
        .map(|i| {
            let (code, name, pence) = RANGES[i % RANGES.len()];
            Item {
                sku: format!("{code}-{:04}", i),
                part_number: format!("{}", 71_000_000 + i),
                name: format!("{name} #{i}"),
                price: Decimal::new((pence + (i as u32 % 7) * 100) as i64, 2),
            }
        })
        .collect()
}

/// Opening stock: a deterministic spread with a few items at zero.
pub fn opening_qty(i: usize) -> i64 {
    if i % 23 == 0 {
        0
    } else {
        ((i * 37) % 60) as i64 + 1
    }
}

/// What John Lewis shows at the start of the day: what Magento had, except a few SKUs that
/// drifted overnight (the first full sync repairs them).
pub fn edge_opening(i: usize, magento_qty: i64) -> i64 {
    if i % 17 == 5 {
        magento_qty + 5
    } else {
        magento_qty
    }
}

/// Starts both sandboxes and fills them. John Lewis starts out showing `edge_opening(i)`.
pub async fn build(n: usize, dir: &Path, kind: &MarketplaceKind, edge_opening: impl Fn(usize, i64) -> i64) -> anyhow::Result<World> {
    let jl = JohnLewis::start(kind, dir).await?;
    let magento = MagentoSandbox::start().await?;
    magento.assign_source(STOCK_ID, SOURCE);
    // As with the jlbridge Magento module installed: John Lewis orders reserve their stock.
    magento.set_connector_module(true);
    let items = catalogue(n);
    let near_miss_sku = items[n / 2].sku.clone();
    let mut csv = String::from("sku,part_number,description\n");
    for (i, item) in items.iter().enumerate() {
        magento.add_product(&item.sku, &item.name, item.price);
        let qty = opening_qty(i);
        magento.set_source_qty(&item.sku, SOURCE, Decimal::from(qty));
        let traded = if item.sku == near_miss_sku { format!("{} ", item.sku) } else { item.sku.clone() };
        jl.add_product(&item.part_number, Some(&traded), edge_opening(i, qty));
        csv.push_str(&format!("{},{},{}\n", item.sku, item.part_number, item.name));
    }
    let mapping_csv = dir.join("john-lewis-mapping.csv");
    std::fs::write(&mapping_csv, csv)?;
    Ok(World { jl, magento, catalogue: items, near_miss_sku, mapping_csv })
}
