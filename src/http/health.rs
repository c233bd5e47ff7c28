//! `/healthz` (the process answers) and `/readyz` (the database answers and workers are alive).
use crate::app::AppState;
use crate::store::{self, now_ms};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz))
}

async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// Workers go round their loop at least every poll interval; allow a generous margin.
const WORKERS_STALE_MS: i64 = 30_000;

async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let mut problems = Vec::new();
    if let Err(e) = store::ping(&state.db).await {
        problems.push(format!("database: {e}"));
    }
    let last = state.pulse.last();
    if now_ms() - last > WORKERS_STALE_MS {
        problems.push(format!("workers: last seen {} ms ago", now_ms() - last));
    }
    if problems.is_empty() {
        (StatusCode::OK, Json(json!({"status": "ready"})))
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "not_ready", "problems": problems})))
    }
}
