//! The signed webhook receiver, `POST /webhooks/magento` (DESIGN §3.1).
//!
//! The route carries its own limits so every answer is the JSON of §3.1: body size → 413,
//! in-flight requests beyond `http.max_concurrent_requests` → 503 `overloaded` (shed, not
//! queued), slower than `http.request_timeout_secs` → 503 `timeout`; both with Retry-After.
//! It is merged after the router's general layers for that reason.
mod handler;
mod responses;

pub use responses::{Outcome, Reject};

use crate::app::AppState;
use crate::domain::webhook_signature::Verifier;
use crate::store::inbox::{InboxWriter, WriterOptions};
use axum::routing::post;
use axum::Router;
use sea_orm::{ConnectionTrait, DbBackend};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

pub const PATH: &str = "/webhooks/magento";

#[derive(Clone)]
pub struct WebhookState {
    /// `None`: no secret configured, the receiver answers 503 `not_configured`.
    verifier: Option<Arc<Verifier>>,
    writer: InboxWriter,
    permits: Arc<Semaphore>,
    body_limit: usize,
    timeout: Duration,
}

/// Group commit suited to the database: one committer on SQLite, four on PostgreSQL.
pub fn writer_options(backend: DbBackend) -> WriterOptions {
    match backend {
        DbBackend::Postgres => WriterOptions {
            committers: 4,
            ..WriterOptions::default()
        },
        _ => WriterOptions::default(),
    }
}

/// The receiver's routes, with settings from the configuration. Must run inside Tokio.
pub fn router(state: &AppState) -> Router<AppState> {
    router_with(state, writer_options(state.db.get_database_backend()))
}

/// As `router`, with explicit group-commit settings (benchmarks compare them).
pub fn router_with(state: &AppState, opts: WriterOptions) -> Router<AppState> {
    let cfg = &state.config;
    let verifier =
        match Verifier::from_secrets(cfg.webhooks.secrets.iter(), cfg.webhooks.tolerance_secs) {
            Ok(v) => v.map(Arc::new),
            Err(e) => {
                tracing::error!("webhook receiver off: webhooks.secrets {e}");
                None
            }
        };
    let ws = WebhookState {
        verifier,
        writer: InboxWriter::start(state.queue.clone(), opts),
        permits: Arc::new(Semaphore::new(cfg.http.max_concurrent_requests.max(1))),
        body_limit: cfg.http.body_limit_bytes,
        timeout: Duration::from_secs(cfg.http.request_timeout_secs.max(1)),
    };
    Router::new()
        .route(PATH, post(handler::receive))
        .with_state(ws)
}
