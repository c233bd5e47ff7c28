//! Buffer rules: what John Lewis is shown for a Magento salable quantity (DESIGN §4).
//!
//! Layers, lowest precedence first: the defaults, the first matching pattern override, the
//! exact-SKU override, then every peak rule active at that moment (in listed order, later wins).
//! Each setting is taken from the highest layer that sets it. The steps, in this order:
//! whole units, clamped at 0 → percentage held back (rounded up) → fixed safety quantity →
//! floor (at or below it, 0) → maximum. Deterministic: the time is an argument.
use super::glob;
use chrono::{DateTime, Utc};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One layer's settings; `None` inherits from the layer below.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuleParams {
    /// Units always held back.
    pub safety: Option<u32>,
    /// Percentage of the stock held back (0 ≤ p < 100), rounded up to whole units.
    pub percent: Option<Decimal>,
    /// Never show more than this.
    pub maximum: Option<u32>,
    /// At or below this, show 0.
    pub floor: Option<u32>,
}

impl RuleParams {
    fn is_empty(&self) -> bool {
        self.safety.is_none() && self.percent.is_none() && self.maximum.is_none() && self.floor.is_none()
    }
}

/// Settings for one SKU (`sku`, exact) or a family (`pattern`, `*` and `?` wildcards).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SkuOverride {
    pub sku: Option<String>,
    pub pattern: Option<String>,
    pub safety: Option<u32>,
    pub percent: Option<Decimal>,
    pub maximum: Option<u32>,
    pub floor: Option<u32>,
}

/// Settings that apply only between `from` (inclusive) and `until` (exclusive), e.g. Black Friday week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeakRule {
    pub name: String,
    #[serde(deserialize_with = "instant")]
    pub from: DateTime<Utc>,
    #[serde(deserialize_with = "instant")]
    pub until: DateTime<Utc>,
    /// SKU patterns it applies to; empty means every SKU.
    #[serde(default)]
    pub skus: Vec<String>,
    #[serde(default)]
    pub safety: Option<u32>,
    #[serde(default)]
    pub percent: Option<Decimal>,
    #[serde(default)]
    pub maximum: Option<u32>,
    #[serde(default)]
    pub floor: Option<u32>,
}

/// An RFC 3339 time, quoted or as a bare TOML datetime (which arrives as a one-entry map).
fn instant<'de, D: serde::Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Toml(std::collections::BTreeMap<String, String>),
    }
    let text = match Raw::deserialize(d)? {
        Raw::Text(s) => s,
        Raw::Toml(m) => m.into_values().next().unwrap_or_default(),
    };
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| serde::de::Error::custom(format!("{text:?} is not an RFC 3339 time with offset, e.g. 2026-11-23T00:00:00Z ({e})")))
}

macro_rules! params_of {
    ($t:ty) => {
        impl $t {
            pub fn params(&self) -> RuleParams {
                RuleParams { safety: self.safety, percent: self.percent, maximum: self.maximum, floor: self.floor }
            }
        }
    };
}
params_of!(SkuOverride);
params_of!(PeakRule);

/// The whole rule set (`[stock.buffer]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BufferRules {
    pub safety: Option<u32>,
    pub percent: Option<Decimal>,
    pub maximum: Option<u32>,
    pub floor: Option<u32>,
    pub overrides: Vec<SkuOverride>,
    pub peaks: Vec<PeakRule>,
}
params_of!(BufferRules);

/// A rule that cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// Which rule, e.g. `stock.buffer.overrides[2] (pattern "TEE-*")`.
    pub rule: String,
    pub problem: String,
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.rule, self.problem)
    }
}

/// One applied step of a computation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// The setting and the layer it came from, e.g. `safety 5 (peak black-friday)`.
    pub rule: String,
    pub before: i64,
    pub after: i64,
}

/// Why a SKU shows what it shows: input, each rule applied, output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    /// Magento's salable quantity as received.
    pub input: String,
    /// Layers that matched, lowest first (`default`, `pattern TEE-*`, `sku ABC`, `peak …`).
    pub layers: Vec<String>,
    pub steps: Vec<Step>,
    pub output: u32,
}

#[derive(Clone, Copy)]
struct Sourced<T> {
    value: T,
    layer: usize,
}

fn overlay(into: &mut [Option<Sourced<Decimal>>; 4], p: &RuleParams, layer: usize) {
    let vals = [p.safety.map(Decimal::from), p.percent, p.maximum.map(Decimal::from), p.floor.map(Decimal::from)];
    for (slot, v) in into.iter_mut().zip(vals) {
        if let Some(value) = v {
            *slot = Some(Sourced { value, layer });
        }
    }
}

impl BufferRules {
    /// The value to show for `sku` given Magento's salable quantity, at time `at`.
    pub fn compute(&self, sku: &str, salable: Decimal, at: DateTime<Utc>) -> Explanation {
        let mut layers = vec!["default".to_owned()];
        let mut eff: [Option<Sourced<Decimal>>; 4] = [None; 4];
        overlay(&mut eff, &self.params(), 0);
        if let Some(o) = self.overrides.iter().find(|o| o.pattern.as_deref().is_some_and(|p| glob::matches(p, sku))) {
            layers.push(format!("pattern {}", o.pattern.as_deref().unwrap_or_default()));
            overlay(&mut eff, &o.params(), layers.len() - 1);
        }
        if let Some(o) = self.overrides.iter().find(|o| o.sku.as_deref() == Some(sku)) {
            layers.push(format!("sku {sku}"));
            overlay(&mut eff, &o.params(), layers.len() - 1);
        }
        for p in self.peaks.iter().filter(|p| p.is_active(at) && p.applies_to(sku)) {
            layers.push(format!("peak {}", p.name));
            overlay(&mut eff, &p.params(), layers.len() - 1);
        }
        let label = |name: &str, s: &Sourced<Decimal>, unit: &str| {
            format!("{name} {}{unit} ({})", s.value.normalize(), layers[s.layer])
        };
        let mut steps = Vec::new();
        let mut q = salable.floor().to_i64().unwrap_or(if salable.is_sign_negative() { 0 } else { i64::MAX });
        if q < 0 {
            steps.push(Step { rule: "clamp at 0".into(), before: q, after: 0 });
            q = 0;
        }
        let [safety, percent, maximum, floor] = eff;
        if let Some(p) = percent.filter(|p| !p.value.is_zero()) {
            let held = (Decimal::from(q) * p.value / Decimal::from(100)).ceil().to_i64().unwrap_or(q);
            let after = (q - held).max(0);
            steps.push(Step { rule: label("percentage", &p, "%"), before: q, after });
            q = after;
        }
        if let Some(s) = safety.filter(|s| !s.value.is_zero()) {
            let after = (q - s.value.to_i64().unwrap_or(i64::MAX)).max(0);
            steps.push(Step { rule: label("safety", &s, ""), before: q, after });
            q = after;
        }
        if let Some(f) = floor {
            if q > 0 && q <= f.value.to_i64().unwrap_or(i64::MAX) {
                steps.push(Step { rule: label("floor", &f, ""), before: q, after: 0 });
                q = 0;
            }
        }
        if let Some(m) = maximum {
            let cap = m.value.to_i64().unwrap_or(i64::MAX);
            if q > cap {
                steps.push(Step { rule: label("maximum", &m, ""), before: q, after: cap });
                q = cap;
            }
        }
        Explanation { input: salable.normalize().to_string(), layers, steps, output: q.clamp(0, u32::MAX as i64) as u32 }
    }

    /// Every problem in the rules, each naming its rule. Empty = usable.
    pub fn validate(&self) -> Vec<RuleError> {
        let mut errs = Vec::new();
        check_params("stock.buffer", &self.params(), &mut errs);
        let mut skus = std::collections::HashSet::new();
        for (i, o) in self.overrides.iter().enumerate() {
            let name = match (&o.sku, &o.pattern) {
                (Some(s), _) => format!("stock.buffer.overrides[{i}] (sku {s:?})"),
                (None, Some(p)) => format!("stock.buffer.overrides[{i}] (pattern {p:?})"),
                (None, None) => format!("stock.buffer.overrides[{i}]"),
            };
            let mut err = |problem: String| errs.push(RuleError { rule: name.clone(), problem });
            match (&o.sku, &o.pattern) {
                (Some(_), Some(_)) => err("sets both sku and pattern; use one".into()),
                (None, None) => err("needs sku (one product) or pattern (e.g. \"TEE-*\")".into()),
                (Some(s), None) if s.trim().is_empty() || s.trim() != s => {
                    err("sku is empty or has surrounding spaces".into())
                }
                (Some(s), None) if !skus.insert(s.clone()) => err("repeats an earlier override for the same sku".into()),
                (None, Some(p)) if !glob::has_wildcard(p) => {
                    err(format!("pattern {p:?} has no * or ?; write sku = {p:?} for one product"))
                }
                _ => {}
            }
            if o.params().is_empty() {
                err("changes nothing; set safety, percent, maximum or floor".into());
            }
            check_params(&name, &o.params(), &mut errs);
        }
        let mut names = std::collections::HashSet::new();
        for (i, p) in self.peaks.iter().enumerate() {
            let name = format!("stock.buffer.peaks[{i}] ({:?})", p.name);
            let mut err = |problem: String| errs.push(RuleError { rule: name.clone(), problem });
            if p.name.trim().is_empty() {
                err("needs a name".into());
            } else if !names.insert(p.name.clone()) {
                err("repeats the name of an earlier peak rule".into());
            }
            if p.from >= p.until {
                err(format!("from {} is not before until {}", p.from.to_rfc3339(), p.until.to_rfc3339()));
            }
            if p.skus.iter().any(|s| s.trim().is_empty()) {
                err("skus has an empty pattern".into());
            }
            if p.params().is_empty() {
                err("changes nothing; set safety, percent, maximum or floor".into());
            }
            check_params(&name, &p.params(), &mut errs);
        }
        errs
    }
}

impl PeakRule {
    pub fn is_active(&self, at: DateTime<Utc>) -> bool {
        self.from <= at && at < self.until
    }
    pub fn applies_to(&self, sku: &str) -> bool {
        self.skus.is_empty() || self.skus.iter().any(|p| glob::matches(p, sku))
    }
}

fn check_params(rule: &str, p: &RuleParams, errs: &mut Vec<RuleError>) {
    let mut err = |problem: String| errs.push(RuleError { rule: rule.to_owned(), problem });
    if let Some(pct) = p.percent {
        if pct.is_sign_negative() || pct >= Decimal::from(100) {
            err(format!("percent {pct} must be at least 0 and below 100"));
        }
    }
    if p.maximum == Some(0) {
        err("maximum 0 would always show 0; remove the product from the mapping instead".into());
    }
    if let (Some(f), Some(m)) = (p.floor, p.maximum) {
        if f >= m {
            err(format!("floor {f} is not below maximum {m}: every value would show 0"));
        }
    }
}

#[cfg(test)]
#[path = "buffer_tests.rs"]
mod tests;
