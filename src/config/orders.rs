//! `[orders]`: the order poller, acknowledgement promises, unfulfillable lines.
use super::ConfigError;
use crate::domain::order_ack::UnfulfillableRule;
use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrdersConfig {
    /// Seconds between two polls of the orders endpoint (`ORDER` and `CANCEL`).
    pub poll_interval_secs: u64,
    /// Working days from acknowledgement to the promised dispatch.
    pub handling_days: u32,
    /// Working days from dispatch to the promised delivery.
    pub delivery_days: u32,
    /// Sent with every acknowledged line (John Lewis: `Direct to customer`).
    pub fulfillment_route: String,
    /// Retailer sub-status sent with the acknowledgement.
    pub ack_sub_status: String,
    /// An order downloaded and not acknowledged after this many minutes opens `acknowledge_overdue`.
    pub acknowledge_overdue_minutes: u64,
    /// `cancel` or `backorder` for lines that cannot be fulfilled (unknown part number, not
    /// enough stock after buffer).
    pub unfulfillable: UnfulfillableRule,
    /// Working days added to the dispatch promise of a backordered line.
    pub backorder_days: u32,
    /// Unfinished orders re-read one by one per cycle when the listings did not show them.
    pub reread_limit: u32,
    /// Injection jobs one worker claims and runs as a batch (one claim, one Magento search,
    /// one outcome transaction per batch).
    pub inject_batch: u32,
    /// Orders of the injection batches whose Magento calls are in flight at once.
    pub inject_concurrency: u32,
}

impl Default for OrdersConfig {
    fn default() -> Self {
        OrdersConfig {
            poll_interval_secs: 120,
            handling_days: 1,
            delivery_days: 3,
            fulfillment_route: "Direct to customer".into(),
            ack_sub_status: "Pending".into(),
            acknowledge_overdue_minutes: 60,
            unfulfillable: UnfulfillableRule::Cancel,
            backorder_days: 5,
            reread_limit: 50,
            inject_batch: 50,
            inject_concurrency: 16,
        }
    }
}

impl OrdersConfig {
    pub fn poll_interval(&self) -> Duration {
        Duration::from_secs(self.poll_interval_secs)
    }
    pub fn acknowledge_overdue(&self) -> Duration {
        Duration::from_secs(self.acknowledge_overdue_minutes * 60)
    }

    pub(super) fn validate(&self, errs: &mut Vec<ConfigError>) {
        if self.poll_interval_secs == 0 {
            errs.push(ConfigError::new("orders.poll_interval_secs", "must be at least 1", "set `orders.poll_interval_secs` (default 120)"));
        }
        if self.acknowledge_overdue_minutes == 0 {
            errs.push(ConfigError::new(
                "orders.acknowledge_overdue_minutes",
                "must be at least 1",
                "set `orders.acknowledge_overdue_minutes` (default 60)",
            ));
        }
        if self.fulfillment_route.trim().is_empty() || self.fulfillment_route.len() > 255 {
            errs.push(ConfigError::new(
                "orders.fulfillment_route",
                "must be 1 to 255 characters",
                "set `orders.fulfillment_route` to a value from John Lewis's list (e.g. \"Direct to customer\")",
            ));
        }
        if !(1..=500).contains(&self.inject_batch) {
            errs.push(ConfigError::new("orders.inject_batch", "must be 1 to 500", "set `orders.inject_batch` (default 50)"));
        }
        if !(1..=256).contains(&self.inject_concurrency) {
            errs.push(ConfigError::new("orders.inject_concurrency", "must be 1 to 256", "set `orders.inject_concurrency` (default 16)"));
        }
        if self.handling_days > 30 || self.delivery_days > 30 {
            errs.push(ConfigError::new("orders.handling_days", "handling and delivery days must be at most 30", "correct the [orders] section"));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::domain::order_ack::UnfulfillableRule;
    use std::io::Write;

    #[test]
    fn defaults_and_toml() {
        let c = Config::default();
        assert_eq!(c.orders.poll_interval_secs, 120);
        assert_eq!(c.orders.fulfillment_route, "Direct to customer");
        let mut f = tempfile::NamedTempFile::new().unwrap();
        write!(f, "[orders]\npoll_interval_secs = 30\nunfulfillable = \"backorder\"\n").unwrap();
        let c = Config::load_from(Some(f.path()), std::iter::empty::<(String, String)>()).unwrap();
        assert_eq!(c.orders.poll_interval_secs, 30);
        assert_eq!(c.orders.unfulfillable, UnfulfillableRule::Backorder);
    }
}
