//! Orders: one row per John Lewis order (unique `reference`), its lines, and its timeline.
//! `lease_token`/`lease_until` hold "one update in flight per order".
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    Reference,
    MarketplaceId,
    MarketplaceStatus,
    State,
    OrderDate,
    Currency,
    Raw,
    MagentoEntityId,
    MagentoIncrementId,
    DownloadedAt,
    LastSeenAt,
    AcknowledgedAt,
    InjectedAt,
    DispatchedAt,
    CancelRequestedAt,
    CancelledAt,
    LastError,
    LeaseToken,
    LeaseUntil,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OrderLines {
    Table,
    Id,
    OrderId,
    LineRef,
    PartNumber,
    Sku,
    Quantity,
    DispatchedQty,
    CancelledQty,
    UnitPrice,
    Total,
    Currency,
    Status,
    Unfulfillable,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OrderEvents {
    Table,
    Id,
    OrderId,
    At,
    Kind,
    Detail,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Orders::Table)
                .col(ColumnDef::new(Orders::Id).big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new(Orders::Reference).string().not_null().unique_key())
                .col(ColumnDef::new(Orders::MarketplaceId).string().not_null())
                .col(ColumnDef::new(Orders::MarketplaceStatus).string().not_null())
                .col(ColumnDef::new(Orders::State).string().not_null())
                .col(ColumnDef::new(Orders::OrderDate).big_integer().not_null())
                .col(ColumnDef::new(Orders::Currency).string().not_null())
                .col(ColumnDef::new(Orders::Raw).text().not_null())
                .col(ColumnDef::new(Orders::MagentoEntityId).big_integer())
                .col(ColumnDef::new(Orders::MagentoIncrementId).string())
                .col(ColumnDef::new(Orders::DownloadedAt).big_integer().not_null())
                .col(ColumnDef::new(Orders::LastSeenAt).big_integer().not_null())
                .col(ColumnDef::new(Orders::AcknowledgedAt).big_integer())
                .col(ColumnDef::new(Orders::InjectedAt).big_integer())
                .col(ColumnDef::new(Orders::DispatchedAt).big_integer())
                .col(ColumnDef::new(Orders::CancelRequestedAt).big_integer())
                .col(ColumnDef::new(Orders::CancelledAt).big_integer())
                .col(ColumnDef::new(Orders::LastError).text())
                .col(ColumnDef::new(Orders::LeaseToken).string())
                .col(ColumnDef::new(Orders::LeaseUntil).big_integer())
                .col(ColumnDef::new(Orders::UpdatedAt).big_integer().not_null())
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("orders_state").table(Orders::Table).col(Orders::State).to_owned()).await?;
        m.create_index(
            Index::create().name("orders_magento_increment_id").table(Orders::Table).col(Orders::MagentoIncrementId).to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("orders_marketplace_id").table(Orders::Table).col(Orders::MarketplaceId).to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(OrderLines::Table)
                .col(ColumnDef::new(OrderLines::Id).big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new(OrderLines::OrderId).big_integer().not_null())
                .col(ColumnDef::new(OrderLines::LineRef).string().not_null())
                .col(ColumnDef::new(OrderLines::PartNumber).string().not_null())
                .col(ColumnDef::new(OrderLines::Sku).string())
                .col(ColumnDef::new(OrderLines::Quantity).integer().not_null())
                .col(ColumnDef::new(OrderLines::DispatchedQty).integer().not_null().default(0))
                .col(ColumnDef::new(OrderLines::CancelledQty).integer().not_null().default(0))
                .col(ColumnDef::new(OrderLines::UnitPrice).string())
                .col(ColumnDef::new(OrderLines::Total).string())
                .col(ColumnDef::new(OrderLines::Currency).string().not_null())
                .col(ColumnDef::new(OrderLines::Status).string().not_null())
                .col(ColumnDef::new(OrderLines::Unfulfillable).text())
                .col(ColumnDef::new(OrderLines::UpdatedAt).big_integer().not_null())
                .foreign_key(ForeignKey::create().from(OrderLines::Table, OrderLines::OrderId).to(Orders::Table, Orders::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("order_lines_order_line_ref")
                .table(OrderLines::Table)
                .col(OrderLines::OrderId)
                .col(OrderLines::LineRef)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(OrderEvents::Table)
                .col(ColumnDef::new(OrderEvents::Id).big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new(OrderEvents::OrderId).big_integer().not_null())
                .col(ColumnDef::new(OrderEvents::At).big_integer().not_null())
                .col(ColumnDef::new(OrderEvents::Kind).string().not_null())
                .col(ColumnDef::new(OrderEvents::Detail).text())
                .foreign_key(ForeignKey::create().from(OrderEvents::Table, OrderEvents::OrderId).to(Orders::Table, Orders::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("order_events_order").table(OrderEvents::Table).col(OrderEvents::OrderId).col(OrderEvents::Id).to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(OrderEvents::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(OrderLines::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(Orders::Table).to_owned()).await
    }
}
