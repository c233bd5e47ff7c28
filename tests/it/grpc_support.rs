//! Helpers for the control-plane tests: an in-process service with known tokens, a gRPC
//! channel, requests carrying a token.
#![allow(dead_code)]
use crate::support::*;
use jlbridge::app::App;
use jlbridge::config::{AlertFormat, Config, Secret, StringList};
use std::time::Duration;
use tonic::transport::Channel;

pub const READ_TOKEN: &str = "test-read-token";
pub const OPERATE_TOKEN: &str = "test-operate-token";

pub fn tokens() -> StringList {
    StringList(vec![format!("read:{READ_TOKEN}"), format!("operate:{OPERATE_TOKEN}")])
}

/// A service on a fresh SQLite file, both listeners on free loopback ports; alerts go to
/// `alert_url` (JSON format, grouped over one second) when given.
pub async fn start_app(alert_url: Option<String>) -> (App, tempfile::TempDir) {
    let (database, dir) = sqlite_config();
    let mut cfg = Config { database, ..Config::default() };
    cfg.http.listen = "127.0.0.1:0".into();
    cfg.grpc.listen = "127.0.0.1:0".into();
    cfg.grpc.tokens = tokens();
    cfg.jobs.poll_interval_ms = 50;
    cfg.alerts.webhook_url = alert_url.map(Secret::new);
    cfg.alerts.format = AlertFormat::Json;
    cfg.alerts.group_secs = 1;
    (App::start(cfg).await.expect("service starts"), dir)
}

pub async fn channel(addr: std::net::SocketAddr) -> Channel {
    tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
        .expect("connect to the gRPC listener")
}

/// A request carrying `authorization: Bearer <token>`.
pub fn authed<T>(msg: T, token: &str) -> tonic::Request<T> {
    let mut req = tonic::Request::new(msg);
    req.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    req
}

/// Whether the real grpcurl binary is on PATH; prints why the test is skipped when not.
pub fn grpcurl_or_skip(test: &str) -> bool {
    crate::support::tool_or_skip_with("grpcurl", "-version", "JLBRIDGE_TEST_GRPCURL", test).is_some()
}
