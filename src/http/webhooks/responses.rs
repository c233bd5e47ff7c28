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
        let outcome = match self {
            Outcome::Accepted { event_type, .. } => {
                metrics::counter!("jlbridge_webhooks_accepted_total", "type" => *event_type).increment(1);
                "accepted"
            }
            Outcome::Duplicate => "duplicate",
            Outcome::Unprocessable { .. } => "unprocessable",
            Outcome::Rejected(r) => {
                metrics::counter!("jlbridge_webhooks_total", "outcome" => "rejected", "reason" => r.code).increment(1);
                return;
            }
        };
        metrics::counter!("jlbridge_webhooks_total", "outcome" => outcome).increment(1);
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

#[cfg(test)]
mod tests {
    use super::*;
    use metrics::{Counter, CounterFn, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};
    use std::sync::{Arc, Mutex};

    /// Keeps each counter increment as `name{label=value,…}`.
    #[derive(Default, Clone)]
    struct Seen(Arc<Mutex<Vec<String>>>);
    struct One(String, Seen);
    impl CounterFn for One {
        fn increment(&self, n: u64) {
            for _ in 0..n {
                self.1 .0.lock().unwrap().push(self.0.clone());
            }
        }
        fn absolute(&self, _: u64) {}
    }
    impl Recorder for Seen {
        fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
            let labels: Vec<String> = key.labels().map(|l| format!("{}={}", l.key(), l.value())).collect();
            Counter::from_arc(Arc::new(One(format!("{}{{{}}}", key.name(), labels.join(",")), self.clone())))
        }
        fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
            Gauge::noop()
        }
        fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
            Histogram::noop()
        }
    }

    #[test]
    fn counts_accepted_duplicate_and_rejected_by_reason() {
        let seen = Seen::default();
        metrics::with_local_recorder(&seen, || {
            Outcome::Accepted { id: "m".into(), event_type: "stock.changed" }.record();
            Outcome::Duplicate.record();
            Outcome::Unprocessable { id: "m".into(), event_type: "x".into() }.record();
            Outcome::Rejected(Reject::new(StatusCode::UNAUTHORIZED, "bad_signature", "no")).record();
        });
        let got = seen.0.lock().unwrap().clone();
        assert_eq!(
            got,
            [
                "jlbridge_webhooks_accepted_total{type=stock.changed}",
                "jlbridge_webhooks_total{outcome=accepted}",
                "jlbridge_webhooks_total{outcome=duplicate}",
                "jlbridge_webhooks_total{outcome=unprocessable}",
                "jlbridge_webhooks_total{outcome=rejected,reason=bad_signature}",
            ]
        );
    }

    #[test]
    fn errors_are_json_with_code_and_message() {
        let r = Outcome::Rejected(Reject::unavailable("store_unavailable", "retry", 5)).into_response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()[header::RETRY_AFTER], "5");
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
    }
}
