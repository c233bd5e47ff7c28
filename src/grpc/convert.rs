//! Store rows and bus events as protobuf messages.
use super::pb;
use crate::events::{Sequenced, SyncEvent};
use crate::store::entities::exception;

/// Unix milliseconds as RFC 3339 (UTC, millisecond precision).
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub fn exception(row: exception::Model) -> pb::Exception {
    pb::Exception {
        id: row.id,
        kind: row.kind,
        entity: row.entity,
        status: row.status,
        first_seen: rfc3339(row.first_seen),
        last_seen: rfc3339(row.last_seen),
        count: row.count.max(0) as u32,
        last_error: row.last_error,
        detail_json: row.detail.unwrap_or_default(),
        job_id: row.job_id.unwrap_or_default(),
        note: row.note.unwrap_or_default(),
        resolved_at: row.resolved_at.map(rfc3339).unwrap_or_default(),
    }
}

fn order(order_reference: String) -> pb::OrderEvent {
    pb::OrderEvent { order_reference, ..Default::default() }
}

fn exception_event(id: i64, exception_kind: String, entity: String) -> pb::event::Payload {
    pb::event::Payload::Exception(pb::ExceptionEvent { id, exception_kind, entity })
}

pub fn event(e: Sequenced) -> pb::Event {
    use pb::event::Payload;
    let kind = e.event.kind().to_owned();
    let payload = match e.event {
        SyncEvent::StockPushed { sku, part_number, quantity } => {
            Payload::StockPushed(pb::StockPushed { sku, part_number, quantity })
        }
        SyncEvent::OrderDownloaded { order_reference } | SyncEvent::OrderAcknowledged { order_reference } => {
            Payload::Order(order(order_reference))
        }
        SyncEvent::OrderInjected { order_reference, increment_id } => {
            Payload::Order(pb::OrderEvent { increment_id, ..order(order_reference) })
        }
        SyncEvent::OrderDispatched { order_reference, carrier } => {
            Payload::Order(pb::OrderEvent { carrier, ..order(order_reference) })
        }
        SyncEvent::OrderCancelled { order_reference, reason } => {
            Payload::Order(pb::OrderEvent { reason, ..order(order_reference) })
        }
        SyncEvent::ExceptionOpened { id, exception_kind, entity }
        | SyncEvent::ExceptionRetrying { id, exception_kind, entity }
        | SyncEvent::ExceptionResolved { id, exception_kind, entity } => exception_event(id, exception_kind, entity),
        SyncEvent::JobDead { job_id, job_kind, exception_id } => {
            Payload::JobDead(pb::JobDead { job_id, job_kind, exception_id })
        }
    };
    pb::Event { seq: e.seq, at: rfc3339(e.at_ms), kind, payload: Some(payload) }
}
