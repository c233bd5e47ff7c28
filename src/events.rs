//! The in-process event bus: typed sync events, numbered in the order they were published,
//! fanned out to live watchers (`SyncService.WatchEvents`, the dashboard).
//!
//! Publishing never blocks and never fails: with nobody listening the event is dropped;
//! a watcher that falls more than `CAPACITY` events behind is told how many it missed.
use serde::Serialize;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// How many events a slow watcher may lag before it misses some.
pub const CAPACITY: usize = 1024;

/// What happened. Entity ids only: no addresses, names or other personal data.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SyncEvent {
    StockPushed { sku: String, part_number: String, quantity: i64 },
    OrderDownloaded { order_reference: String },
    OrderAcknowledged { order_reference: String },
    OrderInjected { order_reference: String, increment_id: String },
    OrderDispatched { order_reference: String, carrier: String },
    OrderCancelled { order_reference: String, reason: String },
    ExceptionOpened { id: i64, exception_kind: String, entity: String },
    ExceptionRetrying { id: i64, exception_kind: String, entity: String },
    ExceptionResolved { id: i64, exception_kind: String, entity: String },
    JobDead { job_id: i64, job_kind: String, exception_id: i64 },
}

impl SyncEvent {
    /// Every kind name, as used in filters (`WatchEvents.kinds`) and metric labels.
    pub const KINDS: &'static [&'static str] = &[
        "stock_pushed",
        "order_downloaded",
        "order_acknowledged",
        "order_injected",
        "order_dispatched",
        "order_cancelled",
        "exception_opened",
        "exception_retrying",
        "exception_resolved",
        "job_dead",
    ];

    pub fn kind(&self) -> &'static str {
        match self {
            SyncEvent::StockPushed { .. } => "stock_pushed",
            SyncEvent::OrderDownloaded { .. } => "order_downloaded",
            SyncEvent::OrderAcknowledged { .. } => "order_acknowledged",
            SyncEvent::OrderInjected { .. } => "order_injected",
            SyncEvent::OrderDispatched { .. } => "order_dispatched",
            SyncEvent::OrderCancelled { .. } => "order_cancelled",
            SyncEvent::ExceptionOpened { .. } => "exception_opened",
            SyncEvent::ExceptionRetrying { .. } => "exception_retrying",
            SyncEvent::ExceptionResolved { .. } => "exception_resolved",
            SyncEvent::JobDead { .. } => "job_dead",
        }
    }
}

/// An event with its place in the sequence and when it was published (Unix ms).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sequenced {
    pub seq: u64,
    pub at_ms: i64,
    pub event: SyncEvent,
}

#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Sequenced>,
    /// The last sequence number given; held while sending so numbers go out in order.
    last: Arc<Mutex<u64>>,
}

impl Default for EventBus {
    fn default() -> Self {
        EventBus::new()
    }
}

impl EventBus {
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(CAPACITY);
        EventBus { tx, last: Arc::new(Mutex::new(0)) }
    }

    /// Numbers and sends the event; returns its sequence number.
    pub fn publish(&self, event: SyncEvent) -> u64 {
        metrics::counter!("jlbridge_events_published_total", "kind" => event.kind()).increment(1);
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        *last += 1;
        let seq = *last;
        // An error only means nobody is watching right now.
        let _ = self.tx.send(Sequenced { seq, at_ms: crate::store::now_ms(), event });
        seq
    }

    /// A receiver of every event published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Sequenced> {
        self.tx.subscribe()
    }

    /// The sequence number of the last event published (0 before the first).
    pub fn last_seq(&self) -> u64 {
        *self.last.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn events_arrive_numbered_in_order() {
        let bus = EventBus::new();
        let mut rx = bus.subscribe();
        for i in 0..5 {
            bus.publish(SyncEvent::OrderDownloaded { order_reference: format!("R{i}") });
        }
        for i in 0..5u64 {
            let e = rx.recv().await.unwrap();
            assert_eq!(e.seq, i + 1);
            assert_eq!(e.event, SyncEvent::OrderDownloaded { order_reference: format!("R{i}") });
        }
        assert_eq!(bus.last_seq(), 5);
    }

    #[test]
    fn every_kind_is_listed() {
        let e = SyncEvent::JobDead { job_id: 1, job_kind: "x".into(), exception_id: 2 };
        assert!(SyncEvent::KINDS.contains(&e.kind()));
        assert_eq!(serde_json::to_value(&e).unwrap()["kind"], "job_dead");
    }
}
