//! Full reconciliation, on a schedule and on demand: every mapped SKU's salable quantity from
//! Magento (read in pages of SKUs) and every product's stock from The Edge; every difference
//! becomes pending for the pusher; a SKU whose John Lewis stock keeps differing from what was
//! sent opens `stock_drift`.
use super::observe::apply;
use super::signal::StockSignal;
use crate::domain::buffer::BufferRules;
use crate::domain::exception::ExceptionKind;
use crate::magento::MagentoClient;
use crate::marketplace::Marketplace;
use crate::ops::Ops;
use crate::store::exceptions::NewException;
use crate::store::stock::{self, Observation};
use crate::store::{mapping, now_ms};
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

impl Reconciler {
    pub async fn run_once(&self) -> anyhow::Result<ReconcileReport> {
        let mappings = mapping::all(&self.db).await?;
        let products = self.market.list_products().await.map_err(|e| anyhow::anyhow!("listing marketplace products: {e}"))?;
        let shown: HashMap<String, Option<i64>> = products.into_iter().map(|p| (p.part_number.0, p.free_stock)).collect();
        let mut report = ReconcileReport { mapped: mappings.len(), ..Default::default() };
        for page in mappings.chunks(self.settings.page_size.max(1)) {
            let stock_id = self.settings.stock_id;
            let futures: Vec<_> = page
                .iter()
                .cloned()
                .map(|m| {
                    let client = self.magento.clone();
                    async move {
                        let q = client.salable_qty(&m.sku, stock_id).await;
                        (m, q)
                    }
                })
                .collect();
            let reads: Vec<_> = stream::iter(futures).buffer_unordered(self.settings.concurrency.max(1)).collect().await;
            for (m, qty) in reads {
                let m = &m;
                let qty = match qty {
                    Ok(q) => q,
                    Err(e) => {
                        tracing::info!(sku = %m.sku, error = %e, "reconciliation could not read the salable quantity");
                        report.magento_errors += 1;
                        continue;
                    }
                };
                let now = now_ms();
                let o = Observation { sku: m.sku.clone(), qty, observed_at: now, webhook_ts: now / 1000 };
                apply(&self.db, &self.rules, &o).await?;
                match shown.get(&m.part_number) {
                    None => report.missing_on_marketplace += 1,
                    Some(None) => {}
                    Some(Some(jl)) => {
                        let Some(check) = stock::record_shown(&self.db, &m.sku, *jl, now).await? else { continue };
                        if check.drift_count as u32 >= self.settings.drift_threshold {
                            let msg = format!(
                                "John Lewis showed {jl} for SKU {} (part number {}) in {} reconciliations in a row, not the value sent",
                                m.sku, m.part_number, check.drift_count
                            );
                            let e = NewException::new(ExceptionKind::StockDrift, &m.sku, msg)
                                .with_detail(json!({ "sku": m.sku, "part_number": m.part_number, "shown": jl }));
                            self.ops.raise_exception(e).await?;
                            report.drift_raised += 1;
                        }
                    }
                }
                if stock::get(&self.db, &m.sku).await?.is_some_and(|s| s.pending) {
                    report.pending += 1;
                }
            }
            self.signal.bump();
        }
        tracing::info!(?report, "stock reconciliation done");
        Ok(report)
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
