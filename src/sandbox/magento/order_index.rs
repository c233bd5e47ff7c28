//! The simulated store's order indexes, as Magento's `sales_order` table has them: the unique
//! key (increment id, store) and lookups by increment id and by `ext_order_id`, so creating or
//! finding one order costs the same with 10 orders stored or 100,000 (no scan of every order).
use super::search::{Criteria, Filter};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;

/// The order fields a search can find through an index.
const INDEXED: [&str; 2] = ["increment_id", "ext_order_id"];

#[derive(Debug, Default)]
pub struct OrderIndex {
    /// (store id, increment id lowercased as MySQL's default collation compares) → entity id.
    unique: HashMap<(i64, String), i64>,
    /// (field, value as a search compares it, lowercased) → entity ids.
    by_value: HashMap<(&'static str, String), BTreeSet<i64>>,
}

/// A stored value as a search compares it (`search::matches` reads JSON this way).
fn searchable(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.to_lowercase()),
        Value::Bool(b) => Some(if *b { "1" } else { "0" }.into()),
        other => Some(other.to_string().to_lowercase()),
    }
}

impl OrderIndex {
    /// Whether the increment id is taken in the store (ASCII case ignored, as MySQL does).
    pub fn taken(&self, store_id: i64, increment_id: &str) -> bool {
        self.unique.contains_key(&(store_id, increment_id.to_ascii_lowercase()))
    }

    /// Indexes a newly stored order (its increment id and `ext_order_id` never change).
    pub fn insert(&mut self, entity_id: i64, order: &Value) {
        let store_id = order["store_id"].as_i64().unwrap_or_default();
        if let Some(i) = order["increment_id"].as_str() {
            self.unique.insert((store_id, i.to_ascii_lowercase()), entity_id);
        }
        for field in INDEXED {
            if let Some(v) = order.get(field).and_then(searchable) {
                self.by_value.entry((field, v)).or_default().insert(entity_id);
            }
        }
    }

    /// The orders that may match `c`, when one of its filter groups can be answered from the
    /// indexes (every filter an `eq` or `in` on an indexed field, with values a search
    /// compares as text); `None` when the search has to look at every order. A superset of
    /// the matches: the caller still applies the whole criteria.
    pub fn candidates(&self, c: &Criteria) -> Option<BTreeSet<i64>> {
        c.groups.iter().find_map(|g| self.group(g))
    }

    fn group(&self, filters: &[Filter]) -> Option<BTreeSet<i64>> {
        if filters.is_empty() {
            return None;
        }
        let mut ids = BTreeSet::new();
        for f in filters {
            let field = INDEXED.into_iter().find(|x| *x == f.field)?;
            let values: Vec<&str> = match f.condition.as_str() {
                "eq" => vec![f.value.as_str()],
                "in" => f.value.split(',').map(str::trim).collect(),
                _ => return None,
            };
            for v in values {
                // A number compares as a number ("1" finds "000000001"): no index for that.
                if Decimal::from_str(v).is_ok() {
                    return None;
                }
                if let Some(hit) = self.by_value.get(&(field, v.to_lowercase())) {
                    ids.extend(hit);
                }
            }
        }
        Some(ids)
    }
}
