//! `StockService`: why a SKU shows the quantity it does, what the rules would send for a given
//! quantity, and an on-demand full reconciliation.
use super::audit::{mutation, Summary};
use super::auth::{caller, Role};
use super::error::{status, ApiError};
use super::pb::{self, stock_service_server::StockService};
use super::{order_view, sku_view};
use crate::app::AppState;
use crate::store::{mapping, stock};
use rust_decimal::Decimal;
use serde_json::json;
use std::str::FromStr;
use tonic::{Request, Response, Status};

pub struct StockApi {
    state: AppState,
}

impl StockApi {
    pub fn new(state: AppState) -> Self {
        StockApi { state }
    }
}

/// The SKU as given: never trimmed or case-folded (DESIGN §4: SKUs match exactly).
fn check_sku(sku: &str) -> Result<(), ApiError> {
    if sku.is_empty() {
        return Err(ApiError::Invalid("sku is required (the Magento SKU, exactly as in Magento)".into()));
    }
    Ok(())
}

impl Summary for pb::TriggerFullSyncResponse {
    fn summary(&self) -> String {
        format!("full sync {}", self.status)
    }
}

#[tonic::async_trait]
impl StockService for StockApi {
    async fn get_sku(&self, req: Request<pb::GetSkuRequest>) -> Result<Response<pb::Sku>, Status> {
        caller(&req)?.require(Role::Read)?;
        let sku = req.get_ref().sku.as_str();
        check_sku(sku).map_err(status)?;
        let db = &self.state.db;
        let m = mapping::get(db, sku).await.map_err(status)?;
        let s = stock::get(db, sku).await.map_err(status)?;
        if m.is_none() && s.is_none() {
            return Err(status(ApiError::NotFound(format!(
                "SKU {sku:?} is neither mapped to a John Lewis part number nor seen from Magento \
                 (SKUs match exactly: check case, spaces and special characters)"
            ))));
        }
        let price = stock::price(db, sku).await.map_err(status)?;
        let exceptions = order_view::open_exception_ids(db, sku).await.map_err(status)?;
        Ok(Response::new(sku_view::sku(sku, m.as_ref(), s.as_ref(), price, exceptions)))
    }

    async fn preview_buffer(
        &self,
        req: Request<pb::PreviewBufferRequest>,
    ) -> Result<Response<pb::PreviewBufferResponse>, Status> {
        caller(&req)?.require(Role::Read)?;
        let r = req.get_ref();
        check_sku(&r.sku).map_err(status)?;
        let at = if r.at.is_empty() {
            chrono::Utc::now()
        } else {
            chrono::DateTime::parse_from_rfc3339(&r.at).map(|t| t.with_timezone(&chrono::Utc)).map_err(|_| {
                status(ApiError::Invalid(format!("at {:?} is not an RFC 3339 time, e.g. 2026-11-27T09:00:00Z", r.at)))
            })?
        };
        let qty = match r.magento_quantity {
            Some(q) => Decimal::from(q),
            None => {
                let s = stock::get(&self.state.db, &r.sku).await.map_err(status)?;
                s.and_then(|s| s.observed_qty).and_then(|q| Decimal::from_str(&q).ok()).ok_or_else(|| {
                    status(ApiError::Precondition(format!(
                        "no Magento quantity observed for SKU {:?} yet; give magento_quantity to preview one",
                        r.sku
                    )))
                })?
            }
        };
        let e = self.state.config.stock.buffer.compute(&r.sku, qty, at);
        Ok(Response::new(pb::PreviewBufferResponse { explanation: Some(sku_view::explanation(&e)) }))
    }

    async fn trigger_full_sync(
        &self,
        req: Request<pb::TriggerFullSyncRequest>,
    ) -> Result<Response<pb::TriggerFullSyncResponse>, Status> {
        let dry_run = req.get_ref().dry_run;
        let method = "jlbridge.v1.StockService/TriggerFullSync";
        mutation(&self.state, &req, method, json!({ "dry_run": dry_run }), || async move {
            if let Some(f) = self.state.flows.iter().find(|f| f.name == "stock" && !f.missing.is_empty()) {
                return Err(status(ApiError::Precondition(format!(
                    "the stock flow is not configured, so no reconciliation can run: {}",
                    f.missing.join("; ")
                ))));
            }
            if dry_run {
                return Err(Status::unimplemented(
                    "dry_run is not supported yet; `jlbridge audit skus` writes a comparison report without pushing",
                ));
            }
            self.state.stock.trigger_full_sync();
            Ok(pb::TriggerFullSyncResponse { job_id: 0, status: "queued".into() })
        })
        .await
    }
}
