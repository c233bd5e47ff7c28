//! `JobKind::ShipmentDispatch`: one Magento shipment → one dispatch update on John Lewis.
//!
//! Each attempt: re-read the shipment's tracks from Magento (late tracking numbers), map the
//! carrier, check the number, wait for acknowledgement, take off what already landed (ledger
//! and The Edge's line status), send the rest, record it. Refusals open exceptions with the
//! job attached, so a retry from the exception queue runs it again.
use super::enter::Entered;
use super::ShipmentsFlow;
use crate::domain::dispatch::{add_working_days, plan_lines, still_to_send, PlanError};
use crate::domain::exception::ExceptionKind;
use crate::domain::order::PartNumber;
use crate::domain::retry::{Classify, Transience};
use crate::domain::tracking;
use crate::domain::webhook_event::{ShipmentDispatchPayload, ShipmentTrack};
use crate::marketplace::DispatchLine;
use crate::store::dispatches::{self, LedgerLine, KIND_DISPATCH};
use crate::store::exceptions;
use crate::store::jobs::{ClaimedJob, JobError, JobHandler, JobKind};
use crate::store::mapping;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;
use std::time::Duration;
use tracing::{info, warn};

/// What was decided before entering the order: the slug, the number, the link.
struct Sending {
    slug: String,
    number: String,
    url: Option<String>,
    entity: String,
}

/// What one run of the job did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dispatched {
    /// Lines sent now: (line_ref, quantity).
    Sent(Vec<(String, u32)>),
    /// Everything had already landed.
    AlreadyDone,
}

fn db_err(e: sea_orm::DbErr) -> JobError {
    JobError::retryable(format!("database: {e}"))
}

impl ShipmentsFlow {
    fn wait(&self) -> Duration {
        Duration::from_secs(self.config.wait_retry_secs.max(1))
    }

    /// Magento's current tracks for the shipment; the payload's when Magento cannot say.
    async fn current_tracks(&self, p: &ShipmentDispatchPayload) -> Result<Vec<ShipmentTrack>, JobError> {
        match self.magento.get_shipment(p.data.shipment_id).await {
            Ok(s) => {
                let tracks: Vec<ShipmentTrack> = s
                    .tracks
                    .into_iter()
                    .filter_map(|t| {
                        Some(ShipmentTrack {
                            carrier_code: t.carrier_code.unwrap_or_default(),
                            title: t.title.unwrap_or_default(),
                            track_number: t.track_number.filter(|n| !n.trim().is_empty())?,
                        })
                    })
                    .collect();
                Ok(if tracks.is_empty() { p.data.tracks.clone() } else { tracks })
            }
            Err(e) if !p.data.tracks.is_empty() => {
                warn!(shipment_id = p.data.shipment_id, error = %e, "could not re-read the shipment; using the webhook's tracks");
                Ok(p.data.tracks.clone())
            }
            Err(e) => Err(JobError::from(e)),
        }
    }

    /// Runs one dispatch (the job queue attaches the job to the exceptions it opens).
    pub async fn dispatch_shipment(&self, p: &ShipmentDispatchPayload) -> Result<Dispatched, JobError> {
        let reference = p.data.marketplace_order_reference.as_str();
        let shipment_id = p.data.shipment_id;
        let entity = Self::shipment_entity(reference, shipment_id);

        let tracks = self.current_tracks(p).await?;
        // Several parcels: the first track whose carrier maps carries the dispatch.
        let track = tracks.iter().find(|t| self.carriers.resolve(&t.carrier_code, &t.title).is_some()).or(tracks.first());
        let Some(track) = track else {
            return Err(JobError::retryable(format!(
                "Magento shipment {shipment_id} has no tracking number yet; waiting for one (re-read from Magento on each attempt)"
            ))
            .retry_after(self.wait())
            .exception(ExceptionKind::ShippedNotConfirmed, reference));
        };
        let Some(rule) = self.carriers.resolve(&track.carrier_code, &track.title) else {
            return Err(JobError::permanent(format!(
                "no carrier mapping for Magento carrier code {:?}, title {:?}: add a pattern=slug entry to JLBRIDGE_CARRIER_MAP (carriers.map), then retry",
                track.carrier_code, track.title
            ))
            .exception(ExceptionKind::CarrierUnmapped, entity));
        };
        let slug = rule.slug.clone();
        let known = self.known_slugs.read().expect("slugs").clone();
        if let Some(bad) = known.and_then(|k| self.carriers.validate(&k).into_iter().find(|u| u.slug == slug)) {
            return Err(JobError::permanent(bad.to_string()).exception(ExceptionKind::CarrierUnmapped, entity));
        }
        let number = tracking::normalise(&slug, &track.track_number).map_err(|e| {
            JobError::permanent(format!("Magento shipment {shipment_id}: {e} (carrier {:?} mapped by {rule})", track.title))
                .exception(ExceptionKind::CarrierUnmapped, entity.clone())
        })?;
        let url = self.config.tracking_urls.get(&slug).and_then(|t| tracking::tracking_url(t, &number));

        let entered = self.enter(reference).await?;
        let out = self.dispatch_entered(p, &entered, Sending { slug, number, url, entity }).await;
        self.leave(entered).await;
        out
    }

    async fn dispatch_entered(&self, p: &ShipmentDispatchPayload, entered: &Entered, s: Sending) -> Result<Dispatched, JobError> {
        let Sending { slug, number, url, entity } = s;
        let reference = p.data.marketplace_order_reference.as_str();
        let shipment_id = p.data.shipment_id;
        let edge_id = self.orders.edge_id(reference).await?.ok_or_else(|| {
            JobError::retryable(format!("order {reference} is not on John Lewis (yet)"))
                .retry_after(self.wait())
                .exception(ExceptionKind::ShippedNotConfirmed, reference)
        })?;
        let order = self.marketplace.get_order(&edge_id).await?;

        let mut parts: HashMap<String, PartNumber> = HashMap::new();
        for item in &p.data.items {
            if let Some(m) = mapping::get(&self.db, &item.sku).await.map_err(db_err)? {
                parts.insert(item.sku.clone(), PartNumber(m.part_number));
            }
        }
        let planned = plan_lines(&p.data.items, &order, &|sku| parts.get(sku).cloned()).map_err(|e| match e {
            PlanError::NotAcknowledged { .. } => JobError::retryable(format!("{e}; dispatch waits for the acknowledgement"))
                .retry_after(self.wait())
                .exception(ExceptionKind::ShippedNotConfirmed, reference),
            PlanError::LineNotFound { .. } => JobError::permanent(e.to_string()).exception(ExceptionKind::SkuMismatch, entity.clone()),
            _ => JobError::permanent(e.to_string()).exception(ExceptionKind::MarketplaceRejected, entity.clone()),
        })?;
        let source = dispatches::shipment_source(shipment_id);
        let sent = dispatches::sent_for(&self.db, &source, KIND_DISPATCH).await.map_err(db_err)?;
        let left = still_to_send(&planned, &sent, &order);
        if left.is_empty() {
            info!(shipment_id, "dispatch already on John Lewis");
            self.resolve(reference, &entity).await;
            return Ok(Dispatched::AlreadyDone);
        }

        let date = dispatch_date(p.event_timestamp_ms);
        let delivery = (self.config.delivery_working_days > 0).then(|| add_working_days(date, self.config.delivery_working_days));
        let lines: Vec<DispatchLine> = left
            .iter()
            .map(|l| DispatchLine {
                line_ref: l.line_ref.clone(),
                part_number: l.part_number.clone(),
                quantity: l.quantity,
                carrier: slug.clone(),
                tracking_number: number.clone(),
                tracking_url: url.clone(),
                dispatch_date: date,
                delivery_date: delivery,
            })
            .collect();
        if let Err(e) = self.marketplace.dispatch(&edge_id, &lines).await {
            let err = JobError::from_boundary(&e);
            return Err(match e.transience() {
                Transience::Permanent => err.exception(ExceptionKind::MarketplaceRejected, entity),
                Transience::Retryable { .. } => err.exception(ExceptionKind::ShippedNotConfirmed, reference),
            });
        }
        let ledger: Vec<LedgerLine> = left
            .iter()
            .map(|l| LedgerLine {
                order_reference: reference.to_owned(),
                source: source.clone(),
                line_ref: l.line_ref.clone(),
                part_number: l.part_number.0.clone(),
                kind: KIND_DISPATCH,
                quantity: l.quantity,
                carrier: slug.clone(),
                tracking_number: Some(number.clone()),
            })
            .collect();
        let sent_lines: Vec<(String, u32)> = left.iter().map(|l| (l.line_ref.clone(), l.quantity)).collect();
        let txn = crate::store::begin_write(&self.db).await.map_err(db_err)?;
        dispatches::record(&txn, &ledger).await.map_err(db_err)?;
        if let Some(order_id) = entered.order_id() {
            let detail = format!("Magento shipment {shipment_id}: {slug} {number}");
            self.note_dispatched(&txn, order_id, &sent_lines, &detail).await.map_err(db_err)?;
        }
        txn.commit().await.map_err(db_err)?;
        info!(shipment_id, lines = ledger.len(), carrier = %slug, "dispatched on John Lewis");
        self.resolve(reference, &entity).await;
        Ok(Dispatched::Sent(sent_lines))
    }

    async fn resolve(&self, reference: &str, entity: &str) {
        for (kind, e) in [
            (ExceptionKind::CarrierUnmapped, entity),
            (ExceptionKind::MarketplaceRejected, entity),
            (ExceptionKind::SkuMismatch, entity),
            (ExceptionKind::ShippedNotConfirmed, reference),
        ] {
            if let Err(err) = exceptions::resolve_entity(&self.db, kind, e, "dispatched on John Lewis").await {
                warn!(error = %err, "resolving an exception failed");
            }
        }
    }
}

/// The dispatch date: the day Magento observed the shipment (UTC), today when unknown.
fn dispatch_date(event_timestamp_ms: i64) -> NaiveDate {
    DateTime::<Utc>::from_timestamp_millis(event_timestamp_ms)
        .filter(|_| event_timestamp_ms > 0)
        .unwrap_or_else(Utc::now)
        .date_naive()
}

#[async_trait]
impl JobHandler for ShipmentsFlow {
    fn kinds(&self) -> Vec<JobKind> {
        vec![JobKind::ShipmentDispatch]
    }

    async fn handle(&self, job: &ClaimedJob) -> Result<(), JobError> {
        let p: ShipmentDispatchPayload = serde_json::from_value(job.payload.clone())
            .map_err(|e| JobError::permanent(format!("shipment job payload: {e}")))?;
        self.dispatch_shipment(&p).await.map(|_| ())
    }
}
