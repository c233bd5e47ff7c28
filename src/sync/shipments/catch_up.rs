//! The catch-up: Magento shipments created since a watermark, enqueued when no dispatch job
//! exists for them yet (same dedupe key as the webhook receiver: `shipment:<id>`).
//!
//! The watermark (`store::cursors`, `shipments.catch_up`) is the newest `created_at` seen,
//! never "now": each pass reads again from `watermark - overlap`, so a shipment committed late
//! with an earlier `created_at` is still found; nothing is skipped, duplicates are dropped by
//! the dedupe key.
use super::ShipmentsFlow;
use crate::domain::webhook_event::{ShipmentCreated, ShipmentDispatchPayload, ShipmentItem, ShipmentTrack};
use crate::magento::wire::Shipment;
use crate::store::cursors;
use crate::store::inbox::PRIORITY_ORDER_EVENT;
use crate::store::jobs::{enqueue, JobKind, NewJob};
use crate::store::{now_ms, stmt};
use chrono::{DateTime, NaiveDateTime, Utc};
use sea_orm::ConnectionTrait;
use std::collections::HashMap;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

pub const CURSOR: &str = "shipments.catch_up";

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatchUp {
    pub seen: usize,
    pub enqueued: Vec<i64>,
    pub watermark: Option<String>,
}

fn magento_ts(s: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").ok().map(|t| t.and_utc())
}

impl ShipmentsFlow {
    async fn job_exists(&self, shipment_id: i64) -> Result<bool, String> {
        let row = self
            .db
            .query_one(stmt(
                self.db.get_database_backend(),
                "SELECT id FROM jobs WHERE dedupe_key = $1",
                [format!("shipment:{shipment_id}").into()],
            ))
            .await
            .map_err(|e| e.to_string())?;
        Ok(row.is_some())
    }

    /// The payload the webhook would have carried, from Magento's shipment and order.
    async fn payload_for(&self, s: &Shipment) -> Result<Option<ShipmentDispatchPayload>, String> {
        let order = self.magento.get_order(s.order_id).await.map_err(|e| e.to_string())?;
        let Some(reference) = order.ext_order_id.clone().filter(|r| !r.trim().is_empty()) else {
            return Ok(None); // not a John Lewis order
        };
        let line_refs: HashMap<i64, String> =
            order.items.iter().filter_map(|i| Some((i.item_id?, i.ext_order_item_id.clone()?))).collect();
        let items = s
            .items
            .iter()
            .filter_map(|i| {
                let qty = i.qty.and_then(crate::domain::dispatch::whole_units).filter(|q| *q > 0)?;
                Some(ShipmentItem {
                    sku: i.sku.clone()?,
                    qty: i64::from(qty),
                    marketplace_line_ref: i.order_item_id.and_then(|id| line_refs.get(&id).cloned()),
                })
            })
            .collect();
        let tracks = s
            .tracks
            .iter()
            .filter_map(|t| {
                Some(ShipmentTrack {
                    carrier_code: t.carrier_code.clone().unwrap_or_default(),
                    title: t.title.clone().unwrap_or_default(),
                    track_number: t.track_number.clone().filter(|n| !n.trim().is_empty())?,
                })
            })
            .collect();
        let observed = s.created_at.as_deref().and_then(magento_ts).map(|t| t.timestamp_millis()).unwrap_or_else(now_ms);
        Ok(Some(ShipmentDispatchPayload {
            webhook_id: format!("catch-up:{}", s.entity_id),
            webhook_timestamp: now_ms() / 1000,
            event_timestamp_ms: observed,
            event_timestamp_us: None,
            data: ShipmentCreated {
                order_increment_id: order.increment_id.clone().unwrap_or_default(),
                marketplace_order_reference: reference,
                shipment_id: s.entity_id,
                items,
                tracks,
            },
        }))
    }

    /// One pass: read, enqueue what is missing, advance the watermark.
    pub async fn catch_up_pass(&self) -> Result<CatchUp, String> {
        let stored = cursors::get(&self.db, CURSOR).await.map_err(|e| e.to_string())?;
        let since = stored.as_deref().and_then(magento_ts).unwrap_or_else(|| {
            Utc::now() - chrono::Duration::hours(self.config.catch_up_initial_lookback_hours as i64)
        });
        let from = since - chrono::Duration::seconds(self.config.catch_up_overlap_secs as i64);
        let shipments = self.magento.shipments_created_since(from, 100).await.map_err(|e| e.to_string())?;
        let mut out = CatchUp { seen: shipments.len(), ..Default::default() };
        let mut newest = since;
        for s in &shipments {
            if !self.job_exists(s.entity_id).await? {
                if let Some(p) = self.payload_for(s).await? {
                    let job = NewJob::new(JobKind::ShipmentDispatch, serde_json::to_value(&p).map_err(|e| e.to_string())?)
                        .dedupe(format!("shipment:{}", s.entity_id))
                        .priority(PRIORITY_ORDER_EVENT);
                    if let Some(id) = enqueue(&self.db, &job, self.max_attempts).await.map_err(|e| e.to_string())? {
                        out.enqueued.push(id);
                    }
                }
            }
            if let Some(t) = s.created_at.as_deref().and_then(magento_ts) {
                newest = newest.max(t);
            }
        }
        let mark = crate::magento::shipments::magento_time(newest);
        cursors::set(&self.db, CURSOR, &mark).await.map_err(|e| e.to_string())?;
        out.watermark = Some(mark);
        if !out.enqueued.is_empty() {
            self.queue.wake();
            info!(jobs = out.enqueued.len(), "catch-up found shipments the webhooks missed");
        }
        Ok(out)
    }

    pub async fn run_catch_up(self, stop: CancellationToken) {
        let every = Duration::from_secs(self.config.catch_up_interval_secs.max(1));
        loop {
            if let Err(e) = self.catch_up_pass().await {
                warn!(error = %e, "shipment catch-up pass failed; trying again next time");
            }
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(every) => {}
            }
        }
    }
}
