//! The dashboard in a real browser: headless Chromium loads `/dashboard` from the real binary,
//! sees the live update after an exception is raised, and leaves screenshots in
//! `target/dashboard.png` (laptop) and `target/dashboard-phone.png` (phone).
//!
//! Chromium is driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`: fd 3
//! in, fd 4 out, messages separated by NUL), so the test can wait for the stream to deliver
//! instead of guessing a time budget. Skipped with a reason when `chromium` is absent, unless
//! `JLBRIDGE_TEST_CHROMIUM` is set (then it fails).
use crate::support::*;
use base64::Engine;
use jlbridge::config::DatabaseConfig;
use jlbridge::domain::exception::ExceptionKind;
use jlbridge::store::{self, cursors, exceptions};
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A Chromium driven over `--remote-debugging-pipe`.
struct Browser {
    _child: Killed,
    input: ChildStdin,
    output: mpsc::Receiver<Value>,
    next_id: u64,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn start() -> Browser {
        let profile = tempfile::tempdir().unwrap();
        // The shell hands chromium our stdin as fd 3 and our stdout as fd 4.
        let mut child = Command::new("bash")
            .arg("-c")
            .arg(r#"exec chromium "$@" 3<&0 4>&1 0</dev/null 1>/dev/null"#)
            .arg("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--remote-debugging-pipe",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromium");
        let input = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, output) = mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            let mut buf = Vec::new();
            while r.read_until(0, &mut buf).is_ok_and(|n| n > 0) {
                if buf.last() == Some(&0) {
                    buf.pop();
                }
                if let Ok(v) = serde_json::from_slice::<Value>(&buf) {
                    if tx.send(v).is_err() {
                        break;
                    }
                }
                buf.clear();
            }
        });
        Browser { _child: Killed(child), input, output, next_id: 0, _profile: profile }
    }

    /// Sends one command (to a page session when given) and waits for its answer.
    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = s.into();
        }
        let mut bytes = serde_json::to_vec(&msg).unwrap();
        bytes.push(0);
        self.input.write_all(&bytes).and_then(|_| self.input.flush()).expect("write to chromium");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let v = self.output.recv_timeout(left).unwrap_or_else(|_| panic!("chromium did not answer {method}"));
            if v["id"] == id {
                assert!(v.get("error").is_none(), "{method} failed: {v}");
                return v["result"].clone();
            }
        }
    }

    /// Evaluates `expr` in the page and returns its value.
    fn eval(&mut self, session: &str, expr: &str) -> Value {
        self.call(Some(session), "Runtime.evaluate", json!({"expression": expr, "returnByValue": true}))["result"]["value"].clone()
    }

    /// Polls `expr` until it is `true` or `secs` pass.
    fn wait_for(&mut self, session: &str, expr: &str, secs: u64) -> bool {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if self.eval(session, expr) == Value::Bool(true) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    fn screenshot(&mut self, session: &str, width: u32, mobile: bool, path: &PathBuf) {
        self.call(
            Some(session),
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": mobile}),
        );
        std::thread::sleep(Duration::from_millis(300));
        let shot = self.call(Some(session), "Page.captureScreenshot", json!({"format": "png", "captureBeyondViewport": true}));
        let png = base64::engine::general_purpose::STANDARD.decode(shot["data"].as_str().unwrap()).unwrap();
        std::fs::write(path, png).expect("write the screenshot");
    }
}

/// Cargo's target directory (`target/` unless moved): the binary is in `<target>/<profile>/`.
fn target_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_jlbridge")).parent().and_then(|p| p.parent()).expect("target dir").to_path_buf()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_loads_and_updates_in_headless_chromium() {
    if tool_or_skip("chromium", "JLBRIDGE_TEST_CHROMIUM", "dashboard browser test").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db_url = format!("sqlite://{}?mode=rwc", dir.path().join("jlbridge.db").display());
    let http = free_addr();
    let _service = Killed(
        Command::new(env!("CARGO_BIN_EXE_jlbridge"))
            .arg("serve")
            .current_dir(dir.path())
            .env_clear()
            .env("JLBRIDGE_DATABASE_URL", &db_url)
            .env("JLBRIDGE_HTTP_LISTEN", &http)
            .env("JLBRIDGE_GRPC_LISTEN", free_addr())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start jlbridge serve"),
    );
    let client = reqwest::Client::new();
    let health = format!("http://{http}/healthz");
    assert!(eventually(30, || async { client.get(&health).send().await.is_ok_and(|r| r.status() == 200) }).await);
    let db = store::connect(&DatabaseConfig { url: db_url, max_connections: 2, migrate_on_start: false }).await.unwrap();
    // Something to look at: a good poll a minute ago, two SKUs waiting, one exception.
    let now = store::now_ms();
    let poll = json!({"at_ms": now - 60_000, "ok": true, "listed": 12, "new_orders": 3, "cancel_requests": 1, "duration_ms": 850});
    cursors::set(&db, jlbridge::sync::orders::poller::CURSOR_LAST_POLL, &poll.to_string()).await.unwrap();
    db.execute_unprepared(&format!(
        "INSERT INTO stock_state (sku, version, pending, attempts, drift_count, updated_at, changed_at, computed_value) VALUES \
         ('TEE-GOLD-M', 1, TRUE, 0, 0, {now}, {}, 3), ('MUG-0042', 1, TRUE, 0, 0, {now}, {}, 0)",
        now - 240_000,
        now - 30_000
    ))
    .await
    .unwrap();
    exceptions::raise(&db, &exceptions::NewException::new(ExceptionKind::SkuMismatch, "TEE-GOLD-L ", "trailing space")).await.unwrap();

    let url = format!("http://{http}/dashboard");
    let (mut browser, session) = tokio::task::spawn_blocking(move || {
        let mut b = Browser::start();
        let target = b.call(None, "Target.createTarget", json!({"url": url}))["targetId"].as_str().unwrap().to_owned();
        let session = b.call(None, "Target.attachToTarget", json!({"targetId": target, "flatten": true}))["sessionId"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            b.wait_for(&session, "document.getElementById('conn') !== null && document.getElementById('conn').textContent === 'live'", 20),
            "the page connects to its event stream"
        );
        assert_eq!(b.eval(&session, "document.getElementById('open-exceptions').textContent"), json!("1"));
        assert_eq!(b.eval(&session, "document.getElementById('pending-skus').textContent"), json!("2"));
        (b, session)
    })
    .await
    .unwrap();

    // Raised by "another process" (straight into the database): the next snapshot shows it.
    exceptions::raise(&db, &exceptions::NewException::new(ExceptionKind::CarrierUnmapped, "JL-<b>77</b>", "no slug for 'Yodel'"))
        .await
        .unwrap();

    let target = target_dir();
    let laptop = target.join("dashboard.png");
    let phone = target.join("dashboard-phone.png");
    let (l, p) = (laptop.clone(), phone.clone());
    tokio::task::spawn_blocking(move || {
        let s = session.as_str();
        assert!(
            browser.wait_for(s, "document.getElementById('open-exceptions').textContent === '2'", 15),
            "the live update reached the page"
        );
        let row = browser.eval(s, "document.querySelector('tr[data-kind=carrier_unmapped] code').textContent");
        assert_eq!(row, json!("JL-<b>77</b>"), "shown as text, not markup");
        assert_eq!(browser.eval(s, "document.querySelectorAll('main b b').length"), json!(0));
        browser.screenshot(s, 1280, false, &l);
        browser.screenshot(s, 390, true, &p);
        browser.call(None, "Browser.close", json!({}));
    })
    .await
    .unwrap();
    for f in [&laptop, &phone] {
        let len = std::fs::metadata(f).map(|m| m.len()).unwrap_or(0);
        assert!(len > 10_000, "{} written ({len} bytes)", f.display());
        println!("screenshot: {}", f.display());
    }
}
