//! `RetryOrder`: which step of an order can be re-run, and putting its job back in the queue
//! (the same job the orders flow uses, found by its dedupe key, so a retry never doubles it).
use super::error::ApiError;
use crate::app::AppState;
use crate::domain::order_state::OrderState;
use crate::store::entities::exception::{self, Entity as Exceptions};
use crate::store::entities::job::{self, Entity as Jobs};
use crate::store::jobs::NewJob;
use crate::store::orders::{self, EventKind, StoredOrder};
use crate::sync::orders::{ack_job, cancel_request_job, inject_job};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

/// A step an operator can re-run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryStep {
    Acknowledge,
    Inject,
    Cancel,
}

impl RetryStep {
    pub fn as_str(self) -> &'static str {
        match self {
            RetryStep::Acknowledge => "acknowledge",
            RetryStep::Inject => "inject",
            RetryStep::Cancel => "cancel",
        }
    }

    fn job(self, reference: &str) -> NewJob {
        match self {
            RetryStep::Acknowledge => ack_job(reference),
            RetryStep::Inject => inject_job(reference),
            RetryStep::Cancel => cancel_request_job(reference),
        }
    }
}

/// The step the order waits for, or why there is none. `commented`: the Magento order
/// carries the John Lewis reference comment (the last part of the injection).
pub fn pending_step(o: &StoredOrder, commented: bool) -> Result<RetryStep, String> {
    let r = o.reference();
    match o.state() {
        OrderState::Downloaded => Ok(RetryStep::Acknowledge),
        OrderState::Acknowledged => Ok(RetryStep::Inject),
        OrderState::Injected if !commented => Ok(RetryStep::Inject),
        OrderState::Injected => Err(format!(
            "order {r} is injected (Magento order {}); nothing to retry until Magento ships it \
             (a failed dispatch is retried with ExceptionService/RetryException)",
            o.order.magento_increment_id.as_deref().unwrap_or("?")
        )),
        OrderState::CancelRequested => Ok(RetryStep::Cancel),
        s => Err(format!("order {r} is {s}: it is finished, nothing to retry")),
    }
}

/// Checks an explicitly asked step against the order's state.
pub fn asked_step(o: &StoredOrder, step: &str, commented: bool) -> Result<RetryStep, ApiError> {
    let pending = pending_step(o, commented);
    let asked = match step {
        "" => return pending.map_err(ApiError::Precondition),
        "acknowledge" => RetryStep::Acknowledge,
        "inject" => RetryStep::Inject,
        "cancel" => RetryStep::Cancel,
        "dispatch" => {
            return Err(ApiError::Precondition(
                "dispatches are retried per shipment: retry its shipped_not_confirmed or carrier_unmapped exception \
                 with ExceptionService/RetryException"
                    .into(),
            ))
        }
        other => {
            return Err(ApiError::Invalid(format!(
                "unknown step {other:?}; use acknowledge, inject, cancel, or leave it empty for the next pending step"
            )))
        }
    };
    match pending {
        Ok(p) if p == asked => Ok(asked),
        Ok(p) => Err(ApiError::Precondition(format!(
            "order {} is {}: its pending step is {}, not {}",
            o.reference(),
            o.state(),
            p.as_str(),
            asked.as_str()
        ))),
        Err(why) => Err(ApiError::Precondition(why)),
    }
}

/// Puts the step's job back in the queue (or adds it when it never existed). Returns the job id.
pub async fn requeue(state: &AppState, o: &StoredOrder, step: RetryStep, actor: &str) -> Result<i64, ApiError> {
    let db = &state.db;
    let new = step.job(o.reference());
    let key = new.dedupe_key.clone().expect("order jobs carry a dedupe key");
    let existing = Jobs::find().filter(job::Column::DedupeKey.eq(key.clone())).one(db).await?;
    let id = match existing {
        Some(j) if j.state == "queued" || j.state == "running" => {
            return Err(ApiError::Precondition(format!(
                "the {} job of order {} (job {}) is already {}; it will run on its own",
                step.as_str(),
                o.reference(),
                j.id,
                j.state
            )))
        }
        Some(j) => {
            let exc = Exceptions::find()
                .filter(exception::Column::JobId.eq(j.id))
                .filter(exception::Column::Status.eq("open"))
                .order_by_desc(exception::Column::Id)
                .one(db)
                .await?;
            // Through the exception when there is one: it turns `retrying`, then resolves when the job succeeds.
            let requeued = match exc {
                Some(e) => state.ops.retry_exception(e.id).await?.is_ok(),
                None => state.queue.requeue(j.id).await?,
            };
            if !requeued {
                return Err(ApiError::Precondition(format!(
                    "the {} job of order {} (job {}) was re-queued by someone else a moment ago",
                    step.as_str(),
                    o.reference(),
                    j.id
                )));
            }
            j.id
        }
        None => match state.queue.push(&new).await? {
            Some(id) => id,
            None => {
                return Err(ApiError::Precondition(format!(
                    "the {} job of order {} was queued by someone else a moment ago",
                    step.as_str(),
                    o.reference()
                )))
            }
        },
    };
    let detail = format!("{} re-queued by {actor} (job {id})", step.as_str());
    orders::add_event(db, o.order.id, EventKind::Note, Some(&detail)).await?;
    Ok(id)
}
