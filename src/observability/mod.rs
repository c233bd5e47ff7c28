//! Prometheus metrics through the `metrics` facade. Record anywhere with
//! `metrics::counter!` / `gauge!` / `histogram!` (names `jlbridge_…`, seconds for durations);
//! `/metrics` renders them. No listener of its own: the HTTP router serves the text.
mod gauges;
mod grpc;
mod http;

pub use gauges::spawn_gauges;
pub use grpc::GrpcMetricsLayer;
pub use http::track_http;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

/// Latency buckets, in seconds: from 1 ms (a health check) to a minute (a slow Edge call).
const LATENCY_BUCKETS: &[f64] = &[0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the global recorder on first use and returns the handle that renders it. When
/// another recorder was installed first (a test harness), metrics go there and this one
/// renders only what it sees (nothing).
pub fn handle() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
                .expect("non-empty buckets")
                .build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed; /metrics will be empty");
            }
            describe();
            handle
        })
        .clone()
}

/// Prometheus text exposition of everything recorded so far.
pub fn render() -> String {
    handle().render()
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!("jlbridge_http_requests_total", "HTTP requests by method, matched path and status");
    describe_histogram!("jlbridge_http_request_duration_seconds", Unit::Seconds, "HTTP request latency");
    describe_counter!("jlbridge_grpc_requests_total", "gRPC calls by service, method and status code");
    describe_histogram!("jlbridge_grpc_request_duration_seconds", Unit::Seconds, "gRPC call latency (to response headers)");
    describe_counter!("jlbridge_jobs_claimed_total", "Jobs claimed by workers, by kind");
    describe_counter!("jlbridge_jobs_completed_total", "Jobs completed, by kind");
    describe_counter!("jlbridge_jobs_retried_total", "Job attempts that failed and were scheduled again, by kind");
    describe_counter!("jlbridge_jobs_dead_total", "Jobs that gave up and opened an exception, by kind");
    describe_gauge!("jlbridge_jobs", "Jobs in the queue by state (queued, running, dead)");
    describe_gauge!("jlbridge_exceptions_open", "Exceptions open or retrying, by kind");
    describe_counter!("jlbridge_exceptions_raised_total", "Exceptions raised (including repeats), by kind");
    describe_counter!("jlbridge_exceptions_opened_total", "Exceptions newly opened, by kind");
    describe_counter!("jlbridge_exceptions_resolved_total", "Exceptions resolved, by kind");
    describe_counter!("jlbridge_events_published_total", "Sync events published on the event bus, by kind");
    describe_counter!("jlbridge_alerts_sent_total", "Alert messages delivered to the webhook");
    describe_counter!("jlbridge_alerts_failed_total", "Alert messages given up after retries");
    describe_counter!("jlbridge_alerts_dropped_total", "Alert notices dropped because the queue was full");
    describe_counter!("jlbridge_alerts_suppressed_total", "Alert notices not sent: the exception was already alerted and is still open");
}
