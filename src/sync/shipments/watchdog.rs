//! The watchdog: a Magento shipment not dispatched on John Lewis within `watchdog_hours`
//! opens `shipped_not_confirmed` on the John Lewis reference (with the job to retry).
//! "Shipped" is when Magento observed the shipment (the job payload's event timestamp; the
//! job's creation when absent); "dispatched" is the dispatch job finishing.
use super::ShipmentsFlow;
use crate::domain::exception::ExceptionKind;
use crate::domain::webhook_event::ShipmentDispatchPayload;
use crate::store::exceptions::{self, NewException};
use crate::store::jobs::JobKind;
use crate::store::{now_ms, stmt};
use sea_orm::{ConnectionTrait, DbErr};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::warn;

impl ShipmentsFlow {
    /// One pass at `now` (Unix ms); returns the references raised.
    pub async fn watchdog_pass(&self, now: i64) -> Result<Vec<String>, DbErr> {
        let limit_ms = self.config.watchdog_hours as i64 * 3_600_000;
        let rows = self
            .db
            .query_all(stmt(
                self.db.get_database_backend(),
                "SELECT id, payload, state, last_error, created_at FROM jobs WHERE kind = $1 AND state <> 'done' AND created_at <= $2",
                [JobKind::ShipmentDispatch.as_str().into(), now.into()],
            ))
            .await?;
        let mut raised = Vec::new();
        for r in rows {
            let id: i64 = r.try_get("", "id")?;
            let payload: String = r.try_get("", "payload")?;
            let Ok(p) = serde_json::from_str::<ShipmentDispatchPayload>(&payload) else { continue };
            let created: i64 = r.try_get("", "created_at")?;
            let shipped_at = if p.event_timestamp_ms > 0 { p.event_timestamp_ms.min(created) } else { created };
            if now - shipped_at < limit_ms {
                continue;
            }
            let state: String = r.try_get("", "state")?;
            let last: Option<String> = r.try_get("", "last_error")?;
            let reference = p.data.marketplace_order_reference.clone();
            let text = format!(
                "Magento shipment {} was shipped {} h ago and is not confirmed on John Lewis (dispatch job {id} is {state}{})",
                p.data.shipment_id,
                (now - shipped_at) / 3_600_000,
                last.map(|l| format!(": {l}")).unwrap_or_default()
            );
            let e = NewException::new(ExceptionKind::ShippedNotConfirmed, &reference, text).with_job(id);
            exceptions::raise(&self.db, &e).await?;
            raised.push(reference);
        }
        Ok(raised)
    }

    pub async fn run_watchdog(self, stop: CancellationToken) {
        let every = Duration::from_secs(self.config.watchdog_interval_secs.max(1));
        loop {
            if let Err(e) = self.watchdog_pass(now_ms()).await {
                warn!(error = %e, "shipment watchdog pass failed");
            }
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(every) => {}
            }
        }
    }
}
