//! Shipments flow: what was sent to John Lewis per Magento shipment (dispatches) and per
//! cancellation (`CANCELLED POST-DISPATCH`), so a retried job never sends it twice.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DispatchLedger {
    Table,
    Id,
    OrderReference,
    Source,
    LineRef,
    PartNumber,
    Kind,
    Quantity,
    Carrier,
    TrackingNumber,
    SentAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(DispatchLedger::Table)
                .col(ColumnDef::new(DispatchLedger::Id).big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new(DispatchLedger::OrderReference).string().not_null())
                .col(ColumnDef::new(DispatchLedger::Source).string().not_null())
                .col(ColumnDef::new(DispatchLedger::LineRef).string().not_null())
                .col(ColumnDef::new(DispatchLedger::PartNumber).string().not_null())
                .col(ColumnDef::new(DispatchLedger::Kind).string().not_null())
                .col(ColumnDef::new(DispatchLedger::Quantity).integer().not_null())
                .col(ColumnDef::new(DispatchLedger::Carrier).string().not_null())
                .col(ColumnDef::new(DispatchLedger::TrackingNumber).string())
                .col(ColumnDef::new(DispatchLedger::SentAt).big_integer().not_null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("dispatch_ledger_source_line_kind")
                .table(DispatchLedger::Table)
                .col(DispatchLedger::Source)
                .col(DispatchLedger::LineRef)
                .col(DispatchLedger::Kind)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("dispatch_ledger_order")
                .table(DispatchLedger::Table)
                .col(DispatchLedger::OrderReference)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(DispatchLedger::Table).to_owned()).await
    }
}
