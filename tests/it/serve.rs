//! `jlbridge serve` as a user runs it: in an empty directory, answering health checks.
use crate::support::*;
use std::process::Stdio;
use std::time::Duration;

struct Child(std::process::Child);
impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn serve_starts_in_an_empty_directory_and_answers_health_checks() {
    let dir = tempfile::tempdir().unwrap();
    let (http, grpc) = (free_addr(), free_addr());
    let child = Child(
        std::process::Command::new(env!("CARGO_BIN_EXE_jlbridge"))
            .arg("serve")
            .current_dir(dir.path())
            .env_clear()
            .env("JLBRIDGE_HTTP_LISTEN", &http)
            .env("JLBRIDGE_GRPC_LISTEN", &grpc)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start jlbridge serve"),
    );
    let client = reqwest::Client::new();
    let url = format!("http://{http}/healthz");
    let up = eventually(30, || async { client.get(&url).send().await.is_ok_and(|r| r.status() == 200) }).await;
    assert!(up, "healthz answers 200");
    let ready_url = format!("http://{http}/readyz");
    let ready = eventually(10, || async { client.get(&ready_url).send().await.is_ok_and(|r| r.status() == 200) }).await;
    assert!(ready, "readyz answers 200 once the database and the workers are up");
    assert!(dir.path().join("jlbridge.db").exists(), "the default SQLite file is created in the working directory");

    let channel = tonic::transport::Endpoint::from_shared(format!("http://{grpc}"))
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
        .expect("grpc listener");
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    let resp = health
        .check(tonic_health::pb::HealthCheckRequest { service: String::new() })
        .await
        .expect("grpc health answers")
        .into_inner();
    assert_eq!(resp.status, tonic_health::pb::health_check_response::ServingStatus::Serving as i32);
    let resp = health
        .check(tonic_health::pb::HealthCheckRequest { service: "jlbridge.v1.SyncService".into() })
        .await
        .expect("per-service health")
        .into_inner();
    assert_eq!(resp.status, tonic_health::pb::health_check_response::ServingStatus::Serving as i32);
    drop(child);
}

#[tokio::test]
async fn serve_refuses_bad_configuration_naming_the_key() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jlbridge"))
        .arg("serve")
        .env_clear()
        .env("JLBRIDGE_EDGE_BASE_URL", "not a url")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("edge.base_url") && err.contains("JLBRIDGE_EDGE_BASE_URL"), "{err}");
}
