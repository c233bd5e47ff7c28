use sea_orm::entity::prelude::*;

/// One accepted webhook, keyed by its `webhook-id`, with the raw body as received.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_inbox")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub event_type: String,
    /// `webhook-timestamp` header (Unix seconds).
    pub webhook_timestamp: i64,
    /// The body's own `timestamp` (when Magento observed the change), Unix ms.
    pub event_timestamp_ms: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub received_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
