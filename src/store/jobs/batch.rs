//! Jobs taken and finished by the batch: one claim transaction for up to N jobs of one kind
//! (the jobs leased with one token, their attempt rows written in the same transaction), one
//! heartbeat statement for the lot, and completion inside the caller's transaction (so a
//! handler stores its outcomes and finishes their jobs in one commit). A failure is still
//! recorded job by job (`Queue::fail`): its retry schedule and dead letter are its own.
use super::{ClaimedJob, JobKind, Queue};
use crate::store::{begin_write, now_ms, stmt};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Value};

/// `$first, $first+1, …` for `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Claims up to `limit` due jobs of `kind` (or whose lease expired) for `worker`, in one
/// transaction with their attempt rows. The same claim rule as `Queue::claim` (priority,
/// then due time; `SKIP LOCKED` on PostgreSQL), so other workers and replicas can run the
/// same kind alongside.
pub async fn claim_batch(queue: &Queue, worker: &str, kind: JobKind, limit: u32) -> Result<Vec<ClaimedJob>, DbErr> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let db = queue.db();
    let b = db.get_database_backend();
    let now = now_ms();
    let token = format!("{worker}/{}", uuid::Uuid::new_v4());
    let lease_until = now + queue.lease().as_millis() as i64;
    let lock = if b == DbBackend::Postgres { "FOR UPDATE SKIP LOCKED" } else { "" };
    let sql = format!(
        "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = $1, lease_token = $2, updated_at = $3 \
         WHERE id IN (SELECT id FROM jobs WHERE ((state = 'queued' AND run_at <= $4) OR (state = 'running' AND lease_until < $5)) \
         AND kind = $6 ORDER BY priority DESC, run_at, id LIMIT $7 {lock}) \
         RETURNING id, kind, payload, dedupe_key, attempts, max_attempts"
    );
    let txn = begin_write(db).await?;
    let rows = txn
        .query_all(stmt(
            b,
            &sql,
            [lease_until.into(), token.clone().into(), now.into(), now.into(), now.into(), kind.as_str().into(), (limit as i64).into()],
        ))
        .await?;
    let mut jobs = Vec::with_capacity(rows.len());
    for row in rows {
        let payload: String = row.try_get("", "payload")?;
        jobs.push(ClaimedJob {
            id: row.try_get("", "id")?,
            kind,
            payload: serde_json::from_str(&payload).map_err(|e| DbErr::Custom(format!("job payload: {e}")))?,
            dedupe_key: row.try_get("", "dedupe_key")?,
            attempt: row.try_get::<i32>("", "attempts")? as u32,
            max_attempts: row.try_get::<i32>("", "max_attempts")? as u32,
            lease_token: token.clone(),
        });
    }
    if !jobs.is_empty() {
        jobs.sort_by_key(|j| j.id);
        let ids: Vec<Value> = jobs.iter().map(|j| j.id.into()).collect();
        // Attempts still marked running lost their worker: their lease expired.
        let mut values = vec![Value::from(now)];
        values.extend(ids.iter().cloned());
        txn.execute(stmt(
            b,
            &format!(
                "UPDATE job_attempts SET outcome = 'lease_expired', finished_at = $1 WHERE outcome = 'running' AND job_id IN ({})",
                placeholders(2, ids.len())
            ),
            values,
        ))
        .await?;
        let mut values = Vec::with_capacity(jobs.len() * 4);
        let mut tuples = Vec::with_capacity(jobs.len());
        for (i, j) in jobs.iter().enumerate() {
            tuples.push(format!("(${}, ${}, ${}, ${}, 'running')", i * 4 + 1, i * 4 + 2, i * 4 + 3, i * 4 + 4));
            values.extend([j.id.into(), (j.attempt as i32).into(), worker.into(), now.into()]);
        }
        txn.execute(stmt(
            b,
            &format!("INSERT INTO job_attempts (job_id, attempt, worker, started_at, outcome) VALUES {}", tuples.join(", ")),
            values,
        ))
        .await?;
    }
    txn.commit().await?;
    Ok(jobs)
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
/// (one lease token), as `claim_batch` returns them.
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
