//! The claim's order (priority first, then due time, then id), expired leases reclaimed with
//! their old attempt closed, and jobs not yet due left alone — on SQLite (where the claim walks
//! the `jobs_claim_order` index) and PostgreSQL (`FOR UPDATE SKIP LOCKED`).
use crate::support::*;
use jlbridge::config::DatabaseConfig;
use jlbridge::domain::retry::RetryPolicy;
use jlbridge::store::entities::job_attempt;
use jlbridge::store::jobs::{JobKind, NewJob, Queue};
use jlbridge::store::{self, stmt};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use std::time::Duration;

async fn claim_order(cfg: DatabaseConfig) {
    let db = store::connect(&cfg).await.unwrap();
    store::migrate(&db).await.unwrap();
    let q = Queue::new(db.clone(), RetryPolicy::default(), Duration::from_secs(30));
    let job = |n: i32, priority: i32| NewJob::new(JobKind::StockObserved, serde_json::json!({ "n": n })).priority(priority);
    let mut ids = Vec::new();
    for (n, priority) in [(0, 0), (1, -10), (2, 10), (3, 0), (4, 10)] {
        ids.push(q.push(&job(n, priority)).await.unwrap().unwrap());
    }
    // Not due for an hour, however urgent.
    q.push(&job(5, 100).delay(Duration::from_secs(3600))).await.unwrap().unwrap();
    // Another kind is not claimed.
    q.push(&NewJob::new(JobKind::OrderInject, serde_json::json!({})).priority(50)).await.unwrap().unwrap();
    // Same priority: the earlier due time first, whatever the id.
    let b = db.get_database_backend();
    db.execute(stmt(b, "UPDATE jobs SET run_at = run_at - 60000 WHERE id = $1", [ids[3].into()])).await.unwrap();

    let kinds = [JobKind::StockObserved, JobKind::PriceObserved];
    let first: Vec<i64> = q.claim("a", &kinds, 3).await.unwrap().iter().map(|j| j.id).collect();
    let mut expect = vec![ids[2], ids[4], ids[3]];
    expect.sort();
    assert_eq!(first, expect, "priority 10 twice, then the earlier of the two priority-0 jobs");
    let rest = q.claim("a", &kinds, 10).await.unwrap();
    let mut expect = vec![ids[0], ids[1]];
    expect.sort();
    assert_eq!(rest.iter().map(|j| j.id).collect::<Vec<_>>(), expect, "then the rest; nothing not yet due");
    assert!(q.claim("a", &kinds, 10).await.unwrap().is_empty());

    // A lease that expired is claimed again, its first attempt closed as lease_expired.
    db.execute(stmt(b, "UPDATE jobs SET lease_until = 0 WHERE id = $1", [ids[1].into()])).await.unwrap();
    let again = q.claim("b", &kinds, 10).await.unwrap();
    assert_eq!(again.iter().map(|j| (j.id, j.attempt)).collect::<Vec<_>>(), vec![(ids[1], 2)]);
    let attempts = job_attempt::Entity::find()
        .filter(job_attempt::Column::JobId.eq(ids[1]))
        .order_by_asc(job_attempt::Column::Attempt)
        .all(&db)
        .await
        .unwrap();
    let seen: Vec<(i32, &str, &str)> =
        attempts.iter().map(|a| (a.attempt, a.worker.as_str(), a.outcome.as_str())).collect();
    assert_eq!(seen, vec![(1, "a", "lease_expired"), (2, "b", "running")]);
    assert!(q.complete(&again[0]).await.unwrap());
}

#[tokio::test]
async fn claim_takes_priority_then_due_time_and_reclaims_expired_leases_on_sqlite() {
    let (cfg, _dir) = sqlite_config();
    claim_order(cfg).await;
}

#[tokio::test]
async fn claim_takes_priority_then_due_time_and_reclaims_expired_leases_on_postgres() {
    let Some(admin) = postgres_or_skip("claim_takes_priority_then_due_time_and_reclaims_expired_leases_on_postgres") else {
        return;
    };
    claim_order(fresh_postgres(&admin).await).await;
}
