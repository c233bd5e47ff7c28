//! The pre-go-live SKU audit: the Magento catalogue, the mapping and John Lewis's products
//! compared, every SKU and product landing in exactly one category. Pure.
use super::sku_match::{self, SkuMatch};
use std::collections::{BTreeMap, HashMap, HashSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    ExactMatch,
    CaseMismatch,
    SpaceMismatch,
    CharacterMismatch,
    /// Mapped, but John Lewis's `tradedCode` is another SKU.
    DifferentSku,
    OnlyInMagento,
    OnlyOnJohnLewis,
    /// In Magento and on John Lewis (same `tradedCode`), but not in the mapping.
    Unmapped,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::ExactMatch => "exact_match",
            Category::CaseMismatch => "case_mismatch",
            Category::SpaceMismatch => "space_mismatch",
            Category::CharacterMismatch => "character_mismatch",
            Category::DifferentSku => "different_sku",
            Category::OnlyInMagento => "only_in_magento",
            Category::OnlyOnJohnLewis => "only_on_john_lewis",
            Category::Unmapped => "unmapped",
        }
    }
    fn of(m: SkuMatch) -> Category {
        match m {
            SkuMatch::Exact => Category::ExactMatch,
            SkuMatch::CaseMismatch => Category::CaseMismatch,
            SkuMatch::SpaceMismatch => Category::SpaceMismatch,
            SkuMatch::CharacterMismatch => Category::CharacterMismatch,
            SkuMatch::Different => Category::DifferentSku,
        }
    }
}

/// A John Lewis product as the audit sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub id: String,
    pub part_number: String,
    pub traded_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub category: Category,
    /// The Magento SKU (or the mapped SKU Magento lacks).
    pub sku: Option<String>,
    pub part_number: Option<String>,
    pub product_id: Option<String>,
    pub traded_code: Option<String>,
    pub detail: String,
}

/// Compares. `mappings` is SKU → part number.
pub fn audit(magento_skus: &[String], mappings: &BTreeMap<String, String>, products: &[Product]) -> Vec<AuditRow> {
    let by_pn: HashMap<&str, &Product> = products.iter().map(|p| (p.part_number.as_str(), p)).collect();
    let mut by_code: HashMap<&str, Vec<&Product>> = HashMap::new();
    let mut by_loose: HashMap<String, Vec<&Product>> = HashMap::new();
    for p in products {
        if let Some(tc) = &p.traded_code {
            by_code.entry(tc.as_str()).or_default().push(p);
            by_loose.entry(sku_match::loose_key(tc)).or_default().push(p);
        }
    }
    let in_magento: HashSet<&str> = magento_skus.iter().map(String::as_str).collect();
    let mapped_pns: HashSet<&str> = mappings.values().map(String::as_str).collect();
    let mut used: HashSet<&str> = HashSet::new();
    let mut rows = Vec::new();
    let row = |category, sku: &str, p: Option<&Product>, pn: Option<&str>, detail: String| AuditRow {
        category,
        sku: Some(sku.to_owned()),
        part_number: p.map(|p| p.part_number.clone()).or(pn.map(str::to_owned)),
        product_id: p.map(|p| p.id.clone()),
        traded_code: p.and_then(|p| p.traded_code.clone()),
        detail,
    };
    let mut skus: Vec<&String> = magento_skus.iter().collect();
    skus.sort();
    skus.dedup();
    for sku in skus {
        if let Some(pn) = mappings.get(sku) {
            match by_pn.get(pn.as_str()) {
                Some(p) => {
                    used.insert(p.part_number.as_str());
                    let m = p.traded_code.as_deref().map_or(SkuMatch::Exact, |tc| sku_match::classify(sku, tc));
                    let detail = match &p.traded_code {
                        None => "mapped; John Lewis holds no tradedCode".to_owned(),
                        Some(tc) if m == SkuMatch::Exact => format!("mapped; tradedCode {tc:?}"),
                        Some(tc) => format!("mapped; tradedCode {tc:?} {}", m.describe()),
                    };
                    rows.push(row(Category::of(m), sku, Some(p), None, detail));
                }
                None => rows.push(row(
                    Category::OnlyInMagento,
                    sku,
                    None,
                    Some(pn),
                    format!("mapped to part number {pn}, which John Lewis does not have"),
                )),
            }
            continue;
        }
        let exact = by_code.get(sku.as_str()).and_then(|v| v.iter().find(|p| !used.contains(p.part_number.as_str())));
        if let Some(p) = exact {
            used.insert(p.part_number.as_str());
            rows.push(row(Category::Unmapped, sku, Some(p), None, "John Lewis has it; the mapping lacks it".into()));
            continue;
        }
        let loose = by_loose
            .get(&sku_match::loose_key(sku))
            .and_then(|v| v.iter().find(|p| !used.contains(p.part_number.as_str()) && !mapped_pns.contains(p.part_number.as_str())));
        match loose {
            Some(p) => {
                used.insert(p.part_number.as_str());
                let m = sku_match::classify(sku, p.traded_code.as_deref().unwrap_or_default());
                let detail = format!("not mapped; tradedCode {:?} {}", p.traded_code.as_deref().unwrap_or_default(), m.describe());
                rows.push(row(Category::of(m), sku, Some(p), None, detail));
            }
            None => rows.push(row(Category::OnlyInMagento, sku, None, None, "not mapped; John Lewis has no such product".into())),
        }
    }
    for (sku, pn) in mappings.iter().filter(|(s, _)| !in_magento.contains(s.as_str())) {
        let p = by_pn.get(pn.as_str()).copied();
        if let Some(p) = p {
            used.insert(p.part_number.as_str());
            rows.push(row(Category::OnlyOnJohnLewis, sku, Some(p), None, format!("mapped to SKU {sku:?}, which Magento does not have")));
        }
    }
    let mut rest: Vec<&Product> = products.iter().filter(|p| !used.contains(p.part_number.as_str())).collect();
    rest.sort_by(|a, b| a.part_number.cmp(&b.part_number));
    for p in rest {
        rows.push(AuditRow {
            category: Category::OnlyOnJohnLewis,
            sku: None,
            part_number: Some(p.part_number.clone()),
            product_id: Some(p.id.clone()),
            traded_code: p.traded_code.clone(),
            detail: "no Magento SKU matches".into(),
        });
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(id: &str, pn: &str, tc: Option<&str>) -> Product {
        Product { id: id.into(), part_number: pn.into(), traded_code: tc.map(str::to_owned) }
    }

    #[test]
    fn every_sku_and_product_lands_in_one_category() {
        let magento: Vec<String> =
            ["EXACT", "CASE", "SPACE", "CHAR", "WRONG", "GONE", "LONELY", "NOMAP", "near-nomap", "NOCODE"].iter().map(|s| s.to_string()).collect();
        let mappings: BTreeMap<String, String> = [
            ("EXACT", "10000001"),
            ("CASE", "10000002"),
            ("SPACE", "10000003"),
            ("CHAR", "10000004"),
            ("WRONG", "10000005"),
            ("GONE", "10000006"),
            ("RETIRED", "10000007"),
            ("NOCODE", "10000010"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let products = vec![
            p("1", "10000001", Some("EXACT")),
            p("2", "10000002", Some("case")),
            p("3", "10000003", Some("SPACE ")),
            p("4", "10000004", Some("C-H-A-R")),
            p("5", "10000005", Some("OTHER")),
            p("7", "10000007", Some("RETIRED")),
            p("8", "10000008", Some("NOMAP")),
            p("9", "10000009", Some("NEAR_NOMAP")),
            p("10", "10000010", None),
            p("11", "10000011", Some("JL-ONLY")),
        ];
        let rows = audit(&magento, &mappings, &products);
        let got: Vec<(&str, Option<&str>, Option<&str>)> =
            rows.iter().map(|r| (r.category.as_str(), r.sku.as_deref(), r.part_number.as_deref())).collect();
        assert_eq!(
            got,
            [
                ("case_mismatch", Some("CASE"), Some("10000002")),
                ("character_mismatch", Some("CHAR"), Some("10000004")),
                ("exact_match", Some("EXACT"), Some("10000001")),
                ("only_in_magento", Some("GONE"), Some("10000006")),
                ("only_in_magento", Some("LONELY"), None),
                ("exact_match", Some("NOCODE"), Some("10000010")),
                ("unmapped", Some("NOMAP"), Some("10000008")),
                ("space_mismatch", Some("SPACE"), Some("10000003")),
                ("different_sku", Some("WRONG"), Some("10000005")),
                ("character_mismatch", Some("near-nomap"), Some("10000009")),
                ("only_on_john_lewis", Some("RETIRED"), Some("10000007")),
                ("only_on_john_lewis", None, Some("10000011")),
            ]
        );
    }
}
