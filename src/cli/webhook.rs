//! `jlbridge webhook sign`: builds a body `{"type","timestamp","data"}`, signs it as Magento
//! would, and prints a ready-to-run curl command (for checking an install, and for tests).
use crate::domain::webhook_event;
use crate::domain::webhook_signature::{self, HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP};
use clap::{Args, Subcommand};

#[derive(Subcommand, Debug)]
pub enum WebhookAction {
    /// Print a signed curl command for one webhook.
    Sign(SignArgs),
}

#[derive(Args, Debug)]
pub struct SignArgs {
    /// `whsec_…` secret (default: the first of JLBRIDGE_WEBHOOK_SECRETS).
    #[arg(long, env = "JLBRIDGE_WEBHOOK_SECRETS", hide_env_values = true)]
    pub secret: String,
    /// Event type, e.g. stock.changed, shipment.created.
    #[arg(long = "type")]
    pub event_type: String,
    /// The `data` object, as JSON.
    #[arg(long)]
    pub data: String,
    #[arg(long, default_value = "http://127.0.0.1:8080/webhooks/magento")]
    pub url: String,
    /// `webhook-id` (default: a new random id).
    #[arg(long)]
    pub id: Option<String>,
    /// `webhook-timestamp`, Unix seconds (default: now).
    #[arg(long)]
    pub timestamp: Option<i64>,
    /// The body's `timestamp`, RFC 3339 (default: now).
    #[arg(long)]
    pub event_time: Option<String>,
}

/// The parts of a signed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    pub id: String,
    pub timestamp: i64,
    pub signature: String,
    pub body: String,
}

pub fn build(args: &SignArgs) -> anyhow::Result<SignedRequest> {
    let secret = args
        .secret
        .split(',')
        .map(str::trim)
        .find(|s| !s.is_empty())
        .unwrap_or("");
    let key =
        webhook_signature::decode_secret(secret).map_err(|p| anyhow::anyhow!("--secret {p}"))?;
    let data: serde_json::Value =
        serde_json::from_str(&args.data).map_err(|e| anyhow::anyhow!("--data is not JSON: {e}"))?;
    let id = args
        .id
        .clone()
        .unwrap_or_else(|| format!("msg_{}", uuid::Uuid::new_v4().simple()));
    if !webhook_signature::valid_id(&id) {
        anyhow::bail!(
            "--id must be 1-{} characters of A-Z a-z 0-9 _ - :",
            webhook_signature::MAX_ID_LEN
        );
    }
    let now = chrono::Utc::now();
    let timestamp = args.timestamp.unwrap_or(now.timestamp());
    let event_time = args
        .event_time
        .clone()
        .unwrap_or_else(|| now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
    let body = serde_json::json!({"type": args.event_type, "timestamp": event_time, "data": data})
        .to_string();
    let signature = webhook_signature::sign(&key, &id, timestamp, body.as_bytes());
    Ok(SignedRequest {
        id,
        timestamp,
        signature,
        body,
    })
}

/// Single-quotes for a POSIX shell.
fn sh(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

pub fn curl(url: &str, r: &SignedRequest) -> String {
    format!(
        "curl -sS -i -X POST {} -H {} -H {} -H {} -H {} --data-binary {}",
        sh(url),
        sh("content-type: application/json"),
        sh(&format!("{HEADER_ID}: {}", r.id)),
        sh(&format!("{HEADER_TIMESTAMP}: {}", r.timestamp)),
        sh(&format!("{HEADER_SIGNATURE}: {}", r.signature)),
        sh(&r.body),
    )
}

pub fn run(action: WebhookAction) -> anyhow::Result<()> {
    match action {
        WebhookAction::Sign(args) => {
            let signed = build(&args)?;
            // Still printed: operators may want to see the receiver's 400 or 422.
            match webhook_event::parse(signed.body.as_bytes()) {
                Ok(webhook_event::Parsed::Unknown { event_type, .. }) => {
                    eprintln!("note: type {event_type:?} is unknown to this version; the receiver answers 422")
                }
                Err(e) => eprintln!("note: the receiver will refuse this body (400): {e}"),
                Ok(_) => {}
            }
            println!("{}", curl(&args.url, &signed));
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_for_the_shell() {
        assert_eq!(sh("it's"), r"'it'\''s'");
    }

    #[test]
    fn builds_a_verifiable_request() {
        let args = SignArgs {
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw,whsec_other".into(),
            event_type: "stock.changed".into(),
            data: r#"{"items":[{"sku":"A","salable_qty":1}]}"#.into(),
            url: "http://x/webhooks/magento".into(),
            id: Some("msg_1".into()),
            timestamp: Some(1_700_000_000),
            event_time: Some("2026-11-27T10:00:00Z".into()),
        };
        let r = build(&args).unwrap();
        let key =
            webhook_signature::decode_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            r.signature,
            webhook_signature::sign(&key, "msg_1", 1_700_000_000, r.body.as_bytes())
        );
        assert!(webhook_event::parse(r.body.as_bytes()).is_ok());
        let c = curl(&args.url, &r);
        assert!(
            c.contains("'webhook-id: msg_1'") && c.contains("--data-binary '{"),
            "{c}"
        );
    }
}
