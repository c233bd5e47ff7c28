//! Singleton loops (order poller …): on PostgreSQL one replica holds a session advisory lock on
//! a dedicated connection; SQLite is one instance, so the loop simply runs.
use crate::store::stmt;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};
use std::time::Duration;

/// Advisory lock keys (one per singleton loop).
pub const ORDER_POLLER_LOCK: i64 = 727_100;

pub enum Singleton {
    /// SQLite: one instance, always the leader.
    Local,
    Postgres { conn: DatabaseConnection, key: i64 },
}

impl Singleton {
    /// `url` is the database URL: a dedicated one-connection pool is opened on PostgreSQL.
    pub async fn new(db: &DatabaseConnection, url: &str, key: i64) -> Result<Self, DbErr> {
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(Singleton::Local);
        }
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.max_connections(1).min_connections(1).connect_timeout(Duration::from_secs(10)).sqlx_logging(false);
        Ok(Singleton::Postgres { conn: Database::connect(opts).await?, key })
    }

    /// Whether this process leads now. Asked before every cycle: the session lock is
    /// re-entrant for its holder, and a reconnected session has to win it again.
    pub async fn lead(&self) -> Result<bool, DbErr> {
        match self {
            Singleton::Local => Ok(true),
            Singleton::Postgres { conn, key } => {
                let row = conn
                    .query_one(stmt(DbBackend::Postgres, "SELECT pg_try_advisory_lock($1) AS got", [(*key).into()]))
                    .await?
                    .ok_or(DbErr::RecordNotFound("advisory lock".into()))?;
                row.try_get("", "got")
            }
        }
    }

    /// Lets another replica lead (on shutdown).
    pub async fn step_down(&self) {
        if let Singleton::Postgres { conn, key } = self {
            let _ = conn.execute(stmt(DbBackend::Postgres, "SELECT pg_advisory_unlock_all()", [])).await;
            let _ = key;
        }
    }
}
