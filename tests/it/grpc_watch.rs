//! `SyncService.WatchEvents` over a real gRPC connection: events arrive in order, filtered,
//! authenticated; a dead job, its retry and its success show up as events and statuses.
use crate::grpc_support::*;
use async_trait::async_trait;
use jlbridge::domain::exception::ExceptionKind;
use jlbridge::events::SyncEvent;
use jlbridge::grpc::pb::event::Payload;
use jlbridge::grpc::pb::exception_service_client::ExceptionServiceClient;
use jlbridge::grpc::pb::sync_service_client::SyncServiceClient;
use jlbridge::grpc::pb::{self, Event};
use jlbridge::store::exceptions::NewException;
use jlbridge::store::jobs::{ClaimedJob, JobError, JobHandler, JobKind, NewJob, WorkerPool};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tonic::Streaming;

async fn next(stream: &mut Streaming<Event>) -> Event {
    tokio::time::timeout(Duration::from_secs(10), stream.message())
        .await
        .expect("an event within 10 s")
        .expect("stream healthy")
        .expect("stream open")
}

#[tokio::test]
async fn watch_events_delivers_every_event_in_order_and_filters_by_kind() {
    let (app, _dir) = start_app(None).await;
    let mut client = SyncServiceClient::new(channel(app.grpc_addr).await);

    let refused = client.watch_events(pb::WatchEventsRequest::default()).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);
    let bad = client
        .watch_events(authed(pb::WatchEventsRequest { kinds: vec!["nope".into()] }, READ_TOKEN))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);
    assert!(bad.message().contains("exception_opened"), "names the valid kinds: {}", bad.message());

    let mut all = client.watch_events(authed(pb::WatchEventsRequest::default(), READ_TOKEN)).await.unwrap().into_inner();
    let only = pb::WatchEventsRequest { kinds: vec!["exception_opened".into()] };
    let mut opened = client.watch_events(authed(only, READ_TOKEN)).await.unwrap().into_inner();

    let ops = &app.state.ops;
    for i in 0..200 {
        ops.publish(SyncEvent::OrderDownloaded { order_reference: format!("JL{i:06}") });
    }
    let raised = ops
        .raise_exception(NewException::new(ExceptionKind::CarrierUnmapped, "order JL000007", "no slug for carrier 'Yodel 48'"))
        .await
        .unwrap();
    assert!(raised.newly_open);

    let first = next(&mut all).await;
    for i in 0..200 {
        let e = if i == 0 { first.clone() } else { next(&mut all).await };
        assert_eq!(e.seq, first.seq + i, "sequence numbers increase by one");
        assert_eq!(e.kind, "order_downloaded");
        let Some(Payload::Order(o)) = e.payload else { panic!("order payload") };
        assert_eq!(o.order_reference, format!("JL{i:06}"), "published order kept");
    }
    let e = next(&mut all).await;
    assert_eq!((e.seq, e.kind.as_str()), (first.seq + 200, "exception_opened"));

    let e = next(&mut opened).await;
    assert_eq!(e.kind, "exception_opened", "the filtered stream skips other kinds");
    let Some(Payload::Exception(x)) = e.payload else { panic!("exception payload") };
    assert_eq!((x.id, x.exception_kind.as_str(), x.entity.as_str()), (raised.id, "carrier_unmapped", "order JL000007"));
    app.stop().await;
}

/// Fails permanently on its first run, succeeds after.
#[derive(Default)]
struct FailsOnce(AtomicU32);

#[async_trait]
impl JobHandler for FailsOnce {
    fn kinds(&self) -> Vec<JobKind> {
        vec![JobKind::ShipmentDispatch]
    }
    async fn handle(&self, _job: &ClaimedJob) -> Result<(), JobError> {
        if self.0.fetch_add(1, Ordering::SeqCst) == 0 {
            Err(JobError::permanent("carrier 'Yodel 48' has no slug").exception(ExceptionKind::CarrierUnmapped, "shipment 9001"))
        } else {
            Ok(())
        }
    }
}

#[tokio::test]
async fn a_dead_job_is_published_retried_over_grpc_and_resolved_when_it_succeeds() {
    let (app, _dir) = start_app(None).await;
    let ch = channel(app.grpc_addr).await;
    let mut sync = SyncServiceClient::new(ch.clone());
    let mut exceptions = ExceptionServiceClient::new(ch);
    let mut events = sync.watch_events(authed(pb::WatchEventsRequest::default(), READ_TOKEN)).await.unwrap().into_inner();

    let stop = CancellationToken::new();
    let mut pool = WorkerPool::new(app.state.queue.clone(), Arc::new(FailsOnce::default()), 1, Duration::from_millis(20));
    pool.observer = Some(Arc::new(app.state.ops.clone()));
    let workers = tokio::spawn(pool.run(stop.clone()));
    let job_id = app.state.queue.push(&NewJob::new(JobKind::ShipmentDispatch, serde_json::json!({}))).await.unwrap().unwrap();

    let e = next(&mut events).await;
    let Some(Payload::JobDead(dead)) = e.payload else { panic!("job_dead first, got {e:?}") };
    assert_eq!((dead.job_id, dead.job_kind.as_str()), (job_id, "shipment.dispatch"));
    let e = next(&mut events).await;
    let Some(Payload::Exception(x)) = e.payload else { panic!("exception_opened next, got {e:?}") };
    assert_eq!((e.kind.as_str(), x.id, x.entity.as_str()), ("exception_opened", dead.exception_id, "shipment 9001"));

    let retried = exceptions
        .retry_exception(authed(pb::RetryExceptionRequest { id: x.id }, OPERATE_TOKEN))
        .await
        .expect("operate token may retry")
        .into_inner();
    assert_eq!((retried.status.as_str(), retried.job_id), ("retrying", job_id));
    let e = next(&mut events).await;
    assert_eq!(e.kind, "exception_retrying");
    let e = next(&mut events).await;
    assert_eq!(e.kind, "exception_resolved", "the re-queued job succeeded and resolved it");

    let got = exceptions.get_exception(authed(pb::GetExceptionRequest { id: x.id }, READ_TOKEN)).await.unwrap().into_inner();
    assert_eq!(got.status, "resolved");
    assert!(!got.resolved_at.is_empty());
    stop.cancel();
    workers.await.unwrap();
    app.stop().await;
}
