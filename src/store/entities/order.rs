use sea_orm::entity::prelude::*;

/// One John Lewis order: unique `reference` (what people see), The Edge's id for API calls,
/// our state (`domain::order_state::OrderState`), the raw payload, the Magento order once
/// created, and the per-order lease ("one update in flight").
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub reference: String,
    pub marketplace_id: String,
    /// The Edge's order status as last seen (`ORDER`, `ORDER_ACK`, `CANCEL` …).
    pub marketplace_status: String,
    pub state: String,
    pub order_date: i64,
    pub currency: String,
    /// The order as downloaded (JSON of `domain::order::MarketplaceOrder`). Personal data:
    /// never logged.
    #[sea_orm(column_type = "Text")]
    pub raw: String,
    pub magento_entity_id: Option<i64>,
    pub magento_increment_id: Option<String>,
    pub downloaded_at: i64,
    pub last_seen_at: i64,
    pub acknowledged_at: Option<i64>,
    pub injected_at: Option<i64>,
    pub dispatched_at: Option<i64>,
    pub cancel_requested_at: Option<i64>,
    pub cancelled_at: Option<i64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub lease_token: Option<String>,
    pub lease_until: Option<i64>,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
