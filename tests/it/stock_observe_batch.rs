//! `stock.observed` by the batch (`sync::stock::observe_batch`): a claimed batch is applied,
//! completed and the next batch claimed in one transaction; jobs it cannot take run the
//! per-job path.
use crate::support::{eventually, sqlite_config};
use jlbridge::alerts::Alerter;
use jlbridge::domain::buffer::BufferRules;
use jlbridge::domain::order::PartNumber;
use jlbridge::domain::retry::RetryPolicy;
use jlbridge::events::EventBus;
use jlbridge::ops::Ops;
use jlbridge::store::entities::{job, job_attempt};
use jlbridge::store::jobs::{JobKind, NewJob, Queue};
use jlbridge::store::mapping::MappingRow;
use jlbridge::store::{self, exceptions, stock};
use jlbridge::sync::stock::observe::StockObserver;
use jlbridge::sync::stock::observe_batch::ObserveBatchWorker;
use jlbridge::sync::stock::StockSignal;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

fn observed(id: &str, at_us: i64, items: serde_json::Value) -> NewJob {
    NewJob::new(
        JobKind::StockObserved,
        json!({"webhook_id": id, "webhook_timestamp": at_us / 1_000_000, "event_timestamp_ms": at_us / 1000,
               "event_timestamp_us": at_us, "data": {"items": items}}),
    )
}

/// 200 jobs queued before the worker starts are taken in one claim (one attempt each, all
/// started by that claim), the newest observation of a SKU wins whatever the job order, an
/// unmapped SKU opens its exception, and a job without a quantity (Magento not configured
/// here) goes the per-job way: it fails, is retried later, and holds no other job back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_one_claim_newest_wins_and_the_rest_run_per_job() {
    let (cfg, _dir) = sqlite_config();
    let db = store::connect(&cfg).await.unwrap();
    store::migrate(&db).await.unwrap();
    let rows: Vec<MappingRow> = (0..100)
        .map(|i| MappingRow { sku: format!("S-{i}"), part_number: PartNumber(format!("{}", 20_000_000 + i)), extra: None })
        .collect();
    store::mapping::import(&db, &rows).await.unwrap();
    let policy = RetryPolicy { schedule: vec![Duration::from_secs(600)], ..Default::default() };
    let queue = Queue::new(db.clone(), policy, Duration::from_secs(60));
    let base = 1_800_000_000_000_000i64;
    // Two jobs per mapped SKU, the newer queued first; one unmapped SKU; one without a quantity.
    for i in 0..100 {
        queue.push(&observed(&format!("new-{i}"), base + 1_000, json!([{"sku": format!("S-{i}"), "salable_qty": 7}]))).await.unwrap();
    }
    for i in 0..99 {
        queue.push(&observed(&format!("old-{i}"), base, json!([{"sku": format!("S-{i}"), "salable_qty": 3}]))).await.unwrap();
    }
    queue.push(&observed("unmapped", base, json!([{"sku": "NOPE", "salable_qty": 4}]))).await.unwrap();
    let no_qty = queue.push(&observed("no-qty", base, json!([{"sku": "S-0"}]))).await.unwrap().unwrap();

    let ops = Ops::new(queue.clone(), EventBus::new(), Alerter::disabled());
    let observer = Arc::new(StockObserver {
        db: db.clone(),
        rules: Arc::new(BufferRules::default()),
        magento: None,
        stock_id: 1,
        signal: StockSignal::default(),
        ops: ops.clone(),
    });
    let mut worker = ObserveBatchWorker::new(observer, queue.clone(), 2, Duration::from_millis(50));
    worker.reporter = Some(Arc::new(ops));
    worker.batch = 256;
    let stop = tokio_util::sync::CancellationToken::new();
    let running = tokio::spawn(worker.run(stop.clone()));

    let done = || async { job::Entity::find().filter(job::Column::State.eq("done")).count(&db).await.unwrap() };
    assert!(eventually(30, || async { done().await == 200 }).await, "the 200 jobs with quantities are done");
    let waiting = || async {
        let j = job::Entity::find_by_id(no_qty).one(&db).await.unwrap().unwrap();
        (j.state, j.attempts)
    };
    assert!(eventually(10, || async { waiting().await == ("queued".to_string(), 1) }).await, "the job without a quantity waits for its retry");
    stop.cancel();
    running.await.unwrap();

    // One claim took all 201: one attempt each, all started at that claim's instant.
    let attempts = job_attempt::Entity::find().all(&db).await.unwrap();
    assert_eq!(attempts.len(), 201);
    let claims: std::collections::HashSet<i64> = attempts.iter().map(|a| a.started_at).collect();
    assert_eq!(claims.len(), 1, "one claim for the batch");
    for i in 0..100 {
        let st = stock::get(&db, &format!("S-{i}")).await.unwrap().unwrap();
        assert_eq!((st.observed_qty.as_deref(), st.observed_at), (Some("7"), Some(base + 1_000)), "S-{i}: the newer value");
    }
    let open = exceptions::list(&db, Some(jlbridge::domain::exception::ExceptionKind::PartNumberUnmapped), None, 0, 10).await.unwrap();
    assert_eq!(open.iter().map(|e| e.entity.as_str()).collect::<Vec<_>>(), ["NOPE"]);
}
