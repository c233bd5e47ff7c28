use sea_orm::entity::prelude::*;

/// One line of a John Lewis order. Quantities are whole units; money is a decimal string.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    pub line_ref: String,
    pub part_number: String,
    /// The Magento SKU, once mapped (set at injection or when the mapping is read).
    pub sku: Option<String>,
    pub quantity: i32,
    pub dispatched_qty: i32,
    pub cancelled_qty: i32,
    pub unit_price: Option<String>,
    pub total: Option<String>,
    pub currency: String,
    /// The Edge's line status as last seen.
    pub status: String,
    /// Why the line cannot be fulfilled (unknown part number, not enough stock), when so.
    #[sea_orm(column_type = "Text", nullable)]
    pub unfulfillable: Option<String>,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
