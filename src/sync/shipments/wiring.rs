//! Starting the flow from the application state: the job handler and its three schedulers
//! (carrier check at start and daily, catch-up, watchdog). Off while Magento or the
//! marketplace is not configured.
use super::ShipmentsFlow;
use crate::app::AppState;
use crate::domain::carrier::CarrierMap;
use anyhow::anyhow;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::warn;

/// The flow, or `None` when its clients are not configured.
pub fn build(state: &AppState) -> anyhow::Result<Option<ShipmentsFlow>> {
    let (Some(marketplace), Some(magento)) = (state.connectors.marketplace.clone(), state.connectors.magento.clone()) else {
        return Ok(None);
    };
    let carriers = CarrierMap::parse(state.config.carriers.map.iter()).map_err(|e| anyhow!(e))?;
    if carriers.is_empty() {
        warn!("carriers.map is empty: every shipment will stop on carrier_unmapped until JLBRIDGE_CARRIER_MAP is set");
    }
    Ok(Some(ShipmentsFlow::new(
        state.db.clone(),
        state.queue.clone(),
        marketplace,
        magento,
        state.config.shipments.clone(),
        carriers,
        state.queue.policy().max_attempts(),
    )))
}

impl ShipmentsFlow {
    pub fn spawn_schedulers(&self, tasks: &mut JoinSet<()>, stop: &CancellationToken) {
        tasks.spawn(self.clone().run_carrier_checks(stop.clone()));
        if self.config.catch_up_interval_secs > 0 {
            tasks.spawn(self.clone().run_catch_up(stop.clone()));
        }
        if self.config.watchdog_interval_secs > 0 {
            tasks.spawn(self.clone().run_watchdog(stop.clone()));
        }
    }
}
