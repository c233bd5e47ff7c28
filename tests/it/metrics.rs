//! `/metrics`: valid Prometheus text with HTTP, gRPC, queue and exception metrics.
use crate::grpc_support::*;
use crate::support::eventually;
use jlbridge::grpc::pb;
use jlbridge::grpc::pb::sync_service_client::SyncServiceClient;
use prometheus_parse::{Sample, Scrape, Value};

async fn scrape(http: std::net::SocketAddr) -> Scrape {
    let resp = reqwest::get(format!("http://{http}/metrics")).await.unwrap();
    assert_eq!(resp.status(), 200);
    let ct = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
    let body = resp.text().await.unwrap();
    Scrape::parse(body.lines().map(|l| Ok(l.to_owned()))).expect("Prometheus text format")
}

fn find<'a>(s: &'a Scrape, metric: &str, labels: &[(&str, &str)]) -> Option<&'a Sample> {
    s.samples.iter().find(|x| x.metric == metric && labels.iter().all(|(k, v)| x.labels.get(k) == Some(*v)))
}

#[tokio::test]
async fn metrics_parse_and_count_http_grpc_jobs_and_exceptions() {
    let (app, _dir) = start_app(None).await;
    let http = app.http_addr;
    for _ in 0..3 {
        assert_eq!(reqwest::get(format!("http://{http}/healthz")).await.unwrap().status(), 200);
    }
    assert_eq!(reqwest::get(format!("http://{http}/no-such-page")).await.unwrap().status(), 404);
    let mut client = SyncServiceClient::new(channel(app.grpc_addr).await);
    client.get_sync_status(authed(pb::GetSyncStatusRequest {}, READ_TOKEN)).await.unwrap();
    client.get_sync_status(pb::GetSyncStatusRequest {}).await.unwrap_err();

    let s = scrape(http).await;
    let healthz = find(&s, "jlbridge_http_requests_total", &[("method", "GET"), ("path", "/healthz"), ("status", "200")])
        .expect("HTTP requests counted by method, matched path and status");
    assert!(matches!(healthz.value, Value::Counter(n) if n >= 3.0), "{:?}", healthz.value);
    assert!(
        find(&s, "jlbridge_http_requests_total", &[("path", "unmatched"), ("status", "404")]).is_some(),
        "unknown paths share one label"
    );
    let latency = find(&s, "jlbridge_http_request_duration_seconds", &[("path", "/healthz")]).expect("latency histogram");
    let Value::Histogram(buckets) = &latency.value else { panic!("a histogram, got {:?}", latency.value) };
    assert!(buckets.iter().any(|b| b.less_than.is_infinite() && b.count >= 3.0), "{buckets:?}");

    let ok = [("service", "jlbridge.v1.SyncService"), ("method", "GetSyncStatus"), ("code", "OK")];
    assert!(find(&s, "jlbridge_grpc_requests_total", &ok).is_some(), "gRPC calls counted with their code");
    let unauth = [("method", "GetSyncStatus"), ("code", "UNAUTHENTICATED")];
    assert!(find(&s, "jlbridge_grpc_requests_total", &unauth).is_some(), "refused calls counted too");
    assert!(s.docs.contains_key("jlbridge_http_requests_total"), "metrics carry HELP text");

    // Gauges come from the database on a timer (the first run is at start).
    let gauges = eventually(10, || async {
        let s = scrape(http).await;
        find(&s, "jlbridge_jobs", &[("state", "queued")]).is_some()
            && find(&s, "jlbridge_exceptions_open", &[("kind", "carrier_unmapped")]).is_some()
    })
    .await;
    assert!(gauges, "queue depth and open-exception gauges exported");
    app.stop().await;
}
