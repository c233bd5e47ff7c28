//! What a sandbox received: method, path, query, body, status, arrival time. Tests assert on it
//! (what was sent, how often, in which order). Secrets in bodies are masked on the way in;
//! the `Authorization` header is never recorded.
//!
//! A call is recorded when it arrives (status `0`) and completed when its answer is ready, so
//! calls whose client gave up (a hang, a timeout) are in the log too. The log keeps the most
//! recent [`LOG_LIMIT`] calls (a long demo must not grow without bound).
use super::faults::FaultApplied;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// JSON keys whose values are masked in recorded bodies (types are kept: strings stay strings).
const SECRET_KEYS: &[&str] = &["password", "refresh", "access", "token", "secret"];
/// Bodies above this are refused with `413` (and recorded without a body).
const BODY_LIMIT: usize = 4 * 1024 * 1024;
/// Past this many records the oldest half is dropped.
pub const LOG_LIMIT: usize = 10_000;

#[derive(Clone, Debug)]
pub struct CallRecord {
    /// Arrival order, from 1 (not reset by [`CallLog::clear`]).
    pub seq: u64,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Parsed JSON body (secrets masked); `None` when empty or not JSON.
    pub body: Option<serde_json::Value>,
    /// Answer status; `0` while the answer is on its way (or when the client gave up first).
    pub status: u16,
    /// When the request arrived (monotonic, for rate checks) and wall time.
    pub received: Instant,
    pub received_at: SystemTime,
    /// Time to the answer; zero while it is on its way.
    pub elapsed: Duration,
    /// Set when the answer came from fault injection (`"throttle"`, `"drop"`, …).
    pub fault: Option<&'static str>,
}

impl CallRecord {
    /// Query parameter names in order of appearance.
    pub fn query_names(&self) -> Vec<String> {
        self.query
            .as_deref()
            .unwrap_or("")
            .split('&')
            .filter(|kv| !kv.is_empty())
            .map(|kv| kv.split('=').next().unwrap_or("").to_owned())
            .collect()
    }
    pub fn query_value(&self, name: &str) -> Option<String> {
        self.query.as_deref()?.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
    }
}

#[derive(Default)]
struct Inner {
    records: Vec<CallRecord>,
    last_seq: u64,
}

#[derive(Clone, Default)]
pub struct CallLog {
    inner: Arc<Mutex<Inner>>,
}

impl CallLog {
    pub fn records(&self) -> Vec<CallRecord> {
        self.inner.lock().expect("call log").records.clone()
    }
    pub fn len(&self) -> usize {
        self.inner.lock().expect("call log").records.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn clear(&self) {
        self.inner.lock().expect("call log").records.clear();
    }
    /// Records a request answered on the spot (the SFTP server's operations: `method` is the
    /// operation, `status` HTTP-like: 200 done, 404 no such file, 403 refused, 503 during an
    /// outage, 500 any other failure).
    pub fn record_answered(&self, method: &str, path: &str, status: u16) {
        let (received, received_at) = (Instant::now(), SystemTime::now());
        let r = CallRecord { seq: 0, method: method.into(), path: path.into(), query: None, body: None, status, received, received_at, elapsed: Duration::ZERO, fault: None };
        self.push(r);
    }
    /// Records an arrival; returns its `seq`.
    fn push(&self, mut r: CallRecord) -> u64 {
        let mut inner = self.inner.lock().expect("call log");
        inner.last_seq += 1;
        r.seq = inner.last_seq;
        if inner.records.len() >= LOG_LIMIT {
            inner.records.drain(..LOG_LIMIT / 2);
        }
        inner.records.push(r);
        inner.last_seq
    }
    /// Fills in the answer of the call `seq` (if still kept).
    fn complete(&self, seq: u64, status: u16, fault: Option<&'static str>) {
        let mut inner = self.inner.lock().expect("call log");
        if let Some(r) = inner.records.iter_mut().rev().find(|r| r.seq == seq) {
            r.status = status;
            r.elapsed = r.received.elapsed();
            r.fault = fault;
        }
    }
}

fn mask(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, val) in m.iter_mut() {
                if SECRET_KEYS.contains(&k.as_str()) && val.is_string() {
                    *val = serde_json::Value::String("[masked]".into());
                } else {
                    mask(val);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(mask),
        _ => {}
    }
}

/// The middleware: outermost layer, so faults and throttling are recorded too.
pub async fn record(State(log): State<CallLog>, req: Request, next: Next) -> Response {
    let received = Instant::now();
    let received_at = SystemTime::now();
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, BODY_LIMIT).await;
    let mut json = bytes.as_ref().ok().and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok());
    if let Some(j) = json.as_mut() {
        mask(j);
    }
    let seq = log.push(CallRecord {
        seq: 0,
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        body: json,
        status: 0,
        received,
        received_at,
        elapsed: Duration::ZERO,
        fault: None,
    });
    let resp = match bytes {
        Ok(bytes) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        // Never hand the routes a body other than the one sent.
        Err(_) => (StatusCode::PAYLOAD_TOO_LARGE, "Request body too large or unreadable.").into_response(),
    };
    log.complete(seq, resp.status().as_u16(), resp.extensions().get::<FaultApplied>().map(|f| f.0));
    resp
}

/// The largest number of records arriving within any span of `window` (for rate assertions).
pub fn max_in_window(records: &[CallRecord], window: Duration) -> usize {
    let mut times: Vec<Instant> = records.iter().map(|r| r.received).collect();
    times.sort();
    let mut best = 0;
    let mut start = 0;
    for end in 0..times.len() {
        while times[end].duration_since(times[start]) >= window {
            start += 1;
        }
        best = best.max(end - start + 1);
    }
    best
}
