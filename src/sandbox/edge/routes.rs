//! HTTP face of the simulated Edge: documented paths (trailing slashes as documented), JWT
//! checks, the account-wide throttle, paging with `limit`/`offset`/`next`, DRF-style errors.
use super::render;
use super::state::{Refusal, Store};
use super::EdgeSandboxConfig;
use crate::sandbox::call_log::{self, CallLog};
use crate::sandbox::faults::{self, FaultLayer, FaultPlan};
use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Shared {
    pub config: EdgeSandboxConfig,
    pub base_url: String,
    pub store: Mutex<Store>,
    pub signer: super::jwt::Signer,
    /// Tokens issued before this (Unix seconds) are refused.
    pub revoked_before: Mutex<f64>,
    throttle_log: Mutex<VecDeque<Instant>>,
}

impl Shared {
    pub fn new(config: EdgeSandboxConfig, base_url: String, store: Store) -> Self {
        Shared {
            config,
            base_url,
            store: Mutex::new(store),
            signer: super::jwt::Signer::random(),
            revoked_before: Mutex::new(0.0),
            throttle_log: Mutex::new(VecDeque::new()),
        }
    }
}

type App = Arc<Shared>;

pub fn router(app: App, log: CallLog, faults_plan: FaultPlan) -> Router {
    let mut fault_layer = FaultLayer::new(faults_plan, Arc::new(throttled));
    fault_layer.hang_for = app.config.hang_for;
    // Every path but the two token ones wants a valid access token.
    let with_token = Router::new()
        .route("/restapi/v4/orders/", get(list_orders).post(create_order))
        .route("/restapi/v4/orders/{id}/", get(get_order))
        .route("/restapi/v4/orders/{id}/{action}/", post(order_action))
        .route("/restapi/v4/order-tracking-carriers/", get(carriers))
        .route("/restapi/v4/returns/", get(list_returns))
        .route("/api/v4/products/", get(list_products))
        .route("/api/v4/products/{id}", get(get_product))
        .route("/api/v4/products/{id}/", get(get_product))
        .route("/api/v4/products/{id}/stock", patch(update_stock))
        .route_layer(from_fn_with_state(app.clone(), authorize));
    Router::new()
        .route("/restapi/v4/token", post(login))
        .route("/restapi/v4/token/refresh", post(refresh))
        .merge(with_token)
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(app.clone())
        .layer(from_fn_with_state(app, throttle))
        .layer(from_fn_with_state(fault_layer, faults::inject))
        .layer(from_fn_with_state(log, call_log::record))
}

/// The documented throttle answer: `429`, "Request was throttled. Expected available in N seconds."
pub fn throttled(wait: Duration) -> Response {
    let secs = (wait.as_secs_f64() * 10.0).ceil() / 10.0;
    let body = json!({"detail": format!("Request was throttled. Expected available in {secs:.1} seconds.")});
    let retry_after = (secs.ceil() as u64).max(1).to_string();
    (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, retry_after)], Json(body)).into_response()
}

/// The account-wide limit: at most `rate_limit` calls in any `rate_window` (sliding log).
async fn throttle(State(app): State<App>, req: Request, next: Next) -> Response {
    {
        let now = Instant::now();
        let window = app.config.rate_window;
        let mut log = app.throttle_log.lock().expect("throttle");
        while log.front().is_some_and(|t| now.duration_since(*t) >= window) {
            log.pop_front();
        }
        if log.len() as u32 >= app.config.rate_limit {
            let wait = (*log.front().expect("full") + window).saturating_duration_since(now);
            return throttled(wait);
        }
        log.push_back(now);
    }
    next.run(req).await
}

fn refuse(r: Refusal) -> Response {
    (StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_REQUEST), Json(r.body)).into_response()
}

fn detail(status: StatusCode, detail: &str) -> Response {
    (status, Json(json!({ "detail": detail }))).into_response()
}

/// A JSON request body; one that does not parse is answered as DRF does.
struct JsonBody(Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let bytes = Bytes::from_request(req, state).await.map_err(IntoResponse::into_response)?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| detail(StatusCode::BAD_REQUEST, &format!("JSON parse error - {e}")))
    }
}

/// The access token check in front of every path but the token ones.
async fn authorize(State(app): State<App>, req: Request, next: Next) -> Response {
    let Some(value) = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return detail(StatusCode::UNAUTHORIZED, "Authentication credentials were not provided.");
    };
    let not_before = *app.revoked_before.lock().expect("revoked");
    let token = value.strip_prefix("Bearer ").unwrap_or("");
    if app.signer.verify(token, "access", not_before).is_none() {
        let body = json!({"detail": "Given token not valid for any token type", "code": "token_not_valid"});
        return (StatusCode::UNAUTHORIZED, Json(body)).into_response();
    }
    next.run(req).await
}

async fn login(State(app): State<App>, JsonBody(v): JsonBody) -> Response {
    for field in ["username", "password"] {
        if !v.get(field).is_some_and(Value::is_string) {
            return refuse(Refusal::required(field));
        }
    }
    if v["username"] != app.config.username.as_str() || v["password"] != app.config.password.as_str() {
        return detail(StatusCode::UNAUTHORIZED, "No active account found with the given credentials");
    }
    let user = &app.config.username;
    Json(json!({
        "refresh": app.signer.issue("refresh", user, app.config.refresh_lifetime.as_secs_f64()),
        "access": app.signer.issue("access", user, app.config.access_lifetime.as_secs_f64()),
    }))
    .into_response()
}

async fn refresh(State(app): State<App>, JsonBody(v): JsonBody) -> Response {
    let Some(token) = v.get("refresh").and_then(Value::as_str) else {
        return refuse(Refusal::required("refresh"));
    };
    let not_before = *app.revoked_before.lock().expect("revoked");
    match app.signer.verify(token, "refresh", not_before) {
        Some(_) => Json(json!({
            "access": app.signer.issue("access", &app.config.username, app.config.access_lifetime.as_secs_f64())
        }))
        .into_response(),
        None => (StatusCode::UNAUTHORIZED, Json(json!({"detail": "Token is invalid or expired", "code": "token_not_valid"})))
            .into_response(),
    }
}

type Params = Query<HashMap<String, String>>;

/// One page of a listing (`limit`/`offset`), with `next`/`previous` links at `path` carrying
/// the `filters` the query used.
fn listing<T>(app: &App, q: &HashMap<String, String>, path: &str, filters: &[&str], matching: &[T], one: impl Fn(&T) -> Option<Value>) -> Response {
    let limit = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(app.config.default_page_size);
    let limit = limit.clamp(1, app.config.max_page_size) as usize;
    let offset = q.get("offset").and_then(|o| o.parse().ok()).unwrap_or(0);
    let results = matching.iter().skip(offset).take(limit).filter_map(one).collect();
    let filters: Vec<(&str, &String)> = filters.iter().filter_map(|k| q.get(*k).map(|v| (*k, v))).collect();
    Json(render::page(&format!("{}{path}", app.base_url), &filters, matching.len(), limit, offset, results)).into_response()
}

async fn list_orders(State(app): State<App>, Query(q): Params) -> Response {
    let store = app.store.lock().expect("store");
    let matching: Vec<_> = store
        .orders
        .values()
        .filter(|o| q.get("status").is_none_or(|s| o.status() == *s))
        .filter(|o| q.get("order_reference").is_none_or(|r| o.reference == *r))
        .filter(|o| q.get("part_number").is_none_or(|p| o.lines.iter().any(|l| l.part_number == *p)))
        .collect();
    // `next` as documented: `{{v4-domain}}/restapi/v4/orders?format=json&limit=X&offset=X`.
    listing(&app, &q, "/restapi/v4/orders", &["status", "order_reference", "part_number"], &matching, |o| Some(render::order(&app.base_url, o)))
}

async fn get_order(State(app): State<App>, Path(id): Path<String>) -> Response {
    let store = app.store.lock().expect("store");
    match id.parse::<u64>().ok().and_then(|id| store.orders.get(&id)) {
        Some(o) => Json(render::order(&app.base_url, o)).into_response(),
        None => detail(StatusCode::NOT_FOUND, "Not found."),
    }
}

async fn order_action(State(app): State<App>, Path((id, action)): Path<(String, String)>, JsonBody(v): JsonBody) -> Response {
    let Ok(id) = id.parse::<u64>() else {
        return detail(StatusCode::NOT_FOUND, "Not found.");
    };
    let known = ["acknowledge", "backorder", "cancel_acknowledge", "dispatch", "return_acknowledge"];
    let mut store = app.store.lock().expect("store");
    let done = match action.as_str() {
        "cancel_request" => store.cancel_request(id, &v),
        a if known.contains(&a) => store.order_action(id, a, &v),
        _ => return detail(StatusCode::NOT_FOUND, "Not found."),
    };
    match done {
        Ok(()) => StatusCode::OK.into_response(),
        Err(r) => refuse(r),
    }
}

/// The retailer side ("Create an Order"), so the standalone sandbox can be fed over HTTP too.
async fn create_order(State(app): State<App>, JsonBody(v): JsonBody) -> Response {
    let mut store = app.store.lock().expect("store");
    match super::order_rules::new_order_from_json(&v).map(|o| store.create_order(o)) {
        Ok(id) => (StatusCode::CREATED, Json(render::order(&app.base_url, &store.orders[&id]))).into_response(),
        Err(r) => refuse(r),
    }
}

async fn carriers(State(app): State<App>) -> Response {
    let store = app.store.lock().expect("store");
    let list: Vec<Value> = store.carriers.iter().map(|(id, slug, name)| json!({"id": id, "slug": slug, "name": name})).collect();
    Json(list).into_response()
}

async fn list_returns(State(app): State<App>, Query(q): Params) -> Response {
    let store = app.store.lock().expect("store");
    let matching: Vec<_> = store.returns.iter().filter(|r| q.get("return_status").is_none_or(|s| r.status == *s)).collect();
    listing(&app, &q, "/restapi/v4/returns/", &["return_status"], &matching, |r| {
        store.orders.get(&r.order_id).map(|o| render::return_(&app.base_url, r, o))
    })
}

async fn list_products(State(app): State<App>, Query(q): Params) -> Response {
    let store = app.store.lock().expect("store");
    let matching: Vec<_> = store.products.values().filter(|p| q.get("part_number").is_none_or(|n| p.part_number == *n)).collect();
    listing(&app, &q, "/api/v4/products/", &["part_number"], &matching, |p| Some(render::product(&app.base_url, p)))
}

async fn get_product(State(app): State<App>, Path(id): Path<String>) -> Response {
    let store = app.store.lock().expect("store");
    match id.parse::<u64>().ok().and_then(|id| store.products.get(&id)) {
        Some(p) => Json(render::product(&app.base_url, p)).into_response(),
        None => refuse(Refusal::not_found("Product not found.", "PRODUCT_NOT_FOUND")),
    }
}

async fn update_stock(State(app): State<App>, Path(id): Path<String>, JsonBody(v): JsonBody) -> Response {
    let Ok(id) = id.parse::<u64>() else {
        return refuse(Refusal::not_found("Product not found.", "PRODUCT_NOT_FOUND"));
    };
    match app.store.lock().expect("store").update_stock(id, &v) {
        Ok(()) => StatusCode::OK.into_response(),
        Err(r) => refuse(r),
    }
}

/// Django's answer to a POST without its trailing slash, or an unknown path.
async fn fallback(method: Method) -> Response {
    if method == Method::POST {
        return detail(StatusCode::METHOD_NOT_ALLOWED, "Method \"POST\" not allowed.");
    }
    detail(StatusCode::NOT_FOUND, "Not found.")
}

async fn method_not_allowed(method: Method) -> Response {
    detail(StatusCode::METHOD_NOT_ALLOWED, &format!("Method \"{method}\" not allowed."))
}
