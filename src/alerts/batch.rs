//! Which notices become which messages: urgent kinds at once, the rest grouped over a short
//! window, each (kind, entity) alerted once while it stays open, and a resolved notice after.
use super::{AlertItem, Notice};
use crate::domain::exception::ExceptionKind;
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// Kinds that mean orders or stock are going wrong right now: sent without waiting.
pub fn is_urgent(kind: ExceptionKind) -> bool {
    matches!(
        kind,
        ExceptionKind::PollFailed
            | ExceptionKind::ShippedNotConfirmed
            | ExceptionKind::AcknowledgeOverdue
            | ExceptionKind::StockDrift
    )
}

/// One message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub opened: Vec<AlertItem>,
    pub resolved: Vec<AlertItem>,
    pub urgent: bool,
}

pub struct Batcher {
    window: Duration,
    /// Alerted and not yet resolved.
    open: HashSet<(ExceptionKind, String)>,
    opened: Vec<AlertItem>,
    resolved: Vec<AlertItem>,
    due: Option<Instant>,
}

impl Batcher {
    pub fn new(window: Duration) -> Self {
        Batcher { window, open: HashSet::new(), opened: Vec::new(), resolved: Vec::new(), due: None }
    }

    /// Takes a notice; returns a message to send at once when it is urgent.
    pub fn accept(&mut self, notice: Notice, now: Instant) -> Option<Message> {
        match notice {
            Notice::Opened(item) => {
                if !self.open.insert((item.kind, item.entity.clone())) {
                    metrics::counter!("jlbridge_alerts_suppressed_total", "kind" => item.kind.as_str()).increment(1);
                    return None;
                }
                if is_urgent(item.kind) {
                    return Some(Message { opened: vec![item], resolved: Vec::new(), urgent: true });
                }
                self.opened.push(item);
            }
            Notice::Resolved(item) => {
                self.open.remove(&(item.kind, item.entity.clone()));
                self.resolved.push(item);
            }
        }
        self.due.get_or_insert(now + self.window);
        None
    }

    /// When the grouped message is due, if one is waiting.
    pub fn due(&self) -> Option<Instant> {
        self.due
    }

    /// The grouped message, once its window has passed (or at once with `force`).
    pub fn flush(&mut self, now: Instant, force: bool) -> Option<Message> {
        let due = self.due?;
        if !force && now < due {
            return None;
        }
        self.due = None;
        let msg = Message {
            opened: std::mem::take(&mut self.opened),
            resolved: std::mem::take(&mut self.resolved),
            urgent: false,
        };
        (!msg.opened.is_empty() || !msg.resolved.is_empty()).then_some(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(kind: ExceptionKind, entity: &str) -> AlertItem {
        AlertItem { id: 1, kind, entity: entity.into(), count: 1 }
    }

    #[test]
    fn new_exceptions_are_grouped_and_not_repeated_while_open() {
        let mut b = Batcher::new(Duration::from_secs(30));
        let t0 = Instant::now();
        assert!(b.accept(Notice::Opened(item(ExceptionKind::CarrierUnmapped, "order 1")), t0).is_none());
        assert!(b.accept(Notice::Opened(item(ExceptionKind::CarrierUnmapped, "order 2")), t0).is_none());
        assert!(b.accept(Notice::Opened(item(ExceptionKind::CarrierUnmapped, "order 1")), t0).is_none());
        assert!(b.flush(t0 + Duration::from_secs(1), false).is_none(), "window still open");
        let m = b.flush(t0 + Duration::from_secs(31), false).unwrap();
        assert_eq!(m.opened.len(), 2, "the repeat was suppressed");
        assert!(b.flush(t0 + Duration::from_secs(90), false).is_none());
        // Still open: not repeated.
        b.accept(Notice::Opened(item(ExceptionKind::CarrierUnmapped, "order 1")), t0);
        assert!(b.flush(t0 + Duration::from_secs(120), true).is_none());
        // Resolved: a notice, and a later reopening alerts again.
        b.accept(Notice::Resolved(item(ExceptionKind::CarrierUnmapped, "order 1")), t0);
        assert_eq!(b.flush(t0, true).unwrap().resolved.len(), 1);
        b.accept(Notice::Opened(item(ExceptionKind::CarrierUnmapped, "order 1")), t0);
        assert_eq!(b.flush(t0, true).unwrap().opened.len(), 1);
    }

    #[test]
    fn urgent_kinds_go_at_once() {
        let mut b = Batcher::new(Duration::from_secs(30));
        let m = b.accept(Notice::Opened(item(ExceptionKind::PollFailed, "orders")), Instant::now()).unwrap();
        assert!(m.urgent);
        assert!(b.due().is_none());
    }
}
