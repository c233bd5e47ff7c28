//! Orders: search, create-once, comments, cancel.
use super::client::MagentoClient;
use super::error::MagentoError;
use super::search::{Filter, SearchCriteria};
use super::wire::{comment_body, order_create_body, Order};
use crate::domain::magento_order::MagentoOrderDraft;
use std::collections::HashMap;

/// Drafts looked up per `in` search (two lists of ~15-character ids: a short query string).
pub const FIND_MANY_PER_SEARCH: usize = 100;

/// How `create_order_once` ended; either way the order exists exactly once.
#[derive(Debug, Clone)]
pub enum CreateOutcome {
    Created(Order),
    /// Found by `ext_order_id` / `increment_id`: created earlier (a retry, a timeout whose
    /// request had in fact succeeded, or a concurrent worker).
    AlreadyExisted(Order),
}

impl CreateOutcome {
    pub fn order(&self) -> &Order {
        match self {
            CreateOutcome::Created(o) | CreateOutcome::AlreadyExisted(o) => o,
        }
    }
}

impl MagentoClient {
    /// `GET /V1/orders/{id}` by entity id.
    pub async fn get_order(&self, entity_id: i64) -> Result<Order, MagentoError> {
        self.get(&["orders", &entity_id.to_string()], &[]).await
    }

    /// Orders whose `ext_order_id` is exactly `reference` (MySQL compares case-insensitively,
    /// so the exact match is checked here).
    pub async fn find_orders_by_ext_order_id(&self, reference: &str) -> Result<Vec<Order>, MagentoError> {
        let criteria = SearchCriteria::new().and("ext_order_id", "eq", reference).sort_asc("entity_id");
        let orders: Vec<Order> = self.search_all(&["orders"], criteria, 50).await?;
        Ok(orders.into_iter().filter(|o| o.ext_order_id.as_deref() == Some(reference)).collect())
    }

    /// The order with this increment id, if any.
    pub async fn find_order_by_increment_id(&self, increment_id: &str) -> Result<Option<Order>, MagentoError> {
        let criteria = SearchCriteria::new().and("increment_id", "eq", increment_id).sort_asc("entity_id");
        let orders: Vec<Order> = self.search_all(&["orders"], criteria, 50).await?;
        Ok(orders.into_iter().find(|o| o.increment_id.as_deref() == Some(increment_id)))
    }

    /// The order of a draft, by its deterministic increment id or its `ext_order_id` (one
    /// call: both filters in one OR group).
    pub async fn find_existing(&self, draft: &MagentoOrderDraft) -> Result<Option<Order>, MagentoError> {
        let criteria = SearchCriteria::new()
            .any_of(vec![
                Filter { field: "increment_id".into(), value: draft.increment_id.clone(), condition: "eq".into() },
                Filter { field: "ext_order_id".into(), value: draft.ext_order_id.clone(), condition: "eq".into() },
            ])
            .sort_asc("entity_id");
        let orders: Vec<Order> = self.search_all(&["orders"], criteria, 50).await?;
        Ok(orders.into_iter().find(|o| {
            o.increment_id.as_deref() == Some(draft.increment_id.as_str())
                || o.ext_order_id.as_deref() == Some(draft.ext_order_id.as_str())
        }))
    }

    /// The orders of many drafts, one search per 100 drafts: `increment_id in (…)` OR
    /// `ext_order_id in (…)` in one filter group (`in` takes a comma-separated list). Keyed by
    /// the draft's `ext_order_id`; a draft absent from the map has no Magento order. A draft
    /// whose ids hold a comma (which `in` would split) is searched on its own.
    pub async fn find_existing_many(&self, drafts: &[&MagentoOrderDraft]) -> Result<HashMap<String, Order>, MagentoError> {
        let mut found = HashMap::new();
        let (listable, odd): (Vec<&MagentoOrderDraft>, Vec<&MagentoOrderDraft>) =
            drafts.iter().copied().partition(|d| !d.increment_id.contains(',') && !d.ext_order_id.contains(','));
        for chunk in listable.chunks(FIND_MANY_PER_SEARCH) {
            let list = |f: fn(&MagentoOrderDraft) -> &str| chunk.iter().map(|d| f(d)).collect::<Vec<_>>().join(",");
            let criteria = SearchCriteria::new()
                .any_of(vec![
                    Filter { field: "increment_id".into(), value: list(|d| &d.increment_id), condition: "in".into() },
                    Filter { field: "ext_order_id".into(), value: list(|d| &d.ext_order_id), condition: "in".into() },
                ])
                .sort_asc("entity_id");
            let orders: Vec<Order> = self.search_all(&["orders"], criteria, 100).await?;
            for d in chunk {
                // Exact matches only (MySQL compares case-insensitively); the oldest first.
                let hit = orders.iter().find(|o| {
                    o.increment_id.as_deref() == Some(d.increment_id.as_str()) || o.ext_order_id.as_deref() == Some(d.ext_order_id.as_str())
                });
                if let Some(o) = hit {
                    found.insert(d.ext_order_id.clone(), o.clone());
                }
            }
        }
        for d in odd {
            if let Some(o) = self.find_existing(d).await? {
                found.insert(d.ext_order_id.clone(), o);
            }
        }
        Ok(found)
    }

    /// `POST /V1/orders` as is. Magento refuses a second order with the same increment id in
    /// the store; prefer `create_order_once`. Note: this path makes no MSI reservation.
    pub async fn create_order(&self, draft: &MagentoOrderDraft) -> Result<Order, MagentoError> {
        self.post(&["orders"], &order_create_body(draft)).await
    }

    /// Search, then create, then (if the create failed or timed out) search again: the
    /// caller's pattern for "exactly one Magento order per John Lewis order". Safe to call
    /// again after any failure, concurrently too: the unique increment id lets one win.
    pub async fn create_order_once(&self, draft: &MagentoOrderDraft) -> Result<CreateOutcome, MagentoError> {
        if let Some(existing) = self.find_existing(draft).await? {
            return Ok(CreateOutcome::AlreadyExisted(existing));
        }
        self.create_searched_absent(draft).await
    }

    /// The rest of `create_order_once` for a draft a search (e.g. `find_existing_many`) has
    /// just found absent: create, and if that failed or timed out, search again.
    pub async fn create_searched_absent(&self, draft: &MagentoOrderDraft) -> Result<CreateOutcome, MagentoError> {
        match self.create_order(draft).await {
            Ok(order) => Ok(CreateOutcome::Created(order)),
            Err(err) => match self.find_existing(draft).await {
                Ok(Some(existing)) => Ok(CreateOutcome::AlreadyExisted(existing)),
                // Not there: the create really failed; report why it failed.
                Ok(None) => Err(err),
                // Cannot tell: report the first failure, the job retries the whole thing.
                Err(_) => Err(err),
            },
        }
    }

    /// Adds a comment; `status` must be the order's current status (Magento nulls the
    /// status otherwise). Returns Magento's `true`/`false`.
    pub async fn add_order_comment(&self, order_id: i64, comment: &str, status: &str) -> Result<bool, MagentoError> {
        self.post(&["orders", &order_id.to_string(), "comments"], &comment_body(order_id, comment, status)).await
    }

    /// Adds a comment keeping the status the order has now (one read, one write).
    pub async fn add_order_comment_keeping_status(&self, order_id: i64, comment: &str) -> Result<bool, MagentoError> {
        let order = self.get_order(order_id).await?;
        let status = order.status.as_deref().or(order.state.as_deref()).unwrap_or("processing");
        self.add_order_comment(order_id, comment, status).await
    }

    /// `POST /V1/orders/{id}/cancel`: `false` means Magento would not cancel it (already
    /// shipped, complete, closed, held or cancelled).
    pub async fn cancel_order(&self, order_id: i64) -> Result<bool, MagentoError> {
        self.post(&["orders", &order_id.to_string(), "cancel"], &serde_json::json!({})).await
    }
}
