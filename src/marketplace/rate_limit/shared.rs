//! The permit source shared by every replica on PostgreSQL: the account's call log lives in
//! the database, and each permit is taken under a transaction-scoped advisory lock, so two
//! processes together never send more than `limit` calls in any window.
use super::{PermitSource, RateLimitConfig, SourceUsage};
use crate::store::{now_ms, stmt};
use async_trait::async_trait;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr};
use std::time::Duration;

pub struct SharedWindow {
    db: DatabaseConnection,
    account: String,
    config: RateLimitConfig,
}

impl SharedWindow {
    /// `account` names the marketplace account (e.g. the Edge user): one budget per name.
    pub fn new(db: DatabaseConnection, account: impl Into<String>, config: RateLimitConfig) -> Self {
        assert!(config.limit > 0, "rate limit must be at least one call per window");
        SharedWindow { db, account: account.into(), config }
    }

    fn span_ms(&self) -> i64 {
        (self.config.window + self.config.margin).as_millis() as i64
    }

    fn lock_key(&self) -> i64 {
        // A stable 63-bit key per account (FNV-1a), so accounts do not wait on each other.
        let mut h: u64 = 0xcbf29ce484222325;
        for b in self.account.bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
        (h >> 1) as i64
    }

    async fn take(&self, reserve: u32) -> Result<Result<(), Duration>, DbErr> {
        let b = self.db.get_database_backend();
        let txn = crate::store::begin_write(&self.db).await?;
        if b == DbBackend::Postgres {
            txn.execute(stmt(b, "SELECT pg_advisory_xact_lock($1)", [self.lock_key().into()])).await?;
        }
        let now = now_ms();
        let acct = self.account.clone();
        txn.execute(stmt(
            b,
            "DELETE FROM rate_limit_calls WHERE account = $1 AND at <= $2",
            [acct.clone().into(), (now - self.span_ms()).into()],
        ))
        .await?;
        let paused = txn
            .query_one(stmt(b, "SELECT until FROM rate_limit_pauses WHERE account = $1", [acct.clone().into()]))
            .await?
            .map(|r| r.try_get::<i64>("", "until"))
            .transpose()?
            .filter(|u| *u > now);
        if let Some(until) = paused {
            txn.commit().await?;
            return Ok(Err(Duration::from_millis((until - now) as u64)));
        }
        let cap = self.config.limit.saturating_sub(reserve).max(1) as i64;
        let rows = txn
            .query_all(stmt(
                b,
                "SELECT at FROM rate_limit_calls WHERE account = $1 ORDER BY at DESC LIMIT $2",
                [acct.clone().into(), cap.into()],
            ))
            .await?;
        let outcome = if (rows.len() as i64) < cap {
            txn.execute(stmt(b, "INSERT INTO rate_limit_calls (account, at) VALUES ($1, $2)", [acct.into(), now.into()]))
                .await?;
            Ok(())
        } else {
            // The oldest of the last `cap` grants: once it leaves the span there is room.
            let blocking: i64 = rows.last().expect("cap >= 1").try_get("", "at")?;
            Err(Duration::from_millis((blocking + self.span_ms() - now).max(1) as u64))
        };
        txn.commit().await?;
        Ok(outcome)
    }
}

#[async_trait]
impl PermitSource for SharedWindow {
    async fn try_take(&self, reserve: u32) -> Result<(), Duration> {
        match self.take(reserve).await {
            Ok(r) => r,
            Err(e) => {
                // The database is the budget: without it, send nothing and ask again shortly.
                tracing::warn!(error = %e, "shared rate limit unavailable; holding calls");
                Err(Duration::from_millis(500))
            }
        }
    }

    async fn pause(&self, wait: Duration) {
        let until = now_ms() + wait.as_millis() as i64;
        let res = self
            .db
            .execute(stmt(
                self.db.get_database_backend(),
                "INSERT INTO rate_limit_pauses (account, until) VALUES ($1, $2) \
                 ON CONFLICT (account) DO UPDATE SET until = CASE WHEN rate_limit_pauses.until > excluded.until \
                 THEN rate_limit_pauses.until ELSE excluded.until END",
                [self.account.clone().into(), until.into()],
            ))
            .await;
        if let Err(e) = res {
            tracing::warn!(error = %e, "could not record the account pause");
        }
    }

    async fn usage(&self) -> SourceUsage {
        let b = self.db.get_database_backend();
        let now = now_ms();
        let window_ms = self.config.window.as_millis() as i64;
        let calls = self
            .db
            .query_one(stmt(
                b,
                "SELECT COUNT(*) AS n FROM rate_limit_calls WHERE account = $1 AND at > $2",
                [self.account.clone().into(), (now - window_ms).into()],
            ))
            .await
            .ok()
            .flatten()
            .and_then(|r| r.try_get::<i64>("", "n").ok())
            .unwrap_or(0);
        let paused = self
            .db
            .query_one(stmt(b, "SELECT until FROM rate_limit_pauses WHERE account = $1", [self.account.clone().into()]))
            .await
            .ok()
            .flatten()
            .and_then(|r| r.try_get::<i64>("", "until").ok())
            .filter(|u| *u > now)
            .map(|u| Duration::from_millis((u - now) as u64));
        SourceUsage { limit: self.config.limit, window: self.config.window, calls_in_window: calls as u32, paused_for: paused }
    }
}
