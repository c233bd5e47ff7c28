//! Helpers for the webhook tests: a service on loopback with known secrets, signed requests,
//! and table counts (to show that a refused request stored nothing).
#![allow(dead_code)]
use crate::support::*;
use base64::Engine;
use jlbridge::app::App;
use jlbridge::config::{Config, StringList};
use jlbridge::domain::webhook_signature::sign;
use jlbridge::store::entities::{exception, job, webhook_inbox};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

pub const KEY_A: &[u8; 32] = b"jlbridge-test-key-a-32-bytes-abc";
pub const KEY_B: &[u8; 32] = b"jlbridge-test-key-b-32-bytes-xyz";
pub const KEY_WRONG: &[u8; 32] = b"jlbridge-test-key-wrong-32-bytes";

pub fn secret(key: &[u8]) -> String {
    format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(key))
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub fn new_id() -> String {
    format!("msg_{}", uuid::Uuid::new_v4().simple())
}

/// A running service on SQLite with secrets A and B configured (rotation).
pub struct Service {
    pub app: App,
    pub url: String,
    pub client: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Service {
    pub async fn start() -> Service {
        Service::start_with(|_| {}).await
    }

    #[allow(clippy::field_reassign_with_default)]
    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Service {
        let (db, dir) = sqlite_config();
        let mut config = Config::default();
        config.database = db;
        config.http.listen = "127.0.0.1:0".into();
        config.grpc.listen = "127.0.0.1:0".into();
        config.webhooks.secrets = StringList(vec![secret(KEY_A), secret(KEY_B)]);
        tweak(&mut config);
        let app = App::start(config).await.expect("service starts");
        let url = format!("http://{}/webhooks/magento", app.http_addr);
        Service { app, url, client: reqwest::Client::new(), _dir: dir }
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.app.state.db
    }

    /// Posts `body` signed with `key` under `id` at `ts`.
    pub async fn post_signed(&self, key: &[u8], id: &str, ts: i64, body: &str) -> (u16, Value) {
        let sig = sign(key, id, ts, body.as_bytes());
        let req = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", ts.to_string())
            .header("webhook-signature", sig)
            .body(body.to_owned());
        answer(req).await
    }

    pub async fn counts(&self) -> Counts {
        counts(self.db()).await
    }
}

/// Status and JSON body (or `null` when the body is not JSON).
pub async fn answer(req: reqwest::RequestBuilder) -> (u16, Value) {
    let resp = req.send().await.expect("the service answers");
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A body as Magento sends it.
pub fn event(event_type: &str, data: Value) -> String {
    json!({"type": event_type, "timestamp": "2026-11-27T10:00:00.250Z", "data": data}).to_string()
}

pub fn stock_event(sku: &str, qty: i64) -> String {
    event("stock.changed", json!({"items": [{"sku": sku, "salable_qty": qty}]}))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub inbox: u64,
    pub jobs: u64,
    pub exceptions: u64,
}

pub async fn counts(db: &DatabaseConnection) -> Counts {
    Counts {
        inbox: webhook_inbox::Entity::find().count(db).await.unwrap(),
        jobs: job::Entity::find().count(db).await.unwrap(),
        // The receiver's own exceptions: the flows that run the jobs may raise theirs (e.g. the
        // stock flow's part_number_unmapped for a test SKU).
        exceptions: exception::Entity::find()
            .filter(exception::Column::Kind.eq("webhook_unprocessable"))
            .count(db)
            .await
            .unwrap(),
    }
}

/// The error code of an error answer.
pub fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("<no error code>")
}

/// The `jlbridge` binary, killed when dropped.
pub struct Child(pub std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
