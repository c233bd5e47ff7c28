//! The HTTP listener: health, readiness (and, as flows land, webhooks, metrics, dashboard).
mod health;
pub mod webhooks;

use crate::app::AppState;
use axum::Router;
use std::time::Duration;
use tower::limit::ConcurrencyLimitLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

pub fn router(state: AppState) -> Router {
    let cfg = &state.config.http;
    Router::new()
        .merge(health::router())
        .layer(RequestBodyLimitLayer::new(cfg.body_limit_bytes))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(cfg.request_timeout_secs),
        ))
        .layer(ConcurrencyLimitLayer::new(cfg.max_concurrent_requests))
        .merge(webhooks::router(&state)) // after the layers: it has its own, answering in JSON
        .with_state(state)
}
