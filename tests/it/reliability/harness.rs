//! The world the real binary runs in: both sandboxes with mapped products, a database
//! (SQLite file, or PostgreSQL), an alert receiver, and `jlbridge serve` processes whose
//! stderr is captured to a file, scanned for secrets and personal data at the end.
#![allow(dead_code)]
use crate::support::*;
use axum::routing::post;
use base64::Engine;
use jlbridge::domain::buffer::BufferRules;
use jlbridge::domain::order::PartNumber;
use jlbridge::sandbox::edge::{self, EdgeSandbox, EdgeSandboxConfig, NewOrder};
use jlbridge::sandbox::magento::MagentoSandbox;
use jlbridge::store::{self, mapping};
use rust_decimal::Decimal;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const KEY: &[u8] = b"rel-suite-hmac-key-Zq8vX2mN4pL7wR";
pub const READ_TOKEN: &str = "rel-read-token-4c1f9e7a2b";
pub const OPERATE_TOKEN: &str = "rel-operate-token-8d2e6b0f3a";
pub const ALERT_SECRET_PATH: &str = "/hooks/rel-alert-secret-5e7c";
pub const CARRIER_MAP: &str = "Royal Mail*=royal-mail,dpd=dpd";

/// Customers' personal data used in the sandboxes (distinctive, so a hit is a real leak).
pub const CUSTOMERS: &[(&str, &str, &str, &str, &str)] = &[
    // name, address line, postcode, email, phone
    ("Philippa Quarrington", "17 Larkspur Mews", "RG1 8QX", "philippa.quarrington@example.invalid", "07700 900461"),
    ("Tobias Wrenfield", "4 Otterbourne Close", "SO21 2LP", "t.wrenfield@example.invalid", "07700 900782"),
    ("Niamh O'Kelleher", "88 Blackthorn Row", "BT9 6FG", "niamh.okelleher@example.invalid", "07700 900315"),
];

pub fn whsec() -> String {
    format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(KEY))
}

pub fn sku(i: usize) -> String {
    format!("REL-{i:03}")
}
pub fn part(i: usize) -> String {
    format!("{}", 61_000_000 + i)
}

/// The buffer rules the service is configured with (by environment).
pub fn rules() -> BufferRules {
    BufferRules { safety: Some(2), floor: Some(1), ..Default::default() }
}
pub fn expected(sku: &str, salable: Decimal) -> i64 {
    rules().compute(sku, salable, chrono::Utc::now()).output as i64
}

/// Every log file written by a binary run in this test binary.
static LOGS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

pub struct World {
    pub edge: EdgeSandbox,
    pub magento: MagentoSandbox,
    pub skus: usize,
    pub db_url: String,
    pub dir: tempfile::TempDir,
    pub alerts: Arc<Mutex<Vec<String>>>,
    pub alert_url: String,
    pub extra_needles: Vec<String>,
    spawned: Mutex<u32>,
}

pub struct WorldOptions {
    pub skus: usize,
    pub edge: EdgeSandboxConfig,
    /// PostgreSQL database URL; a fresh SQLite file when `None`.
    pub db_url: Option<String>,
}

impl World {
    pub async fn start(o: WorldOptions) -> World {
        let edge = edge::start(o.edge).await.expect("edge sandbox");
        let magento = MagentoSandbox::start().await.expect("magento sandbox");
        let mut rows = Vec::new();
        for i in 0..o.skus {
            edge.add_product(&part(i), Some(&sku(i)), 7);
            magento.add_product(&sku(i), &format!("Item {i}"), Decimal::new(1999, 2));
            magento.set_source_qty(&sku(i), "default", Decimal::from(20));
            rows.push(mapping::MappingRow { sku: sku(i), part_number: PartNumber::parse(&part(i)).unwrap(), extra: None });
        }
        let keep = std::env::var("JLBRIDGE_RELIABILITY_KEEP").is_ok_and(|v| !v.is_empty());
        let dir = tempfile::Builder::new().prefix("jlb-rel-").disable_cleanup(keep).tempdir().unwrap();
        if keep {
            println!("logs and database kept in {}", dir.path().display());
        }
        let db_url = o.db_url.unwrap_or_else(|| format!("sqlite://{}?mode=rwc", dir.path().join("rel.db").display()));
        let cfg = jlbridge::config::DatabaseConfig { url: db_url.clone(), max_connections: 2, migrate_on_start: true };
        let db = store::connect(&cfg).await.unwrap();
        store::migrate(&db).await.unwrap();
        mapping::import(&db, &rows).await.unwrap();
        db.close().await.ok();
        // Alert receiver (its URL carries a secret path).
        let alerts = Arc::new(Mutex::new(Vec::new()));
        let sink = alerts.clone();
        let app = axum::Router::new().route(
            ALERT_SECRET_PATH,
            post(move |body: String| {
                let sink = sink.clone();
                async move {
                    sink.lock().unwrap().push(body);
                    "ok"
                }
            }),
        );
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let alert_url = format!("http://{}{ALERT_SECRET_PATH}", l.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(l, app).await.ok() });
        World { edge, magento, skus: o.skus, db_url, dir, alerts, alert_url, extra_needles: Vec::new(), spawned: Mutex::new(0) }
    }

    pub async fn db(&self) -> sea_orm::DatabaseConnection {
        let cfg = jlbridge::config::DatabaseConfig { url: self.db_url.clone(), max_connections: 2, migrate_on_start: false };
        store::connect(&cfg).await.unwrap()
    }

    /// The environment of `jlbridge serve` against this world (short schedules for tests).
    pub fn env(&self, http: &str, grpc: &str) -> Vec<(String, String)> {
        let e = self.edge.config();
        let v: Vec<(&str, String)> = vec![
            ("JLBRIDGE_DATABASE_URL", self.db_url.clone()),
            ("JLBRIDGE_HTTP_LISTEN", http.into()),
            ("JLBRIDGE_GRPC_LISTEN", grpc.into()),
            ("JLBRIDGE_WEBHOOK_SECRETS", whsec()),
            ("JLBRIDGE_GRPC_TOKENS", format!("read:{READ_TOKEN},operate:{OPERATE_TOKEN}")),
            ("JLBRIDGE_MAGENTO_BASE_URL", self.magento.base_url()),
            ("JLBRIDGE_MAGENTO_TOKEN", self.magento.token().into()),
            ("JLBRIDGE_MARKETPLACE", "edge".into()),
            ("JLBRIDGE_EDGE_BASE_URL", self.edge.base_url().into()),
            ("JLBRIDGE_EDGE_USERNAME", e.username.clone()),
            ("JLBRIDGE_EDGE_PASSWORD", e.password.clone()),
            ("JLBRIDGE_EDGE_RATE_LIMIT", e.rate_limit.to_string()),
            ("JLBRIDGE_EDGE__RATE_WINDOW_MS", e.rate_window.as_millis().to_string()),
            ("JLBRIDGE_EDGE__TIMEOUT_SECS", "3".into()),
            ("JLBRIDGE_MAGENTO__TIMEOUT_SECS", "3".into()),
            ("JLBRIDGE_ALERT_WEBHOOK_URL", self.alert_url.clone()),
            ("JLBRIDGE_ALERTS__FORMAT", "json".into()),
            ("JLBRIDGE_ALERTS__GROUP_SECS", "1".into()),
            ("JLBRIDGE_CARRIER_MAP", CARRIER_MAP.into()),
            ("JLBRIDGE_STOCK__BUFFER__SAFETY", "2".into()),
            ("JLBRIDGE_STOCK__BUFFER__FLOOR", "1".into()),
            ("JLBRIDGE_STOCK__PUSH_RETRY_SECS", "1".into()),
            ("JLBRIDGE_STOCK__RECONCILE_INTERVAL_SECS", "0".into()),
            ("JLBRIDGE_ORDERS__POLL_INTERVAL_SECS", "1".into()),
            ("JLBRIDGE_SHIPMENTS__CATCH_UP_INTERVAL_SECS", "2".into()),
            ("JLBRIDGE_SHIPMENTS__WAIT_RETRY_SECS", "1".into()),
            ("JLBRIDGE_JOBS__LEASE_SECS", "5".into()),
            ("JLBRIDGE_JOBS__POLL_INTERVAL_MS", "50".into()),
            ("JLBRIDGE_JOBS__RETRY_SCHEDULE_SECS", "[0,1,1,1,1,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2]".into()),
            ("JLBRIDGE_JOBS__RETRY_JITTER", "0.1".into()),
            ("JLBRIDGE_LOG__LEVEL", "debug".into()),
        ];
        v.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }

    /// Starts `jlbridge serve`; stderr goes to a log file registered for the secrets scan.
    pub fn spawn(&self, tag: &str, overrides: &[(&str, &str)]) -> Service {
        let (http, grpc) = (free_addr(), free_addr());
        self.spawn_on(tag, &http, &grpc, overrides)
    }

    pub fn spawn_on(&self, tag: &str, http: &str, grpc: &str, overrides: &[(&str, &str)]) -> Service {
        let n = {
            let mut n = self.spawned.lock().unwrap();
            *n += 1;
            *n
        };
        let log = self.dir.path().join(format!("{tag}-{n}.stderr.log"));
        LOGS.lock().unwrap().push(log.clone());
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_jlbridge"));
        cmd.arg("serve").current_dir(self.dir.path()).env_clear();
        for (k, v) in self.env(http, grpc) {
            cmd.env(k, v);
        }
        for (k, v) in overrides {
            cmd.env(k, v);
        }
        let file = std::fs::File::create(&log).unwrap();
        let child = cmd.stdout(Stdio::null()).stderr(file).spawn().expect("start jlbridge serve");
        Service { child, http: http.into(), grpc: grpc.into(), log }
    }

    /// A John Lewis order on products `lines` for customer `c` (see `CUSTOMERS`).
    pub fn order(&self, reference: &str, lines: &[(usize, u32)], c: usize) -> NewOrder {
        let (name, line_1, pc, email, phone) = CUSTOMERS[c % CUSTOMERS.len()];
        let mut o = NewOrder::new(reference);
        o.ship_to.full_name = name.into();
        o.ship_to.line_1 = line_1.into();
        o.ship_to.postal_code = pc.into();
        o.ship_to.email = Some(email.into());
        o.ship_to.phone = Some(phone.into());
        for (i, q) in lines {
            o = o.line(&part(*i), *q, "19.99");
        }
        o
    }

    /// Strings that must never appear in a log: configured secrets, tokens, passwords, and
    /// the customers' personal data.
    pub fn needles(&self) -> Vec<String> {
        let e = self.edge.config();
        let mut n = vec![
            whsec(),
            base64::engine::general_purpose::STANDARD.encode(KEY),
            String::from_utf8_lossy(KEY).into_owned(),
            READ_TOKEN.into(),
            OPERATE_TOKEN.into(),
            self.magento.token().into(),
            e.password.clone(),
            ALERT_SECRET_PATH.into(),
        ];
        for (name, line, pc, email, phone) in CUSTOMERS {
            n.extend([name, line, pc, email, phone].map(|s| s.to_string()));
        }
        n.extend(self.extra_needles.iter().cloned());
        n.retain(|s| s.len() >= 6);
        n
    }

    /// Scans the logs of the binaries this world started; returns (files, bytes) scanned.
    pub fn assert_no_leaks(&self) -> (usize, u64) {
        let logs: Vec<PathBuf> =
            LOGS.lock().unwrap().iter().filter(|p| p.starts_with(self.dir.path())).cloned().collect();
        scan(&logs, &self.needles())
    }
}

/// Fails on any needle found in the files; returns (files, bytes) scanned.
pub fn scan(files: &[PathBuf], needles: &[String]) -> (usize, u64) {
    let mut bytes = 0;
    let mut hits = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        bytes += text.len() as u64;
        for n in needles {
            if let Some(pos) = text.find(n.as_str()) {
                let line = text[..pos].rfind('\n').map_or(0, |p| p + 1);
                let end = text[pos..].find('\n').map_or(text.len(), |p| pos + p);
                hits.push(format!("{}: {:?} in: {}", f.display(), n, &text[line..end.min(line + 400)]));
            }
        }
    }
    assert!(hits.is_empty(), "secrets or personal data in the logs:\n{}", hits.join("\n"));
    (files.len(), bytes)
}

pub struct Service {
    pub child: Child,
    pub http: String,
    pub grpc: String,
    pub log: PathBuf,
}

impl Service {
    pub async fn wait_up(&self, secs: u64) {
        let url = format!("http://{}/healthz", self.http);
        let c = reqwest::Client::new();
        let up = eventually(secs, || async { c.get(&url).send().await.is_ok_and(|r| r.status() == 200) }).await;
        assert!(up, "service up; log:\n{}", std::fs::read_to_string(&self.log).unwrap_or_default());
    }

    /// SIGKILL, and reap.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        self.child.try_wait().map(|s| s.is_none()).unwrap_or(false)
    }

    pub fn webhook_url(&self) -> String {
        format!("http://{}/webhooks/magento", self.http)
    }

    pub async fn grpc_channel(&self) -> tonic::transport::Channel {
        tonic::transport::Endpoint::from_shared(format!("http://{}", self.grpc))
            .unwrap()
            .connect_timeout(Duration::from_secs(5))
            .connect()
            .await
            .expect("gRPC listener")
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.kill9();
    }
}

pub fn authed<T>(msg: T, token: &str) -> tonic::Request<T> {
    let mut req = tonic::Request::new(msg);
    req.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    req
}

/// Waits until John Lewis shows rules(Magento salable) for every SKU; returns the SKUs off.
pub async fn stock_converges(w: &World, secs: u64) -> Vec<String> {
    let off = || {
        (0..w.skus)
            .filter(|i| {
                let salable = w.magento.salable_qty(&sku(*i), 1).unwrap_or_default();
                w.edge.product_stock(&part(*i)) != Some(expected(&sku(*i), salable))
            })
            .map(|i| format!("{} shows {:?}, salable {:?}", sku(i), w.edge.product_stock(&part(i)), w.magento.salable_qty(&sku(i), 1)))
            .collect::<Vec<_>>()
    };
    eventually(secs, || async { off().is_empty() }).await;
    off()
}

/// Waits (up to `secs`) until every order is either injected into Magento or cancelled by the
/// service itself (a line short of stock: never injected); returns the cancelled references.
pub async fn orders_settle(w: &World, db: &sea_orm::DatabaseConnection, refs: &[String], secs: u64) -> Vec<String> {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    let mut short = Vec::new();
    loop {
        short.clear();
        let mut settled = true;
        for r in refs {
            let stored = jlbridge::store::orders::get(db, r).await.ok().flatten();
            if stored.is_some_and(|s| s.order.state == "cancelled") {
                short.push(r.clone());
            } else {
                settled &= w.magento.orders_with_ext_id(r).len() == 1;
            }
        }
        if settled || std::time::Instant::now() > deadline {
            return short;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Stock PATCH calls the Edge sandbox answered with 2xx.
pub fn stock_pushes(w: &World) -> usize {
    w.edge.calls().iter().filter(|c| c.method == "PATCH" && c.path.ends_with("/stock") && c.status < 300 && c.fault.is_none()).count()
}

/// Accepted dispatch calls per Edge order id (an injected fault served nothing, even when
/// its headers said 200 before the connection was dropped).
pub fn dispatches_for(w: &World, edge_id: u64) -> usize {
    let needle = format!("/{edge_id}/");
    w.edge
        .calls()
        .iter()
        .filter(|c| c.method == "POST" && c.path.contains(&needle) && c.path.contains("dispatch") && (200..300).contains(&c.status) && c.fault.is_none())
        .count()
}

/// Waits until no job is queued or running; returns the number of dead jobs.
pub async fn drained(db: &sea_orm::DatabaseConnection, secs: u64) -> Option<u64> {
    use sea_orm::{ConnectionTrait, Statement};
    let backend = db.get_database_backend();
    let count = |state: &'static str| async move {
        let row = db
            .query_one(Statement::from_string(backend, format!("SELECT COUNT(*) AS n FROM jobs WHERE state = '{state}'")))
            .await
            .ok()??;
        row.try_get::<i64>("", "n").ok()
    };
    let ok = eventually(secs, || async { count("queued").await == Some(0) && count("running").await == Some(0) }).await;
    if ok {
        count("dead").await.map(|n| n as u64)
    } else {
        None
    }
}
