//! Posting messages to the webhook, retrying with exponential backoff. Runs in its own task:
//! a slow or failing receiver delays alerts, never a flow.
use super::batch::Message;
use super::format;
use crate::config::AlertFormat;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

pub struct Delivery {
    pub client: reqwest::Client,
    /// A secret: never logged.
    pub url: String,
    pub format: AlertFormat,
    pub max_attempts: u32,
    pub first_backoff: Duration,
}

/// Why one attempt failed, and whether trying again can help.
enum Failure {
    Retry(String),
    GiveUp(String),
}

impl Delivery {
    async fn attempt(&self, body: &serde_json::Value) -> Result<(), Failure> {
        let resp = self
            .client
            .post(&self.url)
            .json(body)
            .send()
            .await
            .map_err(|e| Failure::Retry(e.without_url().to_string()))?;
        let status = resp.status();
        if status.is_success() {
            Ok(())
        } else if status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408 {
            Err(Failure::Retry(format!("receiver answered {status}")))
        } else {
            Err(Failure::GiveUp(format!("receiver answered {status}")))
        }
    }

    /// Sends one message, retrying; `true` once delivered.
    pub async fn send(&self, msg: &Message, stop: &CancellationToken) -> bool {
        let body = format::body(self.format, msg);
        let mut wait = self.first_backoff;
        for attempt in 1..=self.max_attempts {
            match self.attempt(&body).await {
                Ok(()) => {
                    metrics::counter!("jlbridge_alerts_sent_total").increment(1);
                    debug!(attempt, "alert delivered");
                    return true;
                }
                Err(Failure::GiveUp(why)) => {
                    warn!(attempt, "alert not delivered, not retrying: {why}");
                    break;
                }
                Err(Failure::Retry(why)) if attempt < self.max_attempts => {
                    warn!(attempt, retry_in_ms = wait.as_millis() as u64, "alert delivery failed: {why}");
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = stop.cancelled() => break,
                    }
                    wait = (wait * 2).min(Duration::from_secs(300));
                }
                Err(Failure::Retry(why)) => warn!(attempt, "alert delivery failed, giving up: {why}"),
            }
        }
        metrics::counter!("jlbridge_alerts_failed_total").increment(1);
        false
    }

    /// Sends every message from `rx`, in order, until the channel closes or `stop` fires.
    pub async fn run(self, mut rx: mpsc::Receiver<Message>, stop: CancellationToken) {
        loop {
            let msg = tokio::select! {
                m = rx.recv() => m,
                _ = stop.cancelled() => None,
            };
            let Some(msg) = msg else { break };
            self.send(&msg, &stop).await;
        }
    }
}
