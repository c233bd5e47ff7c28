//! Stock flow tables: the SKU ↔ part number ↔ product mapping, per-SKU stock state, prices.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProductMappings {
    Table,
    Sku,
    PartNumber,
    ProductId,
    TradedCode,
    Verified,
    Blocked,
    VerifiedAt,
    VerifyError,
    Extra,
    ImportedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum StockState {
    Table,
    Sku,
    ObservedQty,
    ObservedAt,
    ObservedWebhookTs,
    ComputedValue,
    Explanation,
    Version,
    ChangedAt,
    Pending,
    InflightVersion,
    InflightUntil,
    SentValue,
    SentAt,
    ShownValue,
    ShownAt,
    Attempts,
    NextAttemptAt,
    LastError,
    DriftCount,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SkuPrices {
    Table,
    Sku,
    Price,
    ObservedAt,
    ObservedWebhookTs,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ProductMappings::Table)
                .col(ColumnDef::new(ProductMappings::Sku).string().not_null().primary_key())
                .col(ColumnDef::new(ProductMappings::PartNumber).string().not_null().unique_key())
                .col(ColumnDef::new(ProductMappings::ProductId).string())
                .col(ColumnDef::new(ProductMappings::TradedCode).string())
                .col(ColumnDef::new(ProductMappings::Verified).boolean().not_null().default(false))
                .col(ColumnDef::new(ProductMappings::Blocked).boolean().not_null().default(false))
                .col(ColumnDef::new(ProductMappings::VerifiedAt).big_integer())
                .col(ColumnDef::new(ProductMappings::VerifyError).text())
                .col(ColumnDef::new(ProductMappings::Extra).text())
                .col(ColumnDef::new(ProductMappings::ImportedAt).big_integer().not_null())
                .col(ColumnDef::new(ProductMappings::UpdatedAt).big_integer().not_null())
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(StockState::Table)
                .col(ColumnDef::new(StockState::Sku).string().not_null().primary_key())
                .col(ColumnDef::new(StockState::ObservedQty).string())
                .col(ColumnDef::new(StockState::ObservedAt).big_integer())
                .col(ColumnDef::new(StockState::ObservedWebhookTs).big_integer())
                .col(ColumnDef::new(StockState::ComputedValue).big_integer())
                .col(ColumnDef::new(StockState::Explanation).text())
                .col(ColumnDef::new(StockState::Version).big_integer().not_null().default(0))
                .col(ColumnDef::new(StockState::ChangedAt).big_integer())
                .col(ColumnDef::new(StockState::Pending).boolean().not_null().default(false))
                .col(ColumnDef::new(StockState::InflightVersion).big_integer())
                .col(ColumnDef::new(StockState::InflightUntil).big_integer())
                .col(ColumnDef::new(StockState::SentValue).big_integer())
                .col(ColumnDef::new(StockState::SentAt).big_integer())
                .col(ColumnDef::new(StockState::ShownValue).big_integer())
                .col(ColumnDef::new(StockState::ShownAt).big_integer())
                .col(ColumnDef::new(StockState::Attempts).integer().not_null().default(0))
                .col(ColumnDef::new(StockState::NextAttemptAt).big_integer())
                .col(ColumnDef::new(StockState::LastError).text())
                .col(ColumnDef::new(StockState::DriftCount).integer().not_null().default(0))
                .col(ColumnDef::new(StockState::UpdatedAt).big_integer().not_null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("stock_state_pending").table(StockState::Table).col(StockState::Pending).to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(SkuPrices::Table)
                .col(ColumnDef::new(SkuPrices::Sku).string().not_null().primary_key())
                .col(ColumnDef::new(SkuPrices::Price).string().not_null())
                .col(ColumnDef::new(SkuPrices::ObservedAt).big_integer().not_null())
                .col(ColumnDef::new(SkuPrices::ObservedWebhookTs).big_integer().not_null())
                .col(ColumnDef::new(SkuPrices::UpdatedAt).big_integer().not_null())
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [ProductMappings::Table.into_iden(), StockState::Table.into_iden(), SkuPrices::Table.into_iden()] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
