//! One update in flight per order: the orders store's lease when the order is stored (shared
//! with the orders flow and every replica), this process's gate otherwise. After a dispatch
//! the stored order's line quantities, timeline and state follow.
use super::lookup::GateGuard;
use super::ShipmentsFlow;
use crate::domain::order_state::Step;
use crate::store::jobs::JobError;
use crate::store::orders::{self, lease::OrderLease, EventKind};
use sea_orm::ConnectionTrait;
use std::time::Duration;

/// Held while the update is in flight; give it back with [`ShipmentsFlow::leave`].
pub enum Entered {
    Stored { order_id: i64, lease: OrderLease },
    Local(GateGuard),
}

impl Entered {
    pub fn order_id(&self) -> Option<i64> {
        match self {
            Entered::Stored { order_id, .. } => Some(*order_id),
            Entered::Local(_) => None,
        }
    }
}

const LEASE_TTL: Duration = Duration::from_secs(120);

fn busy(reference: &str) -> JobError {
    JobError::retryable(format!("order {reference} has an update in flight")).retry_after(Duration::from_millis(500))
}

impl ShipmentsFlow {
    pub async fn enter(&self, reference: &str) -> Result<Entered, JobError> {
        let db_err = |e: sea_orm::DbErr| JobError::retryable(format!("database: {e}"));
        if let Some(stored) = orders::get(&self.db, reference).await.map_err(db_err)? {
            let id = stored.order.id;
            let holder = format!("shipments:{}", uuid::Uuid::new_v4().simple());
            let lease = orders::lease::take(&self.db, id, &holder, LEASE_TTL).await.map_err(db_err)?.ok_or_else(|| busy(reference))?;
            return Ok(Entered::Stored { order_id: id, lease });
        }
        self.gate.try_enter(reference).map(Entered::Local).ok_or_else(|| busy(reference))
    }

    pub async fn leave(&self, entered: Entered) {
        if let Entered::Stored { lease, .. } = entered {
            if let Err(e) = orders::lease::release(&self.db, &lease).await {
                tracing::warn!(error = %e, "releasing an order lease failed; it will expire");
            }
        }
    }

    /// The stored order follows a dispatch: line quantities, a timeline entry, and the
    /// `dispatched` state once no unit is open.
    pub async fn note_dispatched<C: ConnectionTrait>(&self, conn: &C, order_id: i64, lines: &[(String, u32)], detail: &str) -> Result<(), sea_orm::DbErr> {
        for (line_ref, q) in lines {
            orders::add_dispatched(conn, order_id, line_ref, *q).await?;
        }
        orders::add_event(conn, order_id, EventKind::Dispatched, Some(detail)).await?;
        if orders::open_units(conn, order_id).await? == 0 {
            orders::advance(conn, order_id, Step::Dispatched).await?;
        }
        Ok(())
    }
}
