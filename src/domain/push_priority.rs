//! Which pending stock push goes first when calls are scarce (DESIGN §4): values now lower than
//! what John Lewis shows (oversell risk) before increases, the nearest to zero first.
use std::cmp::Reverse;

/// How a pending value relates to what John Lewis shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Urgency {
    /// Lower than shown, or shown unknown: John Lewis may sell stock that is gone.
    Risk = 0,
    /// Higher than shown: sales are being missed, nothing is oversold.
    Increase = 1,
    /// Already shown: nothing to send.
    Unchanged = 2,
}

pub fn urgency(value: u32, shown: Option<u32>) -> Urgency {
    match shown {
        None => Urgency::Risk,
        Some(s) if value < s => Urgency::Risk,
        Some(s) if value > s => Urgency::Increase,
        Some(_) => Urgency::Unchanged,
    }
}

/// A SKU waiting to be pushed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushCandidate {
    pub sku: String,
    /// The value to send (after buffer rules).
    pub value: u32,
    /// What John Lewis shows, as far as we know.
    pub shown: Option<u32>,
    /// When the value last changed (Unix ms): older waits less long.
    pub changed_at: i64,
}

/// Sort key: smaller goes first. Risks by value ascending then biggest drop; increases from
/// the lowest shown value (restocking what shows 0 first); then oldest change, then SKU.
pub fn key(c: &PushCandidate) -> (Urgency, u32, Reverse<u64>, i64, &str) {
    let u = urgency(c.value, c.shown);
    match u {
        Urgency::Risk => {
            let drop = c.shown.map_or(u64::MAX, |s| u64::from(s - c.value));
            (u, c.value, Reverse(drop), c.changed_at, c.sku.as_str())
        }
        Urgency::Increase => {
            let shown = c.shown.unwrap_or(0);
            (u, shown, Reverse(u64::from(c.value - shown)), c.changed_at, c.sku.as_str())
        }
        Urgency::Unchanged => (u, c.value, Reverse(0), c.changed_at, c.sku.as_str()),
    }
}

/// How urgent a received stock observation is, before it is applied: decides its job's
/// priority, so a drop overtakes queued increases from the webhook onwards, not only once
/// observed (the pusher's order above applies from there).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ObservationUrgency {
    /// Not known to lower anything: an increase, the same value, a first observation, or a
    /// quantity still to be read from Magento.
    Other = 0,
    /// Lower than the last observed quantity.
    Drop = 1,
    /// Down to 0, or down to what the buffer took last time (the value sent will be 0).
    Floor = 2,
}

/// What was last observed for a SKU: Magento's salable quantity and the value computed from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastObserved {
    pub qty: i64,
    pub computed: i64,
}

pub fn observation_urgency(new_qty: Option<i64>, last: Option<LastObserved>) -> ObservationUrgency {
    let Some(q) = new_qty else { return ObservationUrgency::Other };
    if q <= 0 {
        return ObservationUrgency::Floor;
    }
    match last {
        Some(l) if q < l.qty && q <= l.qty - l.computed => ObservationUrgency::Floor,
        Some(l) if q < l.qty => ObservationUrgency::Drop,
        _ => ObservationUrgency::Other,
    }
}

/// Orders candidates, riskiest first.
pub fn order(cands: &mut [PushCandidate]) {
    cands.sort_by(|a, b| key(a).cmp(&key(b)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(sku: &str, value: u32, shown: Option<u32>, changed_at: i64) -> PushCandidate {
        PushCandidate { sku: sku.into(), value, shown, changed_at }
    }

    #[test]
    fn urgency_table() {
        let cases = [
            (0, Some(5), Urgency::Risk),
            (4, Some(5), Urgency::Risk),
            (0, None, Urgency::Risk),
            (9, None, Urgency::Risk),
            (6, Some(5), Urgency::Increase),
            (5, Some(5), Urgency::Unchanged),
        ];
        for (v, s, want) in cases {
            assert_eq!(urgency(v, s), want, "{v} vs {s:?}");
        }
    }

    #[test]
    fn riskiest_first_then_increases() {
        let mut v = vec![
            c("inc-from-3", 10, Some(3), 1),
            c("same", 4, Some(4), 0),
            c("drop-to-5", 5, Some(50), 9),
            c("inc-from-0", 2, Some(0), 5),
            c("drop-to-0-small", 0, Some(1), 7),
            c("drop-to-0-big", 0, Some(80), 8),
            c("unknown-3", 3, None, 2),
            c("drop-to-0-big-older", 0, Some(80), 3),
            c("inc-from-0-bigger", 20, Some(0), 6),
        ];
        order(&mut v);
        let got: Vec<&str> = v.iter().map(|c| c.sku.as_str()).collect();
        assert_eq!(
            got,
            [
                "drop-to-0-big-older",
                "drop-to-0-big",
                "drop-to-0-small",
                "unknown-3",
                "drop-to-5",
                "inc-from-0-bigger",
                "inc-from-0",
                "inc-from-3",
                "same",
            ]
        );
    }

    #[test]
    fn observation_urgency_table() {
        use ObservationUrgency::*;
        let last = |qty, computed| Some(LastObserved { qty, computed });
        let cases = [
            (Some(0), None, Floor),
            (Some(-2), last(5, 3), Floor),
            (Some(2), last(10, 8), Floor),   // the buffer took 2: 2 → 0
            (Some(3), last(10, 8), Drop),
            (Some(9), last(10, 8), Drop),
            (Some(10), last(10, 8), Other),  // unchanged
            (Some(11), last(10, 8), Other),  // increase
            (Some(4), None, Other),          // first observation of the SKU
            (None, last(10, 8), Other),      // to be read from Magento
            (Some(1), last(1, 0), Other),    // already at the floor, same quantity
        ];
        for (q, l, want) in cases {
            assert_eq!(observation_urgency(q, l), want, "{q:?} after {l:?}");
        }
    }

    #[test]
    fn one_zero_beats_thousands_of_increases() {
        let mut v: Vec<PushCandidate> = (0..5000).map(|i| c(&format!("UP-{i}"), 10 + i % 7, Some(1), i as i64)).collect();
        v.push(c("GONE", 0, Some(12), 99_999));
        order(&mut v);
        assert_eq!(v[0].sku, "GONE");
    }
}
