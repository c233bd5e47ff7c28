//! A rig for the orders flow: the Edge and Magento sandboxes, a database, the flow, its
//! poller and worker pools that can be stopped ("crash") and started again.
#![allow(dead_code)]
use crate::support::*;
use jlbridge::config::{DatabaseConfig, OrdersConfig};
use jlbridge::domain::order::PartNumber;
use jlbridge::domain::retry::RetryPolicy;
use jlbridge::magento::MagentoClient;
use jlbridge::marketplace::edge::{EdgeConfig, EdgeMarketplace};
use jlbridge::marketplace::rate_limit::{RateLimitConfig, RateLimiter};
use jlbridge::sandbox::edge::{self, EdgeSandbox, EdgeSandboxConfig, NewOrder};
use jlbridge::sandbox::magento::MagentoSandbox;
use jlbridge::store::jobs::{JobKind, Queue, WorkerPool};
use jlbridge::store::{self, mapping};
use jlbridge::sync::orders::{FaultHook, InjectWorker, OrderJobs, OrderPoller, OrdersFlow};
use jlbridge::sync::singleton::{Singleton, ORDER_POLLER_LOCK};
use rust_decimal::Decimal;
use sea_orm::DatabaseConnection;
use secrecy::SecretString;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub struct Rig {
    pub edge: EdgeSandbox,
    pub magento: MagentoSandbox,
    pub db_cfg: DatabaseConfig,
    pub db: DatabaseConnection,
    pub queue: Queue,
    pub jl: Arc<EdgeMarketplace>,
    pub config: OrdersConfig,
    _dir: Option<tempfile::TempDir>,
}

pub fn part(i: usize) -> String {
    format!("{:08}", 58_000_000 + i)
}
pub fn sku(i: usize) -> String {
    format!("SKU-{i:04}")
}

/// An order of `lines` lines on products 0, 1, … with a phone (Magento needs one).
pub fn new_order(reference: &str, lines: usize) -> NewOrder {
    let mut o = NewOrder::new(reference);
    o.ship_to.phone = Some("07700 900123".into());
    for i in 0..lines {
        o = o.line(&part(i), 1 + i as u32, "9.99");
    }
    o
}

pub async fn sqlite_rig(products: usize) -> Rig {
    let (cfg, dir) = sqlite_config();
    rig(cfg, Some(dir), products, Duration::from_secs(3)).await
}

pub async fn postgres_rig(admin: &str, products: usize) -> Rig {
    let cfg = fresh_postgres(admin).await;
    rig(cfg, None, products, Duration::from_secs(60)).await
}

/// For volume tests: leases long enough that a loaded machine never loses one mid-job.
pub async fn sqlite_volume_rig(products: usize) -> Rig {
    let (cfg, dir) = sqlite_config();
    rig(cfg, Some(dir), products, Duration::from_secs(60)).await
}

/// `products` mapped products (part `5800000i` ↔ `SKU-000i`) in both sandboxes. Job and order
/// leases last `lease` (short, so a "crashed" holder is taken over quickly).
pub async fn rig(db_cfg: DatabaseConfig, dir: Option<tempfile::TempDir>, products: usize, lease: Duration) -> Rig {
    let edge = edge::start(EdgeSandboxConfig { rate_limit: 1_000_000, default_page_size: 50, ..Default::default() }).await.unwrap();
    let magento = MagentoSandbox::start().await.unwrap();
    let mut rows = Vec::new();
    for i in 0..products {
        edge.add_product(&part(i), Some(&sku(i)), 100);
        magento.add_product(&sku(i), &format!("Item {i}"), Decimal::new(999, 2));
        magento.set_source_qty(&sku(i), "default", Decimal::from(100_000));
        rows.push(mapping::MappingRow { sku: sku(i), part_number: PartNumber(part(i)), extra: None });
    }
    let db = store::connect(&db_cfg).await.unwrap();
    store::migrate(&db).await.unwrap();
    mapping::import(&db, &rows).await.unwrap();
    let policy = RetryPolicy { schedule: vec![Duration::from_millis(100); 20], jitter: 0.0, ..RetryPolicy::default() };
    let queue = Queue::new(db.clone(), policy, lease);
    let mut ecfg = EdgeConfig::new(edge.base_url(), edge.config().username.clone(), SecretString::from(edge.config().password.clone()));
    ecfg.request_timeout = Duration::from_secs(10);
    ecfg.page_size = 50;
    let jl = Arc::new(EdgeMarketplace::new(ecfg, RateLimiter::new(RateLimitConfig::per_minute(1_000_000))).unwrap());
    let config = OrdersConfig { poll_interval_secs: 1, ..OrdersConfig::default() };
    Rig { edge, magento, db_cfg, db, queue, jl, config, _dir: dir }
}

impl Rig {
    /// A flow as one process would build it (a restart builds a new one).
    pub fn flow(&self, hook: Option<FaultHook>) -> Arc<OrdersFlow> {
        let client = MagentoClient::new(self.magento.client_config()).unwrap();
        let mut f = OrdersFlow::new(self.db.clone(), self.queue.clone(), self.jl.clone(), client, self.config.clone());
        f.fault_hook = hook;
        Arc::new(f)
    }

    pub async fn poller(&self, flow: Arc<OrdersFlow>) -> OrderPoller {
        let singleton = Singleton::new(&self.db, &self.db_cfg.url, ORDER_POLLER_LOCK).await.unwrap();
        OrderPoller::new(flow, singleton)
    }

    /// Starts workers running `kinds` of the order jobs, as the service does: a worker pool
    /// for the per-job kinds, and the batch injector when `order.inject` is among them.
    pub fn workers(&self, flow: Arc<OrdersFlow>, kinds: &[JobKind], concurrency: usize) -> Workers {
        self.workers_on(self.queue.clone(), flow, kinds, concurrency)
    }

    pub fn workers_on(&self, queue: Queue, flow: Arc<OrdersFlow>, kinds: &[JobKind], concurrency: usize) -> Workers {
        let stop = CancellationToken::new();
        let mut tasks = Vec::new();
        let per_job: Vec<JobKind> = kinds.iter().copied().filter(|k| *k != JobKind::OrderInject).collect();
        if kinds.contains(&JobKind::OrderInject) {
            let mut injector = InjectWorker::new(flow.clone());
            injector.poll = Duration::from_millis(20);
            injector.grace = Duration::from_millis(100);
            tasks.push(tokio::spawn(injector.run(stop.clone())));
        }
        if !per_job.is_empty() {
            let handler = Arc::new(OrderJobs::only(flow, &per_job));
            let mut pool = WorkerPool::new(queue, handler, concurrency, Duration::from_millis(20));
            pool.grace = Duration::from_millis(100);
            tasks.push(tokio::spawn(pool.run(stop.clone())));
        }
        Workers { stop, tasks }
    }

    /// Waits until no job is queued or running (up to `secs`).
    pub async fn idle(&self, secs: u64) -> bool {
        eventually(secs, || async {
            // A busy database may time out a read: not idle yet.
            self.queue.depth().await.is_ok_and(|d| d.queued == 0 && d.running == 0)
        })
        .await
    }

    /// Magento orders carrying this John Lewis reference.
    pub fn magento_copies(&self, reference: &str) -> usize {
        self.magento.orders_with_ext_id(reference).len()
    }
}

pub struct Workers {
    pub stop: CancellationToken,
    pub tasks: Vec<JoinHandle<()>>,
}

impl Workers {
    pub async fn shutdown(self) {
        self.stop.cancel();
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

pub const ALL: [JobKind; 4] = OrderJobs::ALL;
