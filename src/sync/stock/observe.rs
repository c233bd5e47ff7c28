//! The `stock.observed` job: each item's Magento salable quantity (read from Magento when the
//! webhook carried none) → buffer rules → stored unless a newer observation is there → pending
//! when it differs from what John Lewis shows. An unmapped SKU opens `part_number_unmapped`.
use super::signal::StockSignal;
use crate::domain::buffer::BufferRules;
use crate::domain::exception::ExceptionKind;
use crate::domain::webhook_event::{PriceObservedPayload, StockObservedPayload};
use crate::magento::MagentoClient;
use crate::ops::Ops;
use crate::store::exceptions::NewException;
use crate::store::jobs::{ClaimedJob, JobError, JobHandler, JobKind};
use crate::store::stock::{self, Observation, Observed};
use crate::store::{mapping, now_ms};
use async_trait::async_trait;
use rust_decimal::Decimal;
use sea_orm::{DatabaseConnection, DbErr};
use std::sync::Arc;

fn db_err(e: DbErr) -> JobError {
    JobError::retryable(format!("database: {e}"))
}

/// Applies one observation; shared with reconciliation. Returns whether it was stored. On the
/// pool, take the SQLite write turn first (`store::write_turn`); a `begin_write` transaction
/// already holds it.
pub async fn apply<C: sea_orm::ConnectionTrait>(db: &C, rules: &BufferRules, o: &Observation) -> Result<Observed, DbErr> {
    let explanation = rules.compute(&o.sku, o.qty, chrono::Utc::now());
    stock::observe(db, o, &explanation, now_ms()).await
}

fn observation(p: &StockObservedPayload, sku: &str, qty: Decimal) -> Observation {
    Observation {
        sku: sku.to_owned(),
        qty,
        observed_at: p.event_timestamp_us.unwrap_or(p.event_timestamp_ms * 1000),
        webhook_ts: p.webhook_timestamp,
    }
}

/// The observations a `stock.observed` job carries, when every item has its quantity (the
/// batch path); `None` when one must be read from Magento or the payload does not parse
/// (the per-job path handles those, with their own retries and errors).
pub fn carried(job: &ClaimedJob) -> Option<Vec<Observation>> {
    let p: StockObservedPayload = serde_json::from_value(job.payload.clone()).ok()?;
    p.data.items.iter().map(|i| Some(observation(&p, &i.sku, Decimal::from(i.salable_qty?)))).collect()
}

/// The exception an observation of an unmapped SKU opens (or counts again).
pub fn unmapped(sku: &str, job_id: i64) -> NewException {
    NewException::new(
        ExceptionKind::PartNumberUnmapped,
        sku,
        "Magento SKU has no John Lewis part number; import the mapping (jlbridge mapping import)",
    )
    .with_job(job_id)
}

pub struct StockObserver {
    pub db: DatabaseConnection,
    pub rules: Arc<BufferRules>,
    /// Reads salable quantities the webhook did not carry; `None` when Magento is not configured.
    pub magento: Option<Arc<MagentoClient>>,
    pub stock_id: u32,
    pub signal: StockSignal,
    pub ops: Ops,
}

impl StockObserver {
    async fn salable(&self, sku: &str) -> Result<Decimal, JobError> {
        let Some(m) = &self.magento else {
            return Err(JobError::retryable("salable quantity absent and the Magento client is not configured")
                .exception(ExceptionKind::MagentoRejected, sku));
        };
        m.salable_qty(sku, self.stock_id)
            .await
            .map_err(|e| JobError::from_boundary(&e).exception(ExceptionKind::MagentoRejected, sku))
    }

    async fn observe(&self, job: &ClaimedJob) -> Result<(), JobError> {
        let p: StockObservedPayload = serde_json::from_value(job.payload.clone())
            .map_err(|e| JobError::permanent(format!("stock.observed payload: {e}")))?;
        let mut pending = false;
        for item in &p.data.items {
            let qty = match item.salable_qty {
                Some(q) => Decimal::from(q),
                None => self.salable(&item.sku).await?,
            };
            let o = observation(&p, &item.sku, qty);
            let turn = crate::store::write_turn(&self.db).await.map_err(db_err)?;
            let applied = apply(&self.db, &self.rules, &o).await.map_err(db_err)?;
            drop(turn);
            if let Observed::Applied { pending: true, .. } = applied {
                pending = true;
            }
            if mapping::get(&self.db, &item.sku).await.map_err(db_err)?.is_none() {
                self.ops.raise_exception(unmapped(&item.sku, job.id)).await.map_err(db_err)?;
            }
        }
        if pending {
            self.signal.bump();
        }
        Ok(())
    }

    async fn price(&self, job: &ClaimedJob) -> Result<(), JobError> {
        let p: PriceObservedPayload = serde_json::from_value(job.payload.clone())
            .map_err(|e| JobError::permanent(format!("price.observed payload: {e}")))?;
        for item in &p.data.items {
            stock::observe_price(&self.db, &item.sku, item.price, p.event_timestamp_ms, p.webhook_timestamp, now_ms())
                .await
                .map_err(db_err)?;
        }
        Ok(())
    }
}

#[async_trait]
impl JobHandler for StockObserver {
    /// `stock.observed` runs by the batch (`observe_batch`), which hands this handler the jobs
    /// it cannot take; the worker pool runs `price.observed`.
    fn kinds(&self) -> Vec<JobKind> {
        vec![JobKind::PriceObserved]
    }
    async fn handle(&self, job: &ClaimedJob) -> Result<(), JobError> {
        match job.kind {
            JobKind::PriceObserved => self.price(job).await,
            _ => self.observe(job).await,
        }
    }
}
