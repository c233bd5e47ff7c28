//! Layers of the simulated Magento: a call log, a few local faults (until the shared fault
//! layer is applied, see `apply_shared_fault_layer`), and authentication (Bearer token or
//! OAuth 1.0a signature).
use super::state::SbError;
use super::Shared;
use crate::magento::auth::{parse_authorization_header, sign_base_string, signature_base_string, SignatureMethod};
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::sync::Arc;

/// One request as the sandbox received it.
#[derive(Debug, Clone)]
pub struct CallRecord {
    pub method: String,
    /// Path as sent, e.g. `/rest/default/V1/orders/3/comments`.
    pub path: String,
    pub query: Option<String>,
    /// The JSON body, when there was one.
    pub body: Option<Value>,
    /// Response status; 0 while the response is still on its way (or was never received).
    pub status: u16,
}

const BODY_LIMIT: usize = 4 * 1024 * 1024;

pub async fn call_log(State(sh): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, BODY_LIMIT).await else {
        return SbError::new(400, "Request body too large or unreadable.").into_response();
    };
    let record = CallRecord {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        body: serde_json::from_slice(&bytes).ok(),
        status: 0,
    };
    let index = {
        let mut calls = sh.calls.lock().expect("lock");
        calls.push(record);
        calls.len() - 1
    };
    let resp = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    if let Some(r) = sh.calls.lock().expect("lock").get_mut(index) {
        r.status = resp.status().as_u16();
    }
    resp
}

/// Local faults: fail the next N requests with a given answer; delay every answer (the
/// request is handled first, so a client that times out has still changed the store).
pub async fn local_faults(State(sh): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let (fail, delay) = {
        let mut f = sh.faults.lock().expect("lock");
        let delay = match &f.delay {
            Some((Some(m), d)) if m.eq_ignore_ascii_case(req.method().as_str()) => Some(*d),
            Some((None, d)) => Some(*d),
            _ => None,
        };
        (f.fail_next.pop_front(), delay)
    };
    if let Some((status, body, retry_after)) = fail {
        let status = axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp = (status, body).into_response();
        if let Some(secs) = retry_after {
            resp.headers_mut().insert(header::RETRY_AFTER, secs.into());
        }
        return resp;
    }
    let resp = next.run(req).await;
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    resp
}

fn acl_for(path: &str) -> &'static str {
    match path {
        p if p.contains("/ship") && p.contains("/order/") => "Magento_Sales::ship",
        p if p.contains("/shipment") => "Magento_Sales::shipment",
        p if p.contains("/orders") => "Magento_Sales::actions_view",
        p if p.contains("/get-product-salable") => "Magento_InventorySalesApi::stock",
        p if p.contains("/inventory/") => "Magento_InventoryApi::source",
        _ => "Magento_Catalog::products",
    }
}

fn oauth_ok(sh: &Shared, req: &Request, header_value: &str) -> bool {
    let Some(o) = &sh.oauth else { return false };
    let Some(fields) = parse_authorization_header(header_value) else { return false };
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if get("oauth_consumer_key") != Some(o.consumer_key.as_str()) || get("oauth_token") != Some(o.access_token.as_str()) {
        return false;
    }
    let method = match get("oauth_signature_method") {
        Some("HMAC-SHA256") => SignatureMethod::HmacSha256,
        Some("HMAC-SHA1") => SignatureMethod::HmacSha1,
        _ => return false,
    };
    let Some(signature) = get("oauth_signature") else { return false };
    let mut params: Vec<(String, String)> =
        fields.iter().filter(|(k, _)| k != "oauth_signature" && k != "realm").cloned().collect();
    if let Some(q) = req.uri().query() {
        params.extend(form_urlencoded::parse(q.as_bytes()).into_owned());
    }
    let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default().to_ascii_lowercase();
    let base = signature_base_string(req.method().as_str(), &format!("http://{host}{}", req.uri().path()), &params);
    sign_base_string(method, &base, &o.consumer_secret, &o.access_token_secret) == signature
}

pub async fn auth(State(sh): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let value = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let ok = match value.strip_prefix("Bearer ") {
        Some(token) => token.trim() == sh.token,
        None => oauth_ok(&sh, &req, &value),
    };
    if ok {
        return next.run(req).await;
    }
    SbError::new(401, "The consumer isn't authorized to access %resources.")
        .with(json!({"resources": acl_for(req.uri().path())}))
        .into_response()
}
