//! The Edge over SFTP: files seen and written, orders imported from files, and the stock
//! values waiting for the next `inventory-<stamp>.csv`.
//!
//! * `sftp_files`: one row per file name per folder, inbound (imported, duplicate,
//!   quarantined, error file read) or outbound (`msg_key` = kind, order and content hash, so
//!   a retried upload reuses its name and is never written twice).
//! * `sftp_orders`: one row per `order_number` (the import is idempotent on it), with the
//!   order as the flows see it (JSON) and the status the adapter's own updates gave it.
//! * `sftp_stock_pending`: latest value per part number not yet in a written stock file.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SftpFiles {
    Table,
    Id,
    Folder,
    Name,
    Direction,
    MsgKey,
    OrderNumber,
    Status,
    Problem,
    Body,
    Meta,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SftpOrders {
    Table,
    OrderNumber,
    FileName,
    Status,
    Body,
    ImportedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SftpStockPending {
    Table,
    PartNumber,
    Quantity,
    Version,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SftpFiles::Table)
                .if_not_exists()
                .col(ColumnDef::new(SftpFiles::Id).big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new(SftpFiles::Folder).string().not_null())
                .col(ColumnDef::new(SftpFiles::Name).string().not_null())
                .col(ColumnDef::new(SftpFiles::Direction).string().not_null())
                .col(ColumnDef::new(SftpFiles::MsgKey).string())
                .col(ColumnDef::new(SftpFiles::OrderNumber).string())
                .col(ColumnDef::new(SftpFiles::Status).string().not_null())
                .col(ColumnDef::new(SftpFiles::Problem).text())
                .col(ColumnDef::new(SftpFiles::Body).text())
                .col(ColumnDef::new(SftpFiles::Meta).text())
                .col(ColumnDef::new(SftpFiles::CreatedAt).big_integer().not_null())
                .col(ColumnDef::new(SftpFiles::UpdatedAt).big_integer().not_null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ux_sftp_files_folder_name").table(SftpFiles::Table).col(SftpFiles::Folder).col(SftpFiles::Name).unique().to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ux_sftp_files_msg_key").table(SftpFiles::Table).col(SftpFiles::MsgKey).unique().to_owned()).await?;
        m.create_table(
            Table::create()
                .table(SftpOrders::Table)
                .if_not_exists()
                .col(ColumnDef::new(SftpOrders::OrderNumber).string().not_null().primary_key())
                .col(ColumnDef::new(SftpOrders::FileName).string().not_null())
                .col(ColumnDef::new(SftpOrders::Status).string().not_null())
                .col(ColumnDef::new(SftpOrders::Body).text().not_null())
                .col(ColumnDef::new(SftpOrders::ImportedAt).big_integer().not_null())
                .col(ColumnDef::new(SftpOrders::UpdatedAt).big_integer().not_null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SftpStockPending::Table)
                .if_not_exists()
                .col(ColumnDef::new(SftpStockPending::PartNumber).string().not_null().primary_key())
                .col(ColumnDef::new(SftpStockPending::Quantity).big_integer().not_null())
                .col(ColumnDef::new(SftpStockPending::Version).big_integer().not_null())
                .col(ColumnDef::new(SftpStockPending::UpdatedAt).big_integer().not_null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(SftpStockPending::Table).if_exists().to_owned()).await?;
        m.drop_table(Table::drop().table(SftpOrders::Table).if_exists().to_owned()).await?;
        m.drop_table(Table::drop().table(SftpFiles::Table).if_exists().to_owned()).await
    }
}
