//! The control plane as operators use it: the real `grpcurl` binary and the scripts in
//! `clients/grpcurl/` against `jlbridge serve`, tokens from the environment.
use crate::grpc_support::*;
use crate::support::*;
use jlbridge::config::DatabaseConfig;
use jlbridge::domain::exception::ExceptionKind;
use jlbridge::domain::retry::RetryPolicy;
use jlbridge::store::entities::{audit_log, job};
use jlbridge::store::exceptions::{self, NewException};
use jlbridge::store::jobs::{FailOutcome, JobError, JobKind, NewJob, Queue};
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

struct Serve(std::process::Child);
impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Output of one command: success, stdout and stderr together (grpcurl prints errors on stderr).
fn run(cmd: &mut Command) -> (bool, String) {
    let Output { status, stdout, stderr } = cmd.output().expect("run command");
    (status.success(), format!("{}{}", String::from_utf8_lossy(&stdout), String::from_utf8_lossy(&stderr)))
}

fn script(name: &str, addr: &str, token: &str, args: &[&str]) -> (bool, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("clients/grpcurl").join(name);
    run(Command::new("bash").arg(path).args(args).env("JLBRIDGE_GRPC", addr).env("JLBRIDGE_TOKEN", token))
}

fn json(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

/// A job that died of a carrier problem, as the shipments flow would leave it.
async fn dead_job(q: &Queue, entity: &str) -> (i64, i64) {
    let id = q.push(&NewJob::new(JobKind::ShipmentDispatch, serde_json::json!({}))).await.unwrap().unwrap();
    let claimed = q.claim("test", &[JobKind::ShipmentDispatch], 1).await.unwrap().remove(0);
    let err = JobError::permanent("no slug for 'Yodel 48'").exception(ExceptionKind::CarrierUnmapped, entity);
    let FailOutcome::Dead { exception_id } = q.fail(&claimed, &err, 0.5).await.unwrap() else { panic!("dead") };
    (id, exception_id)
}

async fn seed(cfg: &DatabaseConfig) -> (DatabaseConnection, Queue, [(i64, i64); 2], i64) {
    let db = jlbridge::store::connect(cfg).await.unwrap();
    let q = Queue::new(db.clone(), RetryPolicy::default(), Duration::from_secs(60));
    let a = dead_job(&q, "shipment 501").await;
    let b = dead_job(&q, "shipment 502").await;
    let sku = exceptions::raise(&db, &NewException::new(ExceptionKind::SkuMismatch, "SKU abc-1 ", "trailing space")).await.unwrap();
    (db, q, [a, b], sku.id)
}

#[tokio::test]
async fn grpcurl_lists_services_by_reflection_and_runs_the_operator_scripts() {
    if !grpcurl_or_skip("grpcurl_lists_services_by_reflection_and_runs_the_operator_scripts") {
        return;
    }
    let (cfg, dir) = sqlite_config();
    let (http, grpc) = (free_addr(), free_addr());
    let _serve = Serve(
        Command::new(env!("CARGO_BIN_EXE_jlbridge"))
            .arg("serve")
            .current_dir(dir.path())
            .env_clear()
            .env("JLBRIDGE_DATABASE_URL", &cfg.url)
            .env("JLBRIDGE_HTTP_LISTEN", &http)
            .env("JLBRIDGE_GRPC_LISTEN", &grpc)
            .env("JLBRIDGE_GRPC_TOKENS", format!("read:{READ_TOKEN},operate:{OPERATE_TOKEN}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start jlbridge serve"),
    );
    let grpcurl = |args: &[&str]| run(Command::new("grpcurl").arg("-plaintext").args(args));
    let up = eventually(30, || async { grpcurl(&[&grpc, "list"]).0 }).await;
    assert!(up, "grpcurl reaches the gRPC listener");
    let (db, _q, [(job_a, exc_a), (_job_b, exc_b)], sku_exc) = seed(&cfg).await;

    // Reflection lists what is served, and only that.
    let (_, list) = grpcurl(&[&grpc, "list"]);
    for s in [
        "jlbridge.v1.SyncService",
        "jlbridge.v1.ExceptionService",
        "jlbridge.v1.OrderService",
        "jlbridge.v1.StockService",
        "jlbridge.v1.ReconciliationService",
        "grpc.health.v1.Health",
    ] {
        assert!(list.contains(s), "{s} listed: {list}");
    }
    assert_eq!(list.lines().filter(|l| !l.trim().is_empty()).count(), 8, "only what is served is listed: {list}");
    let (_, described) = grpcurl(&[&grpc, "describe", "jlbridge.v1.ExceptionService"]);
    assert!(described.contains("rpc RetryExceptions"), "{described}");
    let health = r#"{"service": "jlbridge.v1.ExceptionService"}"#;
    let (ok, out) = grpcurl(&["-d", health, &grpc, "grpc.health.v1.Health/Check"]);
    assert!(ok && out.contains("SERVING"), "{out}");

    // No token, a wrong token, a read token on a mutation.
    let (ok, out) = grpcurl(&[&grpc, "jlbridge.v1.ExceptionService/ListExceptions"]);
    assert!(!ok && out.contains("Unauthenticated"), "{out}");
    let (ok, out) = script("exceptions.sh", &grpc, "not-a-token", &[]);
    assert!(!ok && out.contains("Unauthenticated"), "{out}");
    let (ok, out) = script("retry.sh", &grpc, READ_TOKEN, &[&exc_a.to_string()]);
    assert!(!ok && out.contains("PermissionDenied") && out.contains("operate token"), "{out}");

    // Read: status, the list (paged), one exception, a missing one.
    let (ok, out) = script("status.sh", &grpc, READ_TOKEN, &[]);
    assert!(ok, "{out}");
    assert_eq!(json(&out)["openExceptions"], "3");
    let (ok, out) = script("exceptions.sh", &grpc, READ_TOKEN, &[]);
    assert!(ok, "{out}");
    let ids: Vec<i64> = json(&out)["exceptions"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().parse().unwrap()).collect();
    assert_eq!(ids, vec![sku_exc, exc_b, exc_a], "newest first");
    let page = |token: &str| format!(r#"{{"page_size": 2, "page_token": "{token}"}}"#);
    let auth = format!("authorization: Bearer {READ_TOKEN}");
    let (_, p1) = grpcurl(&["-H", &auth, "-d", &page(""), &grpc, "jlbridge.v1.ExceptionService/ListExceptions"]);
    let p1 = json(&p1);
    let token = p1["nextPageToken"].as_str().expect("more pages").to_owned();
    let (_, p2) = grpcurl(&["-H", &auth, "-d", &page(&token), &grpc, "jlbridge.v1.ExceptionService/ListExceptions"]);
    let p2 = json(&p2);
    assert_eq!((p1["exceptions"].as_array().unwrap().len(), p2["exceptions"].as_array().unwrap().len()), (2, 1));
    assert!(p2.get("nextPageToken").is_none(), "last page has no token");
    let (ok, out) = script("exceptions.sh", &grpc, READ_TOKEN, &["carrier_unmapped", "open", &token]);
    assert!(!ok && out.contains("InvalidArgument") && out.contains("different filters"), "{out}");
    let (ok, out) = script("exception.sh", &grpc, READ_TOKEN, &[&exc_a.to_string()]);
    assert!(ok && json(&out)["entity"] == "shipment 501", "{out}");
    let (ok, out) = script("exception.sh", &grpc, READ_TOKEN, &["9999"]);
    assert!(!ok && out.contains("NotFound") && out.contains("no exception with id 9999"), "{out}");

    // Operate: retry one, retry the rest of the kind, resolve with a note.
    let (ok, out) = script("retry.sh", &grpc, OPERATE_TOKEN, &[&exc_a.to_string()]);
    assert!(ok && json(&out)["status"] == "retrying", "{out}");
    let requeued = job::Entity::find_by_id(job_a).one(&db).await.unwrap().unwrap();
    assert_eq!(requeued.state, "queued", "the job is back in the queue");
    let (ok, out) = script("retry-kind.sh", &grpc, OPERATE_TOKEN, &["carrier_unmapped"]);
    assert!(ok, "{out}");
    assert_eq!(json(&out)["retried"], serde_json::json!([exc_b.to_string()]), "only the open one: {out}");
    let (ok, out) = script("retry.sh", &grpc, OPERATE_TOKEN, &[&sku_exc.to_string()]);
    assert!(!ok && out.contains("FailedPrecondition") && out.contains("no job"), "{out}");
    let (ok, out) = script("resolve.sh", &grpc, OPERATE_TOKEN, &[&sku_exc.to_string(), "renamed \"abc-1 \" in Magento"]);
    assert!(ok, "{out}");
    let resolved = json(&out);
    assert_eq!((resolved["status"].as_str(), resolved["note"].as_str()), (Some("resolved"), Some("renamed \"abc-1 \" in Magento")));
    let (ok, out) = script("resolve.sh", &grpc, OPERATE_TOKEN, &[&sku_exc.to_string(), "again"]);
    assert!(!ok && out.contains("FailedPrecondition") && out.contains("already resolved"), "{out}");
    let (ok, out) = script("resolve.sh", &grpc, OPERATE_TOKEN, &[&exc_b.to_string(), " "]);
    assert!(!ok && out.contains("InvalidArgument") && out.contains("note is required"), "{out}");

    // Every mutating call, refused or not, is in the audit log.
    let rows = audit_log::Entity::find().order_by_asc(audit_log::Column::Id).all(&db).await.unwrap();
    let log: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| (r.actor.clone(), r.action.trim_start_matches("jlbridge.v1.ExceptionService/").to_owned(), r.result.clone()))
        .collect();
    let has = |actor: &str, action: &str, result: &str| log.iter().any(|(a, m, r)| a == actor && m == action && r.starts_with(result));
    assert!(has("read-token-1", "RetryException", "PermissionDenied"), "{log:?}");
    assert!(has("operate-token-2", "RetryException", "ok: exception"), "{log:?}");
    assert!(has("operate-token-2", "RetryExceptions", "ok: 1 retried"), "{log:?}");
    assert!(has("operate-token-2", "RetryException", "FailedPrecondition"), "{log:?}");
    assert!(has("operate-token-2", "ResolveException", "ok: exception"), "{log:?}");
    assert!(has("operate-token-2", "ResolveException", "InvalidArgument"), "{log:?}");
    assert_eq!(rows.len(), 7, "one row per mutating call: {log:?}");
    let resolve = rows.iter().find(|r| r.action.ends_with("ResolveException") && r.result.starts_with("ok")).unwrap();
    let args: Value = serde_json::from_str(&resolve.args).unwrap();
    assert_eq!(args["id"], sku_exc);
    assert!(rows.iter().all(|r| !r.args.contains(OPERATE_TOKEN) && !r.args.contains(READ_TOKEN)), "no tokens in the log");

    // No backends configured: a full sync is refused, naming the missing settings.
    let (ok, out) = script("full-sync.sh", &grpc, OPERATE_TOKEN, &[]);
    assert!(!ok && out.contains("FailedPrecondition") && out.contains("JLBRIDGE_MAGENTO_BASE_URL"), "{out}");
}
