//! Finance: John Lewis's weekly sales reports (one per week ending, replaced when corrected),
//! their lines, and the discrepancies found matching them against the orders.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SalesReports {
    Table,
    Id,
    WeekEnding,
    ContentHash,
    SourceName,
    Currency,
    LineCount,
    Version,
    ImportedAt,
    ReplacedAt,
}

#[derive(DeriveIden)]
enum SalesReportLines {
    Table,
    Id,
    ReportId,
    RowNo,
    DayDate,
    SupplierName,
    SupplierNumber,
    Branch,
    BranchName,
    Ean,
    PartNumber,
    Description,
    Units,
    SalesValue,
    Extra,
}

#[derive(DeriveIden)]
enum SettlementDiscrepancies {
    Table,
    Id,
    WeekEnding,
    DayDate,
    PartNumber,
    Kind,
    Entity,
    OrderReferences,
    ReportFigure,
    MagentoFigure,
    Detail,
    Status,
    FoundAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SalesReports::Table)
                .col(ColumnDef::new(SalesReports::Id).big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new(SalesReports::WeekEnding).string().not_null().unique_key())
                .col(ColumnDef::new(SalesReports::ContentHash).string().not_null())
                .col(ColumnDef::new(SalesReports::SourceName).string().not_null())
                .col(ColumnDef::new(SalesReports::Currency).string().not_null())
                .col(ColumnDef::new(SalesReports::LineCount).integer().not_null())
                .col(ColumnDef::new(SalesReports::Version).integer().not_null())
                .col(ColumnDef::new(SalesReports::ImportedAt).big_integer().not_null())
                .col(ColumnDef::new(SalesReports::ReplacedAt).big_integer())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SalesReportLines::Table)
                .col(ColumnDef::new(SalesReportLines::Id).big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new(SalesReportLines::ReportId).big_integer().not_null())
                .col(ColumnDef::new(SalesReportLines::RowNo).integer().not_null())
                .col(ColumnDef::new(SalesReportLines::DayDate).string().not_null())
                .col(ColumnDef::new(SalesReportLines::SupplierName).string().not_null())
                .col(ColumnDef::new(SalesReportLines::SupplierNumber).string().not_null())
                .col(ColumnDef::new(SalesReportLines::Branch).string().not_null())
                .col(ColumnDef::new(SalesReportLines::BranchName).string().not_null())
                .col(ColumnDef::new(SalesReportLines::Ean).string().not_null())
                .col(ColumnDef::new(SalesReportLines::PartNumber).string().not_null())
                .col(ColumnDef::new(SalesReportLines::Description).string().not_null())
                .col(ColumnDef::new(SalesReportLines::Units).big_integer())
                .col(ColumnDef::new(SalesReportLines::SalesValue).string().not_null())
                .col(ColumnDef::new(SalesReportLines::Extra).text().not_null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("sales_report_lines_report").table(SalesReportLines::Table).col(SalesReportLines::ReportId).to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SettlementDiscrepancies::Table)
                .col(ColumnDef::new(SettlementDiscrepancies::Id).big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new(SettlementDiscrepancies::WeekEnding).string().not_null())
                .col(ColumnDef::new(SettlementDiscrepancies::DayDate).string().not_null())
                .col(ColumnDef::new(SettlementDiscrepancies::PartNumber).string().not_null())
                .col(ColumnDef::new(SettlementDiscrepancies::Kind).string().not_null())
                .col(ColumnDef::new(SettlementDiscrepancies::Entity).string().not_null())
                .col(ColumnDef::new(SettlementDiscrepancies::OrderReferences).text().not_null())
                .col(ColumnDef::new(SettlementDiscrepancies::ReportFigure).string().not_null())
                .col(ColumnDef::new(SettlementDiscrepancies::MagentoFigure).string().not_null())
                .col(ColumnDef::new(SettlementDiscrepancies::Detail).text().not_null())
                .col(ColumnDef::new(SettlementDiscrepancies::Status).string().not_null())
                .col(ColumnDef::new(SettlementDiscrepancies::FoundAt).big_integer().not_null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("settlement_discrepancies_week")
                .table(SettlementDiscrepancies::Table)
                .col(SettlementDiscrepancies::WeekEnding)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(SettlementDiscrepancies::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(SalesReportLines::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(SalesReports::Table).to_owned()).await
    }
}
