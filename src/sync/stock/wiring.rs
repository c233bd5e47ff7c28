//! Starts the stock flow inside `App::start`: the observations (always: those carrying a
//! quantity need nothing else; `stock.observed` by the batch, `price.observed` in the worker
//! pool), and — when both Magento and the marketplace are configured — the pusher (singleton)
//! and the reconciliation schedule.
use super::leader::{Leadership, PUSHER_LOCK};
use super::observe::StockObserver;
use super::observe_batch::ObserveBatchWorker;
use super::pusher::{Pusher, PusherSettings};
use super::reconcile::{ReconcileSettings, Reconciler};
use super::signal::StockSignal;
use crate::app::{AppState, Handlers};
use sea_orm::ConnectionTrait;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Handles other parts of the service use: wake the pusher, ask for a full reconciliation.
#[derive(Clone, Default)]
pub struct StockHandles {
    pub signal: StockSignal,
    pub reconcile: Arc<Notify>,
    /// Holds the pusher (e.g. while a go-live import settles); values keep coalescing.
    pub paused: Arc<AtomicBool>,
}

impl StockHandles {
    /// Asks for a full reconciliation now (`StockService.TriggerFullSync`).
    pub fn trigger_full_sync(&self) {
        self.reconcile.notify_one();
    }
    pub fn pause_pushes(&self) {
        self.paused.store(true, Ordering::Relaxed);
    }
    pub fn resume_pushes(&self) {
        self.paused.store(false, Ordering::Relaxed);
        self.signal.bump();
    }
}

pub async fn start(
    state: &AppState,
    handlers: &mut Handlers,
    tasks: &mut JoinSet<()>,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    let config = &state.config;
    let rules = Arc::new(config.stock.buffer.clone());
    let observer = Arc::new(StockObserver {
        db: state.db.clone(),
        rules: rules.clone(),
        magento: state.connectors.magento.clone(),
        stock_id: config.magento.stock_id,
        signal: state.stock.signal.clone(),
        ops: state.ops.clone(),
    });
    handlers.register(observer.clone());
    let mut batch = ObserveBatchWorker::new(
        observer,
        state.queue.clone(),
        config.jobs.workers,
        Duration::from_millis(config.jobs.poll_interval_ms),
    );
    batch.reporter = Some(Arc::new(state.ops.clone()));
    tasks.spawn(batch.run(shutdown.clone()));
    let (Some(magento), Some(market)) = (state.connectors.magento.clone(), state.connectors.marketplace.clone()) else {
        return Ok(());
    };
    let leader = Leadership::new(&config.database, state.db.get_database_backend(), PUSHER_LOCK).await?;
    let pusher = Pusher {
        db: state.db.clone(),
        market: market.clone(),
        settings: PusherSettings::from_config(config),
        signal: state.stock.signal.clone(),
        paused: state.stock.paused.clone(),
        ops: state.ops.clone(),
    };
    tasks.spawn(pusher.run(leader, shutdown.clone()));
    let reconciler = Reconciler {
        db: state.db.clone(),
        magento,
        market,
        rules,
        settings: ReconcileSettings {
            stock_id: config.magento.stock_id,
            page_size: config.stock.magento_page_size as usize,
            concurrency: 8,
            drift_threshold: config.stock.drift_threshold,
        },
        signal: state.stock.signal.clone(),
        ops: state.ops.clone(),
    };
    let interval = (config.stock.reconcile_interval_secs > 0).then(|| Duration::from_secs(config.stock.reconcile_interval_secs));
    tasks.spawn(reconciler.schedule(interval, state.stock.reconcile.clone(), shutdown.clone()));
    tracing::info!("stock flow started: pusher and reconciliation");
    Ok(())
}
