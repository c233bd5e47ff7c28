//! `[stock]`: buffer rules, the pusher's share of the rate limit, reconciliation.
use super::ConfigError;
use crate::domain::buffer::BufferRules;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StockConfig {
    /// `[stock.buffer]`: defaults, `[[stock.buffer.overrides]]`, `[[stock.buffer.peaks]]`.
    pub buffer: BufferRules,
    /// Stock calls a minute the pusher may use, evenly spaced; the rest of the account's budget
    /// stays free for orders and dispatches. Capped at `edge.rate_limit`.
    pub max_calls_per_minute: u32,
    /// Pushes sent before the pusher looks again for riskier pending values.
    pub push_batch: u32,
    /// How long the pusher sleeps when nothing is pending (it is also woken on change).
    pub idle_poll_ms: u64,
    /// Wait before a failed push is tried again (a `429`/`409` wait overrides it).
    pub push_retry_secs: u64,
    /// Failed attempts after which a refused push opens `marketplace_rejected`.
    pub max_push_attempts: u32,
    /// Full reconciliation every this many seconds; 0 turns the schedule off.
    pub reconcile_interval_secs: u64,
    /// Rows per page when reading Magento in a reconciliation.
    pub magento_page_size: u32,
    /// Reconciliations in a row a SKU must differ in before `stock_drift` opens.
    pub drift_threshold: u32,
    /// Check each imported mapping against the products API when the marketplace is configured.
    pub verify_mappings: bool,
}

impl Default for StockConfig {
    fn default() -> Self {
        StockConfig {
            buffer: BufferRules::default(),
            max_calls_per_minute: 200,
            push_batch: 20,
            idle_poll_ms: 500,
            push_retry_secs: 30,
            max_push_attempts: 6,
            reconcile_interval_secs: 3600,
            magento_page_size: 500,
            drift_threshold: 3,
            verify_mappings: true,
        }
    }
}

impl StockConfig {
    pub(super) fn validate(&self, errs: &mut Vec<ConfigError>) {
        for e in self.buffer.validate() {
            errs.push(ConfigError::new(e.rule, e.problem, "correct this rule in the [stock.buffer] section of the config file"));
        }
        let positive = [
            ("stock.max_calls_per_minute", self.max_calls_per_minute as u64),
            ("stock.push_batch", self.push_batch as u64),
            ("stock.max_push_attempts", self.max_push_attempts as u64),
            ("stock.magento_page_size", self.magento_page_size as u64),
            ("stock.drift_threshold", self.drift_threshold as u64),
            ("stock.idle_poll_ms", self.idle_poll_ms),
        ];
        for (key, v) in positive {
            if v == 0 {
                errs.push(ConfigError::new(key, "must be at least 1", format!("correct `{key}` in the config file")));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use std::io::Write;

    #[test]
    fn reads_rules_from_toml_and_refuses_bad_ones_by_name() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        write!(
            f,
            r#"
[stock]
max_calls_per_minute = 180
[stock.buffer]
safety = 2
percent = 10
floor = 1
[[stock.buffer.overrides]]
pattern = "TEE-*"
safety = 0
[[stock.buffer.peaks]]
name = "black-friday"
from = "2026-11-23T00:00:00Z"
until = 2026-11-30T00:00:00Z
safety = 5
"#
        )
        .unwrap();
        let c = Config::load_from(Some(f.path()), Vec::new()).unwrap();
        assert_eq!(c.stock.max_calls_per_minute, 180);
        assert_eq!(c.stock.buffer.safety, Some(2));
        assert_eq!(c.stock.buffer.overrides[0].pattern.as_deref(), Some("TEE-*"));
        assert_eq!(c.stock.buffer.peaks[0].safety, Some(5));

        let mut f = tempfile::NamedTempFile::new().unwrap();
        write!(f, "[stock.buffer]\npercent = 150\n[[stock.buffer.overrides]]\npattern = \"X\"\nsafety = 1\n").unwrap();
        let err = Config::load_from(Some(f.path()), Vec::new()).unwrap_err().to_string();
        assert!(err.contains("stock.buffer percent 150 must be at least 0 and below 100"), "{err}");
        assert!(err.contains("stock.buffer.overrides[0] (pattern \"X\") pattern \"X\" has no * or ?"), "{err}");
    }

    #[test]
    fn environment_overrides_stock_keys() {
        let vars = vec![("JLBRIDGE_STOCK__PUSH_BATCH".to_string(), "0".to_string())];
        let err = Config::load_from(None, vars).unwrap_err().to_string();
        assert!(err.contains("stock.push_batch must be at least 1"), "{err}");
    }
}
