//! Fault injection for the sandboxes: an axum middleware driven by a [`FaultPlan`] that tests
//! change at run time. Each [`FaultRule`] matches a path prefix (and optionally a method), fires
//! with a probability, optionally a limited number of times, and applies one [`Fault`].
//!
//! Rules are tried in the order they were added. Delays ([`Fault::Latency`],
//! [`Fault::LatencyAfter`]) add up and let the search go on; the first other fault that fires
//! replaces the answer and ends it. So "every call 200 ms late, 10 % of them 503" is two rules,
//! and a one-off failure still fires while a standing delay is in place.
//!
//! Generic on purpose: the Edge and Magento sandboxes both use it; the `429` and error bodies
//! are built by functions the sandbox supplies (each API has its own documented shapes).
//!
//! ```ignore
//! let plan = FaultPlan::default();               // keep a clone: tests change it at run time
//! let faults = FaultLayer::new(plan.clone(), Arc::new(|wait| my_429_answer(wait)));
//! let app = Router::new() /* routes */
//!     .layer(from_fn_with_state(faults, faults::inject))
//!     .layer(from_fn_with_state(log.clone(), call_log::record)); // outermost: sees faults too
//! plan.add(FaultRule::new("/rest/", Fault::Status(503)).probability(0.2));
//! ```
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Delay, then serve the request normally.
    Latency(Duration),
    /// Serve the request, then hold the answer back this long: a client that times out has
    /// still changed the state (the "did my create happen?" case).
    LatencyAfter(Duration),
    /// `429` with the sandbox's throttle body stating this wait; the request is not served.
    Throttle { wait: Duration },
    /// A 5xx (or any status) with a small JSON error body; the request is not served.
    Status(u16),
    /// Any status with this JSON body (e.g. a `409` in the marketplace's own words).
    Json(u16, serde_json::Value),
    /// Any status with this body as is (JSON or not, e.g. a proxy's HTML page) and, when
    /// given, a `Retry-After` header in whole seconds (rounded up).
    Raw { status: u16, body: String, retry_after: Option<Duration> },
    /// Never answer (until `hang_for` passes): the client must time out.
    Hang,
    /// Drop the connection without a complete answer.
    Drop,
}

impl Fault {
    /// Delays only postpone the answer; every other fault replaces it.
    pub fn is_delay(&self) -> bool {
        matches!(self, Fault::Latency(_) | Fault::LatencyAfter(_))
    }
}

#[derive(Clone, Debug)]
pub struct FaultRule {
    pub path_prefix: String,
    pub method: Option<Method>,
    /// 0.0–1.0.
    pub probability: f64,
    pub fault: Fault,
    /// Fire at most this many times, then the rule is removed. `None`: forever.
    pub times: Option<u32>,
}

impl FaultRule {
    /// Always fires, on every method, for paths starting with `path_prefix`.
    pub fn new(path_prefix: impl Into<String>, fault: Fault) -> Self {
        FaultRule { path_prefix: path_prefix.into(), method: None, probability: 1.0, fault, times: None }
    }
    pub fn method(mut self, m: Method) -> Self {
        self.method = Some(m);
        self
    }
    pub fn probability(mut self, p: f64) -> Self {
        self.probability = p.clamp(0.0, 1.0);
        self
    }
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }
}

/// The run-time changeable set of rules (cheap to clone; clones share the rules).
#[derive(Clone, Default)]
pub struct FaultPlan {
    rules: Arc<Mutex<Vec<FaultRule>>>,
}

impl FaultPlan {
    pub fn add(&self, rule: FaultRule) {
        self.rules.lock().expect("fault plan").push(rule);
    }
    pub fn clear(&self) {
        self.rules.lock().expect("fault plan").clear();
    }
    pub fn rules(&self) -> Vec<FaultRule> {
        self.rules.lock().expect("fault plan").clone()
    }
    /// Keeps only the rules for which `keep` is true.
    pub fn retain(&self, keep: impl FnMut(&FaultRule) -> bool) {
        self.rules.lock().expect("fault plan").retain(keep);
    }

    /// The faults to apply to this request, in rule order: every delay that fired, then at
    /// most one answer-replacing fault (the first that fired). Empty: serve normally.
    pub fn pick(&self, method: &Method, path: &str) -> Vec<Fault> {
        let mut rules = self.rules.lock().expect("fault plan");
        let mut rng = rand::thread_rng();
        let mut picked = Vec::new();
        let mut i = 0;
        while i < rules.len() {
            let r = &mut rules[i];
            let fires = path.starts_with(&r.path_prefix)
                && r.method.as_ref().is_none_or(|m| m == method)
                && r.times != Some(0)
                && (r.probability >= 1.0 || rng.gen::<f64>() < r.probability);
            if !fires {
                i += 1;
                continue;
            }
            let fault = r.fault.clone();
            let used_up = r.times.as_mut().is_some_and(|n| {
                *n -= 1;
                *n == 0
            });
            if used_up {
                rules.remove(i);
            } else {
                i += 1;
            }
            let last = !fault.is_delay();
            picked.push(fault);
            if last {
                break;
            }
        }
        picked
    }
}

/// Builds the `429` answer for a wait (each sandbox its own documented body).
pub type ThrottleBody = Arc<dyn Fn(Duration) -> Response + Send + Sync>;
/// Builds the answer to [`Fault::Status`] for a status (each sandbox its own error shape).
pub type StatusBody = Arc<dyn Fn(StatusCode) -> Response + Send + Sync>;

/// The default [`Fault::Status`] answer: `{"detail": "Injected fault: 503 Service Unavailable"}`.
pub fn detail_status_body(status: StatusCode) -> Response {
    (status, axum::Json(serde_json::json!({"detail": format!("Injected fault: {status}")}))).into_response()
}

/// Marker put on answers produced by a fault, so the call log can say so.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultApplied(pub &'static str);

#[derive(Clone)]
pub struct FaultLayer {
    pub plan: FaultPlan,
    pub throttle_body: ThrottleBody,
    pub status_body: StatusBody,
    /// How long [`Fault::Hang`] holds the request before giving up.
    pub hang_for: Duration,
}

impl FaultLayer {
    pub fn new(plan: FaultPlan, throttle_body: ThrottleBody) -> Self {
        FaultLayer { plan, throttle_body, status_body: Arc::new(detail_status_body), hang_for: Duration::from_secs(300) }
    }
    pub fn with_status_body(mut self, status_body: StatusBody) -> Self {
        self.status_body = status_body;
        self
    }
}

/// The middleware: `Router::layer(axum::middleware::from_fn_with_state(layer, faults::inject))`.
pub async fn inject(State(layer): State<FaultLayer>, req: Request, next: Next) -> Response {
    let picked = layer.plan.pick(req.method(), req.uri().path());
    if picked.is_empty() {
        return next.run(req).await;
    }
    let (mut before, mut after, mut answer) = (Duration::ZERO, Duration::ZERO, None);
    for fault in picked {
        match fault {
            Fault::Latency(d) => before += d,
            Fault::LatencyAfter(d) => after += d,
            other => answer = Some(other),
        }
    }
    if !before.is_zero() {
        tokio::time::sleep(before).await;
    }
    let (mut resp, tag) = match answer {
        None => {
            let resp = next.run(req).await;
            if !after.is_zero() {
                tokio::time::sleep(after).await;
            }
            (resp, if before.is_zero() { "latency_after" } else { "latency" })
        }
        Some(fault) => replaced(&layer, fault).await,
    };
    resp.extensions_mut().insert(FaultApplied(tag));
    resp
}

/// The answer of a fault that replaces the request (which is not served).
async fn replaced(layer: &FaultLayer, fault: Fault) -> (Response, &'static str) {
    let status_of = |code: u16| StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match fault {
        Fault::Latency(_) | Fault::LatencyAfter(_) => unreachable!("delays are handled by inject"),
        Fault::Throttle { wait } => ((layer.throttle_body)(wait), "throttle"),
        Fault::Status(code) => ((layer.status_body)(status_of(code)), "status"),
        Fault::Json(code, body) => ((status_of(code), axum::Json(body)).into_response(), "json"),
        Fault::Raw { status, body, retry_after } => {
            let mut resp = (status_of(status), body).into_response();
            if let Some(wait) = retry_after {
                let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                resp.headers_mut().insert(header::RETRY_AFTER, secs.into());
            }
            (resp, "raw")
        }
        Fault::Hang => {
            tokio::time::sleep(layer.hang_for).await;
            (StatusCode::GATEWAY_TIMEOUT.into_response(), "hang")
        }
        Fault::Drop => {
            // Headers may go out, then the body fails: hyper aborts the connection mid-answer.
            let broken = futures::stream::once(async {
                Err::<Bytes, std::io::Error>(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "injected drop"))
            });
            (Response::new(Body::from_stream(broken)), "drop")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_prefix_method_and_run_out() {
        let plan = FaultPlan::default();
        plan.add(FaultRule::new("/api/v4/products/", Fault::Status(503)).method(Method::PATCH).times(2));
        assert_eq!(plan.pick(&Method::GET, "/api/v4/products/1/stock"), []);
        assert_eq!(plan.pick(&Method::PATCH, "/restapi/v4/orders/"), []);
        assert_eq!(plan.pick(&Method::PATCH, "/api/v4/products/1/stock"), [Fault::Status(503)]);
        assert_eq!(plan.pick(&Method::PATCH, "/api/v4/products/2/stock"), [Fault::Status(503)]);
        assert_eq!(plan.pick(&Method::PATCH, "/api/v4/products/3/stock"), [], "used up");
        assert!(plan.rules().is_empty());
    }

    #[test]
    fn probability_zero_never_fires() {
        let plan = FaultPlan::default();
        plan.add(FaultRule::new("/", Fault::Drop).probability(0.0));
        assert!((0..100).all(|_| plan.pick(&Method::GET, "/x").is_empty()));
    }

    #[test]
    fn delays_add_up_and_the_first_replacing_fault_ends_the_search() {
        let plan = FaultPlan::default();
        let ms = Duration::from_millis;
        plan.add(FaultRule::new("/", Fault::LatencyAfter(ms(50))).method(Method::POST));
        plan.add(FaultRule::new("/", Fault::Latency(ms(10))));
        plan.add(FaultRule::new("/rest/", Fault::Status(503)).times(1));
        plan.add(FaultRule::new("/rest/", Fault::Drop).times(1));
        assert_eq!(plan.pick(&Method::GET, "/rest/x"), [Fault::Latency(ms(10)), Fault::Status(503)]);
        assert_eq!(plan.pick(&Method::POST, "/rest/x"), [Fault::LatencyAfter(ms(50)), Fault::Latency(ms(10)), Fault::Drop]);
        assert_eq!(plan.pick(&Method::POST, "/rest/x"), [Fault::LatencyAfter(ms(50)), Fault::Latency(ms(10))]);
        plan.retain(|r| !matches!(r.fault, Fault::LatencyAfter(_)));
        assert_eq!(plan.pick(&Method::POST, "/rest/x"), [Fault::Latency(ms(10))]);
    }
}
