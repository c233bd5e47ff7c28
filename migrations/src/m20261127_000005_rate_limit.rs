//! The account-wide call log shared by replicas on PostgreSQL (one row per permit granted),
//! and the account-wide pause a `429` asks for.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RateLimitCalls {
    Table,
    Id,
    Account,
    At,
}

#[derive(DeriveIden)]
enum RateLimitPauses {
    Table,
    Account,
    Until,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(RateLimitCalls::Table)
                .col(ColumnDef::new(RateLimitCalls::Id).big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new(RateLimitCalls::Account).string().not_null())
                .col(ColumnDef::new(RateLimitCalls::At).big_integer().not_null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("rate_limit_calls_account_at")
                .table(RateLimitCalls::Table)
                .col(RateLimitCalls::Account)
                .col(RateLimitCalls::At)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(RateLimitPauses::Table)
                .col(ColumnDef::new(RateLimitPauses::Account).string().not_null().primary_key())
                .col(ColumnDef::new(RateLimitPauses::Until).big_integer().not_null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(RateLimitCalls::Table).if_exists().to_owned()).await?;
        m.drop_table(Table::drop().table(RateLimitPauses::Table).if_exists().to_owned()).await
    }
}
