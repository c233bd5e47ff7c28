//! Signed webhooks accepted and durably stored per second on SQLite (a file database, the
//! real router on loopback), and p50/p99 latency at 1,000 requests a second, next to a bare
//! axum handler returning 200 measured in the same run: the receiver alone (no worker reads
//! its database), and the service as `App::start` runs it, its workers processing the
//! `stock.observed` jobs meanwhile. Prints figures and the targets met or not; asserts nothing
//! except that every 202 is in the inbox.
//!
//!     cargo bench --bench webhooks            (BENCH_SECS=5 per phase, BENCH_CONNECTIONS=64,256 by default)
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use jlbridge::app::{App, AppState};
use jlbridge::config::{Config, StringList};
use jlbridge::domain::webhook_signature::sign;
use jlbridge::http::webhooks;
use jlbridge::domain::order::PartNumber;
use jlbridge::store::checkpoint::{self, CheckpointSettings};
use jlbridge::store::mapping::MappingRow;
use jlbridge::store::entities::{job, webhook_inbox};
use jlbridge::store::inbox::WriterOptions;
use jlbridge::store::jobs::Queue;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ColumnTrait, ConnectOptions, Database, EntityTrait, PaginatorTrait, QueryFilter};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

const KEY: &[u8] = b"benchmark-key-benchmark-key-1234";
const RATE: u64 = 1000;
/// Issue #5's targets.
const TARGET_RATE: f64 = 5000.0;
const TARGET_RATIO: f64 = 0.2;
const TARGET_P99_MS: f64 = 25.0;

static SEQ: AtomicU64 = AtomicU64::new(0);

/// Closed-loop clients of the accepted/s phase, one phase per number (BENCH_CONNECTIONS, a
/// comma-separated list, "64,256" by default): the bare handler and the receiver are measured
/// with the same numbers.
fn connections() -> Vec<usize> {
    let list = std::env::var("BENCH_CONNECTIONS").unwrap_or_else(|_| "64,256".into());
    let n: Vec<usize> = list.split(',').map(|c| c.trim().parse().expect("BENCH_CONNECTIONS: numbers, e.g. 64,256")).collect();
    assert!(!n.is_empty() && n.iter().all(|&c| c > 0), "BENCH_CONNECTIONS: at least one number above 0");
    n
}

fn secs() -> u64 {
    std::env::var("BENCH_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(5)
}

/// One signed `stock.changed` request with a fresh id, as raw HTTP/1.1 bytes.
fn request(path: &str) -> Vec<u8> {
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let id = format!("bench_{n}");
    let ts = chrono::Utc::now().timestamp();
    let body = format!(
        r#"{{"type":"stock.changed","timestamp":"2026-11-27T10:00:00.250Z","data":{{"items":[{{"sku":"SKU-{}","salable_qty":{}}}]}}}}"#,
        n % 5000,
        n % 97
    );
    let sig = sign(KEY, &id, ts, body.as_bytes());
    format!(
        "POST {path} HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         webhook-id: {id}\r\nwebhook-timestamp: {ts}\r\nwebhook-signature: {sig}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A minimal keep-alive HTTP/1.1 client: the load generator shares the 2 cores, so it is lean.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).unwrap();
        Conn { stream, buf: Vec::with_capacity(4096) }
    }

    async fn send(&mut self, req: &[u8]) -> u16 {
        self.stream.write_all(req).await.expect("write");
        loop {
            if let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buf[..end]).to_ascii_lowercase();
                let status: u16 = head[9..12].parse().expect("status");
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map(|v| v.trim().parse().unwrap())
                    .unwrap_or(0);
                while self.buf.len() < end + 4 + len {
                    self.read().await;
                }
                self.buf.drain(..end + 4 + len);
                return status;
            }
            self.read().await;
        }
    }

    async fn read(&mut self) {
        let n = self.stream.read_buf(&mut self.buf).await.expect("read");
        assert!(n > 0, "server closed the connection");
    }
}

/// Closed loop: `clients` send back to back for `dur`. Returns (2xx count, rate).
async fn throughput(addr: SocketAddr, path: &'static str, dur: Duration, clients: usize) -> (u64, f64) {
    let ok = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let ok = ok.clone();
        tasks.push(tokio::spawn(async move {
            let mut c = Conn::open(addr).await;
            while start.elapsed() < dur {
                let status = c.send(&request(path)).await;
                assert!(status == 200 || status == 202, "status {status}");
                ok.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let n = ok.load(Ordering::Relaxed);
    (n, n as f64 / start.elapsed().as_secs_f64())
}

/// Open loop at RATE per second; latency counted from the scheduled send time (so queueing
/// behind a slow request is included). Returns (p50, p99, max) in ms.
async fn latency(addr: SocketAddr, path: &'static str, dur: Duration) -> (f64, f64, f64) {
    let total = RATE * dur.as_secs();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Instant>();
    let rx = Arc::new(Mutex::new(rx));
    let samples = Arc::new(std::sync::Mutex::new(Vec::with_capacity(total as usize)));
    let mut workers = Vec::new();
    for _ in 0..32 {
        let (rx, samples) = (rx.clone(), samples.clone());
        workers.push(tokio::spawn(async move {
            let mut c = Conn::open(addr).await;
            loop {
                let Some(due) = rx.lock().await.recv().await else { return };
                c.send(&request(path)).await;
                samples.lock().unwrap().push(due.elapsed().as_secs_f64() * 1000.0);
            }
        }));
    }
    let start = Instant::now();
    for i in 0..total {
        let due = start + Duration::from_micros(i * 1_000_000 / RATE);
        tokio::time::sleep_until(due.into()).await;
        tx.send(due).unwrap();
    }
    drop(tx);
    for w in workers {
        w.await.unwrap();
    }
    let mut s = samples.lock().unwrap().clone();
    s.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let q = |p: f64| s[((s.len() as f64 * p) as usize).min(s.len() - 1)];
    (q(0.50), q(0.99), *s.last().unwrap())
}

fn config(db: &std::path::Path) -> Config {
    let mut c = Config::default();
    c.database.url = format!("sqlite://{}?mode=rwc", db.display());
    c.http.listen = "127.0.0.1:0".into();
    c.grpc.listen = "127.0.0.1:0".into();
    c.webhooks.secrets = StringList(vec![format!("whsec_{}", base64_encode(KEY))]);
    c
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// The webhook router alone, on its own database file with the SQLite sync mode and group
/// commit chosen: the state of a started App whose database (`idle.db`) receives nothing, so
/// its workers have nothing to do, with the database and queue swapped for `bench.db`, which
/// gets the same background checkpoints as the service's.
async fn receiver_alone(
    dir: &std::path::Path,
    sync: SqliteSynchronous,
    opts: WriterOptions,
    checkpoints: CheckpointSettings,
) -> (App, SocketAddr) {
    let app = App::start(config(&dir.join("idle.db"))).await.unwrap();
    let config = config(&dir.join("bench.db"));
    let mut o = ConnectOptions::new(config.database.url.clone());
    o.max_connections(8).sqlx_logging(false).map_sqlx_sqlite_opts(move |s| {
        s.journal_mode(SqliteJournalMode::Wal)
            .synchronous(sync)
            .busy_timeout(Duration::from_secs(15))
            .pragma("wal_autocheckpoint", "0")
    });
    let db = Database::connect(o).await.unwrap();
    jlbridge::store::migrate(&db).await.unwrap();
    tokio::spawn(checkpoint::run(db.clone(), checkpoints, app.shutdown_token()));
    let mut state: AppState = app.state.clone();
    state.queue = Queue::new(db.clone(), jlbridge::app::retry_policy(&config), Duration::from_secs(120));
    state.db = db;
    let router = Router::new().merge(webhooks::router_with(&state, opts)).with_state(state);
    (app, serve(router).await)
}

async fn serve(router: Router) -> SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, router).await.unwrap() });
    addr
}

async fn open_ro(dir: &std::path::Path) -> sea_orm::DatabaseConnection {
    Database::connect(format!("sqlite://{}?mode=ro", dir.join("bench.db").display())).await.unwrap()
}

async fn stored(dir: &std::path::Path) -> u64 {
    webhook_inbox::Entity::find().count(&open_ro(dir).await).await.unwrap()
}

/// Jobs the workers finished (done or given up), i.e. processed while the webhooks arrived.
async fn processed(dir: &std::path::Path) -> u64 {
    let db = open_ro(dir).await;
    job::Entity::find().filter(job::Column::State.is_in(["done", "dead"])).count(&db).await.unwrap()
}

struct Row {
    name: &'static str,
    /// Accepted/s at each number of closed-loop clients, in `connections()` order.
    rates: Vec<f64>,
    lat: (f64, f64, f64),
    /// Jobs processed meanwhile, out of those created.
    jobs: Option<(u64, u64)>,
}

async fn measure(name: &'static str, addr: SocketAddr, path: &'static str, dir: Option<&std::path::Path>) -> Row {
    let d = Duration::from_secs(secs());
    let clients = connections();
    let (warm_up, _) = throughput(addr, path, Duration::from_secs(1), clients[0]).await;
    // The latency phase first: it measures 1,000/s, not the checkpoints catching up with the
    // WAL that the closed-loop phases leave behind (at their rates the WAL grows by up to
    // 200 MB a second, and copying that into the database file makes the disk's syncs slow).
    let lat = latency(addr, path, d).await;
    let (mut sent, mut rates) = (warm_up, Vec::new());
    for &c in &clients {
        let (n, rate) = throughput(addr, path, d, c).await;
        sent += n;
        rates.push(rate);
    }
    let mut jobs = None;
    if let Some(dir) = dir {
        let in_inbox = stored(dir).await;
        let sent = sent + RATE * d.as_secs();
        assert!(in_inbox >= sent, "{name}: {in_inbox} in the inbox, fewer than the {sent} accepted");
        jobs = Some((processed(dir).await, in_inbox));
    }
    let shown: Vec<String> = clients.iter().zip(&rates).map(|(c, r)| format!("{r:>7.0}/s @{c}")).collect();
    eprintln!("{name:<58} {}  p50 {:>6.2} ms  p99 {:>6.2} ms  max {:>7.2} ms", shown.join(" "), lat.0, lat.1, lat.2);
    Row { name, rates, lat, jobs }
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "NOT met"
    }
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--test") {
        return; // `cargo test --benches` only checks that it builds
    }
    // BENCH_ONLY=alone: the bare handler and the receiver alone only (e.g. under a profiler).
    let only_alone = std::env::var("BENCH_ONLY").is_ok_and(|v| v == "alone");
    let bare = serve(Router::new().route("/bare", post(|| async { StatusCode::OK }))).await;
    let mut rows = vec![measure("bare axum handler (200)", bare, "/bare", None).await];

    let group = WriterOptions::default();
    // BENCH_CHECKPOINT_MS: the background checkpoints' period (the service's default otherwise).
    let mut background = CheckpointSettings::default();
    if let Some(ms) = std::env::var("BENCH_CHECKPOINT_MS").ok().and_then(|v| v.parse().ok()) {
        background.every = Duration::from_millis(ms);
    }
    let dir = tempfile::tempdir().unwrap();
    let (app, addr) = receiver_alone(dir.path(), SqliteSynchronous::Full, group, background).await;
    rows.push(measure("receiver alone: SQLite FULL, group commit", addr, webhooks::PATH, Some(dir.path())).await);
    app.stop().await;
    if only_alone {
        report(&rows);
        return;
    }

    let dir = tempfile::tempdir().unwrap();
    let app = App::start(config(&dir.path().join("bench.db"))).await.unwrap();
    // The SKUs are mapped, as in production (an unmapped SKU would also count an exception).
    let mappings: Vec<MappingRow> = (0..5000)
        .map(|i| MappingRow { sku: format!("SKU-{i}"), part_number: PartNumber(format!("{}", 10_000_000 + i)), extra: None })
        .collect();
    jlbridge::store::mapping::import(&app.state.db, &mappings).await.unwrap();
    rows.push(
        measure("App::start, workers processing: SQLite FULL, group commit", app.http_addr, webhooks::PATH, Some(dir.path()))
            .await,
    );
    app.stop().await;

    let per_request = WriterOptions { max_batch: 1, committers: 8, ..WriterOptions::default() };
    // No checkpoint during the phase: shows what the checkpoints' own writes and fsyncs cost
    // the commits (the WAL just grows for these seconds).
    let none = CheckpointSettings { every: Duration::from_secs(3600), truncate_above_bytes: u64::MAX };
    let cases = [
        ("receiver alone: SQLite FULL, group commit, no checkpoint", SqliteSynchronous::Full, group, none),
        ("receiver alone: SQLite FULL, one transaction per request", SqliteSynchronous::Full, per_request, background),
        ("receiver alone: SQLite NORMAL, group commit", SqliteSynchronous::Normal, group, background),
        ("receiver alone: SQLite NORMAL, one transaction per request", SqliteSynchronous::Normal, per_request, background),
    ];
    for (name, sync, opts, checkpoints) in cases {
        let dir = tempfile::tempdir().unwrap();
        let (app, addr) = receiver_alone(dir.path(), sync, opts, checkpoints).await;
        rows.push(measure(name, addr, webhooks::PATH, Some(dir.path())).await);
        app.stop().await;
    }
    report(&rows);
}

fn report(rows: &[Row]) {
    let clients = connections();
    let bare = &rows[0].rates;
    let head: Vec<String> = clients.iter().map(|c| format!(" accepted/s @{c} | × bare @{c} |")).collect();
    println!("\n| setup |{} p50 @1000/s | p99 @1000/s | jobs processed meanwhile |", head.concat());
    println!("|---|{}---:|---:|---:|", "---:|---:|".repeat(clients.len()));
    for r in rows {
        let jobs = match (r.jobs, r.name.starts_with("App::start")) {
            (Some((done, of)), true) => format!("{done} of {of}"),
            _ => "–".into(),
        };
        let rates: Vec<String> = r.rates.iter().zip(bare).map(|(x, b)| format!(" {x:.0} | {:.2} |", x / b)).collect();
        println!("| {} |{} {:.2} ms | {:.2} ms | {jobs} |", r.name, rates.concat(), r.lat.0, r.lat.1);
    }
    println!(
        "\nClosed loop (accepted/s) with {} keep-alive connections; open loop for latency on 32 connections; {} s per phase",
        clients.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(" and "),
        secs()
    );
    println!("\nTargets (≥ {TARGET_RATE:.0}/s, ≥ {TARGET_RATIO} × bare, p99 ≤ {TARGET_P99_MS} ms @1000/s):");
    for r in rows.iter().skip(1).take(2) {
        let per: Vec<String> = clients
            .iter()
            .zip(r.rates.iter().zip(bare))
            .map(|(c, (x, b))| {
                format!("@{c}: {x:.0}/s {}, {:.2} × bare {}", verdict(*x >= TARGET_RATE), x / b, verdict(x / b >= TARGET_RATIO))
            })
            .collect();
        println!("- {}: {}; p99 {:.2} ms {}", r.name, per.join("; "), r.lat.1, verdict(r.lat.1 <= TARGET_P99_MS));
    }
}
