//! Layers of the simulated Magento: the shared call log and fault injection (`sandbox::call_log`,
//! `sandbox::faults`) with Magento-shaped answers, and authentication (Bearer token or
//! OAuth 1.0a signature).
use super::state::SbError;
use super::Shared;
use crate::magento::auth::{parse_authorization_header, sign_base_string, signature_base_string, SignatureMethod};
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// Magento's throttle answer (order-placement backpressure, or a hosting WAF in front):
/// `429 {"message":"Too Many Requests","trace":null}` with `Retry-After` in whole seconds.
pub fn throttled(wait: Duration) -> Response {
    let secs = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
    let body = json!({"message": "Too Many Requests", "trace": null});
    (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, secs.to_string())], axum::Json(body)).into_response()
}

/// An injected error status in Magento's shape: a 500 with the masked production message,
/// others with their reason phrase.
pub fn error_status(status: StatusCode) -> Response {
    let message = match status {
        StatusCode::INTERNAL_SERVER_ERROR => {
            "Internal Error. Details are available in Magento log file. Report ID: webapi-sandbox".to_owned()
        }
        other => other.canonical_reason().unwrap_or("Error").to_owned(),
    };
    SbError::new(status.as_u16(), message).into_response()
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
