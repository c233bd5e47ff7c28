use sea_orm::entity::prelude::*;

/// One SKU's stock: Magento's latest observation, the buffered value, what was sent and what
/// John Lewis shows, and the push bookkeeping.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_state")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub sku: String,
    /// Magento salable quantity as a decimal string.
    pub observed_qty: Option<String>,
    /// When Magento observed it (event timestamp, Unix µs; a reconciliation read, its own clock).
    pub observed_at: Option<i64>,
    /// The `webhook-timestamp` (Unix s) that carried it: breaks ties between equal event times.
    pub observed_webhook_ts: Option<i64>,
    /// After buffer rules.
    pub computed_value: Option<i64>,
    /// JSON `domain::buffer::Explanation`.
    #[sea_orm(column_type = "Text", nullable)]
    pub explanation: Option<String>,
    /// Bumped whenever `computed_value` changes.
    pub version: i64,
    /// When `computed_value` last changed (Unix ms).
    pub changed_at: Option<i64>,
    /// `computed_value` still has to reach John Lewis.
    pub pending: bool,
    /// The version a push in flight carries, and until when it holds the SKU.
    pub inflight_version: Option<i64>,
    pub inflight_until: Option<i64>,
    pub sent_value: Option<i64>,
    pub sent_at: Option<i64>,
    /// What John Lewis shows: the last value accepted, or read in a reconciliation.
    pub shown_value: Option<i64>,
    pub shown_at: Option<i64>,
    /// Failed push attempts since the last success.
    pub attempts: i32,
    pub next_attempt_at: Option<i64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    /// Reconciliations in a row that found John Lewis showing something else than was sent.
    pub drift_count: i32,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
