//! Matching a weekly sales report against what jlbridge dispatched (pure). Per day, product
//! and direction (sale or return), the report's units and value are compared with the units
//! dispatched (sales) and cancelled post-dispatch (returns, negative) for John Lewis orders.
//! Last-day sales may appear in the next week's report: they are matched across the week
//! boundary before being called missing. Totals are decimal, exact to the penny.
use super::money::{Currency, Money};
use super::sales_report::{week_start, ReportLine};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// Units and value of one side for one key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figure {
    /// `None` when the report has no units column.
    pub units: Option<i64>,
    pub value: Decimal,
}

impl Figure {
    fn add(&mut self, units: Option<i64>, value: Decimal) {
        self.units = match (self.units, units) {
            (Some(a), Some(b)) => Some(a + b),
            (None, Some(b)) if self.value.is_zero() => Some(b),
            (a, _) => a,
        };
        self.value += value;
    }
    fn plus(self, o: Figure) -> Figure {
        let mut f = self;
        f.add(o.units, o.value);
        f
    }
    /// Same value, and same units where both sides know them.
    pub fn agrees(&self, o: &Figure) -> bool {
        self.value == o.value && (self.units.is_none() || o.units.is_none() || self.units == o.units)
    }
    pub fn text(&self, currency: Currency) -> String {
        match self.units {
            Some(u) => format!("{u} units, {:.2} {currency}", self.value),
            None => format!("{:.2} {currency}", self.value),
        }
    }
}

/// What jlbridge recorded for one order line on one day: a dispatch (positive) or a
/// post-dispatch cancellation (negative units and value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoldLine {
    pub order_reference: String,
    pub part_number: String,
    pub day: NaiveDate,
    pub units: i64,
    pub value: Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    Sale,
    Return,
}

impl Direction {
    fn of(value: Decimal, units: Option<i64>) -> Self {
        if value < Decimal::ZERO || units.is_some_and(|u| u < 0) {
            Direction::Return
        } else {
            Direction::Sale
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub day: NaiveDate,
    pub part_number: String,
    pub direction: Direction,
}

crate::domain::exception::string_enum!(
    /// How a report and the orders disagree.
    DiscrepancyKind {
        MissingFromReport => "missing_from_report",
        MissingFromMagento => "missing_from_magento",
        AmountDiffers => "amount_differs",
        LateDay => "late_day",
        DuplicateLine => "duplicate_line",
    }
);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discrepancy {
    pub kind: DiscrepancyKind,
    pub week_ending: NaiveDate,
    pub day: NaiveDate,
    pub part_number: String,
    pub direction: Direction,
    /// What the report says (this week's report; for a late day, with next week's noted).
    pub report: Option<Figure>,
    /// What jlbridge dispatched / cancelled.
    pub magento: Option<Figure>,
    pub order_references: Vec<String>,
    /// Report rows involved.
    pub rows: Vec<usize>,
    pub detail: String,
}

impl Discrepancy {
    /// The exception entity, e.g. `week 2026-11-22 part 71000012 day 2026-11-20`.
    pub fn entity(&self) -> String {
        let mut e = format!("week {} part {} day {}", self.week_ending, self.part_number, self.day);
        if self.direction == Direction::Return {
            e.push_str(" return");
        }
        if self.kind == DiscrepancyKind::DuplicateLine {
            if let Some(r) = self.rows.first() {
                e.push_str(&format!(" row {r}"));
            }
        }
        e
    }
}

/// Per product (or in total): the report's and jlbridge's figures and how many groups matched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductSummary {
    pub part_number: String,
    pub gross_sales: Decimal,
    pub returns: Decimal,
    pub units_sold: i64,
    pub units_returned: i64,
    pub magento_gross: Decimal,
    pub magento_returns: Decimal,
    pub lines: u32,
    pub matched_lines: u32,
    pub unmatched_lines: u32,
}

impl ProductSummary {
    pub fn net(&self) -> Decimal {
        self.gross_sales + self.returns
    }
    fn absorb(&mut self, o: &ProductSummary) {
        self.gross_sales += o.gross_sales;
        self.returns += o.returns;
        self.units_sold += o.units_sold;
        self.units_returned += o.units_returned;
        self.magento_gross += o.magento_gross;
        self.magento_returns += o.magento_returns;
        self.lines += o.lines;
        self.matched_lines += o.matched_lines;
        self.unmatched_lines += o.unmatched_lines;
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciliation {
    pub week_ending: NaiveDate,
    pub currency: Currency,
    pub discrepancies: Vec<Discrepancy>,
    pub products: Vec<ProductSummary>,
    pub total: ProductSummary,
}

impl Reconciliation {
    pub fn gross(&self) -> Money {
        Money::new(self.total.gross_sales, self.currency)
    }
}

/// What to match: this week's report, next week's when imported (for last-day slips), and
/// what jlbridge sold on the days involved (callers may pass more; only relevant days count).
pub struct Inputs<'a> {
    pub week_ending: NaiveDate,
    pub currency: Currency,
    pub report: &'a [ReportLine],
    pub next_week: Option<&'a [ReportLine]>,
    pub sold: &'a [SoldLine],
}

fn key_of(l: &ReportLine) -> Key {
    Key { day: l.day, part_number: l.part_number.clone(), direction: Direction::of(l.value, l.units) }
}

/// Lines after removing exact repeats; the repeats come back separately.
fn dedupe(lines: &[ReportLine]) -> (Vec<&ReportLine>, Vec<&ReportLine>) {
    let mut seen = HashSet::new();
    let (mut keep, mut dup) = (Vec::new(), Vec::new());
    for l in lines {
        if seen.insert(l.content_key()) {
            keep.push(l);
        } else {
            dup.push(l);
        }
    }
    (keep, dup)
}

#[derive(Default)]
struct Side {
    fig: Figure,
    rows: Vec<usize>,
    orders: BTreeSet<String>,
}

fn aggregate<'a>(lines: impl IntoIterator<Item = &'a ReportLine>) -> BTreeMap<Key, Side> {
    let mut m: BTreeMap<Key, Side> = BTreeMap::new();
    for l in lines {
        let s = m.entry(key_of(l)).or_default();
        s.fig.add(l.units, l.value);
        s.rows.push(l.row);
    }
    m
}

pub fn reconcile(i: &Inputs<'_>) -> Reconciliation {
    let week = i.week_ending;
    let start = week_start(week);
    let (kept, dups) = dedupe(i.report);
    let report = aggregate(kept.iter().copied());
    let next: BTreeMap<Key, Side> = match i.next_week {
        Some(n) => aggregate(dedupe(n).0.into_iter().filter(|l| l.day <= week)),
        None => BTreeMap::new(),
    };
    // Days before this week that the report carries (last-day slips from the week before).
    let slipped_days: BTreeSet<(NaiveDate, &str)> =
        report.keys().filter(|k| k.day < start).map(|k| (k.day, k.part_number.as_str())).collect();
    let mut sold: BTreeMap<Key, Side> = BTreeMap::new();
    for s in i.sold {
        let in_week = s.day >= start && s.day <= week;
        if !in_week && !slipped_days.contains(&(s.day, s.part_number.as_str())) {
            continue;
        }
        let k = Key { day: s.day, part_number: s.part_number.clone(), direction: Direction::of(s.value, Some(s.units)) };
        let side = sold.entry(k).or_default();
        side.fig.add(Some(s.units), s.value);
        side.orders.insert(s.order_reference.clone());
    }

    let mut out = Vec::new();
    let mut products: BTreeMap<String, ProductSummary> = BTreeMap::new();
    let cur = i.currency;
    for l in i.report {
        let p = products.entry(l.part_number.clone()).or_insert_with(|| ProductSummary { part_number: l.part_number.clone(), ..Default::default() });
        p.lines += 1;
        if l.value < Decimal::ZERO {
            p.returns += l.value;
        } else {
            p.gross_sales += l.value;
        }
        match l.units {
            Some(u) if u < 0 => p.units_returned += -u,
            Some(u) => p.units_sold += u,
            None => {}
        }
    }
    for (k, s) in &sold {
        let p = products.entry(k.part_number.clone()).or_insert_with(|| ProductSummary { part_number: k.part_number.clone(), ..Default::default() });
        match k.direction {
            Direction::Sale => p.magento_gross += s.fig.value,
            Direction::Return => p.magento_returns += s.fig.value,
        }
    }
    for d in &dups {
        let p = products.get_mut(&d.part_number).expect("counted above");
        p.unmatched_lines += 1;
        out.push(Discrepancy {
            kind: DiscrepancyKind::DuplicateLine,
            week_ending: week,
            day: d.day,
            part_number: d.part_number.clone(),
            direction: Direction::of(d.value, d.units),
            report: Some(Figure { units: d.units, value: d.value }),
            magento: None,
            order_references: Vec::new(),
            rows: vec![d.row],
            detail: format!("row {} repeats an earlier row of the same report word for word", d.row),
        });
    }
    let keys: BTreeSet<&Key> = report.keys().chain(sold.keys()).collect();
    for k in keys {
        let r = report.get(k);
        let m = sold.get(k);
        let n = next.get(k);
        let orders: Vec<String> = m.map(|m| m.orders.iter().cloned().collect()).unwrap_or_default();
        let rows: Vec<usize> = r.map(|r| r.rows.clone()).unwrap_or_default();
        let mk = |kind, report: Option<Figure>, detail: String| Discrepancy {
            kind,
            week_ending: week,
            day: k.day,
            part_number: k.part_number.clone(),
            direction: k.direction,
            report,
            magento: m.map(|m| m.fig),
            order_references: orders.clone(),
            rows: rows.clone(),
            detail,
        };
        let found = match (r, m) {
            // A slip from the week before: that week's matching compared the whole day.
            (Some(_), Some(_)) if k.day < start => None,
            (Some(r), Some(m)) if r.fig.agrees(&m.fig) => None,
            (Some(r), Some(m)) => match n {
                Some(n) if k.day == week && r.fig.plus(n.fig).agrees(&m.fig) => Some(mk(
                    DiscrepancyKind::LateDay,
                    Some(r.fig),
                    format!("the rest ({}) is in the report for the following week", n.fig.text(cur)),
                )),
                _ => Some(mk(DiscrepancyKind::AmountDiffers, Some(r.fig), "the report and jlbridge disagree".into())),
            },
            (Some(r), None) => Some(mk(
                DiscrepancyKind::MissingFromMagento,
                Some(r.fig),
                "the report has figures jlbridge did not record on this day (a dispatch, or a post-dispatch cancellation for a return)".into(),
            )),
            (None, Some(m)) => match n {
                Some(n) if n.fig.agrees(&m.fig) => Some(mk(
                    DiscrepancyKind::LateDay,
                    None,
                    format!("last-day sale reported in the following week's report ({})", n.fig.text(cur)),
                )),
                Some(n) => Some(mk(
                    DiscrepancyKind::AmountDiffers,
                    Some(n.fig),
                    "slipped into the following week's report with a different amount".into(),
                )),
                None if k.day == week && i.next_week.is_none() => Some(mk(
                    DiscrepancyKind::LateDay,
                    None,
                    "last-day sale not in this report; import the following week's report to confirm".into(),
                )),
                None => Some(mk(DiscrepancyKind::MissingFromReport, None, "jlbridge dispatched it; the report does not have it".into())),
            },
            (None, None) => None,
        };
        let lines = r.map(|r| r.rows.len() as u32).unwrap_or(0);
        let p = products.get_mut(&k.part_number).expect("counted above");
        match &found {
            Some(_) => p.unmatched_lines += lines,
            None => p.matched_lines += lines,
        }
        out.extend(found);
    }
    let products: Vec<ProductSummary> = products.into_values().collect();
    let mut total = ProductSummary { part_number: "TOTAL".into(), ..Default::default() };
    for p in &products {
        total.absorb(p);
    }
    Reconciliation { week_ending: week, currency: cur, discrepancies: out, products, total }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
    }
    fn line(row: usize, day: u32, part: &str, units: i64, value: i64) -> ReportLine {
        ReportLine {
            row,
            week_ending: d(22),
            day: d(day),
            supplier_name: "Acme".into(),
            supplier_number: "1".into(),
            branch: "561".into(),
            branch_name: "JL.com".into(),
            ean: "5".into(),
            part_number: part.into(),
            description: "x".into(),
            units: Some(units),
            value: Decimal::new(value, 2),
            extra: BTreeMap::new(),
        }
    }
    fn sold(r: &str, day: u32, part: &str, units: i64, value: i64) -> SoldLine {
        SoldLine { order_reference: r.into(), part_number: part.into(), day: d(day), units, value: Decimal::new(value, 2) }
    }

    #[test]
    fn classifies_each_kind_once() {
        let report = vec![
            line(2, 16, "A", 1, 1000),
            line(3, 17, "A", 2, 2000), // amount differs (Magento 2 units 19.98)
            line(4, 18, "B", 1, 500),  // missing from Magento
            line(5, 18, "B", 1, 500),  // duplicate
            line(6, 19, "A", -1, -1000), // return, matched
        ];
        let next = vec![line(2, 22, "C", 1, 700)];
        let sold = vec![
            sold("o1", 16, "A", 1, 1000),
            sold("o2", 17, "A", 2, 1998),
            sold("o3", 20, "C", 3, 300), // missing from report
            sold("o1", 19, "A", -1, -1000),
            sold("o4", 22, "C", 1, 700), // late day
        ];
        let r = reconcile(&Inputs { week_ending: d(22), currency: Currency::GBP, report: &report, next_week: Some(&next), sold: &sold });
        let kinds: Vec<_> = r.discrepancies.iter().map(|x| (x.kind, x.part_number.as_str(), x.day.to_string())).collect();
        assert_eq!(kinds.len(), 5, "{kinds:?}");
        assert!(kinds.contains(&(DiscrepancyKind::DuplicateLine, "B", "2026-11-18".into())));
        assert!(kinds.contains(&(DiscrepancyKind::AmountDiffers, "A", "2026-11-17".into())));
        assert!(kinds.contains(&(DiscrepancyKind::MissingFromMagento, "B", "2026-11-18".into())));
        assert!(kinds.contains(&(DiscrepancyKind::MissingFromReport, "C", "2026-11-20".into())));
        assert!(kinds.contains(&(DiscrepancyKind::LateDay, "C", "2026-11-22".into())));
        assert_eq!(r.total.gross_sales, Decimal::new(4000, 2));
        assert_eq!(r.total.returns, Decimal::new(-1000, 2));
        assert_eq!(r.total.matched_lines, 2);
        assert_eq!(r.total.unmatched_lines, 3);
        assert_eq!(r.discrepancies[0].entity(), "week 2026-11-22 part B day 2026-11-18 row 5");
    }
}
