//! The stock pusher: one loop per deployment (advisory lock on PostgreSQL) sending pending
//! values to the marketplace, one call per product, riskiest first (`domain::push_priority`),
//! paced to its share of the account's budget and through the shared limiter at low priority.
//!
//! Coalescing comes from the state table: only the latest computed value is ever sent, a SKU
//! is claimed (one push in flight) with the version it carries, and a change while in flight
//! leaves it pending after the success, so it goes again.
use super::leader::Leadership;
use super::signal::StockSignal;
use crate::domain::exception::ExceptionKind;
use crate::domain::order::PartNumber;
use crate::domain::push_priority::{self, PushCandidate};
use crate::domain::retry::{Classify, Transience};
use crate::marketplace::{Marketplace, ProductId};
use crate::ops::Ops;
use crate::store::exceptions::NewException;
use crate::store::stock::{self, Claim, PendingPush, PushEnd};
use crate::store::{mapping, now_ms};
use sea_orm::{DatabaseConnection, DbErr};
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone)]
pub struct PusherSettings {
    /// At least this long between two stock calls (window / the pusher's share of the budget).
    pub min_interval: Duration,
    /// Pushes before the pending set is read again (a change in between also ends the batch).
    pub batch: usize,
    pub idle: Duration,
    /// Wait before retrying a failed push (doubling per attempt, at most 32×); a stated wait wins.
    pub retry: Duration,
    /// Failed attempts before `marketplace_rejected` opens for a retryable failure.
    pub max_attempts: u32,
    /// How long one claim holds a SKU (longer than any call).
    pub lease: Duration,
}

impl PusherSettings {
    pub fn from_config(c: &crate::config::Config) -> Self {
        let per_minute = c.stock.max_calls_per_minute.min(c.edge.rate_limit).max(1);
        // Over SFTP a push only records the value for the next inventory file: no call budget.
        let sftp = c.marketplace.kind == crate::config::MarketplaceKind::EdgeSftp;
        PusherSettings {
            min_interval: if sftp { Duration::ZERO } else { Duration::from_millis(c.edge.rate_window_ms) / per_minute },
            batch: c.stock.push_batch as usize,
            idle: Duration::from_millis(c.stock.idle_poll_ms),
            retry: Duration::from_secs(c.stock.push_retry_secs),
            max_attempts: c.stock.max_push_attempts,
            lease: Duration::from_secs(c.edge.timeout_secs * 3 + 30),
        }
    }
}

pub struct Pusher {
    pub db: DatabaseConnection,
    pub market: Arc<dyn Marketplace>,
    pub settings: PusherSettings,
    pub signal: StockSignal,
    /// While set, nothing is pushed (values keep coalescing in the state table).
    pub paused: Arc<AtomicBool>,
    pub ops: Ops,
}

/// Pending pushes, riskiest first.
pub fn ordered(mut due: Vec<PendingPush>) -> Vec<PendingPush> {
    let clamp = |v: i64| v.clamp(0, u32::MAX as i64) as u32;
    let mut keyed: Vec<(PushCandidate, PendingPush)> = due
        .drain(..)
        .map(|p| {
            let c = PushCandidate { sku: p.sku.clone(), value: clamp(p.value), shown: p.shown.map(clamp), changed_at: p.changed_at };
            (c, p)
        })
        .collect();
    keyed.sort_by(|a, b| push_priority::key(&a.0).cmp(&push_priority::key(&b.0)));
    keyed.into_iter().map(|(_, p)| p).collect()
}

impl Pusher {
    /// Runs until `shutdown`, pushing only while `leader` says this process leads.
    pub async fn run(self, mut leader: Leadership, shutdown: CancellationToken) {
        let mut next_call = Instant::now();
        while !shutdown.is_cancelled() {
            if self.paused.load(Ordering::Relaxed) || !leader.check().await {
                tokio::select! { _ = shutdown.cancelled() => break, _ = tokio::time::sleep(Duration::from_secs(2)) => continue }
            }
            match self.round(&mut next_call, &shutdown).await {
                Ok(0) => {
                    tokio::select! { _ = shutdown.cancelled() => break, _ = self.signal.wait(self.settings.idle) => {} }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "stock pusher round failed");
                    tokio::select! { _ = shutdown.cancelled() => break, _ = tokio::time::sleep(Duration::from_secs(1)) => {} }
                }
            }
        }
    }

    /// One look at the pending set and up to `batch` pushes. Returns how many were attempted.
    pub async fn round(&self, next_call: &mut Instant, shutdown: &CancellationToken) -> Result<usize, DbErr> {
        let generation = self.signal.generation();
        let due = ordered(stock::due_pushes(&self.db, now_ms()).await?);
        let mut attempted = 0;
        for p in due.into_iter().take(self.settings.batch.max(1)) {
            if shutdown.is_cancelled() || self.paused.load(Ordering::Relaxed) {
                break;
            }
            if attempted > 0 && self.signal.generation() != generation {
                break; // something changed: look again for the riskiest
            }
            tokio::time::sleep_until(*next_call).await;
            if self.push_one(&p).await? {
                *next_call = Instant::now() + self.settings.min_interval;
                attempted += 1;
            }
        }
        Ok(attempted)
    }

    /// Claims and pushes one SKU. Returns whether a marketplace call was made.
    ///
    /// The calls (product lookup, stock update, including the wait for a rate-limit permit)
    /// must end within two thirds of the lease: a call still waiting then is dropped and
    /// counted as a failure of unknown outcome, so a claim never outlives its lease while this
    /// pusher still acts on it. Whatever is recorded afterwards is fenced by the claim.
    async fn push_one(&self, p: &PendingPush) -> Result<bool, DbErr> {
        let lease = self.settings.lease;
        let Some(claim) = stock::claim(&self.db, &p.sku, now_ms(), lease.as_millis() as i64).await? else { return Ok(false) };
        let deadline = Instant::now() + lease * 2 / 3;
        let value = claim.value.clamp(0, u32::MAX as i64) as u32;
        let product = match &p.product_id {
            Some(id) => ProductId(id.clone()),
            None => match tokio::time::timeout_at(deadline, self.market.find_product(&PartNumber(p.part_number.clone()))).await {
                Ok(Ok(Some(found))) => {
                    mapping::set_product_id(&self.db, &p.sku, &found.id.0).await?;
                    found.id
                }
                Ok(Ok(None)) => {
                    let msg = format!("no product with part number {} on the marketplace", p.part_number);
                    self.refused(p, &claim, PushEnd::Failed, &msg, Transience::Permanent).await?;
                    return Ok(true);
                }
                Ok(Err(e)) => {
                    self.refused(p, &claim, PushEnd::Failed, &e.to_string(), e.transience()).await?;
                    return Ok(true);
                }
                Err(_) => {
                    let msg = "product lookup did not finish within the claim's lease";
                    self.refused(p, &claim, PushEnd::Failed, msg, Transience::Retryable { retry_after: None }).await?;
                    return Ok(true);
                }
            },
        };
        match tokio::time::timeout_at(deadline, self.market.update_stock(&product, value)).await {
            Ok(Ok(())) => {
                let again = stock::push_succeeded(&self.db, &p.sku, &claim, now_ms()).await?;
                if again {
                    self.signal.bump();
                }
                self.ops.resolve_entity(ExceptionKind::MarketplaceRejected, &p.sku, "stock push accepted").await?;
                tracing::debug!(sku = %p.sku, value, "stock pushed");
            }
            Ok(Err(e)) => self.refused(p, &claim, PushEnd::Failed, &e.to_string(), e.transience()).await?,
            Err(_) => {
                let msg = "stock update did not finish within the claim's lease";
                self.refused(p, &claim, PushEnd::Unknown, msg, Transience::Retryable { retry_after: None }).await?
            }
        }
        Ok(true)
    }

    /// Records a failed push: retried later; a refusal (or too many failures) opens
    /// `marketplace_rejected` naming the SKU and part number. Nothing is counted when the claim
    /// was taken over meanwhile.
    async fn refused(&self, p: &PendingPush, claim: &Claim, end: PushEnd, error: &str, t: Transience) -> Result<(), DbErr> {
        let now = now_ms();
        let current = stock::get(&self.db, &p.sku).await?.map(|s| s.attempts).unwrap_or(0) as u32;
        let backoff = self.settings.retry * 2u32.pow(current.min(5));
        let (wait, permanent) = match t {
            Transience::Retryable { retry_after } => (retry_after.unwrap_or(backoff), false),
            Transience::Permanent => (backoff.max(self.settings.retry * 10), true),
        };
        let Some(attempts) = stock::push_failed(&self.db, &p.sku, claim, end, error, now + wait.as_millis() as i64, now).await? else {
            tracing::info!(sku = %p.sku, "stock push failed after its claim was taken over: {error}");
            return Ok(());
        };
        tracing::info!(sku = %p.sku, attempts, retry_in_ms = wait.as_millis() as u64, "stock push failed: {error}");
        if permanent || attempts as u32 >= self.settings.max_attempts {
            let msg = format!("stock push for SKU {} (part number {}) refused: {error}", p.sku, p.part_number);
            let e = NewException::new(ExceptionKind::MarketplaceRejected, &p.sku, msg)
                .with_detail(json!({ "sku": p.sku, "part_number": p.part_number, "attempts": attempts }));
            self.ops.raise_exception(e).await?;
        }
        Ok(())
    }
}
