use sea_orm::entity::prelude::*;

/// One exception per (kind, entity); it reopens when the problem comes back.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "exceptions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub entity: String,
    pub status: String,
    pub first_seen: i64,
    pub last_seen: i64,
    pub count: i32,
    #[sea_orm(column_type = "Text")]
    pub last_error: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub detail: Option<String>,
    pub job_id: Option<i64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    pub resolved_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
