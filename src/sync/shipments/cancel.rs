//! Post-dispatch cancellation (`reference/jl-edge.md` §8): a Magento credit memo or
//! cancellation of units already dispatched becomes John Lewis's tracking update carrying
//! `CANCELLED POST-DISPATCH`, whole units only, at most what was dispatched and not yet
//! cancelled. For the orders flow's `OrderCancelFromMagento` handler:
//!
//! ```ignore
//! // in the `OrderState::Dispatched` branch of `sync::orders::cancel::from_magento`:
//! let sent = shipments::cancel::post_dispatch_for_orders(&f.db, &f.queue, f.marketplace.clone(), &f.magento,
//!     &reference, None, &format!("cancel:{webhook_id}")).await?;
//! ```
use super::enter::Entered;
use super::ShipmentsFlow;
use crate::domain::dispatch::DispatchedLine;
use crate::store::orders::{self, EventKind};
use crate::domain::dispatch::post_dispatch_cancellations;
use crate::domain::exception::ExceptionKind;
use crate::domain::retry::{Classify, Transience};
use crate::marketplace::DispatchLine;
use crate::store::dispatches::{self, LedgerLine, KIND_CANCELLED_POST_DISPATCH};
use crate::store::jobs::JobError;
use chrono::Utc;
use std::collections::BTreeMap;

fn db_err(e: sea_orm::DbErr) -> JobError {
    JobError::retryable(format!("database: {e}"))
}

impl ShipmentsFlow {
    /// Whether any unit of this order was dispatched through jlbridge.
    pub async fn has_dispatched(&self, reference: &str) -> Result<bool, JobError> {
        dispatches::any_dispatched(&self.db, reference).await.map_err(db_err)
    }

    /// Sends `CANCELLED POST-DISPATCH` for `requested` units per line (`None`: every dispatched
    /// unit not yet cancelled). `source` identifies the cancellation (e.g. `cancel:<webhook id>`
    /// or `creditmemo:<id>`): running it again sends only what did not land. Returns the
    /// (line_ref, units) sent now.
    pub async fn cancel_post_dispatch(
        &self,
        reference: &str,
        requested: Option<&BTreeMap<String, u32>>,
        source: &str,
    ) -> Result<Vec<(String, u32)>, JobError> {
        let lines = dispatches::dispatched_lines(&self.db, reference).await.map_err(db_err)?;
        let already = dispatches::sent_for(&self.db, source, KIND_CANCELLED_POST_DISPATCH).await.map_err(db_err)?;
        let wanted: Vec<_> = post_dispatch_cancellations(&lines, requested)
            .into_iter()
            .filter_map(|(l, q)| {
                // Units this source already cancelled are already in `l.cancelled`; when the
                // request names exact units, take off what this source sent before.
                let q = if requested.is_some() { q.saturating_sub(already.get(&l.line_ref).copied().unwrap_or(0)) } else { q };
                (q > 0).then_some((l, q))
            })
            .collect();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let entered = self.enter(reference).await?;
        let out = self.cancel_entered(reference, &entered, wanted, source).await;
        self.leave(entered).await;
        out
    }

    async fn cancel_entered(
        &self,
        reference: &str,
        entered: &Entered,
        wanted: Vec<(DispatchedLine, u32)>,
        source: &str,
    ) -> Result<Vec<(String, u32)>, JobError> {
        let edge_id = self
            .orders
            .edge_id(reference)
            .await?
            .ok_or_else(|| JobError::retryable(format!("order {reference} is not on John Lewis")))?;
        let today = Utc::now().date_naive();
        let lines: Vec<DispatchLine> = wanted
            .iter()
            .map(|(l, q)| DispatchLine::cancelled_post_dispatch(l.line_ref.clone(), l.part_number.clone(), *q, l.carrier.clone(), today))
            .collect();
        if let Err(e) = self.marketplace.dispatch(&edge_id, &lines).await {
            let err = JobError::from_boundary(&e);
            return Err(match e.transience() {
                Transience::Permanent => err.exception(ExceptionKind::MarketplaceRejected, reference),
                Transience::Retryable { .. } => err,
            });
        }
        let ledger: Vec<LedgerLine> = wanted
            .iter()
            .map(|(l, q)| LedgerLine {
                order_reference: reference.to_owned(),
                source: source.to_owned(),
                line_ref: l.line_ref.clone(),
                part_number: l.part_number.0.clone(),
                kind: KIND_CANCELLED_POST_DISPATCH,
                quantity: *q,
                carrier: l.carrier.clone(),
                tracking_number: None,
            })
            .collect();
        let txn = crate::store::begin_write(&self.db).await.map_err(db_err)?;
        dispatches::record(&txn, &ledger).await.map_err(db_err)?;
        if let Some(order_id) = entered.order_id() {
            let detail = format!("CANCELLED POST-DISPATCH ({source})");
            orders::add_event(&txn, order_id, EventKind::CancellationSent, Some(&detail)).await.map_err(db_err)?;
        }
        txn.commit().await.map_err(db_err)?;
        Ok(wanted.into_iter().map(|(l, q)| (l.line_ref, q)).collect())
    }
}

/// The same for a caller without a [`ShipmentsFlow`] (the orders flow's `order.canceled`
/// handler): builds one on the caller's clients and sends the cancellation.
#[allow(clippy::too_many_arguments)]
pub async fn post_dispatch_for_orders(
    db: &sea_orm::DatabaseConnection,
    queue: &crate::store::jobs::Queue,
    marketplace: std::sync::Arc<dyn crate::marketplace::Marketplace>,
    magento: &crate::magento::MagentoClient,
    reference: &str,
    requested: Option<&BTreeMap<String, u32>>,
    source: &str,
) -> Result<Vec<(String, u32)>, JobError> {
    let flow = ShipmentsFlow::new(
        db.clone(),
        queue.clone(),
        marketplace,
        std::sync::Arc::new(magento.clone()),
        crate::config::ShipmentsConfig::default(),
        crate::domain::carrier::CarrierMap::default(),
        queue.policy().max_attempts(),
    );
    flow.cancel_post_dispatch(reference, requested, source).await
}
