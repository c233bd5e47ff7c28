//! Outbound webhooks of the simulated store: `stock.changed`, `shipment.created` and
//! `order.canceled`, signed per Standard Webhooks (DESIGN §3.1), sent by one task with a few
//! retries. `timestamp` in the body is when the store observed the change (not when it was
//! sent), so delivery faults (duplicates, swapped order) test the receiver's ordering rule.
use super::state::Event;
use crate::domain::webhook_signature::sign_with_secret;
use crate::magento::wire::num;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
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
    /// Status of the last attempt (`None`: no answer).
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

async fn deliver(http: &reqwest::Client, m: &Message, sent: &Mutex<Vec<SentWebhook>>) {
    let mut record = SentWebhook { id: m.id.clone(), kind: m.kind.clone(), body: m.body.clone(), status: None, attempts: 0 };
    for attempt in 1..=3u32 {
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
        record.attempts = attempt;
        record.status = resp.as_ref().ok().map(|r| r.status().as_u16());
        if resp.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
    }
    sent.lock().expect("lock").push(record);
}

/// Starts the sender.
pub fn spawn_sender(sent: Arc<Mutex<Vec<SentWebhook>>>, faults: Arc<Mutex<WebhookFaults>>) -> mpsc::UnboundedSender<Outgoing> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Outgoing>();
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
            }
        }
    });
    tx
}
