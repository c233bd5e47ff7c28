//! The webhook inbox (DESIGN §2, §3.1): an event is stored with the jobs it causes (or the
//! exception it opens) in one transaction, keyed by its `webhook-id`. A repeated id changes
//! nothing and is reported as a duplicate.
//!
//! `store` runs one event in its own transaction; `InboxWriter` (group commit) gathers the
//! events that arrive while a commit is in flight into the next transaction, so one fsync
//! covers many events. Either way the caller hears `Stored` only after the commit.
mod group_commit;

pub use group_commit::{InboxWriter, WriterOptions};

use super::exceptions::{self, NewException};
use super::jobs::{enqueue, JobKind, NewJob};
use super::{now_ms, stmt};
use crate::domain::exception::ExceptionKind;
use crate::domain::webhook_event::{Event, EventData, WebhookJob};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, TransactionTrait};
use serde::Serialize;

/// Job priorities (higher runs first): dispatches and cancellations are never starved.
pub const PRIORITY_ORDER_EVENT: i32 = 10;
pub const PRIORITY_STOCK: i32 = 0;
pub const PRIORITY_PRICE: i32 = -10;

/// What storing an event sets off.
#[derive(Debug, Clone)]
pub enum Effect {
    Jobs(Vec<NewJob>),
    /// Kept for review (e.g. an unknown type).
    Exception(NewException),
}

/// One authentic event to store.
#[derive(Debug, Clone)]
pub struct InboxWrite {
    /// `webhook-id`.
    pub id: String,
    pub event_type: String,
    /// `webhook-timestamp`, Unix seconds.
    pub webhook_timestamp: i64,
    /// The body's own `timestamp`, Unix ms, when it had one.
    pub event_timestamp_ms: Option<i64>,
    /// The raw body exactly as signed.
    pub body: String,
    pub effect: Effect,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// Newly stored: the jobs added (a job already queued under the same dedupe key is not
    /// added again) and the exception opened, if any.
    New {
        jobs: Vec<i64>,
        exception: Option<i64>,
    },
    /// This `webhook-id` was already stored; nothing was done.
    Duplicate,
}

/// The jobs a valid event causes, with the ordering facts the flows need.
pub fn jobs_for(webhook_id: &str, webhook_timestamp: i64, event: &Event) -> Vec<NewJob> {
    fn payload<T: Serialize + Clone>(id: &str, wts: i64, ets: i64, data: &T) -> serde_json::Value {
        let job = WebhookJob {
            webhook_id: id.to_owned(),
            webhook_timestamp: wts,
            event_timestamp_ms: ets,
            data: data.clone(),
        };
        serde_json::to_value(job).expect("payloads serialise")
    }
    let (id, wts, ets) = (webhook_id, webhook_timestamp, event.timestamp_ms);
    let job = match &event.data {
        EventData::StockChanged(d) => {
            NewJob::new(JobKind::StockObserved, payload(id, wts, ets, d)).priority(PRIORITY_STOCK)
        }
        EventData::PriceChanged(d) => {
            NewJob::new(JobKind::PriceObserved, payload(id, wts, ets, d)).priority(PRIORITY_PRICE)
        }
        EventData::ShipmentCreated(d) => {
            NewJob::new(JobKind::ShipmentDispatch, payload(id, wts, ets, d))
                .dedupe(format!("shipment:{}", d.shipment_id))
                .priority(PRIORITY_ORDER_EVENT)
        }
        EventData::OrderCanceled(d) => {
            NewJob::new(JobKind::OrderCancelFromMagento, payload(id, wts, ets, d))
                .dedupe(format!(
                    "order-cancel:{}:{id}",
                    d.marketplace_order_reference
                ))
                .priority(PRIORITY_ORDER_EVENT)
        }
    };
    vec![job]
}

/// The exception that keeps an authentic event of an unknown type for review.
pub fn unprocessable(webhook_id: &str, event_type: &str) -> NewException {
    NewException::new(
        ExceptionKind::WebhookUnprocessable,
        webhook_id,
        format!("webhook type {event_type:?} is not handled by this version; the event is kept in the inbox"),
    )
    .with_detail(serde_json::json!({ "webhook_id": webhook_id, "type": event_type }))
}

/// Stores one event inside the caller's transaction.
pub async fn write<C: ConnectionTrait>(
    conn: &C,
    w: &InboxWrite,
    max_attempts: u32,
) -> Result<Stored, DbErr> {
    let inserted = conn
        .execute(stmt(
            conn.get_database_backend(),
            "INSERT INTO webhook_inbox (id, event_type, webhook_timestamp, event_timestamp_ms, body, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
            [
                w.id.clone().into(),
                w.event_type.clone().into(),
                w.webhook_timestamp.into(),
                w.event_timestamp_ms.into(),
                w.body.clone().into(),
                now_ms().into(),
            ],
        ))
        .await?;
    if inserted.rows_affected() == 0 {
        return Ok(Stored::Duplicate);
    }
    match &w.effect {
        Effect::Jobs(jobs) => {
            let mut ids = Vec::with_capacity(jobs.len());
            for job in jobs {
                if let Some(id) = enqueue(conn, job, max_attempts).await? {
                    ids.push(id);
                }
            }
            Ok(Stored::New {
                jobs: ids,
                exception: None,
            })
        }
        Effect::Exception(e) => {
            let raised = exceptions::raise(conn, e).await?;
            Ok(Stored::New {
                jobs: Vec::new(),
                exception: Some(raised.id),
            })
        }
    }
}

/// Stores one event in its own transaction; returns once committed.
pub async fn store(
    db: &DatabaseConnection,
    w: &InboxWrite,
    max_attempts: u32,
) -> Result<Stored, DbErr> {
    let txn = db.begin().await?;
    let stored = write(&txn, w, max_attempts).await?;
    txn.commit().await?;
    Ok(stored)
}

/// Stores several events in one transaction (all or none); returns once committed.
pub async fn store_all(
    db: &DatabaseConnection,
    writes: &[&InboxWrite],
    max_attempts: u32,
) -> Result<Vec<Stored>, DbErr> {
    let txn = db.begin().await?;
    let mut out = Vec::with_capacity(writes.len());
    for w in writes {
        out.push(write(&txn, w, max_attempts).await?);
    }
    txn.commit().await?;
    Ok(out)
}
