//! The priority of the jobs a batch of webhooks causes: a `stock.observed` job that lowers a
//! SKU goes before queued increases, judged against the SKU's last observation.
use crate::store::stmt;
use crate::domain::push_priority::{self, LastObserved, ObservationUrgency};
use crate::store::inbox::{PRIORITY_STOCK_DROP, PRIORITY_STOCK_FLOOR};
use crate::store::jobs::{JobKind, NewJob};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use std::borrow::Cow;
use std::collections::HashMap;

/// The jobs of a batch of webhook events, with each `stock.observed` job's priority raised
/// when it lowers a SKU (see `domain::push_priority::observation_urgency`): one read of the
/// SKUs' last observations for the whole batch. Other jobs are passed through unchanged.
pub async fn prioritise_observations<'a, C: ConnectionTrait>(
    conn: &C,
    jobs: Vec<&'a NewJob>,
) -> Result<Vec<Cow<'a, NewJob>>, DbErr> {
    let observed = BatchObservations::of(&jobs);
    let mut last = HashMap::new();
    for chunk in observed.wanted.chunks(LAST_OBSERVED_CHUNK) {
        for r in conn.query_all(last_observed_stmt(conn.get_database_backend(), chunk)).await? {
            last.extend(last_observed_row(r.try_get("", "sku")?, r.try_get("", "observed_qty")?, r.try_get("", "computed_value")?));
        }
    }
    Ok(observed.prioritise(jobs, &last))
}

/// SKUs per read of their last observations.
pub(crate) const LAST_OBSERVED_CHUNK: usize = 500;

/// What a batch's `stock.observed` jobs observed: each job's (SKU, salable quantity) items, and
/// the SKUs whose last observation decides a priority (those observed above 0), sorted once.
pub(crate) struct BatchObservations {
    items: Vec<Vec<(String, Option<i64>)>>,
    pub(crate) wanted: Vec<String>,
}

impl BatchObservations {
    pub(crate) fn of(jobs: &[&NewJob]) -> BatchObservations {
        let items_of = |j: &NewJob| -> Vec<(String, Option<i64>)> {
            if j.kind != JobKind::StockObserved {
                return Vec::new();
            }
            let Some(list) = j.payload.pointer("/data/items").and_then(|v| v.as_array()) else { return Vec::new() };
            list.iter()
                .filter_map(|i| Some((i.get("sku")?.as_str()?.to_owned(), i.get("salable_qty").and_then(|q| q.as_i64()))))
                .collect()
        };
        let items: Vec<_> = jobs.iter().map(|j| items_of(j)).collect();
        let mut wanted: Vec<String> =
            items.iter().flatten().filter(|(_, q)| q.is_some_and(|q| q > 0)).map(|(s, _)| s.clone()).collect();
        wanted.sort_unstable();
        wanted.dedup();
        BatchObservations { items, wanted }
    }

    /// The jobs (in the order given to `of`), each observation's priority raised by what it
    /// lowers against `last`.
    pub(crate) fn prioritise<'a>(self, jobs: Vec<&'a NewJob>, last: &HashMap<String, LastObserved>) -> Vec<Cow<'a, NewJob>> {
        jobs.into_iter()
            .zip(self.items)
            .map(|(j, items)| {
                let urgency = items
                    .iter()
                    .map(|(sku, q)| push_priority::observation_urgency(*q, last.get(sku.as_str()).copied()))
                    .max()
                    .unwrap_or(ObservationUrgency::Other);
                let priority = match urgency {
                    ObservationUrgency::Floor => PRIORITY_STOCK_FLOOR,
                    ObservationUrgency::Drop => PRIORITY_STOCK_DROP,
                    ObservationUrgency::Other => return Cow::Borrowed(j),
                };
                Cow::Owned(NewJob { priority: priority.max(j.priority), ..j.clone() })
            })
            .collect()
    }
}

/// The read of up to `LAST_OBSERVED_CHUNK` SKUs' last observations: rows of `sku`,
/// `observed_qty` (text) and `computed_value`, for `last_observed_row`.
pub(crate) fn last_observed_stmt(backend: DbBackend, skus: &[String]) -> Statement {
    let marks: Vec<String> = (1..=skus.len()).map(|k| format!("${k}")).collect();
    let sql = format!(
        "SELECT sku, observed_qty, computed_value FROM stock_state WHERE sku IN ({}) AND observed_qty IS NOT NULL AND computed_value IS NOT NULL",
        marks.join(", ")
    );
    stmt(backend, &sql, skus.iter().map(|s| s.as_str().into()))
}

/// One row of `last_observed_stmt` (a quantity that is not a number is skipped).
pub(crate) fn last_observed_row(sku: String, observed_qty: String, computed: i64) -> Option<(String, LastObserved)> {
    let qty = observed_qty.parse::<Decimal>().ok()?.ceil().try_into().unwrap_or(i64::MAX);
    Some((sku, LastObserved { qty, computed }))
}
