//! The real binary (`jlbridge serve`) pointed by environment at the Edge and Magento
//! sandboxes started in the test, driven with the real grpcurl and `clients/grpcurl/` scripts.
#![allow(dead_code)]
use crate::grpc_support::*;
use crate::support::*;
use base64::Engine;
use jlbridge::domain::order::PartNumber;
use jlbridge::sandbox::edge::{self, EdgeSandbox, EdgeSandboxConfig};
use jlbridge::sandbox::magento::MagentoSandbox;
use jlbridge::store::mapping::{self, MappingRow};
use rust_decimal::Decimal;
use sea_orm::DatabaseConnection;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output, Stdio};

pub const HOOK_KEY: &[u8] = b"grpc-flows-test-key-0123456789ab";

pub fn part(i: usize) -> String {
    format!("{:08}", 57_000_000 + i)
}
pub fn sku(i: usize) -> String {
    format!("SKU-{i:04}")
}

pub struct Serve(std::process::Child);
impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The service and its backends.
pub struct Flows {
    pub edge: EdgeSandbox,
    pub magento: MagentoSandbox,
    pub db: DatabaseConnection,
    pub grpc: String,
    pub http: String,
    _serve: Serve,
    _dir: tempfile::TempDir,
}

/// Success, then stdout and stderr together (grpcurl prints errors on stderr).
pub fn run(cmd: &mut Command) -> (bool, String) {
    let Output { status, stdout, stderr } = cmd.output().expect("run command");
    (status.success(), format!("{}{}", String::from_utf8_lossy(&stdout), String::from_utf8_lossy(&stderr)))
}

pub fn json(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

impl Flows {
    /// `products` products mapped (`part(i)` ↔ `sku(i)`) and stocked in both sandboxes;
    /// `config_toml` is written to a file given with `--config`.
    pub async fn start(products: usize, config_toml: &str) -> Flows {
        let edge = edge::start(EdgeSandboxConfig { rate_limit: 1_000_000, ..Default::default() }).await.unwrap();
        let magento = MagentoSandbox::start().await.unwrap();
        let mut rows = Vec::new();
        for i in 0..products {
            edge.add_product(&part(i), Some(&sku(i)), 100);
            magento.add_product(&sku(i), &format!("Item {i}"), Decimal::new(999, 2));
            magento.set_source_qty(&sku(i), "default", Decimal::from(1000));
            rows.push(MappingRow { sku: sku(i), part_number: PartNumber(part(i)), extra: None });
        }
        let (cfg, dir) = sqlite_config();
        // Migrated and mapped before the service starts: its first poll already finds the mapping.
        let db = jlbridge::store::connect(&cfg).await.unwrap();
        jlbridge::store::migrate(&db).await.unwrap();
        mapping::import(&db, &rows).await.unwrap();
        let config = dir.path().join("jlbridge.toml");
        std::fs::write(&config, config_toml).unwrap();
        let (http, grpc) = (free_addr(), free_addr());
        let secret = format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(HOOK_KEY));
        let serve = Serve(
            Command::new(env!("CARGO_BIN_EXE_jlbridge"))
                .arg("serve")
                .arg("--config")
                .arg(&config)
                .current_dir(dir.path())
                .env_clear()
                .env("JLBRIDGE_DATABASE_URL", &cfg.url)
                .env("JLBRIDGE_HTTP_LISTEN", &http)
                .env("JLBRIDGE_GRPC_LISTEN", &grpc)
                .env("JLBRIDGE_GRPC_TOKENS", format!("read:{READ_TOKEN},operate:{OPERATE_TOKEN}"))
                .env("JLBRIDGE_WEBHOOK_SECRETS", secret)
                .env("JLBRIDGE_MAGENTO_BASE_URL", magento.base_url())
                .env("JLBRIDGE_MAGENTO_TOKEN", magento.token())
                .env("JLBRIDGE_MARKETPLACE", "edge")
                .env("JLBRIDGE_EDGE_BASE_URL", edge.base_url())
                .env("JLBRIDGE_EDGE_USERNAME", &edge.config().username)
                .env("JLBRIDGE_EDGE_PASSWORD", &edge.config().password)
                .env("JLBRIDGE_ORDERS__POLL_INTERVAL_SECS", "1")
                .env("JLBRIDGE_JOBS__POLL_INTERVAL_MS", "50")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start jlbridge serve"),
        );
        let up = eventually(60, || async { run(Command::new("grpcurl").args(["-plaintext", &grpc, "list"])).0 }).await;
        assert!(up, "grpcurl reaches the gRPC listener");
        Flows { edge, magento, db, grpc, http, _serve: serve, _dir: dir }
    }

    /// Runs `clients/grpcurl/NAME ARGS…` with `token`.
    pub fn script(&self, name: &str, token: &str, args: &[&str]) -> (bool, String) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("clients/grpcurl").join(name);
        run(Command::new("bash").arg(path).args(args).env("JLBRIDGE_GRPC", &self.grpc).env("JLBRIDGE_TOKEN", token))
    }

    /// Plain grpcurl against the service (`-plaintext` added).
    pub fn grpcurl(&self, args: &[&str]) -> (bool, String) {
        run(Command::new("grpcurl").arg("-plaintext").args(args))
    }

    /// A successful script call's JSON answer (panics with the output otherwise).
    pub fn ok(&self, name: &str, token: &str, args: &[&str]) -> Value {
        let (ok, out) = self.script(name, token, args);
        assert!(ok, "{name} {args:?}: {out}");
        json(&out)
    }
}
