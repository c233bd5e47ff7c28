//! John Lewis in the demo, over the transport the demo runs on: the simulated Edge REST API, or
//! the simulated Edge's folder tree served by the sandbox's SFTP server. The script and the
//! summary ask it the same questions either way.
use crate::config::{Config, MarketplaceKind};
use crate::domain::edge_files::FileLayout;
use crate::sandbox::call_log::CallRecord;
use crate::sandbox::edge::{self, EdgeSandbox, EdgeSandboxConfig, NewOrder};
use crate::sandbox::edge_files::{EdgeFilesSandbox, FileOrderLine};
use crate::sandbox::faults::{Fault, FaultRule};
use crate::sandbox::sftp_server::{self, SftpServer, SftpServerConfig};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The root The Edge's folders hang below on the SFTP server.
const SFTP_ROOT: &str = "/live";

pub enum JohnLewis {
    Rest(EdgeSandbox),
    Files(FilesSide),
}

/// The simulated Edge as a folder tree behind the in-process SFTP server.
pub struct FilesSide {
    pub server: SftpServer,
    pub edge: EdgeFilesSandbox,
    /// The demo's order ids → order numbers (files carry no numeric id).
    orders: Mutex<HashMap<u64, String>>,
    stop: CancellationToken,
}

impl Drop for FilesSide {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl JohnLewis {
    /// Starts the simulated Edge for `kind`; the SFTP tree lives below `dir`.
    pub async fn start(kind: &MarketplaceKind, dir: &Path) -> anyhow::Result<JohnLewis> {
        Ok(match kind {
            MarketplaceKind::Edge => JohnLewis::Rest(edge::start(EdgeSandboxConfig::default()).await?),
            MarketplaceKind::EdgeSftp => {
                let root = dir.join("sftp");
                let edge = EdgeFilesSandbox::new(root.join(SFTP_ROOT.trim_start_matches('/')), FileLayout::default())?;
                let server = sftp_server::start(SftpServerConfig::new(&root)).await?;
                let stop = CancellationToken::new();
                tokio::spawn(edge.clone().run(Duration::from_millis(500), stop.clone()));
                JohnLewis::Files(FilesSide { server, edge, orders: Mutex::new(HashMap::new()), stop })
            }
        })
    }

    /// Points the service at it.
    pub fn point(&self, c: &mut Config) {
        match self {
            JohnLewis::Rest(edge) => crate::sandbox::point_edge(c, edge),
            JohnLewis::Files(f) => {
                f.server.point_config(c, SFTP_ROOT);
                c.sftp.timeout_secs = 10;
                // A compressed day: stock files every 2 s rather than every minute.
                c.sftp.stock_batch_secs = 2;
            }
        }
    }

    /// A product John Lewis lists, showing `stock`.
    pub fn add_product(&self, part_number: &str, traded_code: Option<&str>, stock: i64) {
        match self {
            JohnLewis::Rest(edge) => {
                edge.add_product(part_number, traded_code, stock);
            }
            JohnLewis::Files(f) => f.edge.set_stock(part_number, stock.max(0) as u32),
        }
    }

    /// A customer order; returns its id.
    pub fn create_order(&self, order: NewOrder) -> anyhow::Result<u64> {
        match self {
            JohnLewis::Rest(edge) => Ok(edge.create_order(order)),
            JohnLewis::Files(f) => {
                let lines: Vec<FileOrderLine> = order
                    .lines
                    .iter()
                    .enumerate()
                    .map(|(i, l)| FileOrderLine {
                        line_ref: l.line_ref.clone().unwrap_or_else(|| (i + 1).to_string()),
                        part_number: l.part_number.clone(),
                        quantity: l.quantity,
                        unit_price: l.unit_price.to_string(),
                    })
                    .collect();
                f.edge.place_order(&order.reference, chrono::Utc::now(), &lines)?;
                let mut orders = f.orders.lock().expect("orders");
                let id = orders.len() as u64 + 1;
                orders.insert(id, order.reference);
                Ok(id)
            }
        }
    }

    /// John Lewis asks to cancel the order; `false` when the transport has no such request
    /// (no cancellation request file exists in John Lewis's SFTP path table).
    pub fn request_cancellation(&self, id: u64) -> bool {
        match self {
            JohnLewis::Rest(edge) => edge.request_cancellation(id, 1).is_ok(),
            JohnLewis::Files(_) => false,
        }
    }

    /// `ORDER`, `ORDER_ACK`, `DISPATCH`, `CANCEL_ACK`, …
    pub fn order_status(&self, id: u64) -> Option<String> {
        match self {
            JohnLewis::Rest(edge) => edge.order_status(id),
            JohnLewis::Files(f) => {
                let number = f.orders.lock().expect("orders").get(&id).cloned()?;
                f.edge.order_status(&number)
            }
        }
    }

    /// What John Lewis shows for a part number.
    pub fn product_stock(&self, part_number: &str) -> Option<i64> {
        match self {
            JohnLewis::Rest(edge) => edge.product_stock(part_number),
            JohnLewis::Files(f) => f.edge.stock(part_number).map(i64::from),
        }
    }

    /// John Lewis goes down (`true`) or comes back: REST answers 503; the SFTP server closes
    /// new connections and fails every request.
    pub fn set_down(&self, down: bool) {
        match (self, down) {
            (JohnLewis::Rest(edge), true) => edge.faults().add(FaultRule::new("/", Fault::Status(503))),
            (JohnLewis::Rest(edge), false) => edge.faults().clear(),
            (JohnLewis::Files(f), down) => f.server.set_down(down),
        }
    }

    /// Every request John Lewis received (HTTP calls, or SFTP operations).
    pub fn calls(&self) -> Vec<CallRecord> {
        match self {
            JohnLewis::Rest(edge) => edge.calls(),
            JohnLewis::Files(f) => f.server.calls(),
        }
    }
}
