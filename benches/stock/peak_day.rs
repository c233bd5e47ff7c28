//! (b) A replayed peak day, as a pure simulation on the domain rules: Magento sells, John Lewis
//! takes orders against what it shows, and three ways of keeping John Lewis in step share the
//! same call budget and buffer rules. An oversold unit is a John Lewis order for a unit
//! Magento no longer has.
use jlbridge::domain::buffer::BufferRules;
use jlbridge::domain::push_priority::{self, PushCandidate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use std::collections::{BTreeSet, HashMap};

pub const SKUS: usize = 2_000;
pub const HOURS: u64 = 12;
/// A change reaches the pusher this long after Magento makes it (webhook delivery and
/// processing, rounded up from the measured freshness).
pub const WEBHOOK_DELAY_SECS: i64 = 2;
/// Stock calls a minute for every strategy (the pusher's share of the 250 a minute).
pub const CALLS_PER_MINUTE: u64 = 200;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Strategy {
    RiskFirst,
    FullSyncEvery(u64),
}

impl Strategy {
    pub fn name(self) -> String {
        match self {
            Strategy::RiskFirst => "risk-first pusher (this service)".into(),
            Strategy::FullSyncEvery(m) => format!("scheduled full sync every {m} min"),
        }
    }
}

/// Events in one second for a mean of `rate` (whole part always, the fraction by chance).
fn draws(rng: &mut StdRng, rate: f64) -> usize {
    rate.floor() as usize + usize::from(rng.gen_bool(rate.fract()))
}

#[derive(Clone, Copy)]
enum Event {
    MagentoSale(usize),
    JlOrder(usize),
    Restock(usize, i64),
}

/// The day's events, second by second; the same for every strategy.
fn day(seed: u64) -> (Vec<i64>, Vec<Vec<Event>>) {
    let mut rng = StdRng::seed_from_u64(seed);
    // Mostly low stock (where overselling happens), some deep.
    let stock: Vec<i64> = (0..SKUS).map(|_| if rng.gen_bool(0.7) { rng.gen_range(0..12) } else { rng.gen_range(12..80) }).collect();
    // Popularity: a few SKUs sell most (1/rank).
    let weights: Vec<f64> = (0..SKUS).map(|i| 1.0 / (1.0 + i as f64).powf(0.8)).collect();
    let total: f64 = weights.iter().sum();
    let cumulative: Vec<f64> = weights.iter().scan(0.0, |a, w| { *a += w / total; Some(*a) }).collect();
    let pick = |rng: &mut StdRng| cumulative.partition_point(|c| *c < rng.gen::<f64>()).min(SKUS - 1);
    let secs = HOURS * 3600;
    let mut events = vec![Vec::new(); secs as usize];
    for (s, slot) in events.iter_mut().enumerate() {
        // Peak from hour 4 to hour 8: three times the base rate.
        let peak = (4 * 3600..8 * 3600).contains(&(s as u64));
        let m: f64 = if peak { 3.0 } else { 1.0 };
        // Base: 1.2 Magento sales and 0.8 John Lewis orders a second, restocks now and then;
        // at the peak the changes (~360 a minute) outrun the 200 calls a minute.
        for _ in 0..draws(&mut rng, 1.2 * m) {
            slot.push(Event::MagentoSale(pick(&mut rng)));
        }
        for _ in 0..draws(&mut rng, 0.8 * m) {
            slot.push(Event::JlOrder(pick(&mut rng)));
        }
        if rng.gen_bool(0.05) {
            slot.push(Event::Restock(rng.gen_range(0..SKUS), rng.gen_range(5..40)));
        }
    }
    (stock, events)
}

pub struct Outcome {
    pub oversold: u64,
    pub calls: u64,
    pub jl_orders: u64,
}

pub fn simulate(strategy: Strategy, rules: &BufferRules, seed: u64) -> Outcome {
    let (mut magento, events) = day(seed);
    let at = chrono::Utc::now();
    let skus: Vec<String> = (0..SKUS).map(|i| format!("SKU-{i:05}")).collect();
    let value = |sku: usize, qty: i64| rules.compute(&skus[sku], Decimal::from(qty), at).output;
    // John Lewis starts in step.
    let mut shown: Vec<u32> = (0..SKUS).map(|i| value(i, magento[i])).collect();
    let mut pending: HashMap<usize, i64> = HashMap::new(); // sku → changed at (s)
    let mut sync_queue: BTreeSet<usize> = BTreeSet::new();
    let (mut oversold, mut calls, mut jl_orders) = (0u64, 0u64, 0u64);
    let ms_per_call = 60_000 / CALLS_PER_MINUTE;
    let mut next_call_ms = 0u64;
    for (s, slot) in events.iter().enumerate() {
        let now_ms = s as u64 * 1000;
        for e in slot {
            match *e {
                Event::MagentoSale(i) => {
                    if magento[i] > 0 {
                        magento[i] -= 1;
                        pending.entry(i).or_insert(s as i64);
                    }
                }
                Event::JlOrder(i) => {
                    if shown[i] > 0 {
                        jl_orders += 1;
                        shown[i] -= 1; // The Edge takes the unit off what it shows.
                        if magento[i] > 0 {
                            magento[i] -= 1; // injected into Magento: salable drops
                            pending.entry(i).or_insert(s as i64);
                        } else {
                            oversold += 1;
                        }
                    }
                }
                Event::Restock(i, n) => {
                    magento[i] += n;
                    pending.entry(i).or_insert(s as i64);
                }
            }
        }
        if let Strategy::FullSyncEvery(min) = strategy {
            if s as u64 % (min * 60) == 0 {
                // A full sync compares every SKU and queues the differences, in catalogue order.
                sync_queue = (0..SKUS).filter(|&i| value(i, magento[i]) != shown[i]).collect();
            }
        }
        // The call slots of this second.
        while next_call_ms < now_ms + 1000 {
            next_call_ms += ms_per_call;
            let sku = match strategy {
                Strategy::RiskFirst => {
                    pending.retain(|&i, _| value(i, magento[i]) != shown[i]);
                    let best = pending
                        .iter()
                        .filter(|(_, &since)| since + WEBHOOK_DELAY_SECS <= s as i64)
                        .map(|(&i, &changed)| {
                            (i, PushCandidate { sku: skus[i].clone(), value: value(i, magento[i]), shown: Some(shown[i]), changed_at: changed })
                        })
                        .min_by(|a, b| push_priority::key(&a.1).cmp(&push_priority::key(&b.1)));
                    best.map(|(i, _)| i)
                }
                Strategy::FullSyncEvery(_) => sync_queue.pop_first(),
            };
            let Some(i) = sku else { continue };
            pending.remove(&i);
            // The latest value is sent (generous to the scheduled sync: read at push time).
            shown[i] = value(i, magento[i]);
            calls += 1;
        }
    }
    Outcome { oversold, calls, jl_orders }
}
