//! HTTP request metrics: method, matched route (not the raw path, to keep labels few), status,
//! latency. Installed with `axum::middleware::from_fn(track_http)` on the whole router.
use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;

pub async fn track_http(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().as_str().to_owned();
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let resp = next.run(req).await;
    let labels = [("method", method), ("path", path), ("status", resp.status().as_u16().to_string())];
    metrics::counter!("jlbridge_http_requests_total", &labels).increment(1);
    metrics::histogram!("jlbridge_http_request_duration_seconds", &labels).record(started.elapsed().as_secs_f64());
    resp
}
