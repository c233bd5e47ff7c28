//! Set-up for the shipments tests: the simulated Edge (an acknowledged John Lewis order) and
//! the simulated Magento (the same order injected), and jlbridge serving against both.
#![allow(dead_code)]
use crate::edge_support::ack_lines;
use crate::magento_support::{dec, draft, seeded};
use crate::support::{eventually, sqlite_config};
use crate::webhook_support::{secret, KEY_A};
use jlbridge::app::App;
use jlbridge::config::{Config, DatabaseConfig, StringList};
use jlbridge::domain::order::{MarketplaceOrderId, PartNumber};
use jlbridge::store::mapping;
use jlbridge::magento::MagentoClient;
use jlbridge::marketplace::edge::{EdgeConfig, EdgeMarketplace};
use jlbridge::marketplace::rate_limit::{RateLimitConfig, RateLimiter};
use jlbridge::marketplace::Marketplace;
use jlbridge::sandbox::edge::{self, EdgeSandbox, EdgeSandboxConfig, NewOrder};
use jlbridge::sandbox::magento::MagentoSandbox;
use jlbridge::store::entities::exception;
use jlbridge::sync::shipments::ShipmentsFlow;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use secrecy::SecretString;
use std::time::Duration;

pub const REF: &str = "JL000123";
pub const FULL_REF: &str = "JL000777";
pub const DEFAULT_MAP: &[&str] = &["Royal Mail*=royal-mail", "dpd=dpd"];

pub struct ShipRig {
    pub edge: EdgeSandbox,
    pub magento: MagentoSandbox,
    pub magento_client: MagentoClient,
    pub edge_order: u64,
    pub magento_order: i64,
    pub db: DatabaseConfig,
    pub app: Option<App>,
    _dir: tempfile::TempDir,
}

/// Both sandboxes with order `REF` (line 1: SHIRT-M ×2, part 58000128; line 2: SHIRT-L ×1,
/// part 58000129); acknowledged on the Edge when `acknowledged`.
pub async fn rig(acknowledged: bool) -> ShipRig {
    rig_on(acknowledged, None).await
}

/// As `rig`, on the given database (PostgreSQL tests).
pub async fn rig_on(acknowledged: bool, db: Option<DatabaseConfig>) -> ShipRig {
    let edge = edge::start(EdgeSandboxConfig::default()).await.expect("edge sandbox");
    edge.add_product("58000128", Some("SHIRT-M"), 10);
    edge.add_product("58000129", Some("SHIRT-L"), 5);
    let edge_order = edge.create_order(NewOrder::new(REF).line("58000128", 2, "24.99").line("58000129", 1, "30.00"));
    if acknowledged {
        let client = edge_client(&edge);
        let id = MarketplaceOrderId(edge_order.to_string());
        let o = client.get_order(&id).await.unwrap();
        client.acknowledge(&id, &ack_lines(&o)).await.unwrap();
    }
    let (magento, magento_client) = seeded().await;
    let magento_order = magento_client.create_order_once(&draft(REF)).await.unwrap().order().entity_id;
    let (sqlite, dir) = sqlite_config();
    let db = db.unwrap_or(sqlite);
    ShipRig { edge, magento, magento_client, edge_order, magento_order, db, app: None, _dir: dir }
}

/// Both sandboxes and order `FULL_REF` in `ORDER` on the Edge only, with the SKU mapping
/// imported: the orders flow acknowledges it and injects it into Magento.
pub async fn rig_full() -> ShipRig {
    let edge = edge::start(EdgeSandboxConfig::default()).await.expect("edge sandbox");
    edge.add_product("58000128", Some("SHIRT-M"), 10);
    edge.add_product("58000129", Some("SHIRT-L"), 5);
    let mut order = NewOrder::new(FULL_REF).line("58000128", 2, "24.99").line("58000129", 1, "30.00");
    order.ship_to.phone = Some("07700 900123".into());
    let edge_order = edge.create_order(order);
    let (magento, magento_client) = seeded().await;
    let (db, dir) = sqlite_config();
    let conn = jlbridge::store::connect(&db).await.unwrap();
    jlbridge::store::migrate(&conn).await.unwrap();
    let rows = [("SHIRT-M", "58000128"), ("SHIRT-L", "58000129")]
        .map(|(s, p)| mapping::MappingRow { sku: s.into(), part_number: PartNumber(p.into()), extra: None });
    mapping::import(&conn, &rows).await.unwrap();
    ShipRig { edge, magento, magento_client, edge_order, magento_order: 0, db, app: None, _dir: dir }
}

pub fn edge_client(sb: &EdgeSandbox) -> EdgeMarketplace {
    let mut cfg = EdgeConfig::new(sb.base_url(), sb.config().username.clone(), SecretString::from(sb.config().password.clone()));
    cfg.request_timeout = Duration::from_secs(5);
    EdgeMarketplace::new(cfg, RateLimiter::new(RateLimitConfig::default())).unwrap()
}

impl ShipRig {
    pub fn config(&self, map: &[&str]) -> Config {
        let mut c = Config { database: self.db.clone(), ..Config::default() };
        c.http.listen = "127.0.0.1:0".into();
        c.grpc.listen = "127.0.0.1:0".into();
        c.webhooks.secrets = StringList(vec![secret(KEY_A)]);
        jlbridge::sandbox::point_config(&mut c, &self.edge, &self.magento);
        c.magento.timeout_secs = 5;
        c.edge.timeout_secs = 5;
        c.carriers.map = StringList(map.iter().map(|s| s.to_string()).collect());
        c.shipments.catch_up_interval_secs = 0;
        c.shipments.watchdog_interval_secs = 0;
        c.shipments.carrier_check_interval_secs = 0;
        c.shipments.wait_retry_secs = 1;
        c.shipments.tracking_urls.insert("royal-mail".into(), "https://track.example/rm/{tracking}".into());
        c.orders.poll_interval_secs = 1;
        c.jobs.retry_schedule_secs = vec![0; 40];
        c.jobs.retry_jitter = 0.0;
        c.jobs.poll_interval_ms = 50;
        c
    }

    /// Starts jlbridge; Magento's webhooks go to it when `webhooks` is set.
    pub async fn start(&mut self, map: &[&str], webhooks: bool) {
        self.start_with(self.config(map), webhooks).await
    }

    pub async fn start_with(&mut self, config: Config, webhooks: bool) {
        let app = App::start(config).await.expect("service starts");
        if webhooks {
            let url = format!("http://{}/webhooks/magento", app.http_addr);
            self.magento.set_webhook_target(&url, &secret(KEY_A));
        }
        self.app = Some(app);
    }

    pub async fn stop(&mut self) {
        if let Some(app) = self.app.take() {
            app.stop().await;
        }
    }

    pub fn app(&self) -> &App {
        self.app.as_ref().expect("started")
    }

    /// A second handle on the running service's flow (same database and sandboxes).
    pub fn flow(&self) -> ShipmentsFlow {
        jlbridge::sync::shipments::wiring::build(&self.app().state).unwrap().expect("shipments flow configured")
    }

    pub fn ship(&self, lines: &[(&str, &str)], tracks: &[(&str, &str, &str)]) -> i64 {
        let lines: Vec<(&str, rust_decimal::Decimal)> = lines.iter().map(|(s, q)| (*s, dec(q))).collect();
        self.magento.ship(self.magento_order, &lines, tracks, "default").expect("ships")
    }

    pub fn line(&self, line_ref: &str) -> jlbridge::sandbox::edge::state::Line {
        self.edge.order(self.edge_order).unwrap().lines.into_iter().find(|l| l.line_ref == line_ref).unwrap()
    }

    /// Dispatch calls The Edge accepted.
    pub fn dispatches_accepted(&self) -> usize {
        self.edge.calls().iter().filter(|c| c.method == "POST" && c.path.ends_with("/dispatch/") && c.status < 300).count()
    }

    pub async fn line_dispatched(&self, line_ref: &str, secs: u64) -> bool {
        eventually(secs, || async { self.line(line_ref).status == "DISPATCH" }).await
    }

    pub async fn exceptions(&self, kind: &str) -> Vec<exception::Model> {
        exception::Entity::find().filter(exception::Column::Kind.eq(kind)).all(&self.app().state.db).await.unwrap()
    }
}
