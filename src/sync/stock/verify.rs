//! Checks mappings against the products API: the product exists, and its `tradedCode`, when
//! present, is exactly the Magento SKU. Near misses open `sku_mismatch` (never fixed silently);
//! a missing product opens `part_number_unmapped`. Both name the SKU.
use crate::domain::exception::ExceptionKind;
use crate::domain::order::PartNumber;
use crate::domain::sku_match::{self, SkuMatch};
use crate::marketplace::{Marketplace, MarketplaceProduct};
use crate::store::exceptions::{self, NewException};
use crate::store::mapping::{self, Mapping, Verification};
use sea_orm::DatabaseConnection;
use serde_json::json;
use std::collections::HashMap;

/// Up to this many mappings are checked one lookup each; more, with one full product listing.
pub const LOOKUP_LIMIT: usize = 25;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    pub verified: usize,
    /// (SKU, part number) with no product on the marketplace.
    pub not_found: Vec<(String, String)>,
    /// (SKU, tradedCode, how they differ).
    pub mismatched: Vec<(String, String, SkuMatch)>,
    /// (SKU, error) for lookups that failed.
    pub errors: Vec<(String, String)>,
}

/// Checks every mapping given, records the outcome on each, raises or resolves exceptions.
pub async fn verify(db: &DatabaseConnection, market: &dyn Marketplace, mappings: &[Mapping]) -> anyhow::Result<VerifyReport> {
    let mut report = VerifyReport::default();
    let listing: Option<HashMap<String, MarketplaceProduct>> = if mappings.len() > LOOKUP_LIMIT {
        let all = market.list_products().await.map_err(|e| anyhow::anyhow!("listing products: {e}"))?;
        let mut by_pn = HashMap::new();
        for p in all {
            by_pn.entry(p.part_number.0.clone()).or_insert(p);
        }
        Some(by_pn)
    } else {
        None
    };
    for m in mappings {
        let found = match &listing {
            Some(by_pn) => Ok(by_pn.get(&m.part_number).cloned()),
            None => market.find_product(&PartNumber(m.part_number.clone())).await,
        };
        match found {
            Err(e) => {
                let v = Verification { product_id: None, traded_code: m.traded_code.clone(), verified: false, blocked: m.blocked, error: Some(e.to_string()) };
                mapping::set_verification(db, &m.sku, &v).await?;
                report.errors.push((m.sku.clone(), e.to_string()));
            }
            Ok(None) => {
                let error = format!("no product with part number {} on the marketplace", m.part_number);
                let v = Verification { product_id: None, traded_code: None, verified: false, blocked: true, error: Some(error.clone()) };
                mapping::set_verification(db, &m.sku, &v).await?;
                let e = NewException::new(ExceptionKind::PartNumberUnmapped, &m.sku, error)
                    .with_detail(json!({ "sku": m.sku, "part_number": m.part_number }));
                exceptions::raise(db, &e).await?;
                report.not_found.push((m.sku.clone(), m.part_number.clone()));
            }
            Ok(Some(p)) => {
                let class = p.traded_code.as_deref().map_or(SkuMatch::Exact, |tc| sku_match::classify(&m.sku, tc));
                if class == SkuMatch::Exact {
                    let v = Verification { product_id: Some(p.id.0.clone()), traded_code: p.traded_code.clone(), verified: true, blocked: false, error: None };
                    mapping::set_verification(db, &m.sku, &v).await?;
                    exceptions::resolve_entity(db, ExceptionKind::SkuMismatch, &m.sku, "tradedCode now matches").await?;
                    exceptions::resolve_entity(db, ExceptionKind::PartNumberUnmapped, &m.sku, "product found").await?;
                    report.verified += 1;
                } else {
                    let tc = p.traded_code.clone().unwrap_or_default();
                    let error = format!(
                        "John Lewis tradedCode {tc:?} for part number {} {} the Magento SKU {:?}",
                        m.part_number,
                        class.describe(),
                        m.sku
                    );
                    // A near miss is the same product written differently: keep pushing while
                    // the exception is open. Another SKU's product is not ours to push to.
                    let blocked = class == SkuMatch::Different;
                    let v = Verification { product_id: Some(p.id.0.clone()), traded_code: p.traded_code.clone(), verified: false, blocked, error: Some(error.clone()) };
                    mapping::set_verification(db, &m.sku, &v).await?;
                    let e = NewException::new(ExceptionKind::SkuMismatch, &m.sku, error).with_detail(json!({
                        "sku": m.sku, "part_number": m.part_number, "traded_code": tc, "mismatch": class.as_str(),
                    }));
                    exceptions::raise(db, &e).await?;
                    report.mismatched.push((m.sku.clone(), tc, class));
                }
            }
        }
    }
    Ok(report)
}
