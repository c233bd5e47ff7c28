use sea_orm::entity::prelude::*;

/// Magento SKU ↔ John Lewis part number ↔ The Edge's product id.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product_mappings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub sku: String,
    /// 8 digits; can change (a re-import moves it).
    #[sea_orm(unique)]
    pub part_number: String,
    /// The Edge's REST id of the product, once found.
    pub product_id: Option<String>,
    /// `tradedCode` as The Edge holds it.
    pub traded_code: Option<String>,
    /// Checked against the products API: the product exists and its `tradedCode` is exact.
    pub verified: bool,
    /// The products API has no such product, or its `tradedCode` is another SKU: not pushed.
    pub blocked: bool,
    pub verified_at: Option<i64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub verify_error: Option<String>,
    /// Other spreadsheet columns, as a JSON object.
    #[sea_orm(column_type = "Text", nullable)]
    pub extra: Option<String>,
    pub imported_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
