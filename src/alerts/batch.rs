//! Which notices become which messages: urgent kinds at once, the rest grouped over a short
//! window, each (kind, entity) alerted once while it stays open, and a resolved notice after.
use super::{AlertItem, Condition, ConditionItem, Notice};
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    pub opened: Vec<AlertItem>,
    pub resolved: Vec<AlertItem>,
    /// Service conditions started (always urgent, sent alone) and ended.
    pub raised: Vec<ConditionItem>,
    pub cleared: Vec<ConditionItem>,
    pub urgent: bool,
}

impl Message {
    fn is_empty(&self) -> bool {
        self.opened.is_empty() && self.resolved.is_empty() && self.raised.is_empty() && self.cleared.is_empty()
    }
}

pub struct Batcher {
    window: Duration,
    /// Alerted and not yet resolved.
    open: HashSet<(ExceptionKind, String)>,
    opened: Vec<AlertItem>,
    resolved: Vec<AlertItem>,
    /// Conditions alerted and not yet cleared.
    conditions: HashSet<Condition>,
    cleared: Vec<ConditionItem>,
    due: Option<Instant>,
}

impl Batcher {
    pub fn new(window: Duration) -> Self {
        Batcher {
            window,
            open: HashSet::new(),
            opened: Vec::new(),
            resolved: Vec::new(),
            conditions: HashSet::new(),
            cleared: Vec::new(),
            due: None,
        }
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
                    return Some(Message { opened: vec![item], urgent: true, ..Message::default() });
                }
                self.opened.push(item);
            }
            Notice::Resolved(item) => {
                self.open.remove(&(item.kind, item.entity.clone()));
                self.resolved.push(item);
            }
            Notice::Raised(c) => {
                if !self.conditions.insert(c.condition) {
                    metrics::counter!("jlbridge_alerts_suppressed_total", "kind" => c.condition.as_str()).increment(1);
                    return None;
                }
                return Some(Message { raised: vec![c], urgent: true, ..Message::default() });
            }
            Notice::Cleared(c) => {
                if !self.conditions.remove(&c.condition) {
                    return None;
                }
                self.cleared.push(c);
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
            raised: Vec::new(),
            cleared: std::mem::take(&mut self.cleared),
            urgent: false,
        };
        (!msg.is_empty()).then_some(msg)
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
    fn conditions_alert_at_once_and_once_while_they_last() {
        let mut b = Batcher::new(Duration::from_secs(30));
        let t0 = Instant::now();
        let c = |condition| ConditionItem { condition, detail: "x".into() };
        let m = b.accept(Notice::Raised(c(Condition::OrderCallsStarved)), t0).unwrap();
        assert!(m.urgent && m.raised.len() == 1);
        assert!(b.accept(Notice::Raised(c(Condition::OrderCallsStarved)), t0).is_none(), "suppressed while it lasts");
        assert!(b.accept(Notice::Cleared(c(Condition::StockPushesStarved)), t0).is_none(), "never raised: no notice");
        assert!(b.flush(t0, true).is_none());
        b.accept(Notice::Cleared(c(Condition::OrderCallsStarved)), t0);
        assert_eq!(b.flush(t0, true).unwrap().cleared.len(), 1);
        assert!(b.accept(Notice::Raised(c(Condition::OrderCallsStarved)), t0).is_some(), "alerted again after it ended");
    }

    #[test]
    fn urgent_kinds_go_at_once() {
        let mut b = Batcher::new(Duration::from_secs(30));
        let m = b.accept(Notice::Opened(item(ExceptionKind::PollFailed, "orders")), Instant::now()).unwrap();
        assert!(m.urgent);
        assert!(b.due().is_none());
    }
}
