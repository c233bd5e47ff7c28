//! The carrier check: at start and then daily, the carrier map's slugs against The Edge's
//! carriers list. An unknown slug is a configuration error naming the entry and the slug
//! (logged and opened as `carrier_unmapped` on entity `carriers.map`); dispatches that would
//! use it stop before calling The Edge. After the first check, dispatches that gave up on an
//! unmapped carrier are re-queued: a restart with a fixed map retries them.
use super::ShipmentsFlow;
use crate::domain::carrier::UnknownSlug;
use crate::domain::exception::ExceptionKind;
use crate::store::exceptions::{self, NewException};
use crate::store::stmt;
use sea_orm::{ConnectionTrait, DbErr};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

pub const CONFIG_ENTITY: &str = "carriers.map";

impl ShipmentsFlow {
    /// Fetches the list, stores the slugs, opens or resolves the configuration exception.
    /// Returns the map's unknown slugs.
    pub async fn check_carriers(&self) -> Result<Vec<UnknownSlug>, crate::marketplace::MarketplaceError> {
        let slugs: Vec<String> = self.marketplace.list_carriers().await?.into_iter().map(|c| c.slug).collect();
        let bad = self.carriers.validate(&slugs);
        *self.known_slugs.write().expect("slugs") = Some(slugs);
        let db = &self.db;
        let outcome = if bad.is_empty() {
            info!(rules = self.carriers.rules().len(), "carrier map checked against The Edge");
            exceptions::resolve_entity(db, ExceptionKind::CarrierUnmapped, CONFIG_ENTITY, "every slug is on The Edge's list").await.map(|_| ())
        } else {
            let text = bad.iter().map(|b| b.to_string()).collect::<Vec<_>>().join("; ");
            error!("invalid carrier configuration: {text}");
            let e = NewException::new(ExceptionKind::CarrierUnmapped, CONFIG_ENTITY, text)
                .with_detail(serde_json::json!(bad.iter().map(|b| [&b.pattern, &b.slug]).collect::<Vec<_>>()));
            exceptions::raise(db, &e).await.map(|_| ())
        };
        if let Err(e) = outcome {
            warn!(error = %e, "recording the carrier check failed");
        }
        Ok(bad)
    }

    /// Re-queues dispatch jobs that died with an open `carrier_unmapped` exception.
    pub async fn requeue_unmapped(&self) -> Result<u32, DbErr> {
        let rows = self
            .db
            .query_all(stmt(
                self.db.get_database_backend(),
                "SELECT e.id AS exception_id, e.job_id AS job_id FROM exceptions e JOIN jobs j ON j.id = e.job_id \
                 WHERE e.kind = $1 AND e.status IN ('open', 'retrying') AND j.kind = $2 AND j.state = 'dead'",
                [ExceptionKind::CarrierUnmapped.as_str().into(), crate::store::jobs::JobKind::ShipmentDispatch.as_str().into()],
            ))
            .await?;
        let mut n = 0;
        for r in rows {
            let (eid, jid): (i64, i64) = (r.try_get("", "exception_id")?, r.try_get("", "job_id")?);
            if self.queue.requeue(jid).await? {
                exceptions::set_status(&self.db, eid, crate::domain::exception::ExceptionStatus::Retrying, None).await?;
                n += 1;
            }
        }
        if n > 0 {
            info!(jobs = n, "re-queued dispatches that stopped on an unmapped carrier");
        }
        Ok(n)
    }

    /// At start, then every `carrier_check_interval_secs` (a failed check tries again in a minute).
    pub async fn run_carrier_checks(self, stop: CancellationToken) {
        let mut first = true;
        loop {
            let wait = match self.check_carriers().await {
                Ok(_) => {
                    if first {
                        if let Err(e) = self.requeue_unmapped().await {
                            warn!(error = %e, "re-queueing unmapped dispatches failed");
                        }
                        first = false;
                    }
                    match self.config.carrier_check_interval_secs {
                        0 => return,
                        s => Duration::from_secs(s),
                    }
                }
                Err(e) => {
                    warn!(error = %e, "carrier list unavailable; checking again in a minute");
                    Duration::from_secs(60)
                }
            };
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}
