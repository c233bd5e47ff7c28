use crate::support::*;
use jlbridge::store;
use sea_orm::ConnectionTrait;

const TABLES: &[&str] = &[
    "webhook_inbox", "jobs", "job_attempts", "exceptions", "sync_cursors", "audit_log", "product_mappings", "stock_state", "sku_prices", "dispatch_ledger", "orders", "order_lines", "order_events", "sales_reports", "sales_report_lines", "settlement_discrepancies",
];

async fn check_schema(cfg: &jlbridge::config::DatabaseConfig) {
    let db = store::connect(cfg).await.unwrap();
    store::migrate(&db).await.unwrap();
    store::migrate(&db).await.expect("migrating twice is a no-op");
    for t in TABLES {
        db.execute_unprepared(&format!("SELECT COUNT(*) FROM {t}")).await.unwrap_or_else(|e| panic!("table {t}: {e}"));
    }
}

#[tokio::test]
async fn migrations_run_on_sqlite() {
    let (cfg, _dir) = sqlite_config();
    check_schema(&cfg).await;
}

#[tokio::test]
async fn migrations_run_on_postgres() {
    let Some(admin) = postgres_or_skip("migrations_run_on_postgres") else { return };
    let cfg = fresh_postgres(&admin).await;
    check_schema(&cfg).await;
}
