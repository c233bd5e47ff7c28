//! The receiver's answers, exactly as DESIGN §3.1 words them, and the metrics that count them.
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// A request that is not accepted: status, stable code, and a message naming the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds the sender should wait before retrying (503 only).
    pub retry_after: Option<u32>,
}

impl Reject {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Reject {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }
    /// 503: the sender keeps the event and retries.
    pub fn unavailable(code: &'static str, message: impl Into<String>, retry_after: u32) -> Self {
        Reject {
            retry_after: Some(retry_after),
            ..Reject::new(StatusCode::SERVICE_UNAVAILABLE, code, message)
        }
    }
    pub fn not_configured() -> Self {
        Reject::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_configured",
            "the webhook receiver is off: no secret is configured; set JLBRIDGE_WEBHOOK_SECRETS \
             (comma-separated whsec_… secrets) or webhooks.secrets in the config file",
        )
    }
}

/// How a request ended, for the response and the metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Stored with its jobs and committed.
    Accepted {
        id: String,
        event_type: &'static str,
    },
    /// The `webhook-id` was already stored.
    Duplicate,
    /// Authentic, stored, but of a type this version does not handle (an exception is open).
    Unprocessable {
        id: String,
        event_type: String,
    },
    Rejected(Reject),
}

impl Outcome {
    /// Counts it in `jlbridge_webhooks_total{outcome, reason}`.
    pub fn record(&self) {
        let (outcome, reason): (&'static str, &'static str) = match self {
            Outcome::Accepted { .. } => ("accepted", ""),
            Outcome::Duplicate => ("duplicate", ""),
            Outcome::Unprocessable { .. } => ("unprocessable", "unknown_type"),
            Outcome::Rejected(r) => ("rejected", r.code),
        };
        metrics::counter!("jlbridge_webhooks_total", "outcome" => outcome, "reason" => reason)
            .increment(1);
        if let Outcome::Accepted { event_type, .. } = self {
            metrics::counter!("jlbridge_webhooks_accepted_total", "type" => *event_type)
                .increment(1);
        }
    }
}

fn error_body(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

impl IntoResponse for Outcome {
    fn into_response(self) -> Response {
        match self {
            Outcome::Accepted { id, .. } => (
                StatusCode::ACCEPTED,
                Json(json!({"id": id, "status": "accepted"})),
            )
                .into_response(),
            Outcome::Duplicate => {
                (StatusCode::OK, Json(json!({"status": "duplicate"}))).into_response()
            }
            Outcome::Unprocessable { event_type, .. } => error_body(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_type",
                &format!(
                    "webhook type {event_type:?} is not handled; the event is kept for review"
                ),
            ),
            Outcome::Rejected(r) => {
                let mut resp = error_body(r.status, r.code, &r.message);
                if let Some(secs) = r.retry_after {
                    resp.headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
                }
                resp
            }
        }
    }
}
