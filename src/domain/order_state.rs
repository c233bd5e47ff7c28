//! Our state machine for a John Lewis order, and the pure rules around it.
//!
//! ```text
//! downloaded ──ack──▶ acknowledged ──inject──▶ injected ──dispatch──▶ dispatched
//!     │                    │                      │
//!     └──── JL asks to cancel (CANCEL) ───────────┴──▶ cancel_requested ──▶ cancelled
//!                          └──── Magento cancelled / nothing left to fulfil ──▶ cancelled
//! ```
//! `dispatched` and `cancelled` are final; the poller stops re-reading final orders.
use super::exception::string_enum;
use super::order::OrderStatus;

string_enum!(
    /// Where an order is in our flow (the `orders.state` column).
    OrderState {
        Downloaded => "downloaded",
        Acknowledged => "acknowledged",
        Injected => "injected",
        Dispatched => "dispatched",
        CancelRequested => "cancel_requested",
        Cancelled => "cancelled",
    }
);

/// What happened to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Acknowledged,
    Injected,
    /// Every live unit dispatched (the shipments flow).
    Dispatched,
    /// John Lewis asked to cancel (status `CANCEL`).
    CancelRequested,
    /// Cancelled on both sides (or nothing was left to fulfil).
    Cancelled,
}

impl OrderState {
    pub fn is_final(self) -> bool {
        matches!(self, OrderState::Dispatched | OrderState::Cancelled)
    }

    /// The state after `step`, or `None` when the step does not apply from here.
    pub fn after(self, step: Step) -> Option<OrderState> {
        use OrderState::*;
        match (self, step) {
            (Downloaded, Step::Acknowledged) => Some(Acknowledged),
            (Acknowledged, Step::Injected) => Some(Injected),
            // Injection may finish while a cancellation request waits for the lease.
            (CancelRequested, Step::Injected) => Some(CancelRequested),
            (Acknowledged | Injected | CancelRequested, Step::Dispatched) => Some(Dispatched),
            (Downloaded | Acknowledged | Injected, Step::CancelRequested) => Some(CancelRequested),
            (CancelRequested, Step::CancelRequested) => Some(CancelRequested),
            (Downloaded | Acknowledged | Injected | CancelRequested, Step::Cancelled) => Some(Cancelled),
            _ => None,
        }
    }

    /// States from which `step` applies (for conditional updates).
    pub fn allowing(step: Step) -> Vec<OrderState> {
        OrderState::ALL.iter().copied().filter(|s| s.after(step).is_some()).collect()
    }

    /// Whether the acknowledgement has been accepted by John Lewis in this state: until it
    /// has, nothing else may be sent for the order (cancellation acknowledgements of a
    /// retailer's request excepted: they answer the retailer).
    pub fn acknowledged(self) -> bool {
        !matches!(self, OrderState::Downloaded)
    }
}

/// What the poller does with an order it listed, given what is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListedAction {
    /// Nothing new (already handled or final).
    None,
    /// New order: acknowledge it.
    Acknowledge,
    /// John Lewis asks to cancel: acknowledge the cancellation (and cancel in Magento).
    CancelRequest,
    /// The order ended on John Lewis's side (cancel acknowledged or dispatched elsewhere):
    /// record the status only.
    RecordOnly,
}

/// `stored` is our state, `None` for an order seen for the first time.
pub fn on_listed(stored: Option<OrderState>, status: &OrderStatus) -> ListedAction {
    match (stored, status) {
        (Some(s), _) if s.is_final() => ListedAction::None,
        (None | Some(OrderState::Downloaded), OrderStatus::Order) => ListedAction::Acknowledge,
        (Some(OrderState::CancelRequested), OrderStatus::Cancel) => ListedAction::None,
        (_, OrderStatus::Cancel) => ListedAction::CancelRequest,
        (None, _) => ListedAction::RecordOnly,
        _ => ListedAction::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderState::*;

    #[test]
    fn happy_path_and_finals() {
        assert_eq!(Downloaded.after(Step::Acknowledged), Some(Acknowledged));
        assert_eq!(Acknowledged.after(Step::Injected), Some(Injected));
        assert_eq!(Injected.after(Step::Dispatched), Some(Dispatched));
        assert_eq!(Downloaded.after(Step::Injected), None, "never inject before the acknowledgement");
        assert_eq!(Dispatched.after(Step::Cancelled), None);
        assert_eq!(Cancelled.after(Step::Acknowledged), None);
        assert!(Dispatched.is_final() && Cancelled.is_final() && !Injected.is_final());
    }

    #[test]
    fn cancellation_from_every_live_state() {
        for s in [Downloaded, Acknowledged, Injected] {
            assert_eq!(s.after(Step::CancelRequested), Some(CancelRequested));
            assert_eq!(s.after(Step::Cancelled), Some(Cancelled));
        }
        assert_eq!(CancelRequested.after(Step::Cancelled), Some(Cancelled));
        assert_eq!(CancelRequested.after(Step::Dispatched), Some(Dispatched), "shipped anyway");
        assert!(OrderState::allowing(Step::Cancelled).contains(&CancelRequested));
    }

    #[test]
    fn poller_actions() {
        assert_eq!(on_listed(None, &OrderStatus::Order), ListedAction::Acknowledge);
        assert_eq!(on_listed(Some(Downloaded), &OrderStatus::Order), ListedAction::Acknowledge);
        assert_eq!(on_listed(Some(Acknowledged), &OrderStatus::Order), ListedAction::None);
        assert_eq!(on_listed(None, &OrderStatus::Cancel), ListedAction::CancelRequest);
        assert_eq!(on_listed(Some(Injected), &OrderStatus::Cancel), ListedAction::CancelRequest);
        assert_eq!(on_listed(Some(CancelRequested), &OrderStatus::Cancel), ListedAction::None);
        assert_eq!(on_listed(Some(Cancelled), &OrderStatus::Cancel), ListedAction::None);
        assert_eq!(on_listed(None, &OrderStatus::OrderAck), ListedAction::RecordOnly);
    }
}
