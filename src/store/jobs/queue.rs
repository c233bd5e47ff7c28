//! Enqueue, claim (leased), heartbeat, complete, fail, re-queue. The claim is one UPDATE
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL) and its attempt rows, in one transaction. On SQLite
//! every write here takes its turn with the other writers (`store::begin_write`/`write_turn`),
//! so the workers cannot starve the webhook receiver, nor it them.
use super::{JobError, JobKind};
use crate::domain::retry::{RetryPolicy, Transience};
use crate::store::exceptions::{self, NewException};
use crate::store::{begin_write, now_ms, stmt, write_turn};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, QueryResult, Statement, Value};
use std::borrow::Borrow;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// A job to add. Jobs with the same `dedupe_key` are added once.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: JobKind,
    pub payload: serde_json::Value,
    pub dedupe_key: Option<String>,
    /// Higher runs first.
    pub priority: i32,
    pub delay: Duration,
}

impl NewJob {
    pub fn new(kind: JobKind, payload: serde_json::Value) -> Self {
        NewJob { kind, payload, dedupe_key: None, priority: 0, delay: Duration::ZERO }
    }
    pub fn dedupe(mut self, key: impl Into<String>) -> Self {
        self.dedupe_key = Some(key.into());
        self
    }
    pub fn priority(mut self, p: i32) -> Self {
        self.priority = p;
        self
    }
    pub fn delay(mut self, d: Duration) -> Self {
        self.delay = d;
        self
    }
}

/// Adds a job inside the caller's connection or transaction. Returns its id, or `None` when
/// a job with the same dedupe key already exists.
pub async fn enqueue<C: ConnectionTrait>(conn: &C, job: &NewJob, max_attempts: u32) -> Result<Option<i64>, DbErr> {
    Ok(enqueue_many(conn, &[job], max_attempts).await?.into_iter().next())
}

/// Rows per multi-row INSERT (8 values each: far below either database's limit).
pub(crate) const ROWS_PER_INSERT: usize = 200;

/// `enqueue` for many jobs, one multi-row INSERT per 200 jobs, inside the caller's connection
/// or transaction (the same row, the same dedupe rule: a job whose dedupe key exists is not
/// added). Returns the ids of the jobs added. Takes `&[NewJob]` or `&[&NewJob]`.
pub async fn enqueue_many<C: ConnectionTrait, J: Borrow<NewJob>>(
    conn: &C,
    jobs: &[J],
    max_attempts: u32,
) -> Result<Vec<i64>, DbErr> {
    let mut ids = Vec::new();
    for chunk in jobs.chunks(ROWS_PER_INSERT) {
        let sql = insert_jobs(conn.get_database_backend(), chunk, max_attempts, " RETURNING id");
        for row in conn.query_all(sql).await? {
            ids.push(row.try_get::<i64>("", "id")?);
        }
    }
    Ok(ids)
}

/// As `enqueue_many`, returning only how many jobs were added: no row comes back per job,
/// which on SQLite saves a hand-off from its worker thread per row (the webhook inbox's
/// group commit, where a batch adds up to 256 jobs).
pub async fn enqueue_count<C: ConnectionTrait, J: Borrow<NewJob>>(
    conn: &C,
    jobs: &[J],
    max_attempts: u32,
) -> Result<u64, DbErr> {
    let mut added = 0;
    for chunk in jobs.chunks(ROWS_PER_INSERT) {
        added += conn.execute(insert_jobs(conn.get_database_backend(), chunk, max_attempts, "")).await?.rows_affected();
    }
    Ok(added)
}

/// The multi-row INSERT of up to `ROWS_PER_INSERT` jobs (`tail`: e.g. a RETURNING clause).
pub(crate) fn insert_jobs<J: Borrow<NewJob>>(backend: DbBackend, chunk: &[J], max_attempts: u32, tail: &str) -> Statement {
    let now = now_ms();
    let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 8);
    let mut rows = Vec::with_capacity(chunk.len());
    for (r, job) in chunk.iter().enumerate() {
        let job = job.borrow();
        let p = |k: usize| format!("${}", r * 8 + k);
        rows.push(format!(
            "({}, {}, {}, 'queued', {}, 0, {}, {}, {}, {})",
            p(1),
            p(2),
            p(3),
            p(4),
            p(5),
            p(6),
            p(7),
            p(8)
        ));
        values.extend([
            job.kind.as_str().into(),
            job.payload.to_string().into(),
            job.dedupe_key.clone().into(),
            job.priority.into(),
            (max_attempts as i32).into(),
            (now + job.delay.as_millis() as i64).into(),
            now.into(),
            now.into(),
        ]);
    }
    let sql = format!(
        "INSERT INTO jobs (kind, payload, dedupe_key, state, priority, attempts, max_attempts, run_at, created_at, updated_at) \
         VALUES {} ON CONFLICT (dedupe_key) DO NOTHING{tail}",
        rows.join(", ")
    );
    stmt(backend, &sql, values)
}

/// A job this worker holds the lease of.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub id: i64,
    pub kind: JobKind,
    pub payload: serde_json::Value,
    pub dedupe_key: Option<String>,
    /// This attempt's number, from 1.
    pub attempt: u32,
    pub max_attempts: u32,
    pub lease_token: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOutcome {
    /// Runs again after the delay.
    Retrying { delay: Duration },
    /// Gave up; the exception with this id is open for it.
    Dead { exception_id: i64 },
    /// The lease had passed to another worker; nothing was recorded.
    LeaseLost,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueDepth {
    pub queued: u64,
    pub running: u64,
    pub dead: u64,
}

#[derive(Clone)]
pub struct Queue {
    db: DatabaseConnection,
    policy: RetryPolicy,
    lease: Duration,
    wake: Arc<Notify>,
}

impl Queue {
    pub fn new(db: DatabaseConnection, policy: RetryPolicy, lease: Duration) -> Self {
        Queue { db, policy, lease, wake: Arc::new(Notify::new()) }
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }
    pub fn lease(&self) -> Duration {
        self.lease
    }

    /// Enqueues on the queue's own connection and wakes the workers.
    pub async fn push(&self, job: &NewJob) -> Result<Option<i64>, DbErr> {
        let txn = begin_write(&self.db).await?;
        let id = enqueue(&txn, job, self.policy.max_attempts()).await?;
        txn.commit().await?;
        self.wake();
        Ok(id)
    }

    /// Tells idle workers in this process that work was committed.
    pub fn wake(&self) {
        self.wake.notify_waiters();
    }

    pub(super) fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// Claims up to `limit` due jobs of the given kinds (or whose lease expired) for `worker`:
    /// the jobs and their attempt rows in one transaction.
    pub async fn claim(&self, worker: &str, kinds: &[JobKind], limit: u32) -> Result<Vec<ClaimedJob>, DbErr> {
        if kinds.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let txn = begin_write(&self.db).await?;
        let claimed = self.claim_in(&txn, worker, kinds, limit).await?;
        txn.commit().await?;
        Ok(claimed)
    }

    /// As `claim`, inside the caller's write transaction (e.g. the one that records the
    /// previous batch's outcomes, so one commit does both).
    pub async fn claim_in<C: ConnectionTrait>(
        &self,
        txn: &C,
        worker: &str,
        kinds: &[JobKind],
        limit: u32,
    ) -> Result<Vec<ClaimedJob>, DbErr> {
        if kinds.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let now = now_ms();
        let token = format!("{worker}/{}", uuid::Uuid::new_v4());
        let lease_until = now + self.lease.as_millis() as i64;
        // Placeholders are numbered in the order the values are pushed (each used once).
        let mut values: Vec<Value> = vec![lease_until.into(), token.clone().into(), now.into()];
        let arg = |values: &mut Vec<Value>, v: Value| {
            values.push(v);
            format!("${}", values.len())
        };
        let kinds_in = |values: &mut Vec<Value>| {
            kinds.iter().map(|k| arg(values, k.as_str().into())).collect::<Vec<_>>().join(", ")
        };
        let pick = if self.backend() == DbBackend::Postgres {
            let (due, expired) = (arg(&mut values, now.into()), arg(&mut values, now.into()));
            let of_kinds = kinds_in(&mut values);
            let limit = arg(&mut values, (limit as i64).into());
            format!(
                "SELECT id FROM jobs WHERE ((state = 'queued' AND run_at <= {due}) OR (state = 'running' AND lease_until < {expired})) \
                 AND kind IN ({of_kinds}) ORDER BY priority DESC, run_at, id LIMIT {limit} FOR UPDATE SKIP LOCKED"
            )
        } else {
            // The best `limit` due queued jobs and the best `limit` expired leases, then the best
            // of those: each half walks the `jobs_claim_order` index in order and stops early
            // (`+run_at` keeps SQLite from choosing the run_at index and sorting every queued job).
            let part = |values: &mut Vec<Value>, due: &str| {
                let at = arg(values, now.into());
                let of_kinds = kinds_in(values);
                let limit = arg(values, (limit as i64).into());
                format!(
                    "SELECT id, priority, run_at FROM (SELECT id, priority, run_at FROM jobs WHERE {due} {at} \
                     AND kind IN ({of_kinds}) ORDER BY priority DESC, run_at, id LIMIT {limit})"
                )
            };
            let queued = part(&mut values, "state = 'queued' AND +run_at <=");
            let expired = part(&mut values, "state = 'running' AND lease_until <");
            let limit = arg(&mut values, (limit as i64).into());
            format!("SELECT id FROM ({queued} UNION ALL {expired}) ORDER BY priority DESC, run_at, id LIMIT {limit}")
        };
        let sql = format!(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = $1, lease_token = $2, updated_at = $3 \
             WHERE id IN ({pick}) RETURNING id, kind, payload, dedupe_key, attempts, max_attempts"
        );
        let rows = txn.query_all(stmt(self.backend(), &sql, values)).await?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in rows {
            claimed.push(self.parse_claimed(&row, &token)?);
        }
        claimed.sort_by_key(|j| j.id);
        start_attempts(txn, &claimed, worker, now).await?;
        Ok(claimed)
    }

    fn parse_claimed(&self, row: &QueryResult, token: &str) -> Result<ClaimedJob, DbErr> {
        let kind: String = row.try_get("", "kind")?;
        let payload: String = row.try_get("", "payload")?;
        Ok(ClaimedJob {
            id: row.try_get("", "id")?,
            kind: JobKind::parse(&kind).ok_or_else(|| DbErr::Custom(format!("unknown job kind {kind}")))?,
            payload: serde_json::from_str(&payload).map_err(|e| DbErr::Custom(format!("job payload: {e}")))?,
            dedupe_key: row.try_get("", "dedupe_key")?,
            attempt: row.try_get::<i32>("", "attempts")? as u32,
            max_attempts: row.try_get::<i32>("", "max_attempts")? as u32,
            lease_token: token.to_owned(),
        })
    }

    /// Extends the lease; `false` when another worker has taken the job over.
    pub async fn heartbeat(&self, job: &ClaimedJob) -> Result<bool, DbErr> {
        let until = now_ms() + self.lease.as_millis() as i64;
        let _turn = write_turn(&self.db).await?;
        let res = self
            .db
            .execute(stmt(
                self.backend(),
                "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND lease_token = $3 AND state = 'running'",
                [until.into(), job.id.into(), job.lease_token.clone().into()],
            ))
            .await?;
        Ok(res.rows_affected() == 1)
    }

    /// Marks the job done; `false` when the lease had been lost (the work may run again).
    pub async fn complete(&self, job: &ClaimedJob) -> Result<bool, DbErr> {
        let now = now_ms();
        let txn = begin_write(&self.db).await?;
        let b = self.backend();
        let res = txn
            .execute(stmt(
                b,
                "UPDATE jobs SET state = 'done', lease_until = NULL, lease_token = NULL, last_error = NULL, updated_at = $1 \
                 WHERE id = $2 AND lease_token = $3 AND state = 'running'",
                [now.into(), job.id.into(), job.lease_token.clone().into()],
            ))
            .await?;
        let ok = res.rows_affected() == 1;
        if ok {
            finish_attempt(&txn, job, "ok", None, now).await?;
        }
        txn.commit().await?;
        Ok(ok)
    }

    /// Records a failure: schedules the retry, or dead-letters the job and opens an exception.
    pub async fn fail(&self, job: &ClaimedJob, err: &JobError, unit_random: f64) -> Result<FailOutcome, DbErr> {
        let now = now_ms();
        let retry_after = match err.transience {
            Transience::Retryable { retry_after } => Some(retry_after),
            Transience::Permanent => None,
        };
        let delay = retry_after
            .filter(|_| job.attempt < job.max_attempts)
            .and_then(|ra| self.policy.next_delay(job.attempt, ra, unit_random));
        let txn = begin_write(&self.db).await?;
        let b = self.backend();
        let (state, run_at) = match delay {
            Some(d) => ("queued", now + d.as_millis() as i64),
            None => ("dead", now),
        };
        let res = txn
            .execute(stmt(
                b,
                "UPDATE jobs SET state = $1, run_at = $2, lease_until = NULL, lease_token = NULL, last_error = $3, updated_at = $4 \
                 WHERE id = $5 AND lease_token = $6 AND state = 'running'",
                [
                    state.into(),
                    run_at.into(),
                    err.message.clone().into(),
                    now.into(),
                    job.id.into(),
                    job.lease_token.clone().into(),
                ],
            ))
            .await?;
        if res.rows_affected() != 1 {
            txn.rollback().await?;
            return Ok(FailOutcome::LeaseLost);
        }
        let outcome = match delay {
            Some(delay) => {
                finish_attempt(&txn, job, "retry", Some(&err.message), now).await?;
                FailOutcome::Retrying { delay }
            }
            None => {
                finish_attempt(&txn, job, "dead", Some(&err.message), now).await?;
                let (kind, entity) =
                    err.exception.clone().unwrap_or_else(|| (job.kind.default_exception(), format!("job {}", job.id)));
                let raised = exceptions::raise(&txn, &NewException::new(kind, entity, err.message.clone()).with_job(job.id)).await?;
                FailOutcome::Dead { exception_id: raised.id }
            }
        };
        txn.commit().await?;
        Ok(outcome)
    }

    /// Puts a dead (or finished) job back in the queue with a fresh attempt budget.
    pub async fn requeue(&self, job_id: i64) -> Result<bool, DbErr> {
        let now = now_ms();
        let turn = write_turn(&self.db).await?;
        let res = self
            .db
            .execute(stmt(
                self.backend(),
                "UPDATE jobs SET state = 'queued', attempts = 0, run_at = $1, updated_at = $2 WHERE id = $3 AND state IN ('dead', 'done')",
                [now.into(), now.into(), job_id.into()],
            ))
            .await?;
        drop(turn);
        self.wake();
        Ok(res.rows_affected() == 1)
    }

    /// Counts by state, for status pages and readiness.
    pub async fn depth(&self) -> Result<QueueDepth, DbErr> {
        let rows = self
            .db
            .query_all(stmt(self.backend(), "SELECT state, COUNT(*) AS n FROM jobs GROUP BY state", []))
            .await?;
        let mut d = QueueDepth::default();
        for r in rows {
            let state: String = r.try_get("", "state")?;
            let n: i64 = r.try_get("", "n")?;
            match state.as_str() {
                "queued" => d.queued = n as u64,
                "running" => d.running = n as u64,
                "dead" => d.dead = n as u64,
                _ => {}
            }
        }
        Ok(d)
    }
}

/// The attempt rows of newly claimed jobs: the previous attempt of a reclaimed job (its worker
/// lost it) is marked `lease_expired`, and a `running` row is added for each.
async fn start_attempts<C: ConnectionTrait>(conn: &C, jobs: &[ClaimedJob], worker: &str, now: i64) -> Result<(), DbErr> {
    if jobs.is_empty() {
        return Ok(());
    }
    let b = conn.get_database_backend();
    let ids = (0..jobs.len()).map(|i| format!("${}", i + 2)).collect::<Vec<_>>().join(", ");
    let mut values: Vec<Value> = vec![now.into()];
    values.extend(jobs.iter().map(|j| Value::from(j.id)));
    conn.execute(stmt(
        b,
        &format!("UPDATE job_attempts SET outcome = 'lease_expired', finished_at = $1 WHERE outcome = 'running' AND job_id IN ({ids})"),
        values,
    ))
    .await?;
    for chunk in jobs.chunks(ROWS_PER_INSERT) {
        let mut rows = Vec::with_capacity(chunk.len());
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 4);
        for (r, j) in chunk.iter().enumerate() {
            let p = |k: usize| format!("${}", r * 4 + k);
            rows.push(format!("({}, {}, {}, {}, 'running')", p(1), p(2), p(3), p(4)));
            values.extend([j.id.into(), (j.attempt as i32).into(), worker.into(), now.into()]);
        }
        conn.execute(stmt(
            b,
            &format!("INSERT INTO job_attempts (job_id, attempt, worker, started_at, outcome) VALUES {}", rows.join(", ")),
            values,
        ))
        .await?;
    }
    Ok(())
}

async fn finish_attempt<C: ConnectionTrait>(
    conn: &C,
    job: &ClaimedJob,
    outcome: &str,
    error: Option<&str>,
    now: i64,
) -> Result<(), DbErr> {
    conn.execute(stmt(
        conn.get_database_backend(),
        "UPDATE job_attempts SET outcome = $1, error = $2, finished_at = $3 WHERE job_id = $4 AND attempt = $5 AND outcome = 'running'",
        [outcome.into(), error.map(str::to_owned).into(), now.into(), job.id.into(), (job.attempt as i32).into()],
    ))
    .await?;
    Ok(())
}
