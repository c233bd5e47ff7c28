//! The durable job queue: exactly-once claiming, lease reclaim, retry timing, dead letters.
use crate::support::*;
use async_trait::async_trait;
use jlbridge::config::DatabaseConfig;
use jlbridge::domain::exception::ExceptionKind;
use jlbridge::domain::retry::RetryPolicy;
use jlbridge::store::entities::{job, job_attempt};
use jlbridge::store::jobs::{ClaimedJob, FailOutcome, JobError, JobHandler, JobKind, NewJob, Queue, WorkerPool};
use jlbridge::store::{self, exceptions, now_ms};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

fn policy() -> RetryPolicy {
    RetryPolicy {
        schedule: vec![Duration::from_secs(10), Duration::from_secs(60)],
        jitter: 0.2,
        max_retry_after: Duration::from_secs(600),
    }
}

async fn open(cfg: &DatabaseConfig) -> DatabaseConnection {
    let db = store::connect(cfg).await.unwrap();
    store::migrate(&db).await.unwrap();
    db
}

/// Counts how many times each job ran.
#[derive(Default)]
struct Counting {
    runs: Mutex<HashMap<i64, u32>>,
}

#[async_trait]
impl JobHandler for Counting {
    fn kinds(&self) -> Vec<JobKind> {
        vec![JobKind::StockObserved]
    }
    async fn handle(&self, job: &ClaimedJob) -> Result<(), JobError> {
        tokio::task::yield_now().await;
        *self.runs.lock().unwrap().entry(job.id).or_default() += 1;
        Ok(())
    }
}

async fn exactly_once(db_a: DatabaseConnection, db_b: DatabaseConnection) {
    let qa = Queue::new(db_a, policy(), Duration::from_secs(30));
    let qb = Queue::new(db_b, policy(), Duration::from_secs(30));
    for i in 0..1000 {
        qa.push(&NewJob::new(JobKind::StockObserved, serde_json::json!({ "n": i }))).await.unwrap();
    }
    let handler = Arc::new(Counting::default());
    let stop = CancellationToken::new();
    let a = tokio::spawn(WorkerPool::new(qa.clone(), handler.clone(), 4, Duration::from_millis(20)).run(stop.clone()));
    let b = tokio::spawn(WorkerPool::new(qb, handler.clone(), 4, Duration::from_millis(20)).run(stop.clone()));
    let done = eventually(120, || async { qa.depth().await.unwrap().queued + qa.depth().await.unwrap().running == 0 }).await;
    stop.cancel();
    a.await.unwrap();
    b.await.unwrap();
    assert!(done, "queue did not drain: {:?}", qa.depth().await.unwrap());
    let runs = handler.runs.lock().unwrap();
    assert_eq!(runs.len(), 1000, "every job ran");
    let twice: Vec<_> = runs.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "jobs run more than once: {twice:?}");
    let states = job::Entity::find().all(qa.db()).await.unwrap();
    assert!(states.iter().all(|j| j.state == "done" && j.attempts == 1));
}

#[tokio::test]
async fn two_workers_run_each_of_1000_jobs_once_on_sqlite() {
    let (cfg, _dir) = sqlite_config();
    let db = open(&cfg).await;
    let other = store::connect(&cfg).await.unwrap();
    exactly_once(db, other).await;
}

#[tokio::test]
async fn two_pools_run_each_of_1000_jobs_once_on_postgres() {
    let Some(admin) = postgres_or_skip("two_pools_run_each_of_1000_jobs_once_on_postgres") else { return };
    let cfg = fresh_postgres(&admin).await;
    let db = open(&cfg).await;
    let other = store::connect(&cfg).await.unwrap();
    exactly_once(db, other).await;
}

async fn reclaim_after_worker_death(cfg: DatabaseConfig) {
    let db = open(&cfg).await;
    let q = Queue::new(db.clone(), policy(), Duration::from_millis(600));
    let id = q.push(&NewJob::new(JobKind::StockObserved, serde_json::json!({}))).await.unwrap().unwrap();
    // Worker A claims the job and dies: no heartbeat, no outcome.
    let dead = q.claim("worker-a", &[JobKind::StockObserved], 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert!(q.claim("worker-b", &[JobKind::StockObserved], 10).await.unwrap().is_empty(), "leased job is not claimable");
    tokio::time::sleep(Duration::from_millis(800)).await;
    let handler = Arc::new(Counting::default());
    let stop = CancellationToken::new();
    let pool = tokio::spawn(WorkerPool::new(q.clone(), handler.clone(), 2, Duration::from_millis(20)).run(stop.clone()));
    let done = eventually(10, || async {
        job::Entity::find_by_id(id).one(&db).await.unwrap().is_some_and(|j| j.state == "done")
    })
    .await;
    stop.cancel();
    pool.await.unwrap();
    assert!(done, "reclaimed job completed");
    assert_eq!(handler.runs.lock().unwrap().get(&id), Some(&1));
    // The late worker A cannot complete a job it no longer holds.
    assert!(!q.complete(&dead[0]).await.unwrap());
    let attempts = job_attempt::Entity::find()
        .filter(job_attempt::Column::JobId.eq(id))
        .order_by_asc(job_attempt::Column::Attempt)
        .all(&db)
        .await
        .unwrap();
    let outcomes: Vec<_> = attempts.iter().map(|a| (a.attempt, a.outcome.as_str())).collect();
    assert_eq!(outcomes, vec![(1, "lease_expired"), (2, "ok")]);
}

#[tokio::test]
async fn a_dead_workers_job_is_reclaimed_and_completed_once_on_sqlite() {
    let (cfg, _dir) = sqlite_config();
    reclaim_after_worker_death(cfg).await;
}

#[tokio::test]
async fn a_dead_workers_job_is_reclaimed_and_completed_once_on_postgres() {
    let Some(admin) = postgres_or_skip("a_dead_workers_job_is_reclaimed_and_completed_once_on_postgres") else { return };
    reclaim_after_worker_death(fresh_postgres(&admin).await).await;
}

async fn claim_one(q: &Queue) -> ClaimedJob {
    let mut c = q.claim("w", &[JobKind::ShipmentDispatch], 1).await.unwrap();
    assert_eq!(c.len(), 1, "one job due");
    c.remove(0)
}

async fn run_at(db: &DatabaseConnection, id: i64) -> i64 {
    job::Entity::find_by_id(id).one(db).await.unwrap().unwrap().run_at
}

#[tokio::test]
async fn retries_follow_the_schedule_and_retry_after_overrides_it() {
    let (cfg, _dir) = sqlite_config();
    let db = open(&cfg).await;
    let q = Queue::new(db.clone(), policy(), Duration::from_secs(30));
    let id = q.push(&NewJob::new(JobKind::ShipmentDispatch, serde_json::json!({}))).await.unwrap().unwrap();

    let j = claim_one(&q).await;
    let before = now_ms();
    let out = q.fail(&j, &JobError::retryable("edge 503"), 0.5).await.unwrap();
    assert_eq!(out, FailOutcome::Retrying { delay: Duration::from_secs(10) });
    let wait = run_at(&db, id).await - before;
    assert!((9_900..=10_500).contains(&wait), "first retry after 10 s, got {wait} ms");
    assert!(q.claim("w", &[JobKind::ShipmentDispatch], 1).await.unwrap().is_empty(), "not due before its time");

    // Make it due, fail with a Retry-After of 42 s: the stated wait wins over the schedule.
    sea_orm::ConnectionTrait::execute_unprepared(&db, &format!("UPDATE jobs SET run_at = 0 WHERE id = {id}")).await.unwrap();
    let j = claim_one(&q).await;
    assert_eq!(j.attempt, 2);
    let before = now_ms();
    let out = q.fail(&j, &JobError::retryable("429").retry_after(Duration::from_secs(42)), 0.9).await.unwrap();
    assert_eq!(out, FailOutcome::Retrying { delay: Duration::from_secs(42) });
    let wait = run_at(&db, id).await - before;
    assert!((41_900..=42_500).contains(&wait), "retry-after honoured, got {wait} ms");

    // Third attempt is the last one (schedule of two delays): exhausted → dead → exception.
    sea_orm::ConnectionTrait::execute_unprepared(&db, &format!("UPDATE jobs SET run_at = 0 WHERE id = {id}")).await.unwrap();
    let j = claim_one(&q).await;
    let out = q
        .fail(&j, &JobError::retryable("still down").exception(ExceptionKind::MarketplaceRejected, "shipment 7"), 0.5)
        .await
        .unwrap();
    let FailOutcome::Dead { exception_id } = out else { panic!("expected dead, got {out:?}") };
    let ex = exceptions::get(&db, exception_id).await.unwrap().unwrap();
    assert_eq!((ex.kind.as_str(), ex.entity.as_str(), ex.status.as_str()), ("marketplace_rejected", "shipment 7", "open"));
    assert_eq!(ex.job_id, Some(id));
    assert_eq!(ex.last_error, "still down");
}

#[tokio::test]
async fn a_permanent_error_dead_letters_at_once_and_can_be_requeued() {
    let (cfg, _dir) = sqlite_config();
    let db = open(&cfg).await;
    let q = Queue::new(db.clone(), policy(), Duration::from_secs(30));
    let id = q.push(&NewJob::new(JobKind::ShipmentDispatch, serde_json::json!({}))).await.unwrap().unwrap();
    let j = claim_one(&q).await;
    let out = q.fail(&j, &JobError::permanent("carrier refused"), 0.5).await.unwrap();
    let FailOutcome::Dead { exception_id } = out else { panic!("expected dead, got {out:?}") };
    let ex = exceptions::get(&db, exception_id).await.unwrap().unwrap();
    assert_eq!(ex.kind, "marketplace_rejected", "default kind for a dispatch job");
    assert_eq!(ex.entity, format!("job {id}"));
    assert_eq!(q.depth().await.unwrap().dead, 1);

    assert!(q.requeue(id).await.unwrap());
    let j = claim_one(&q).await;
    assert_eq!(j.attempt, 1, "a re-queued job gets a fresh budget");
    assert!(q.complete(&j).await.unwrap());
    assert_eq!(job::Entity::find_by_id(id).one(&db).await.unwrap().unwrap().state, "done");

    // The same exception seen again counts instead of duplicating.
    let again = exceptions::raise(&db, &exceptions::NewException::new(ExceptionKind::MarketplaceRejected, format!("job {id}"), "again"))
        .await
        .unwrap();
    assert_eq!(again.id, exception_id);
    assert_eq!(exceptions::get(&db, exception_id).await.unwrap().unwrap().count, 2);
}

#[tokio::test]
async fn dedupe_keys_enqueue_once_inside_the_callers_transaction() {
    let (cfg, _dir) = sqlite_config();
    let db = open(&cfg).await;
    let txn = sea_orm::TransactionTrait::begin(&db).await.unwrap();
    let job = NewJob::new(JobKind::ShipmentDispatch, serde_json::json!({"shipment": 1})).dedupe("shipment:1");
    assert!(jlbridge::store::jobs::enqueue(&txn, &job, 3).await.unwrap().is_some());
    assert!(jlbridge::store::jobs::enqueue(&txn, &job, 3).await.unwrap().is_none());
    txn.rollback().await.unwrap();
    assert_eq!(job::Entity::find().all(&db).await.unwrap().len(), 0, "rolled back with the caller");
}
