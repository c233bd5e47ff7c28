//! `OrderService`: where an order is (by John Lewis reference or Magento increment id, with
//! its lines and timeline), the list by state (paged), and re-running a stuck step.
use super::audit::{mutation, Summary};
use super::auth::{caller, Role};
use super::error::{status, ApiError};
use super::pb::{self, get_order_request::Key, order_service_server::OrderService};
use super::{order_retry, order_view, page_token};
use crate::app::AppState;
use crate::domain::order_state::OrderState;
use crate::store::entities::order::{self, Entity as Orders};
use crate::store::orders::{self, EventKind, StoredOrder};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;
use tonic::{Request, Response, Status};

const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 500;

pub struct OrderApi {
    state: AppState,
}

impl OrderApi {
    pub fn new(state: AppState) -> Self {
        OrderApi { state }
    }

    /// By John Lewis reference, falling back to the Magento increment id (operators paste either).
    async fn find(&self, key: &str) -> Result<StoredOrder, ApiError> {
        let key = key.trim();
        if key.is_empty() {
            return Err(ApiError::Invalid("give the John Lewis order reference or the Magento increment id".into()));
        }
        if let Some(o) = orders::get(&self.state.db, key).await? {
            return Ok(o);
        }
        orders::get_by_increment_id(&self.state.db, key)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no order with John Lewis reference or Magento increment id {key:?}")))
    }

    /// Refuses when the orders flow is not running, naming the settings it misses.
    fn orders_flow_on(&self) -> Result<(), ApiError> {
        match self.state.flows.iter().find(|f| f.name == "orders") {
            Some(f) if !f.missing.is_empty() => Err(ApiError::Precondition(format!(
                "the orders flow is not configured, so nothing would run the retry: {}",
                f.missing.join("; ")
            ))),
            _ => Ok(()),
        }
    }
}

fn parse_state(s: &str) -> Result<Option<OrderState>, ApiError> {
    if s.is_empty() {
        return Ok(None);
    }
    OrderState::parse(s).map(Some).ok_or_else(|| {
        let all = OrderState::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
        ApiError::Invalid(format!("unknown state {s:?}; use one of: {all}"))
    })
}

fn parse_time(field: &str, s: &str) -> Result<Option<i64>, ApiError> {
    if s.is_empty() {
        return Ok(None);
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| Some(t.timestamp_millis()))
        .map_err(|_| ApiError::Invalid(format!("{field} {s:?} is not an RFC 3339 time, e.g. 2026-11-27T09:00:00Z")))
}

impl Summary for pb::RetryOrderResponse {
    fn summary(&self) -> String {
        let r = self.order.as_ref().map(|o| o.order_reference.as_str()).unwrap_or("?");
        format!("order {r} {} queued as job {}", self.queued_step, self.job_id)
    }
}

#[tonic::async_trait]
impl OrderService for OrderApi {
    async fn get_order(&self, req: Request<pb::GetOrderRequest>) -> Result<Response<pb::Order>, Status> {
        caller(&req)?.require(Role::Read)?;
        let o = match &req.get_ref().key {
            Some(Key::OrderReference(r)) => self.find(r).await,
            Some(Key::IncrementId(id)) => orders::get_by_increment_id(&self.state.db, id.trim())
                .await
                .map_err(ApiError::from)
                .and_then(|o| o.ok_or_else(|| ApiError::NotFound(format!("no order with Magento increment id {id:?}")))),
            None => Err(ApiError::Invalid("set order_reference (John Lewis) or increment_id (Magento)".into())),
        }
        .map_err(status)?;
        Ok(Response::new(order_view::full(&self.state.db, &o).await.map_err(status)?))
    }

    async fn list_orders(&self, req: Request<pb::ListOrdersRequest>) -> Result<Response<pb::ListOrdersResponse>, Status> {
        caller(&req)?.require(Role::Read)?;
        let r = req.get_ref();
        let st = parse_state(&r.state).map_err(status)?;
        let after = parse_time("placed_after", &r.placed_after).map_err(status)?;
        let before_t = parse_time("placed_before", &r.placed_before).map_err(status)?;
        let filters = format!("state={};after={};before={}", r.state, r.placed_after, r.placed_before);
        let before = page_token::decode(&r.page_token, &filters).map_err(|m| status(ApiError::Invalid(m)))?;
        let size = if r.page_size == 0 { DEFAULT_PAGE } else { r.page_size.min(MAX_PAGE) };
        let mut q = Orders::find();
        if let Some(s) = st {
            q = q.filter(order::Column::State.eq(s.as_str()));
        }
        if let Some(t) = after {
            q = q.filter(order::Column::OrderDate.gte(t));
        }
        if let Some(t) = before_t {
            q = q.filter(order::Column::OrderDate.lt(t));
        }
        if let Some(b) = before {
            q = q.filter(order::Column::Id.lt(b));
        }
        let mut rows =
            q.order_by_desc(order::Column::Id).limit(size as u64 + 1).all(&self.state.db).await.map_err(status)?;
        let more = rows.len() > size as usize;
        rows.truncate(size as usize);
        let next_page_token = match (more, rows.last()) {
            (true, Some(last)) => page_token::encode(&filters, last.id),
            _ => String::new(),
        };
        Ok(Response::new(pb::ListOrdersResponse { orders: rows.iter().map(order_view::summary).collect(), next_page_token }))
    }

    async fn retry_order(&self, req: Request<pb::RetryOrderRequest>) -> Result<Response<pb::RetryOrderResponse>, Status> {
        let (reference, step) = (req.get_ref().order_reference.clone(), req.get_ref().step.trim().to_owned());
        let actor = caller(&req).map(|c| c.name).unwrap_or_default();
        let method = "jlbridge.v1.OrderService/RetryOrder";
        mutation(&self.state, &req, method, json!({ "order_reference": reference, "step": step }), || async move {
            let o = self.find(&reference).await.map_err(status)?;
            let events = orders::events(&self.state.db, o.order.id).await.map_err(status)?;
            let commented = events.iter().any(|e| e.kind == EventKind::MagentoCommented.as_str());
            let step = order_retry::asked_step(&o, &step, commented).map_err(status)?;
            self.orders_flow_on().map_err(status)?;
            let job_id = order_retry::requeue(&self.state, &o, step, &actor).await.map_err(status)?;
            let order = order_view::full(&self.state.db, &o).await.map_err(status)?;
            Ok(pb::RetryOrderResponse { order: Some(order), queued_step: step.as_str().to_owned(), job_id })
        })
        .await
    }
}
