//! The claim walks queued jobs in its own order (priority first, then due time): an index in
//! that order lets it stop after the jobs it takes instead of sorting every queued job while
//! it holds SQLite's write lock (≈ 100 ms with 50,000 queued, 0.2 ms with the index).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Jobs {
    Table,
    State,
    Priority,
    RunAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name("jobs_claim_order")
                .table(Jobs::Table)
                .col(Jobs::State)
                .col((Jobs::Priority, IndexOrder::Desc))
                .col(Jobs::RunAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("jobs_claim_order").table(Jobs::Table).to_owned()).await
    }
}
