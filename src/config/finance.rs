//! `[finance]`: the sales report inbox and the settlement currency.
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FinanceConfig {
    /// Folder watched for weekly sales reports (CSV/XLSX); imported files move to
    /// `processed/`, refused ones to `rejected/` with a `.error.txt`. Unset: no inbox.
    pub inbox_dir: Option<String>,
    /// How often the inbox is looked at, in seconds.
    pub poll_secs: u64,
    /// Currency of the report's values (ISO 4217).
    pub currency: String,
}

impl Default for FinanceConfig {
    fn default() -> Self {
        FinanceConfig { inbox_dir: None, poll_secs: 60, currency: "GBP".into() }
    }
}

impl FinanceConfig {
    pub fn currency(&self) -> crate::domain::money::Currency {
        crate::domain::money::Currency::parse(&self.currency).unwrap_or(crate::domain::money::Currency::GBP)
    }

    pub(super) fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Err(e) = crate::domain::money::Currency::parse(&self.currency) {
            out.push(("finance.currency", e));
        }
        if self.poll_secs == 0 {
            out.push(("finance.poll_secs", "must be at least 1 second".to_owned()));
        }
        out
    }
}
