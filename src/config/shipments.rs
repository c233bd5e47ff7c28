//! `[shipments]`: the dispatch flow's schedules and tracking links.
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShipmentsConfig {
    /// How often Magento shipments are read to catch up missed webhooks (0 = never).
    pub catch_up_interval_secs: u64,
    /// How far back the catch-up reads again before its watermark (late commits, clock skew).
    pub catch_up_overlap_secs: u64,
    /// Where the first catch-up starts when there is no watermark yet, in hours before now.
    pub catch_up_initial_lookback_hours: u64,
    /// A shipment not dispatched on John Lewis this many hours after Magento shipped it opens
    /// `shipped_not_confirmed`.
    pub watchdog_hours: u64,
    /// How often the watchdog looks (0 = never).
    pub watchdog_interval_secs: u64,
    /// How often the carrier map is checked against The Edge's list (also at start; 0 = start only).
    pub carrier_check_interval_secs: u64,
    /// Expected delivery: dispatch date plus this many working days (`supplier_delivery_date`).
    pub delivery_working_days: u32,
    /// Tracking link per carrier slug; `{tracking}` is replaced by the number.
    pub tracking_urls: BTreeMap<String, String>,
    /// How long a dispatch waits before trying again when the order is not acknowledged yet,
    /// or the shipment has no tracking number yet.
    pub wait_retry_secs: u64,
}

impl Default for ShipmentsConfig {
    fn default() -> Self {
        ShipmentsConfig {
            catch_up_interval_secs: 600,
            catch_up_overlap_secs: 900,
            catch_up_initial_lookback_hours: 72,
            watchdog_hours: 24,
            watchdog_interval_secs: 900,
            carrier_check_interval_secs: 86_400,
            delivery_working_days: 2,
            tracking_urls: BTreeMap::new(),
            wait_retry_secs: 600,
        }
    }
}

impl ShipmentsConfig {
    pub(super) fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if self.watchdog_hours == 0 {
            out.push(("shipments.watchdog_hours", "must be at least 1 hour".to_owned()));
        }
        for (slug, t) in &self.tracking_urls {
            if !t.contains("{tracking}") || !(t.starts_with("https://") || t.starts_with("http://")) {
                out.push(("shipments.tracking_urls", format!("{slug:?} must be an http(s) URL containing {{tracking}}")));
            }
        }
        out
    }
}
