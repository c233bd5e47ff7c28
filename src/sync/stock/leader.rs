//! Singleton loops on PostgreSQL: a session advisory lock held on a dedicated connection (a
//! one-connection pool), re-checked every round so a dropped connection ends the leadership.
//! On SQLite (one instance by design) every process is the leader.
use crate::config::DatabaseConfig;
use crate::store::stmt;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};
use std::time::Duration;

pub struct Leadership {
    key: i64,
    conn: Option<DatabaseConnection>,
    held: bool,
}

impl Leadership {
    /// `key` names the loop (e.g. [`PUSHER_LOCK`]).
    pub async fn new(db: &DatabaseConfig, backend: DbBackend, key: i64) -> Result<Self, DbErr> {
        let conn = if backend == DbBackend::Postgres {
            let mut o = ConnectOptions::new(db.url.clone());
            o.max_connections(1).min_connections(1).sqlx_logging(false).connect_timeout(Duration::from_secs(10));
            Some(Database::connect(o).await?)
        } else {
            None
        };
        Ok(Leadership { key, conn, held: false })
    }

    /// Whether this process leads now (takes the lock when free).
    pub async fn check(&mut self) -> bool {
        let Some(conn) = &self.conn else { return true };
        let b = DbBackend::Postgres;
        let sql = if self.held {
            "SELECT COUNT(*) > 0 AS ok FROM pg_locks WHERE locktype = 'advisory' AND granted \
             AND pid = pg_backend_pid() AND ((classid::bigint << 32) | objid::bigint) = $1"
        } else {
            "SELECT pg_try_advisory_lock($1) AS ok"
        };
        let ok = match conn.query_one(stmt(b, sql, [self.key.into()])).await {
            Ok(Some(r)) => r.try_get::<bool>("", "ok").unwrap_or(false),
            _ => false,
        };
        if ok != self.held {
            tracing::info!(lock = self.key, leader = ok, "singleton leadership changed");
        }
        self.held = ok;
        ok
    }
}

/// Advisory lock key of the stock pusher.
pub const PUSHER_LOCK: i64 = 727_010;
