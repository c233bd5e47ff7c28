//! The HTTP listener: health, readiness, metrics (and, as flows land, webhooks, dashboard).
pub mod dashboard;
mod health;
mod metrics;
pub mod webhooks;

use crate::app::AppState;
use axum::Router;
use std::time::Duration;
use tower::limit::ConcurrencyLimitLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

pub fn router(state: AppState) -> Router {
    let cfg = &state.config.http;
    // Merge every router before the layers below (a layer covers only routes already added),
    // except the webhook receiver, see there.
    Router::new()
        .merge(health::router())
        .merge(metrics::router())
        .layer(RequestBodyLimitLayer::new(cfg.body_limit_bytes))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(cfg.request_timeout_secs),
        ))
        .layer(ConcurrencyLimitLayer::new(cfg.max_concurrent_requests))
        // Merged after the limits above (it has its own, answering in JSON per DESIGN §3.1),
        // before the tracking layer (so it is measured too).
        .merge(webhooks::router(&state))
        // After the request timeout: its event stream stays open for as long as the page does.
        .merge(dashboard::router())
        // Outermost, so requests refused by the limits above are counted too.
        .layer(axum::middleware::from_fn(crate::observability::track_http))
        .with_state(state)
}
