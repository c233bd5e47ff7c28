//! Outbound webhooks of the simulated store: `stock.changed`, `shipment.created` and
//! `order.canceled`, signed per Standard Webhooks (DESIGN §3.1), sent in order by one task that
//! retries as the jlbridge Magento module does (see [`outcome`]) until delivered. `timestamp` in
//! the body is when the store observed the change (not when it was sent), so delivery faults
//! (duplicates, swapped order) test the receiver's ordering rule.
use super::state::Event;
use crate::domain::webhook_signature::sign_with_secret;
use crate::magento::wire::num;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

#[derive(Debug, Clone)]
pub struct WebhookTarget {
    pub url: String,
    /// `whsec_<base64 key>`.
    pub secret: String,
}

/// Delivery faults (DESIGN §6: out-of-order and duplicate events).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebhookFaults {
    /// Send every message twice (same `webhook-id`).
    pub duplicate: bool,
    /// Hold each message back until the next one has gone (pairs arrive swapped).
    pub swap_pairs: bool,
}

/// One delivery as the sandbox made it.
#[derive(Debug, Clone)]
pub struct SentWebhook {
    pub id: String,
    pub kind: String,
    pub body: Value,
    /// Status of the last attempt (`None`: no answer). Not 2xx: the sender gave up on it.
    pub status: Option<u16>,
    pub attempts: u32,
}

/// An event on its way out: where to, and when it was observed.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub event: Event,
    pub target: WebhookTarget,
    pub observed_at: DateTime<Utc>,
}

pub fn body_of(event: &Event, observed_at: DateTime<Utc>) -> Value {
    let (kind, data) = match event {
        Event::StockChanged(items) => (
            "stock.changed",
            json!({"items": items.iter().map(|(sku, q)| json!({"sku": sku, "salable_qty": num(*q)})).collect::<Vec<_>>()}),
        ),
        Event::ShipmentCreated(data) => ("shipment.created", data.clone()),
        Event::OrderCanceled(data) => ("order.canceled", data.clone()),
    };
    json!({"type": kind, "timestamp": observed_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true), "data": data})
}

struct Message {
    id: String,
    kind: String,
    body: Value,
    raw: Vec<u8>,
    target: WebhookTarget,
}

/// How long the sender keeps retrying one message before recording it as given up. The real
/// module never drops a pending row (`clients/magento2` `StateMachine`: 5xx, 401, 408, 429 and
/// no answer retry with backoff, honouring `Retry-After`); the sandbox compresses its 30 s…15 min
/// schedule and stops after this long so a test pointing it at nothing is not held forever.
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(60);
/// First pause after a failed attempt (doubling), and the longest pause.
const FIRST_PAUSE: Duration = Duration::from_millis(100);
const LONGEST_PAUSE: Duration = Duration::from_secs(5);

/// The module's rule for one answer (`None`: no answer): delivered, retry, or failed for good
/// (another 4xx: the same body would fail again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    Retry,
    Failed,
}

pub fn outcome(status: Option<u16>) -> Delivery {
    match status {
        Some(200..=299) => Delivery::Sent,
        None | Some(401 | 408 | 429) => Delivery::Retry,
        Some(400..=499) => Delivery::Failed,
        Some(_) => Delivery::Retry,
    }
}

/// Pause before attempt `attempt + 1`: doubling from [`FIRST_PAUSE`], at least `Retry-After`,
/// at most [`LONGEST_PAUSE`].
pub fn pause_after(attempt: u32, retry_after: Option<Duration>) -> Duration {
    let backoff = FIRST_PAUSE.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    backoff.max(retry_after.unwrap_or_default()).min(LONGEST_PAUSE)
}

fn retry_after(resp: &reqwest::Response) -> Option<Duration> {
    let v = resp.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

async fn deliver(http: &reqwest::Client, m: &Message, sent: &Mutex<Vec<SentWebhook>>) {
    let mut record = SentWebhook { id: m.id.clone(), kind: m.kind.clone(), body: m.body.clone(), status: None, attempts: 0 };
    let started = tokio::time::Instant::now();
    loop {
        let ts = Utc::now().timestamp();
        let Ok(signature) = sign_with_secret(&m.target.secret, &m.id, ts, &m.raw) else { break };
        let resp = http
            .post(&m.target.url)
            .header("content-type", "application/json")
            .header("webhook-id", &m.id)
            .header("webhook-timestamp", ts.to_string())
            .header("webhook-signature", signature)
            .body(m.raw.clone())
            .send()
            .await;
        record.attempts += 1;
        record.status = resp.as_ref().ok().map(|r| r.status().as_u16());
        if outcome(record.status) != Delivery::Retry {
            break;
        }
        let pause = pause_after(record.attempts, resp.as_ref().ok().and_then(retry_after));
        if started.elapsed() + pause > GIVE_UP_AFTER {
            tracing::warn!(webhook_id = %m.id, kind = %m.kind, attempts = record.attempts, status = ?record.status, "sandbox webhook given up");
            break;
        }
        tokio::time::sleep(pause).await;
    }
    sent.lock().expect("lock").push(record);
}

/// The way into the sender: events in order, and how many are not yet delivered or given up.
#[derive(Clone)]
pub struct Sender {
    tx: mpsc::UnboundedSender<Outgoing>,
    in_flight: Arc<AtomicUsize>,
}

impl Sender {
    pub fn send(&self, out: Outgoing) {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        if self.tx.send(out).is_err() {
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Events raised but not yet recorded in the sent log (queued, held, or being retried).
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }
}

/// Starts the sender.
pub fn spawn_sender(sent: Arc<Mutex<Vec<SentWebhook>>>, faults: Arc<Mutex<WebhookFaults>>) -> Sender {
    let (tx, mut rx) = mpsc::unbounded_channel::<Outgoing>();
    let in_flight = Arc::new(AtomicUsize::new(0));
    let done = in_flight.clone();
    tokio::spawn(async move {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("http client");
        let mut held: Option<Message> = None;
        loop {
            // Some(None): nothing followed a held message soon enough, so it goes out alone.
            let next: Option<Option<Outgoing>> = match held {
                Some(_) => match tokio::time::timeout(Duration::from_secs(1), rx.recv()).await {
                    Ok(v) => v.map(Some),
                    Err(_) => Some(None),
                },
                None => rx.recv().await.map(Some),
            };
            let Some(out) = next else { break };
            let f = *faults.lock().expect("lock");
            let message = out.map(|out| {
                let body = body_of(&out.event, out.observed_at);
                Message {
                    id: format!("msg_{}", uuid::Uuid::new_v4().simple()),
                    kind: body["type"].as_str().unwrap_or_default().to_owned(),
                    raw: serde_json::to_vec(&body).expect("json"),
                    body,
                    target: out.target,
                }
            });
            let mut batch: Vec<Message> = Vec::new();
            match (message, held.take()) {
                (Some(m), None) if f.swap_pairs => held = Some(m),
                (Some(m), Some(h)) => batch.extend([m, h]),
                (Some(m), None) => batch.push(m),
                (None, Some(h)) => batch.push(h),
                (None, None) => {}
            }
            for m in &batch {
                deliver(&http, m, &sent).await;
                if f.duplicate {
                    deliver(&http, m, &sent).await;
                }
                done.fetch_sub(1, Ordering::SeqCst);
            }
        }
    });
    Sender { tx, in_flight }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_follow_the_modules_rule() {
        assert_eq!(outcome(Some(202)), Delivery::Sent);
        assert_eq!(outcome(Some(200)), Delivery::Sent, "duplicate");
        for retried in [None, Some(401), Some(408), Some(429), Some(500), Some(503), Some(302)] {
            assert_eq!(outcome(retried), Delivery::Retry, "{retried:?}");
        }
        for failed in [400, 404, 413, 415, 422] {
            assert_eq!(outcome(Some(failed)), Delivery::Failed, "{failed}");
        }
    }

    #[test]
    fn pauses_double_honour_retry_after_and_stay_bounded() {
        assert_eq!(pause_after(1, None), Duration::from_millis(100));
        assert_eq!(pause_after(3, None), Duration::from_millis(400));
        assert_eq!(pause_after(2, Some(Duration::from_secs(1))), Duration::from_secs(1));
        assert_eq!(pause_after(40, None), LONGEST_PAUSE);
        assert_eq!(pause_after(1, Some(Duration::from_secs(3600))), LONGEST_PAUSE);
    }
}
