//! Gauges read from the database on a timer: queue depth by state, open exceptions by kind.
//! Counted in the database, so every replica reports the shared truth.
use crate::domain::exception::ExceptionKind;
use crate::store::jobs::Queue;
use crate::store::stmt;
use sea_orm::{ConnectionTrait, DbErr};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

async fn update(queue: &Queue) -> Result<(), DbErr> {
    let depth = queue.depth().await?;
    metrics::gauge!("jlbridge_jobs", "state" => "queued").set(depth.queued as f64);
    metrics::gauge!("jlbridge_jobs", "state" => "running").set(depth.running as f64);
    metrics::gauge!("jlbridge_jobs", "state" => "dead").set(depth.dead as f64);
    let db = queue.db();
    let rows = db
        .query_all(stmt(
            db.get_database_backend(),
            "SELECT kind, COUNT(*) AS n FROM exceptions WHERE status IN ('open', 'retrying') GROUP BY kind",
            [],
        ))
        .await?;
    let mut counts = std::collections::HashMap::new();
    for r in rows {
        counts.insert(r.try_get::<String>("", "kind")?, r.try_get::<i64>("", "n")?);
    }
    for kind in ExceptionKind::ALL {
        let n = counts.get(kind.as_str()).copied().unwrap_or(0);
        metrics::gauge!("jlbridge_exceptions_open", "kind" => kind.as_str()).set(n as f64);
    }
    Ok(())
}

/// Updates the gauges now and then every `every`, and runs the exporter's upkeep.
pub fn spawn_gauges(queue: Queue, every: Duration, stop: CancellationToken) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let handle = super::handle();
        loop {
            if let Err(e) = update(&queue).await {
                tracing::debug!(error = %e, "updating queue gauges failed");
            }
            handle.run_upkeep();
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.cancelled() => break,
            }
        }
    })
}
