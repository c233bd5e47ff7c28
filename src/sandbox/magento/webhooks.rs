//! Outbound webhooks of the simulated store: `stock.changed` and `shipment.created`, signed
//! per Standard Webhooks (DESIGN §3.1) and sent in order by one task, with a few retries.
use super::state::Event;
use crate::domain::webhook_signature::sign;
use crate::magento::wire::num;
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

pub fn body_of(event: &Event) -> Value {
    let (kind, data) = match event {
        Event::StockChanged(items) => (
            "stock.changed",
            json!({"items": items.iter().map(|(sku, q)| json!({"sku": sku, "salable_qty": num(*q)})).collect::<Vec<_>>()}),
        ),
        Event::ShipmentCreated(data) => ("shipment.created", data.clone()),
    };
    json!({"type": kind, "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true), "data": data})
}

/// Starts the sender; events go out in the order they happened.
pub fn spawn_sender(
    target: Arc<Mutex<Option<WebhookTarget>>>,
    sent: Arc<Mutex<Vec<SentWebhook>>>,
) -> mpsc::UnboundedSender<Event> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Event>();
    tokio::spawn(async move {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("http client");
        while let Some(event) = rx.recv().await {
            let Some(t) = target.lock().expect("lock").clone() else { continue };
            let body = body_of(&event);
            let raw = serde_json::to_vec(&body).expect("json");
            let id = format!("msg_{}", uuid::Uuid::new_v4().simple());
            let mut record = SentWebhook {
                id: id.clone(),
                kind: body["type"].as_str().unwrap_or_default().to_owned(),
                body,
                status: None,
                attempts: 0,
            };
            for attempt in 1..=3u32 {
                let ts = chrono::Utc::now().timestamp();
                let Ok(signature) = sign(&t.secret, &id, ts, &raw) else { break };
                let resp = http
                    .post(&t.url)
                    .header("content-type", "application/json")
                    .header("webhook-id", &id)
                    .header("webhook-timestamp", ts.to_string())
                    .header("webhook-signature", signature)
                    .body(raw.clone())
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
    });
    tx
}
