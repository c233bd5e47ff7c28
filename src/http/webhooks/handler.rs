//! `POST /webhooks/magento`: limits, content type, signature over the raw bytes, then the
//! payload, then one transaction (inbox row + jobs, or inbox row + exception), then the answer.
use super::responses::{Outcome, Reject};
use super::WebhookState;
use crate::domain::webhook_event::{self, Parsed};
use crate::domain::webhook_signature::{
    SignedHeaders, HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP,
};
use crate::store::inbox::{self, Effect, InboxWrite, Stored};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use std::time::Instant;
use tracing::{debug, info, warn};

pub async fn receive(State(s): State<WebhookState>, req: Request) -> Response {
    let started = Instant::now();
    let outcome = match tokio::time::timeout(s.timeout, handle(&s, req)).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(reject)) => Outcome::Rejected(reject),
        // Whatever was in flight either committed (a retry is then a duplicate) or did not.
        Err(_) => Outcome::Rejected(Reject::unavailable(
            "timeout",
            "the event could not be stored in time; retry",
            5,
        )),
    };
    outcome.record();
    metrics::histogram!("jlbridge_webhook_duration_seconds")
        .record(started.elapsed().as_secs_f64());
    match &outcome {
        Outcome::Accepted { id, event_type } => {
            debug!(webhook_id = %id, %event_type, "webhook accepted")
        }
        Outcome::Duplicate => debug!("webhook duplicate"),
        Outcome::Unprocessable { id, event_type } => {
            warn!(webhook_id = %id, %event_type, "webhook of unknown type kept for review")
        }
        Outcome::Rejected(r) => info!(
            status = r.status.as_u16(),
            code = r.code,
            "webhook rejected"
        ),
    }
    outcome.into_response()
}

async fn handle(s: &WebhookState, req: Request) -> Result<Outcome, Reject> {
    let verifier = s.verifier.as_ref().ok_or_else(Reject::not_configured)?;
    let _permit = s.permits.clone().try_acquire_owned().map_err(|_| {
        Reject::unavailable(
            "overloaded",
            "too many webhooks in flight; retry shortly",
            1,
        )
    })?;
    let (parts, body) = req.into_parts();
    check_content_type(&parts.headers)?;
    let body = read_body(&parts.headers, body, s.body_limit).await?;

    let h = &parts.headers;
    let headers = SignedHeaders {
        id: one(h, HEADER_ID),
        timestamp: one(h, HEADER_TIMESTAMP),
        signature: one(h, HEADER_SIGNATURE),
    };
    let verified = verifier
        .verify(headers, &body, chrono::Utc::now().timestamp())
        .map_err(|e| Reject::new(StatusCode::UNAUTHORIZED, e.reason(), e.to_string()))?;

    let parsed = webhook_event::parse(&body)
        .map_err(|e| Reject::new(StatusCode::BAD_REQUEST, e.code, e.message))?;
    let text = String::from_utf8(body).map_err(|_| {
        Reject::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            "body is not UTF-8",
        )
    })?;
    let (write, accepted) = match &parsed {
        Parsed::Known(event) => {
            let jobs = inbox::jobs_for(&verified.id, verified.timestamp, event);
            let write = InboxWrite {
                id: verified.id.clone(),
                event_type: event.event_type.as_str().to_owned(),
                webhook_timestamp: verified.timestamp,
                event_timestamp_ms: Some(event.timestamp_ms),
                body: text,
                effect: Effect::Jobs(jobs),
            };
            (
                write,
                Outcome::Accepted {
                    id: verified.id.clone(),
                    event_type: event.event_type.as_str(),
                },
            )
        }
        Parsed::Unknown {
            event_type,
            timestamp_ms,
        } => {
            let write = InboxWrite {
                id: verified.id.clone(),
                event_type: event_type.clone(),
                webhook_timestamp: verified.timestamp,
                event_timestamp_ms: *timestamp_ms,
                body: text,
                effect: Effect::Exception(inbox::unprocessable(&verified.id, event_type)),
            };
            (
                write,
                Outcome::Unprocessable {
                    id: verified.id.clone(),
                    event_type: event_type.clone(),
                },
            )
        }
    };
    match s.writer.store(write).await {
        Ok(Stored::New { .. }) => Ok(accepted),
        Ok(Stored::Duplicate) => Ok(Outcome::Duplicate),
        Err(e) => {
            warn!(webhook_id = %verified.id, error = %e, "webhook could not be stored");
            Err(Reject::unavailable(
                "store_unavailable",
                "the event could not be stored; retry",
                5,
            ))
        }
    }
}

/// A header that must appear once; `Err` when repeated or not visible ASCII.
fn one<'a>(h: &'a HeaderMap, name: &str) -> Option<Result<&'a str, ()>> {
    let mut all = h.get_all(name).iter();
    let first = all.next()?;
    if all.next().is_some() {
        return Some(Err(()));
    }
    Some(first.to_str().map_err(|_| ()))
}

/// `application/json` or `application/<something>+json`, with any parameters.
fn check_content_type(h: &HeaderMap) -> Result<(), Reject> {
    let ct = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let json = essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|sub| sub.ends_with("+json") && sub.len() > 5);
    if json {
        Ok(())
    } else {
        Err(Reject::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "content-type must be application/json",
        ))
    }
}

/// The raw body, refused as soon as it is known to exceed the limit.
async fn read_body(h: &HeaderMap, body: Body, limit: usize) -> Result<Vec<u8>, Reject> {
    let too_large = || {
        Reject::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the body is larger than {limit} bytes"),
        )
    };
    let declared = h
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let mut out = Vec::with_capacity(declared.unwrap_or(0).min(limit as u64) as usize);
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| {
            Reject::new(
                StatusCode::BAD_REQUEST,
                "body_unreadable",
                "the body could not be read",
            )
        })?;
        if out.len() + chunk.len() > limit {
            return Err(too_large());
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}
