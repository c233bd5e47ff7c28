//! The REST routes of the simulated Magento (`/rest/{store}/V1/…`), answering as Magento
//! does: JSON bodies, bare numbers/booleans where Magento returns them, Magento error bodies,
//! and 404 "Request does not match any route." for anything else (wrong method included).
use super::search;
use super::state::{dec, SbError, SbResult};
use super::Shared;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::sync::Arc;

type S = State<Arc<Shared>>;

impl IntoResponse for SbError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self.body())).into_response()
    }
}

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/rest/{store}/V1/inventory/get-product-salable-quantity/{sku}/{stock_id}", get(salable))
        .route("/rest/{store}/V1/products", get(products))
        .route("/rest/{store}/V1/inventory/source-items", get(source_items).post(save_source_items))
        .route("/rest/{store}/V1/orders", get(search_orders).post(create_order))
        .route("/rest/{store}/V1/orders/{id}", get(get_order))
        .route("/rest/{store}/V1/orders/{id}/comments", get(list_comments).post(add_comment))
        .route("/rest/{store}/V1/orders/{id}/cancel", post(cancel))
        .route("/rest/{store}/V1/order/{id}/ship", post(ship))
        .route("/rest/{store}/V1/shipments", get(search_shipments))
        .route("/rest/{store}/V1/shipment/{id}", get(get_shipment))
        .fallback(no_route)
        .method_not_allowed_fallback(no_route)
        .with_state(shared)
}

pub async fn no_route() -> SbError {
    SbError::new(404, "Request does not match any route.")
}

fn body_json(body: &Bytes) -> SbResult<Value> {
    if body.is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_slice(body).map_err(|e| SbError::new(400, "Decoding error: %1").with(json!([e.to_string()])))
}

fn id(raw: &str) -> SbResult<i64> {
    raw.parse().map_err(|_| SbError::no_entity())
}

fn criteria(q: &Option<String>) -> SbResult<search::Criteria> {
    search::parse(q.as_deref().unwrap_or_default()).map_err(|m| SbError::new(400, m))
}

fn same(f: &str) -> String {
    f.to_owned()
}

async fn salable(State(sh): S, Path((store, sku, stock)): Path<(String, String, String)>) -> SbResult<Json<Value>> {
    let stock: i64 = stock.parse().map_err(|_| SbError::new(400, "Invalid stock id."))?;
    sh.with(|s| {
        s.store_id(&store)?;
        s.salable(&sku, stock).map(|q| Json(crate::magento::wire::num(q)))
    })
}

async fn products(State(sh): S, RawQuery(q): RawQuery) -> SbResult<Json<Value>> {
    let c = criteria(&q)?;
    let rows: Vec<Value> = sh.with(|s| s.products.values().cloned().collect());
    let alias = |f: &str| if f == "entity_id" { "id".to_owned() } else { f.to_owned() };
    Ok(Json(search::apply(&c, rows, &alias)))
}

async fn source_items(State(sh): S, RawQuery(q): RawQuery) -> SbResult<Json<Value>> {
    let c = criteria(&q)?;
    let rows = sh.with(|s| s.source_item_rows());
    Ok(Json(search::apply(&c, rows, &same)))
}

async fn save_source_items(State(sh): S, body: Bytes) -> SbResult<Json<Value>> {
    let v = body_json(&body)?;
    let items = v["sourceItems"].as_array().cloned().unwrap_or_default();
    sh.with(|s| {
        for i in &items {
            let (Some(sku), Some(source), Some(qty)) = (i["sku"].as_str(), i["source_code"].as_str(), dec(&i["quantity"])) else {
                return Err(SbError::new(400, "Source item data is not valid: sku, source_code and quantity are required."));
            };
            s.set_source_item(sku, source, qty, i["status"].as_i64().unwrap_or(1));
        }
        Ok(Json(json!([])))
    })
}

async fn search_orders(State(sh): S, RawQuery(q): RawQuery) -> SbResult<Json<Value>> {
    let c = criteria(&q)?;
    let rows: Vec<Value> = sh.with(|s| s.order_candidates(&c));
    Ok(Json(search::apply(&c, rows, &same)))
}

async fn create_order(State(sh): S, Path(store): Path<String>, body: Bytes) -> SbResult<Json<Value>> {
    let v = body_json(&body)?;
    sh.with(|s| {
        let store_id = s.store_id(&store)?;
        s.save_order(v.get("entity").cloned().unwrap_or(Value::Null), store_id).map(Json)
    })
}

async fn get_order(State(sh): S, Path((_store, raw)): Path<(String, String)>) -> SbResult<Json<Value>> {
    let id = id(&raw)?;
    sh.with(|s| s.orders.get(&id).cloned().map(Json).ok_or_else(SbError::no_entity))
}

async fn list_comments(State(sh): S, Path((_store, raw)): Path<(String, String)>) -> SbResult<Json<Value>> {
    let id = id(&raw)?;
    let rows = sh.with(|s| s.orders.get(&id).map(|o| o["status_histories"].as_array().cloned().unwrap_or_default()));
    let rows = rows.ok_or_else(SbError::no_entity)?;
    Ok(Json(search::apply(&search::Criteria::default(), rows, &same)))
}

async fn add_comment(State(sh): S, Path((_store, raw)): Path<(String, String)>, body: Bytes) -> SbResult<Json<Value>> {
    let id = id(&raw)?;
    let v = body_json(&body)?;
    let history = v.get("statusHistory").cloned().unwrap_or(Value::Null);
    sh.with(|s| s.add_comment(id, &history)).map(|b| Json(json!(b)))
}

async fn cancel(State(sh): S, Path((_store, raw)): Path<(String, String)>) -> SbResult<Json<Value>> {
    let id = id(&raw)?;
    sh.with(|s| s.cancel(id)).map(|b| Json(json!(b)))
}

async fn ship(State(sh): S, Path((_store, raw)): Path<(String, String)>, body: Bytes) -> SbResult<Json<Value>> {
    let id = id(&raw)?;
    let v = body_json(&body)?;
    let items: Vec<(i64, Decimal)> = v["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| Some((i["order_item_id"].as_i64()?, dec(&i["qty"])?)))
        .collect();
    let tracks = v["tracks"].as_array().cloned().unwrap_or_default();
    let source = v.pointer("/arguments/extension_attributes/source_code").and_then(Value::as_str).unwrap_or("default").to_owned();
    sh.with(|s| s.ship(id, &items, &tracks, &source)).map(|sid| Json(json!(sid)))
}

async fn search_shipments(State(sh): S, RawQuery(q): RawQuery) -> SbResult<Json<Value>> {
    let c = criteria(&q)?;
    let rows: Vec<Value> = sh.with(|s| s.shipments.values().cloned().collect());
    Ok(Json(search::apply(&c, rows, &same)))
}

async fn get_shipment(State(sh): S, Path((_store, raw)): Path<(String, String)>) -> SbResult<Json<Value>> {
    let id = id(&raw)?;
    sh.with(|s| s.shipments.get(&id).cloned().map(Json).ok_or_else(SbError::no_entity))
}
