//! `/dashboard`: one server-rendered page showing sync health, kept live by server-sent events
//! (`/dashboard/events`: the rendered figures every `TICK` and soon after each bus event).
//! `snapshot` reads the figures, `render` writes them (escaped, through `html`).
pub mod html;
pub mod render;
pub mod snapshot;

use crate::app::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures::Stream;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// A fresh snapshot at least this often.
pub const TICK: Duration = Duration::from_secs(2);
/// After a bus event, wait this long to gather the ones that follow, then send.
const SETTLE: Duration = Duration::from_millis(150);

pub fn router() -> Router<AppState> {
    Router::new().route("/dashboard", get(page)).route("/dashboard/events", get(events))
}

async fn take(state: &AppState) -> Result<snapshot::Snapshot, sea_orm::DbErr> {
    snapshot::collect(&state.db, state.connectors.limiter.as_ref(), crate::store::now_ms()).await
}

async fn page(State(state): State<AppState>) -> Response {
    match take(&state).await {
        Ok(s) => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")],
            render::page(&s),
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "dashboard snapshot failed");
            (StatusCode::SERVICE_UNAVAILABLE, "the dashboard could not read the database; try again shortly").into_response()
        }
    }
}

async fn events(State(state): State<AppState>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = state.ops.events().subscribe();
    let stream = futures::stream::unfold((state, rx, true), |(state, mut rx, first)| async move {
        if !first {
            tokio::select! {
                _ = state.shutdown.cancelled() => return None,
                _ = tokio::time::sleep(TICK) => {}
                r = rx.recv() => {
                    if matches!(r, Err(RecvError::Closed)) {
                        return None;
                    }
                    tokio::time::sleep(SETTLE).await;
                    while rx.try_recv().is_ok() {}
                }
            }
        }
        let event = match take(&state).await {
            Ok(s) => Event::default().event("snapshot").data(render::live(&s).into_string()),
            Err(e) => {
                tracing::warn!(error = %e, "dashboard snapshot failed");
                Event::default().event("stale").data("database unavailable")
            }
        };
        Some((Ok(event), (state, rx, false)))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
