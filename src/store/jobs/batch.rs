//! Jobs taken and finished by the batch: claimed with `Queue::claim` (up to N jobs leased
//! with one token, their attempt rows in the same transaction), one heartbeat statement for
//! the lot, and completion inside the caller's transaction (so a
//! handler stores its outcomes and finishes their jobs in one commit). A failure is still
//! recorded job by job (`Queue::fail`): its retry schedule and dead letter are its own.
use super::{ClaimedJob, Queue};
use crate::store::{now_ms, stmt};
use sea_orm::{ConnectionTrait, DbErr, Value};

/// `$first, $first+1, …` for `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Extends the lease of every job of a batch (one statement); returns how many were still held.
pub async fn heartbeat_batch(queue: &Queue, jobs: &[&ClaimedJob]) -> Result<u64, DbErr> {
    let Some(first) = jobs.first() else { return Ok(0) };
    let db = queue.db();
    let until = now_ms() + queue.lease().as_millis() as i64;
    let mut values: Vec<Value> = vec![until.into(), first.lease_token.clone().into()];
    values.extend(jobs.iter().map(|j| Value::from(j.id)));
    let sql = format!(
        "UPDATE jobs SET lease_until = $1 WHERE lease_token = $2 AND state = 'running' AND id IN ({})",
        placeholders(3, jobs.len())
    );
    Ok(db.execute(stmt(db.get_database_backend(), &sql, values)).await?.rows_affected())
}

/// Marks the jobs done inside the caller's transaction (the one storing their outcomes), with
/// their attempts `ok`. Returns the ids actually completed: a job whose lease passed to
/// another worker is left alone (that worker finishes it). The jobs must share one claim
/// (one lease token), as `Queue::claim` returns them.
pub async fn complete_in<C: ConnectionTrait>(conn: &C, jobs: &[&ClaimedJob]) -> Result<Vec<i64>, DbErr> {
    let Some(first) = jobs.first() else { return Ok(Vec::new()) };
    let b = conn.get_database_backend();
    let now = now_ms();
    let mut values: Vec<Value> = vec![now.into(), first.lease_token.clone().into()];
    values.extend(jobs.iter().map(|j| Value::from(j.id)));
    let sql = format!(
        "UPDATE jobs SET state = 'done', lease_until = NULL, lease_token = NULL, last_error = NULL, updated_at = $1 \
         WHERE lease_token = $2 AND state = 'running' AND id IN ({}) RETURNING id",
        placeholders(3, jobs.len())
    );
    let mut done = Vec::with_capacity(jobs.len());
    for row in conn.query_all(stmt(b, &sql, values)).await? {
        done.push(row.try_get::<i64>("", "id")?);
    }
    if !done.is_empty() {
        let mut values: Vec<Value> = vec![now.into()];
        values.extend(done.iter().map(|id| Value::from(*id)));
        conn.execute(stmt(
            b,
            &format!(
                "UPDATE job_attempts SET outcome = 'ok', error = NULL, finished_at = $1 WHERE outcome = 'running' AND job_id IN ({})",
                placeholders(2, done.len())
            ),
            values,
        ))
        .await?;
    }
    Ok(done)
}

/// The queue's wake-up signal (rung when work is enqueued in this process), for a worker
/// that claims by the batch.
pub fn waker(queue: &Queue) -> std::sync::Arc<tokio::sync::Notify> {
    queue.waker()
}
