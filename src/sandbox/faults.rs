//! Fault injection for the sandboxes: an axum middleware driven by a [`FaultPlan`] that tests
//! change at run time. Each [`FaultRule`] matches a path prefix (and optionally a method), fires
//! with a probability, optionally a limited number of times, and applies one [`Fault`].
//!
//! Generic on purpose: the Edge and Magento sandboxes both use it; the `429` body is built by a
//! function the sandbox supplies (the Edge has its own documented throttle body).
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Delay, then serve the request normally.
    Latency(Duration),
    /// `429` with the sandbox's throttle body stating this wait; the request is not served.
    Throttle { wait: Duration },
    /// A 5xx (or any status) with a small JSON error body; the request is not served.
    Status(u16),
    /// Never answer (until `hang_for` passes): the client must time out.
    Hang,
    /// Drop the connection without a complete answer.
    Drop,
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

    /// The fault to apply to this request, if any rule fires (first firing rule wins).
    pub fn pick(&self, method: &Method, path: &str) -> Option<Fault> {
        let mut rules = self.rules.lock().expect("fault plan");
        let mut rng = rand::thread_rng();
        let idx = rules.iter().position(|r| {
            path.starts_with(&r.path_prefix)
                && r.method.as_ref().is_none_or(|m| m == method)
                && r.times != Some(0)
                && (r.probability >= 1.0 || rng.gen::<f64>() < r.probability)
        })?;
        let fault = rules[idx].fault.clone();
        if let Some(n) = rules[idx].times.as_mut() {
            *n -= 1;
            if *n == 0 {
                rules.remove(idx);
            }
        }
        Some(fault)
    }
}

/// Builds the `429` answer for a wait (each sandbox its own documented body).
pub type ThrottleBody = Arc<dyn Fn(Duration) -> Response + Send + Sync>;

/// Marker put on answers produced by a fault, so the call log can say so.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultApplied(pub &'static str);

#[derive(Clone)]
pub struct FaultLayer {
    pub plan: FaultPlan,
    pub throttle_body: ThrottleBody,
    /// How long [`Fault::Hang`] holds the request before giving up.
    pub hang_for: Duration,
}

impl FaultLayer {
    pub fn new(plan: FaultPlan, throttle_body: ThrottleBody) -> Self {
        FaultLayer { plan, throttle_body, hang_for: Duration::from_secs(300) }
    }
}

/// The middleware: `Router::layer(axum::middleware::from_fn_with_state(layer, faults::inject))`.
pub async fn inject(State(layer): State<FaultLayer>, req: Request, next: Next) -> Response {
    let Some(fault) = layer.plan.pick(req.method(), req.uri().path()) else {
        return next.run(req).await;
    };
    let (mut resp, tag) = match fault {
        Fault::Latency(d) => {
            tokio::time::sleep(d).await;
            (next.run(req).await, "latency")
        }
        Fault::Throttle { wait } => ((layer.throttle_body)(wait), "throttle"),
        Fault::Status(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let body = serde_json::json!({"detail": format!("Injected fault: {status}")});
            ((status, axum::Json(body)).into_response(), "status")
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
    };
    resp.extensions_mut().insert(FaultApplied(tag));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_prefix_method_and_run_out() {
        let plan = FaultPlan::default();
        plan.add(FaultRule::new("/api/v4/products/", Fault::Status(503)).method(Method::PATCH).times(2));
        assert_eq!(plan.pick(&Method::GET, "/api/v4/products/1/stock"), None);
        assert_eq!(plan.pick(&Method::PATCH, "/restapi/v4/orders/"), None);
        assert_eq!(plan.pick(&Method::PATCH, "/api/v4/products/1/stock"), Some(Fault::Status(503)));
        assert_eq!(plan.pick(&Method::PATCH, "/api/v4/products/2/stock"), Some(Fault::Status(503)));
        assert_eq!(plan.pick(&Method::PATCH, "/api/v4/products/3/stock"), None, "used up");
        assert!(plan.rules().is_empty());
    }

    #[test]
    fn probability_zero_never_fires() {
        let plan = FaultPlan::default();
        plan.add(FaultRule::new("/", Fault::Drop).probability(0.0));
        assert!((0..100).all(|_| plan.pick(&Method::GET, "/x").is_none()));
    }
}
