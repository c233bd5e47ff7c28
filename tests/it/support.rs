//! Shared helpers: throw-away databases on SQLite and PostgreSQL, free ports.
#![allow(dead_code)]
use jlbridge::config::DatabaseConfig;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

/// A fresh SQLite file in its own temporary directory (kept alive by the returned guard).
pub fn sqlite_config() -> (DatabaseConfig, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
    (DatabaseConfig { url, max_connections: 8, migrate_on_start: true }, dir)
}

/// The admin URL of the test PostgreSQL server, when the run enables it.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("JLBRIDGE_TEST_POSTGRES_URL").ok().filter(|s| !s.is_empty())
}

/// Prints why a PostgreSQL test is skipped and returns `None`, or the admin URL.
pub fn postgres_or_skip(test: &str) -> Option<String> {
    let url = postgres_admin_url();
    if url.is_none() {
        println!("skipped {test}: JLBRIDGE_TEST_POSTGRES_URL is not set (.ci/run sets it to the local PostgreSQL)");
    }
    url
}

/// Creates a new, empty database on the test server and returns its config.
pub async fn fresh_postgres(admin_url: &str) -> DatabaseConfig {
    let admin: DatabaseConnection = Database::connect(admin_url).await.expect("connect to the PostgreSQL test server");
    let name = format!("jlb_{}", uuid::Uuid::new_v4().simple());
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
    let mut url = reqwest::Url::parse(admin_url).expect("admin url");
    url.set_path(&format!("/{name}"));
    DatabaseConfig { url: url.to_string(), max_connections: 8, migrate_on_start: true }
}

/// An address on loopback that was free a moment ago.
pub fn free_addr() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().to_string()
}

/// Polls `check` until it is true or `secs` pass.
pub async fn eventually<F, Fut>(secs: u64, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

/// `Some(())` when `tool` answers `--version`. When the run enables the tool's tests
/// (`enable_var` set, as `.ci/run` does) a missing tool fails the test; otherwise the test
/// prints why it is skipped.
pub fn tool_or_skip(tool: &str, enable_var: &str, test: &str) -> Option<()> {
    tool_or_skip_with(tool, "--version", enable_var, test)
}

/// As `tool_or_skip`, for tools that print their version with another flag (`grpcurl -version`).
pub fn tool_or_skip_with(tool: &str, version_flag: &str, enable_var: &str, test: &str) -> Option<()> {
    let present = std::process::Command::new(tool).arg(version_flag).output().is_ok_and(|o| o.status.success());
    let enabled = std::env::var(enable_var).is_ok_and(|v| !v.is_empty() && v != "0");
    match (present, enabled) {
        (true, _) => Some(()),
        (false, true) => panic!("{test}: {enable_var} is set but `{tool}` is not installed"),
        (false, false) => {
            println!("skipped {test}: `{tool}` is not installed (.ci/run installs it and sets {enable_var})");
            None
        }
    }
}
