//! The webhook inbox (DESIGN §2, §3.1): an event is stored with the jobs it causes (or the
//! exception it opens) in one transaction, keyed by its `webhook-id`. A repeated id changes
//! nothing and is reported as a duplicate.
//!
//! `store` runs one event in its own transaction; `InboxWriter` (group commit) gathers the
//! events that arrive while a commit is in flight into the next transaction, so one fsync
//! covers many events. Either way the caller hears `Stored` only after the commit.
mod group_commit;
mod sqlite_direct;

pub use group_commit::{InboxWriter, WriterOptions};
pub use sqlite_direct::SqliteDirect;

use super::exceptions::{self, NewException};
use super::jobs::{enqueue_count, JobKind, NewJob};
use super::{now_ms, stmt};
use crate::domain::exception::ExceptionKind;
use crate::domain::webhook_event::{Event, EventData, WebhookJob};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement, Value};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::HashSet;

/// Job priorities (higher runs first): dispatches and cancellations are never starved; a stock
/// observation that lowers a SKU goes before queued increases (`stock::prioritise_observations`).
pub const PRIORITY_ORDER_EVENT: i32 = 10;
pub const PRIORITY_STOCK_FLOOR: i32 = 8;
pub const PRIORITY_STOCK_DROP: i32 = 5;
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
    /// Newly stored with its jobs (a job whose dedupe key is already queued is not added
    /// again), or with the exception it opened.
    New { exception: Option<i64> },
    /// This `webhook-id` was already stored; nothing was done.
    Duplicate,
}

/// The jobs a valid event causes, with the ordering facts the flows need.
pub fn jobs_for(webhook_id: &str, webhook_timestamp: i64, event: &Event) -> Vec<NewJob> {
    /// `ets`: the event timestamp in ms and in µs.
    fn payload<T: Serialize + Clone>(id: &str, wts: i64, ets: (i64, i64), data: &T) -> serde_json::Value {
        let job = WebhookJob {
            webhook_id: id.to_owned(),
            webhook_timestamp: wts,
            event_timestamp_ms: ets.0,
            event_timestamp_us: Some(ets.1),
            data: data.clone(),
        };
        serde_json::to_value(job).expect("payloads serialise")
    }
    let (id, wts, ets) = (webhook_id, webhook_timestamp, (event.timestamp_ms, event.timestamp_us));
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

/// Rows per multi-row INSERT (6 values each: far below either database's limit).
const ROWS_PER_INSERT: usize = 200;

/// `($1, $2, …)`: `width` placeholders numbered from `first + 1`.
fn placeholders(first: usize, width: usize) -> String {
    let p: Vec<String> = (1..=width).map(|k| format!("${}", first + k)).collect();
    format!("({})", p.join(", "))
}

/// What a batch did: one answer per write, in order, and how many jobs were added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub stored: Vec<Stored>,
    pub jobs_added: u64,
}

/// Which of these webhook ids are in the inbox already.
async fn stored_ids<C: ConnectionTrait>(conn: &C, ids: &[&str]) -> Result<HashSet<String>, DbErr> {
    let mut out = HashSet::new();
    for chunk in ids.chunks(ROWS_PER_INSERT) {
        let values: Vec<Value> = chunk.iter().map(|id| (*id).to_owned().into()).collect();
        let sql = format!("SELECT id FROM webhook_inbox WHERE id IN {}", placeholders(0, values.len()));
        for row in conn.query_all(stmt(conn.get_database_backend(), &sql, values)).await? {
            out.insert(row.try_get("", "id")?);
        }
    }
    Ok(out)
}

/// What a batch's reads found, before its writes: the writes to store (the first
/// of each id not stored yet, in order) and, for each, its jobs with their priorities.
#[derive(Debug)]
pub struct Plan<'a> {
    fresh: Vec<usize>,
    jobs: Vec<Vec<Cow<'a, NewJob>>>,
}

/// The reads of a batch, in its write transaction before `apply`. The ids found stored are
/// the duplicates (normally none, so no row comes back: on SQLite every returned row is a
/// hand-off from its worker thread). One stored meanwhile by a concurrent transaction
/// (PostgreSQL's several committers) is caught by `apply`.
pub async fn plan<'a, C: ConnectionTrait>(conn: &C, writes: &[&'a InboxWrite]) -> Result<Plan<'a>, DbErr> {
    let firsts = firsts(writes);
    let ids: Vec<&str> = firsts.iter().map(|&i| writes[i].id.as_str()).collect();
    let present = stored_ids(conn, &ids).await?;
    let fresh: Vec<usize> = firsts.into_iter().filter(|&i| !present.contains(&writes[i].id)).collect();
    let all: Vec<&'a NewJob> = fresh.iter().flat_map(|&i| jobs_of(writes[i])).collect();
    let mut prioritised = super::stock::prioritise_observations(conn, all).await?.into_iter();
    let jobs = fresh.iter().map(|&i| prioritised.by_ref().take(jobs_of(writes[i]).len()).collect()).collect();
    Ok(Plan { fresh, jobs })
}

/// The index of the first write of each id, in order.
fn firsts(writes: &[&InboxWrite]) -> Vec<usize> {
    let mut seen = HashSet::new();
    (0..writes.len()).filter(|&i| seen.insert(writes[i].id.as_str())).collect()
}

/// The jobs a write causes (none for one kept as an exception).
fn jobs_of(w: &InboxWrite) -> &[NewJob] {
    match &w.effect {
        Effect::Jobs(j) => j.as_slice(),
        Effect::Exception(_) => &[],
    }
}

/// The multi-row INSERT of up to `ROWS_PER_INSERT` inbox rows: `writes[i]` for each `i` of `rows`.
/// A row whose id is stored already is skipped, so a short row count means duplicates.
fn insert_rows(backend: DbBackend, writes: &[&InboxWrite], rows: &[usize], now: i64) -> Statement {
    let mut values: Vec<Value> = Vec::with_capacity(rows.len() * 6);
    let mut marks = Vec::with_capacity(rows.len());
    for (r, &i) in rows.iter().enumerate() {
        let w = writes[i];
        marks.push(placeholders(r * 6, 6));
        values.extend([
            w.id.clone().into(),
            w.event_type.clone().into(),
            w.webhook_timestamp.into(),
            w.event_timestamp_ms.into(),
            w.body.clone().into(),
            now.into(),
        ]);
    }
    let sql = format!(
        "INSERT INTO webhook_inbox (id, event_type, webhook_timestamp, event_timestamp_ms, body, received_at) \
         VALUES {} ON CONFLICT (id) DO NOTHING",
        marks.join(", ")
    );
    stmt(backend, &sql, values)
}

/// Stores a planned batch inside the caller's write transaction: one multi-row INSERT for the
/// inbox rows and one for their jobs per 200 events (a batch costs about what one event
/// costs), and the exceptions of unknown types.
pub async fn apply<C: ConnectionTrait>(
    conn: &C,
    writes: &[&InboxWrite],
    plan: Plan<'_>,
    max_attempts: u32,
) -> Result<Written, DbErr> {
    let now = now_ms();
    let mut inserted: HashSet<usize> = HashSet::new();
    for chunk in plan.fresh.chunks(ROWS_PER_INSERT) {
        let added = conn.execute(insert_rows(conn.get_database_backend(), writes, chunk, now)).await?.rows_affected();
        if added as usize != chunk.len() {
            // Another writer stored one of them after `plan` read. One event: it is a
            // duplicate. Several: which ones is unknown, so the batch fails and the caller
            // stores them one at a time.
            if chunk.len() == 1 {
                continue;
            }
            return Err(DbErr::Custom(format!(
                "{} of {} webhook ids were stored meanwhile by another writer",
                chunk.len() as u64 - added,
                chunk.len()
            )));
        }
        inserted.extend(chunk);
    }
    let mut stored = vec![Stored::Duplicate; writes.len()];
    let mut jobs: Vec<&NewJob> = Vec::new();
    for (&i, planned) in plan.fresh.iter().zip(&plan.jobs) {
        if !inserted.contains(&i) {
            continue;
        }
        jobs.extend(planned.iter().map(|j| j.as_ref()));
        stored[i] = match &writes[i].effect {
            Effect::Jobs(_) => Stored::New { exception: None },
            Effect::Exception(e) => Stored::New { exception: Some(exceptions::raise(conn, e).await?.id) },
        };
    }
    let jobs_added = enqueue_count(conn, &jobs, max_attempts).await?;
    Ok(Written { stored, jobs_added })
}

/// Stores one event in its own transaction; returns once committed.
pub async fn store(
    db: &DatabaseConnection,
    w: &InboxWrite,
    max_attempts: u32,
) -> Result<Stored, DbErr> {
    let mut written = store_all(db, &[w], max_attempts).await?;
    Ok(written.stored.pop().expect("one answer per write"))
}

/// Stores several events in one transaction (all or none); returns once committed. Of
/// several writes with one id, the first is stored.
pub async fn store_all(
    db: &DatabaseConnection,
    writes: &[&InboxWrite],
    max_attempts: u32,
) -> Result<Written, DbErr> {
    let txn = crate::store::begin_write(db).await?;
    let plan = plan(&txn, writes).await?;
    let written = apply(&txn, writes, plan, max_attempts).await?;
    txn.commit().await?;
    Ok(written)
}
