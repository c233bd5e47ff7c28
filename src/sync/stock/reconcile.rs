//! Full reconciliation, on a schedule and on demand: every mapped SKU's salable quantity from
//! Magento (the mapping walked in pages of SKUs) and every product's stock from The Edge (read
//! page by page, only part number → stock kept); every difference
//! becomes pending for the pusher; a SKU whose John Lewis stock keeps differing from what was
//! sent opens `stock_drift`.
use super::observe::apply;
use super::signal::StockSignal;
use crate::domain::buffer::BufferRules;
use crate::domain::exception::ExceptionKind;
use crate::magento::{MagentoClient, MagentoError};
use crate::marketplace::Marketplace;
use crate::ops::Ops;
use crate::store::exceptions::NewException;
use crate::store::stock::{self, Observation};
use crate::store::mapping::{self, Mapping};
use crate::store::now_ms;
use rust_decimal::Decimal;
use futures::stream::{self, StreamExt};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone)]
pub struct ReconcileSettings {
    pub stock_id: u32,
    /// SKUs read from Magento per page.
    pub page_size: usize,
    /// Magento reads in flight at once.
    pub concurrency: usize,
    pub drift_threshold: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    pub mapped: usize,
    /// SKUs whose value must be sent (John Lewis shows something else).
    pub pending: usize,
    /// Mapped SKUs The Edge has no product for.
    pub missing_on_marketplace: usize,
    pub magento_errors: usize,
    pub drift_raised: usize,
}

pub struct Reconciler {
    pub db: sea_orm::DatabaseConnection,
    pub magento: Arc<MagentoClient>,
    pub market: Arc<dyn Marketplace>,
    pub rules: Arc<BufferRules>,
    pub settings: ReconcileSettings,
    pub signal: StockSignal,
    pub ops: Ops,
}

/// What John Lewis shows, by part number: only the stock of each product is kept while The
/// Edge's listing is read page by page (a few tens of bytes a product).
pub type ShownStock = HashMap<Box<str>, Option<i64>>;

/// A mapping's salable quantity as read from Magento, and when the read was sent (µs).
type SalableRead = (Mapping, Result<Decimal, MagentoError>, i64);

impl Reconciler {
    /// One full reconciliation. Memory stays flat in the catalogue's size apart from
    /// [`ShownStock`]: The Edge's products are read page by page into it, then the mapping is
    /// walked in pages of `page_size` SKUs (keyset on SKU), each page's salable quantities read
    /// from Magento and its outcome written in one transaction.
    pub async fn run_once(&self) -> anyhow::Result<ReconcileReport> {
        let shown = self.shown_stock().await?;
        let mut report = ReconcileReport::default();
        let page_size = self.settings.page_size.max(1);
        let mut after: Option<String> = None;
        loop {
            let page = mapping::page_after(&self.db, after.as_deref(), page_size as u64).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.sku.clone());
            report.mapped += page.len();
            let full = page.len() == page_size;
            let reads = self.read_salable(page).await;
            let drifts = self.compare_page(reads, &shown, &mut report).await?;
            for e in drifts {
                self.ops.raise_exception(e).await?;
                report.drift_raised += 1;
            }
            self.signal.bump();
            if !full {
                break;
            }
        }
        tracing::info!(?report, "stock reconciliation done");
        Ok(report)
    }

    /// Every product's stock on John Lewis, by part number, read page by page.
    pub async fn shown_stock(&self) -> anyhow::Result<ShownStock> {
        let mut shown = ShownStock::new();
        let mut keep = |page: Vec<crate::marketplace::MarketplaceProduct>| {
            shown.extend(page.into_iter().map(|p| (p.part_number.0.into_boxed_str(), p.free_stock)));
        };
        self.market.each_product_page(&mut keep).await.map_err(|e| anyhow::anyhow!("listing marketplace products: {e}"))?;
        shown.shrink_to_fit();
        Ok(shown)
    }

    /// One page's salable quantities from Magento, `concurrency` reads in flight, each with
    /// the moment its request was sent (µs): the value is at least that new, and a change
    /// Magento observed later (its webhook) must win over it.
    async fn read_salable(&self, page: Vec<Mapping>) -> Vec<SalableRead> {
        let stock_id = self.settings.stock_id;
        let reads = page.into_iter().map(|m| {
            let client = self.magento.clone();
            async move {
                let asked_at_us = chrono::Utc::now().timestamp_micros();
                let q = client.salable_qty(&m.sku, stock_id).await;
                (m, q, asked_at_us)
            }
        });
        stream::iter(reads).buffer_unordered(self.settings.concurrency.max(1)).collect().await
    }

    /// Stores one page's observations and what John Lewis shows, in one transaction. Returns
    /// the `stock_drift` exceptions to raise (after the commit).
    async fn compare_page(
        &self,
        reads: Vec<SalableRead>,
        shown: &ShownStock,
        report: &mut ReconcileReport,
    ) -> anyhow::Result<Vec<NewException>> {
        let txn = crate::store::begin_write(&self.db).await?;
        let mut drifts = Vec::new();
        for (m, qty, asked_at_us) in reads {
            let qty = match qty {
                Ok(q) => q,
                Err(e) => {
                    tracing::info!(sku = %m.sku, error = %e, "reconciliation could not read the salable quantity");
                    report.magento_errors += 1;
                    continue;
                }
            };
            let now = now_ms();
            // Stamped when the read was sent, not now: a change made meanwhile (its webhook
            // observed after the read began) is newer and must not be overwritten as stale.
            let o = Observation { sku: m.sku.clone(), qty, observed_at: asked_at_us, webhook_ts: asked_at_us / 1_000_000 };
            apply(&txn, &self.rules, &o).await?;
            let mut pending = None;
            match shown.get(m.part_number.as_str()) {
                None => report.missing_on_marketplace += 1,
                Some(None) => {}
                Some(Some(jl)) => {
                    if let Some(check) = stock::record_shown(&txn, &m.sku, *jl, now).await? {
                        pending = Some(check.pending);
                        if check.drift_count as u32 >= self.settings.drift_threshold {
                            let msg = format!(
                                "John Lewis showed {jl} for SKU {} (part number {}) in {} reconciliations in a row, not the value sent",
                                m.sku, m.part_number, check.drift_count
                            );
                            drifts.push(
                                NewException::new(ExceptionKind::StockDrift, &m.sku, msg)
                                    .with_detail(json!({ "sku": m.sku, "part_number": m.part_number, "shown": jl })),
                            );
                        }
                    }
                }
            }
            let pending = match pending {
                Some(p) => p,
                None => stock::get(&txn, &m.sku).await?.is_some_and(|s| s.pending),
            };
            if pending {
                report.pending += 1;
            }
        }
        txn.commit().await?;
        Ok(drifts)
    }

    /// Runs every `interval` (if any) and whenever `trigger` is notified, until `shutdown`.
    pub async fn schedule(self, interval: Option<Duration>, trigger: Arc<Notify>, shutdown: CancellationToken) {
        loop {
            let wait = interval.unwrap_or(Duration::from_secs(365 * 24 * 3600));
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = trigger.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
            if let Err(e) = self.run_once().await {
                tracing::warn!(error = %e, "stock reconciliation failed; next one on schedule");
            }
        }
    }
}
