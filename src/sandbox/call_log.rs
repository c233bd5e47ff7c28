//! What a sandbox received: method, path, query, body, status, arrival time. Tests assert on it
//! (what was sent, how often, in which order). Secrets in bodies are masked on the way in;
//! the `Authorization` header is never recorded.
use super::faults::FaultApplied;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// JSON keys whose values are masked in recorded bodies (types are kept: strings stay strings).
const SECRET_KEYS: &[&str] = &["password", "refresh", "access", "token", "secret"];

#[derive(Clone, Debug)]
pub struct CallRecord {
    pub seq: u64,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Parsed JSON body (secrets masked); `None` when empty or not JSON.
    pub body: Option<serde_json::Value>,
    pub status: u16,
    /// When the request arrived (monotonic, for rate checks) and wall time.
    pub received: Instant,
    pub received_at: SystemTime,
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

#[derive(Clone, Default)]
pub struct CallLog {
    inner: Arc<Mutex<Vec<CallRecord>>>,
}

impl CallLog {
    pub fn records(&self) -> Vec<CallRecord> {
        self.inner.lock().expect("call log").clone()
    }
    pub fn len(&self) -> usize {
        self.inner.lock().expect("call log").len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn clear(&self) {
        self.inner.lock().expect("call log").clear();
    }
    fn push(&self, mut r: CallRecord) {
        let mut v = self.inner.lock().expect("call log");
        r.seq = v.len() as u64;
        v.push(r);
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
    let bytes = axum::body::to_bytes(body, 4 * 1024 * 1024).await.unwrap_or_default();
    let mut json = serde_json::from_slice::<serde_json::Value>(&bytes).ok();
    if let Some(j) = json.as_mut() {
        mask(j);
    }
    let (method, path, query) =
        (parts.method.to_string(), parts.uri.path().to_owned(), parts.uri.query().map(str::to_owned));
    let resp = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    log.push(CallRecord {
        seq: 0,
        method,
        path,
        query,
        body: json,
        status: resp.status().as_u16(),
        received,
        received_at,
        elapsed: received.elapsed(),
        fault: resp.extensions().get::<FaultApplied>().map(|f| f.0),
    });
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
