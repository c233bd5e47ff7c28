//! Wiring: database, queue, workers, the HTTP and gRPC listeners, graceful shutdown.
use crate::config::Config;
use crate::domain::retry::RetryPolicy;
use crate::store::jobs::{ClaimedJob, JobError, JobHandler, JobKind, Queue, WorkerPool, WorkerPulse};
use crate::alerts::Alerter;
use crate::events::EventBus;
use crate::ops::Ops;
use crate::store;
use crate::sync::orders::{InjectWorker, OrderJobs, OrderPoller, OrdersFlow};
use crate::sync::singleton::{Singleton, ORDER_POLLER_LOCK};
use anyhow::Context;
use async_trait::async_trait;
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// A flow and the settings it still misses (empty = running).
#[derive(Debug, Clone)]
pub struct FlowStatus {
    pub name: String,
    pub missing: Vec<String>,
}

/// What every handler (HTTP, gRPC, workers) shares. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: DatabaseConnection,
    pub queue: Queue,
    pub pulse: WorkerPulse,
    pub flows: Arc<Vec<FlowStatus>>,
    /// Outbound clients, built once (`None` while not configured).
    pub connectors: crate::connectors::Connectors,
    /// Where flows report: exceptions raised/resolved, sync events, retries (`ops::Ops`).
    pub ops: Ops,
    /// Cancelled when the service is asked to stop (ends live streams, background loops).
    pub shutdown: CancellationToken,
    /// The stock flow's handles: wake the pusher, pause it, ask for a full reconciliation.
    pub stock: crate::sync::stock::StockHandles,
}

/// Routes each job kind to the flow that handles it.
#[derive(Default, Clone)]
pub struct Handlers(HashMap<JobKind, Arc<dyn JobHandler>>);

impl Handlers {
    pub fn register(&mut self, handler: Arc<dyn JobHandler>) {
        for kind in handler.kinds() {
            self.0.insert(kind, handler.clone());
        }
    }
}

#[async_trait]
impl JobHandler for Handlers {
    fn kinds(&self) -> Vec<JobKind> {
        let mut k: Vec<JobKind> = self.0.keys().copied().collect();
        k.sort_by_key(|k| k.as_str());
        k
    }
    async fn handle(&self, job: &ClaimedJob) -> Result<(), JobError> {
        match self.0.get(&job.kind) {
            Some(h) => h.handle(job).await,
            None => Err(JobError::retryable(format!("no handler for {} in this process", job.kind))),
        }
    }
}

pub fn retry_policy(config: &Config) -> RetryPolicy {
    RetryPolicy {
        schedule: config.jobs.retry_schedule_secs.iter().map(|s| Duration::from_secs(*s)).collect(),
        jitter: config.jobs.retry_jitter,
        ..RetryPolicy::default()
    }
}

fn flow_statuses(config: &Config) -> Vec<FlowStatus> {
    let text = |v: Vec<crate::config::ConfigError>| v.into_iter().map(|e| e.to_string()).collect::<Vec<_>>();
    let both = |mut a: Vec<String>, b: Vec<String>| {
        a.extend(b);
        a
    };
    let magento = text(config.missing_for_magento());
    let market = text(config.missing_for_marketplace());
    let hooks = text(config.missing_for_webhooks());
    vec![
        FlowStatus { name: "webhooks".into(), missing: hooks },
        FlowStatus { name: "stock".into(), missing: both(magento.clone(), market.clone()) },
        FlowStatus { name: "orders".into(), missing: both(magento.clone(), market.clone()) },
        FlowStatus { name: "shipments".into(), missing: both(magento, market) },
    ]
}

/// The orders flow: its job handler, its batch injector and its poller (a singleton loop).
async fn wire_orders(state: &AppState) -> anyhow::Result<(OrderJobs, InjectWorker, OrderPoller)> {
    let c = &state.config;
    // The shared clients: one rate limiter per account.
    let market = state.connectors.marketplace.clone().context("no marketplace client")?;
    let magento = state.connectors.magento.as_deref().context("no Magento client")?.clone();
    let mut flow = OrdersFlow::new(state.db.clone(), state.queue.clone(), market, magento, c.orders.clone());
    flow.ops = Some(state.ops.clone());
    let flow = Arc::new(flow);
    let singleton = Singleton::new(&state.db, &c.database.url, ORDER_POLLER_LOCK).await.context("order poller lock")?;
    let mut injector = InjectWorker::new(flow.clone());
    injector.observer = Some(Arc::new(state.ops.clone()));
    injector.poll = Duration::from_millis(state.config.jobs.poll_interval_ms);
    Ok((OrderJobs::only(flow.clone(), &OrderJobs::PER_JOB), injector, OrderPoller::new(flow, singleton)))
}

/// A started service: its bound addresses, and the handle to stop it.
pub struct App {
    pub http_addr: SocketAddr,
    pub grpc_addr: SocketAddr,
    pub state: AppState,
    shutdown: CancellationToken,
    tasks: JoinSet<()>,
}

impl App {
    /// Connects, migrates (unless told not to), binds both listeners and starts everything.
    pub async fn start(config: Config) -> anyhow::Result<App> {
        let db = store::connect_with(&config.database, store::Checkpoints::Background)
            .await
            .context("connecting to the database (database.url)")?;
        if config.database.migrate_on_start {
            store::migrate(&db).await.context("applying database migrations")?;
        }
        let queue = Queue::new(db.clone(), retry_policy(&config), Duration::from_secs(config.jobs.lease_secs));
        let flows = flow_statuses(&config);
        for f in flows.iter().filter(|f| !f.missing.is_empty()) {
            warn!(flow = %f.name, "flow is off until configured: {}", f.missing.join("; "));
        }
        let connectors = crate::connectors::build(&config, &db)?;
        crate::observability::handle();
        let shutdown = CancellationToken::new();
        let alerts = Alerter::start(&config.alerts, shutdown.clone());
        let ops = Ops::new(queue.clone(), EventBus::new(), alerts);
        let state = AppState {
            connectors,
            config: Arc::new(config),
            db,
            queue: queue.clone(),
            pulse: WorkerPulse::default(),
            flows: Arc::new(flows),
            ops: ops.clone(),
            shutdown: shutdown.clone(),
            stock: Default::default(),
        };
        let mut tasks = JoinSet::new();
        // SQLite: WAL checkpoints in the background, never inside a commit (no-op on PostgreSQL).
        let checkpoints = store::checkpoint::run(state.db.clone(), Default::default(), shutdown.clone());
        tasks.spawn(checkpoints);
        let gauges = crate::observability::spawn_gauges(queue.clone(), Duration::from_secs(5), shutdown.clone());
        tasks.spawn(async move {
            let _ = gauges.await;
        });
        if let (Some(limiter), true) = (state.connectors.limiter.clone(), state.ops.alerts().enabled()) {
            let a = &state.config.alerts;
            let limits = crate::alerts::starvation::StarvationLimits {
                orders_after: Duration::from_secs(a.starved_order_secs.max(1)),
                stock_after: Duration::from_secs(a.starved_stock_mins.max(1) * 60),
            };
            let watch = crate::alerts::starvation::watch(
                limiter,
                state.ops.alerts().clone(),
                limits,
                Duration::from_secs(5),
                shutdown.clone(),
            );
            tasks.spawn(watch);
        }

        let http = TcpListener::bind(&state.config.http.listen)
            .await
            .with_context(|| format!("binding http.listen {}", state.config.http.listen))?;
        let grpc = TcpListener::bind(&state.config.grpc.listen)
            .await
            .with_context(|| format!("binding grpc.listen {}", state.config.grpc.listen))?;
        let (http_addr, grpc_addr) = (http.local_addr()?, grpc.local_addr()?);

        let router = crate::http::router(state.clone());
        let stop = shutdown.clone();
        tasks.spawn(async move {
            let served = axum::serve(http, router).with_graceful_shutdown(stop.cancelled_owned()).await;
            if let Err(e) = served {
                warn!(error = %e, "http listener stopped");
            }
        });

        let routes = crate::grpc::routes(state.clone()).await;
        let stop = shutdown.clone();
        tasks.spawn(async move {
            let incoming = tokio_stream::wrappers::TcpListenerStream::new(grpc);
            let served = tonic::transport::Server::builder()
                .layer(crate::observability::GrpcMetricsLayer)
                .add_routes(routes)
                .serve_with_incoming_shutdown(incoming, stop.cancelled_owned())
                .await;
            if let Err(e) = served {
                warn!(error = %e, "grpc listener stopped");
            }
        });

        let mut handlers = Handlers::default();
        let orders_on = state.flows.iter().any(|f| f.name == "orders" && f.missing.is_empty());
        if orders_on {
            match wire_orders(&state).await {
                Ok((jobs, injector, poller)) => {
                    handlers.register(Arc::new(jobs));
                    tasks.spawn(injector.run(shutdown.clone()));
                    tasks.spawn(poller.run(shutdown.clone()));
                }
                Err(e) => warn!(error = %e, "orders flow could not start"),
            }
        }
        if let Some(flow) = crate::sync::shipments::wiring::build(&state)? {
            handlers.register(Arc::new(flow.clone()));
            flow.spawn_schedulers(&mut tasks, &shutdown);
        }
        crate::sync::stock::wiring::start(&state, &mut handlers, &mut tasks, &shutdown).await?;
        if let Some(dir) = state.config.finance.inbox_dir.clone() {
            let f = &state.config.finance;
            info!(inbox = %dir, "sales report inbox watched");
            tasks.spawn(crate::sync::finance::inbox::run(
                state.db.clone(),
                state.ops.clone(),
                dir.into(),
                Duration::from_secs(f.poll_secs.max(1)),
                f.currency(),
                shutdown.clone(),
            ));
        }
        let mut pool = WorkerPool::new(
            queue,
            Arc::new(handlers),
            state.config.jobs.workers,
            Duration::from_millis(state.config.jobs.poll_interval_ms),
        );
        pool.pulse = state.pulse.clone();
        pool.observer = Some(Arc::new(ops));
        let stop = shutdown.clone();
        tasks.spawn(pool.run(stop));

        info!(%http_addr, %grpc_addr, "jlbridge serving");
        Ok(App { http_addr, grpc_addr, state, shutdown, tasks })
    }

    /// A token that stops the service when cancelled.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Waits until shutdown is asked for, then until every task has finished.
    pub async fn wait(mut self) {
        self.shutdown.cancelled().await;
        while self.tasks.join_next().await.is_some() {}
        info!("jlbridge stopped");
    }

    /// Asks everything to stop and waits for it.
    pub async fn stop(self) {
        self.shutdown.cancel();
        self.wait().await;
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
