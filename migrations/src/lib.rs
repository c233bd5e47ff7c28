//! One schema for SQLite and PostgreSQL. Timestamps are Unix milliseconds (`BIGINT`) so the
//! same SQL compares them on both databases.
pub use sea_orm_migration::prelude::*;

mod m20261127_000001_foundation;
mod m20261127_000005_rate_limit;
mod m20261127_000010_stock;
mod m20261127_000020_orders;
mod m20261127_000030_dispatch_ledger;
mod m20261127_000040_finance;
mod m20261127_000050_sftp;
mod m20261127_000060_jobs_claim_order;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_foundation::Migration),
            Box::new(m20261127_000005_rate_limit::Migration),
            Box::new(m20261127_000010_stock::Migration),
            Box::new(m20261127_000020_orders::Migration),
            Box::new(m20261127_000030_dispatch_ledger::Migration),
            Box::new(m20261127_000040_finance::Migration),
            Box::new(m20261127_000050_sftp::Migration),
            Box::new(m20261127_000060_jobs_claim_order::Migration),
        ]
    }
}
