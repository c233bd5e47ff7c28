use sea_orm::entity::prelude::*;

/// One try of a job: who ran it, when, and how it ended.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_attempts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub job_id: i64,
    pub attempt: i32,
    pub worker: String,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    /// `running`, `ok`, `retry`, `dead`, `lease_expired`.
    pub outcome: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
