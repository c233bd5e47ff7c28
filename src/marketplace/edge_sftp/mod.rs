//! The Edge over SFTP: the flat-file adapter behind the same port as the REST one
//! (`reference/jl-edge.md` §2.1, §4–§8). File formats are pure (`domain::edge_files`); this
//! module moves them and keeps the adapter's tables (`store`).
//!
//! * Orders in: `incoming/order-<stamp>.txt` is read only once its `.DONE` partner exists; a
//!   good file becomes an order (one row per `order_number`, one per file name: never imported
//!   twice); a bad one (checksum mismatch, malformed) is moved to `quarantine/` with its marker,
//!   never deleted, and opens `poll_failed` naming the file and the problem.
//! * The status the flows read back (`get_order`, `list_orders`) is the one this adapter's own
//!   updates gave the order: the files carry no status from The Edge.
//! * Updates out (acknowledgement, backorder, cancellation ack, dispatch, post-dispatch
//!   cancellation): the file in `outgoing/`, then its `.DONE` marker. Each update's file name is
//!   chosen once and recorded before the upload (keyed by kind, order and content), so a retry
//!   after a dropped connection rewrites the same file and marker: no duplicate, no loss.
//! * Stock: `update_stock` records the value (durably, newest wins); every `stock_batch` the
//!   waiting values go out as one `inventory-<stamp>.csv`, written in one go under its final name
//!   (no temporary name: The Edge reads it as soon as it lands). An interrupted file is
//!   completed under the same name before the next one.
//! * Stock errors: new files in `inventory/errors/` become `marketplace_rejected` exceptions
//!   naming each part number (and its SKU when mapped).
pub mod client;
mod store;

pub use client::{SftpAuth, SftpClient, SftpSettings};

use crate::domain::edge_files::{self, FileLayout, StockRow};
use crate::domain::exception::ExceptionKind;
use crate::domain::order::{MarketplaceOrder, MarketplaceOrderId, OrderStatus, PartNumber};
use crate::marketplace::{
    AckLine, BackorderLine, CancelLine, Carrier, DispatchLine, Marketplace, MarketplaceError, MarketplaceProduct, MarketplaceReturn, ProductId,
    Result, ReturnLine,
};
use crate::store::exceptions::{self, NewException};
use async_trait::async_trait;
use chrono::Utc;
use sea_orm::{DatabaseConnection, DbErr};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tracing::{info, warn};

/// Folder names below the `/live` or `/uat` root.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Folders {
    pub incoming: String,
    pub outgoing: String,
    /// The User Guide writes `/live/inventory`, the Stock page `/Inventory` (❓ case).
    pub inventory: String,
    pub inventory_errors: String,
    /// Ours: where bad order files are moved (never deleted).
    pub quarantine: String,
}

impl Default for Folders {
    fn default() -> Self {
        Folders {
            incoming: "incoming".into(),
            outgoing: "outgoing".into(),
            inventory: "inventory".into(),
            inventory_errors: "inventory/errors".into(),
            quarantine: "quarantine".into(),
        }
    }
}

/// What the adapter needs besides the connection.
#[derive(Debug, Clone)]
pub struct EdgeSftpOptions {
    pub layout: FileLayout,
    pub folders: Folders,
    /// Stock values waiting this long at most before their inventory file is written.
    pub stock_batch: Duration,
    /// `current_lead_time_to_delivery_in_days` sent with every stock row, when set.
    pub lead_time_days: Option<u32>,
    /// Send the Magento SKU as `tradedCode` (when it fits Text(20)).
    pub traded_code_from_sku: bool,
    /// Carrier slugs John Lewis gave (no carriers list exists over SFTP).
    pub carriers: Vec<String>,
}

impl Default for EdgeSftpOptions {
    fn default() -> Self {
        EdgeSftpOptions {
            layout: FileLayout::default(),
            folders: Folders::default(),
            stock_batch: Duration::from_secs(60),
            lead_time_days: None,
            traded_code_from_sku: true,
            carriers: Vec::new(),
        }
    }
}

struct Inner {
    client: SftpClient,
    db: DatabaseConnection,
    opts: EdgeSftpOptions,
    flusher: AtomicBool,
    /// One stock file at a time; one update upload at a time.
    stock_lock: tokio::sync::Mutex<()>,
    incoming_lock: tokio::sync::Mutex<()>,
}

/// The adapter. Cheap to clone.
#[derive(Clone)]
pub struct EdgeSftpMarketplace {
    inner: Arc<Inner>,
}

fn db_err(e: DbErr) -> MarketplaceError {
    MarketplaceError::Transport { message: format!("database: {e}"), timeout: false }
}

fn not_found(id: &MarketplaceOrderId) -> MarketplaceError {
    MarketplaceError::Http { status: 404, code: Some("ORDER_NOT_FOUND".into()), message: format!("no order {id} was imported from the SFTP files"), retry_after: None }
}

/// What one look at `incoming/` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub imported: Vec<String>,
    pub duplicates: Vec<String>,
    pub quarantined: Vec<String>,
    /// Order files whose `.DONE` marker is not there yet.
    pub waiting: Vec<String>,
}

impl EdgeSftpMarketplace {
    pub fn new(settings: SftpSettings, opts: EdgeSftpOptions, db: DatabaseConnection) -> Result<Self> {
        let client = SftpClient::new(settings)?;
        Ok(EdgeSftpMarketplace {
            inner: Arc::new(Inner {
                client,
                db,
                opts,
                flusher: AtomicBool::new(false),
                stock_lock: tokio::sync::Mutex::new(()),
                incoming_lock: tokio::sync::Mutex::new(()),
            }),
        })
    }

    pub fn client(&self) -> &SftpClient {
        &self.inner.client
    }

    /// Reads every complete new order file in `incoming/`.
    pub async fn import_incoming(&self) -> Result<ImportReport> {
        let i = &self.inner;
        let _one = i.incoming_lock.lock().await;
        let (layout, folder) = (&i.opts.layout, i.opts.folders.incoming.as_str());
        let names = i.client.list(folder).await?;
        let mut report = ImportReport::default();
        for name in names.iter().filter(|n| layout.is_order_file(n)) {
            let marker = layout.done_name(name);
            if !names.contains(&marker) {
                report.waiting.push(name.clone());
                continue;
            }
            if let Some(row) = store::file(&i.db, folder, name).await.map_err(db_err)? {
                if row.status == "quarantined" {
                    // Recorded, but the move did not finish last time.
                    self.move_to_quarantine(name, &marker).await?;
                }
                continue;
            }
            let bytes = i.client.read(folder, name).await?;
            let fallback = layout.order_file_stamp(name).unwrap_or_else(Utc::now);
            let parsed = match String::from_utf8(bytes) {
                Ok(text) => edge_files::parse_order_file(&text, layout, fallback).map_err(|p| p.to_string()),
                Err(_) => Err("malformed order file: not UTF-8 text".to_owned()),
            };
            match parsed {
                Ok(order) => match store::import_order(&i.db, folder, name, &order).await.map_err(db_err)? {
                    Ok(()) => {
                        info!(file = %name, order = %order.reference, "order file imported");
                        report.imported.push(name.clone());
                    }
                    Err(why) => {
                        warn!(file = %name, "order file skipped: {why}");
                        report.duplicates.push(name.clone());
                    }
                },
                Err(problem) => {
                    self.quarantine(name, &marker, &problem).await?;
                    report.quarantined.push(name.clone());
                }
            }
        }
        Ok(report)
    }

    async fn quarantine(&self, name: &str, marker: &str, problem: &str) -> Result<()> {
        let i = &self.inner;
        let folder = i.opts.folders.incoming.as_str();
        let new = store::NewFile { folder, name, direction: "in", key: None, order_number: None, status: "quarantined", problem: Some(problem), body: None, meta: None };
        store::insert_file(&i.db, &new).await.map_err(db_err)?;
        let entity = format!("{folder}/{name}");
        let msg = format!("order file {folder}/{name} quarantined to {}/: {problem}", i.opts.folders.quarantine);
        warn!("{msg}");
        let e = NewException::new(ExceptionKind::PollFailed, entity, msg).with_detail(serde_json::json!({ "file": name, "problem": problem }));
        exceptions::raise(&i.db, &e).await.map_err(db_err)?;
        self.move_to_quarantine(name, marker).await
    }

    async fn move_to_quarantine(&self, name: &str, marker: &str) -> Result<()> {
        let i = &self.inner;
        let (from, to) = (i.opts.folders.incoming.as_str(), i.opts.folders.quarantine.as_str());
        i.client.ensure_folder(to).await?;
        for n in [name, marker] {
            if i.client.exists(from, n).await? {
                i.client.rename(from, n, to).await?;
            }
        }
        Ok(())
    }

    /// Reads new stock error files and opens an exception per part number they name.
    pub async fn read_stock_errors(&self) -> Result<usize> {
        let i = &self.inner;
        let folder = i.opts.folders.inventory_errors.as_str();
        let mut read = 0;
        for name in i.client.list(folder).await? {
            if store::file(&i.db, folder, &name).await.map_err(db_err)?.is_some() {
                continue;
            }
            let text = String::from_utf8_lossy(&i.client.read(folder, &name).await?).into_owned();
            let parts = edge_files::error_file_part_numbers(&text);
            for pn in &parts {
                let line = text.lines().find(|l| l.contains(pn.as_str())).unwrap_or("").chars().take(300).collect::<String>();
                let sku = crate::store::mapping::by_part_number(&i.db, pn).await.map_err(db_err)?.map(|m| m.sku);
                let entity = sku.clone().unwrap_or_else(|| pn.clone());
                let msg = format!(
                    "John Lewis rejected the stock row for part number {pn}{} (error file {folder}/{name}): {line}",
                    sku.as_deref().map(|s| format!(" (SKU {s})")).unwrap_or_default()
                );
                let e = NewException::new(ExceptionKind::MarketplaceRejected, entity, msg)
                    .with_detail(serde_json::json!({ "part_number": pn, "sku": sku, "file": name }));
                exceptions::raise(&i.db, &e).await.map_err(db_err)?;
            }
            if parts.is_empty() {
                let msg = format!("stock error file {folder}/{name} names no part number: {}", text.chars().take(300).collect::<String>());
                exceptions::raise(&i.db, &NewException::new(ExceptionKind::MarketplaceRejected, format!("{folder}/{name}"), msg)).await.map_err(db_err)?;
            }
            let parts_json = serde_json::to_string(&parts).expect("list serialises");
            let row = store::NewFile { folder, name: &name, direction: "in", key: None, order_number: None, status: "read", problem: None, body: Some(&text), meta: Some(&parts_json) };
            store::insert_file(&i.db, &row).await.map_err(db_err)?;
            read += 1;
        }
        Ok(read)
    }

    /// Writes one update file and its marker to `outgoing/`, once per (kind, order, content).
    async fn send_update(&self, kind: &str, template: &str, order: &str, body: String) -> Result<String> {
        let i = &self.inner;
        let folder = i.opts.folders.outgoing.as_str();
        let hash = hex(&Sha256::digest(body.as_bytes())[..12]);
        let key = format!("{kind}:{order}:{hash}");
        let row = match store::by_key(&i.db, &key).await.map_err(db_err)? {
            Some(r) => r,
            None => {
                let mut at = Utc::now();
                loop {
                    let name = edge_files::file_name(template, at);
                    let new = store::NewFile { folder, name: &name, direction: "out", key: Some(&key), order_number: Some(order), status: "pending", problem: None, body: Some(&body), meta: None };
                    // Inserted, or another call with the same key won the race: either way the
                    // row is there now. Otherwise the name was taken: the next microsecond.
                    if store::insert_file(&i.db, &new).await.map_err(db_err)? || store::by_key(&i.db, &key).await.map_err(db_err)?.is_some() {
                        break;
                    }
                    at += chrono::Duration::microseconds(1);
                }
                store::by_key(&i.db, &key).await.map_err(db_err)?.expect("just inserted")
            }
        };
        if row.status == "sent" {
            return Ok(row.name);
        }
        i.client.write(folder, &row.name, row.body.as_deref().unwrap_or("").as_bytes()).await?;
        i.client.write(folder, &i.opts.layout.done_name(&row.name), b"").await?;
        store::set_file_status(&i.db, row.id, "sent").await.map_err(db_err)?;
        info!(file = %row.name, order, kind, "update file written");
        Ok(row.name)
    }

    async fn order(&self, id: &MarketplaceOrderId) -> Result<MarketplaceOrder> {
        store::order(&self.inner.db, &id.0).await.map_err(db_err)?.map(|(_, o)| o).ok_or_else(|| not_found(id))
    }

    async fn set_status(&self, mut o: MarketplaceOrder, status: OrderStatus, lines: &[&str]) -> Result<()> {
        o.status = status.clone();
        for l in o.lines.iter_mut().filter(|l| lines.contains(&l.line_ref.as_str())) {
            l.status = status.clone();
        }
        store::save_order(&self.inner.db, &o).await.map_err(db_err)
    }

    /// Writes the waiting stock values as one inventory file (first completing an interrupted
    /// one). Returns the file written, if any.
    pub async fn flush_stock(&self) -> Result<Option<String>> {
        let i = &self.inner;
        let _one = i.stock_lock.lock().await;
        let folder = i.opts.folders.inventory.as_str();
        let mut written = None;
        // An interrupted file first, under its own name and with its own content.
        if let Some(row) = store::unsent(&i.db, folder).await.map_err(db_err)? {
            self.write_stock_file(&row).await?;
            written = Some(row.name);
        }
        let waiting = store::stock_waiting(&i.db).await.map_err(db_err)?;
        if waiting.is_empty() {
            return Ok(written);
        }
        let mut rows = Vec::new();
        for (pn, qty, _) in &waiting {
            let sku = if i.opts.traded_code_from_sku {
                crate::store::mapping::by_part_number(&i.db, pn).await.map_err(db_err)?.map(|m| m.sku).filter(|s| s.chars().count() <= 20)
            } else {
                None
            };
            rows.push(StockRow { part_number: PartNumber(pn.clone()), traded_code: sku, lead_time_days: i.opts.lead_time_days, quantity: (*qty).clamp(0, u32::MAX as i64) as u32 });
        }
        let body = edge_files::render_inventory(&i.opts.layout, &rows);
        let meta = serde_json::to_string(&waiting.iter().map(|(p, _, v)| (p.clone(), *v)).collect::<Vec<_>>()).expect("serialises");
        let mut at = Utc::now();
        let row = loop {
            let name = edge_files::file_name(&i.opts.layout.inventory_name, at);
            let new = store::NewFile { folder, name: &name, direction: "out", key: None, order_number: None, status: "pending", problem: None, body: Some(&body), meta: Some(&meta) };
            if store::insert_file(&i.db, &new).await.map_err(db_err)? {
                break store::file(&i.db, folder, &name).await.map_err(db_err)?.expect("just inserted");
            }
            at += chrono::Duration::microseconds(1);
        };
        self.write_stock_file(&row).await?;
        Ok(Some(row.name))
    }

    async fn write_stock_file(&self, row: &store::FileRow) -> Result<()> {
        let i = &self.inner;
        let folder = i.opts.folders.inventory.as_str();
        i.client.write(folder, &row.name, row.body.as_deref().unwrap_or("").as_bytes()).await?;
        let sent: Vec<(String, i64)> = row.meta.as_deref().and_then(|m| serde_json::from_str(m).ok()).unwrap_or_default();
        store::stock_sent(&i.db, &sent).await.map_err(db_err)?;
        store::set_file_status(&i.db, row.id, "sent").await.map_err(db_err)?;
        info!(file = %row.name, products = sent.len(), "stock file written");
        Ok(())
    }

    /// Starts the stock batch timer (once per adapter; it ends when the adapter is dropped).
    fn ensure_flusher(&self) {
        if tokio::runtime::Handle::try_current().is_err() || self.inner.flusher.swap(true, Ordering::SeqCst) {
            return;
        }
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let every = self.inner.opts.stock_batch.max(Duration::from_millis(50));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let Some(inner) = weak.upgrade() else { break };
                let me = EdgeSftpMarketplace { inner };
                if let Err(e) = me.flush_stock().await {
                    warn!(error = %e, "writing the stock file failed; the values wait for the next batch");
                }
                if let Err(e) = me.read_stock_errors().await {
                    warn!(error = %e, "reading stock error files failed");
                }
            }
        });
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[async_trait]
impl Marketplace for EdgeSftpMarketplace {
    async fn list_orders(&self, status: &OrderStatus) -> Result<Vec<MarketplaceOrder>> {
        self.ensure_flusher();
        if *status == OrderStatus::Order {
            self.import_incoming().await?;
        }
        store::orders_in(&self.inner.db, status).await.map_err(db_err)
    }

    async fn get_order(&self, id: &MarketplaceOrderId) -> Result<MarketplaceOrder> {
        self.order(id).await
    }

    async fn acknowledge(&self, id: &MarketplaceOrderId, lines: &[AckLine]) -> Result<()> {
        let o = self.order(id).await?;
        let body = edge_files::render_ack(&self.inner.opts.layout, &id.0, lines);
        self.send_update("ack", &self.inner.opts.layout.ack_name, &id.0, body).await?;
        if o.status == OrderStatus::Order {
            let refs: Vec<&str> = lines.iter().map(|l| l.line_ref.as_str()).collect();
            self.set_status(o, OrderStatus::OrderAck, &refs).await?;
        }
        Ok(())
    }

    async fn backorder(&self, id: &MarketplaceOrderId, lines: &[BackorderLine]) -> Result<()> {
        let o = self.order(id).await?;
        let body = edge_files::render_backorder(&self.inner.opts.layout, &id.0, lines);
        self.send_update("backorder", &self.inner.opts.layout.backorder_name, &id.0, body).await?;
        let refs: Vec<&str> = lines.iter().map(|l| l.line_ref.as_str()).collect();
        self.set_status(o, OrderStatus::Backorder, &refs).await
    }

    async fn acknowledge_cancellation(&self, id: &MarketplaceOrderId, lines: &[CancelLine]) -> Result<()> {
        let o = self.order(id).await?;
        let body = edge_files::render_cancel_ack(&self.inner.opts.layout, &id.0, lines);
        self.send_update("cancel_ack", &self.inner.opts.layout.cancel_ack_name, &id.0, body).await?;
        let refs: Vec<&str> = lines.iter().map(|l| l.line_ref.as_str()).collect();
        let mut o = o;
        for l in o.lines.iter_mut().filter(|l| refs.contains(&l.line_ref.as_str())) {
            l.status = OrderStatus::CancelAck;
        }
        if o.lines.iter().all(|l| l.status == OrderStatus::CancelAck) {
            o.status = OrderStatus::CancelAck;
        }
        store::save_order(&self.inner.db, &o).await.map_err(db_err)
    }

    async fn dispatch(&self, id: &MarketplaceOrderId, lines: &[DispatchLine]) -> Result<()> {
        let o = self.order(id).await?;
        let layout = &self.inner.opts.layout;
        let cancel_only = !lines.is_empty() && lines.iter().all(edge_files::is_post_dispatch_cancel);
        let (kind, template) = if cancel_only { ("post_dispatch_cancel", &layout.post_dispatch_cancel_name) } else { ("dispatch", &layout.dispatch_name) };
        let body = edge_files::render_dispatch(layout, &id.0, lines);
        self.send_update(kind, template, &id.0, body).await?;
        let shipped: Vec<&str> = lines.iter().filter(|l| !edge_files::is_post_dispatch_cancel(l)).map(|l| l.line_ref.as_str()).collect();
        let mut o = o;
        for l in o.lines.iter_mut().filter(|l| shipped.contains(&l.line_ref.as_str())) {
            l.status = OrderStatus::Dispatch;
        }
        if !shipped.is_empty() {
            o.status = OrderStatus::Dispatch;
        }
        store::save_order(&self.inner.db, &o).await.map_err(db_err)
    }

    async fn list_carriers(&self) -> Result<Vec<Carrier>> {
        Ok(self.inner.opts.carriers.iter().map(|s| Carrier { id: None, slug: s.clone(), name: s.clone() }).collect())
    }

    /// No product API over SFTP: a part number is its own product id.
    async fn find_product(&self, part_number: &PartNumber) -> Result<Option<MarketplaceProduct>> {
        Ok(Some(MarketplaceProduct { id: ProductId(part_number.0.clone()), part_number: part_number.clone(), traded_code: None, free_stock: None, supplier: None }))
    }

    /// Records the value for the next inventory file (durably; a newer value replaces it).
    async fn update_stock(&self, product: &ProductId, quantity: u32) -> Result<()> {
        PartNumber::parse(&product.0).map_err(MarketplaceError::Invalid)?;
        store::stock_pending(&self.inner.db, &product.0, quantity).await.map_err(db_err)?;
        self.ensure_flusher();
        Ok(())
    }

    /// The mapped part numbers (there is no product listing over SFTP; stock unknown).
    async fn list_products(&self) -> Result<Vec<MarketplaceProduct>> {
        let mut seen = std::collections::BTreeSet::new();
        for m in crate::store::mapping::all(&self.inner.db).await.map_err(db_err)? {
            seen.insert(m.part_number);
        }
        Ok(seen
            .into_iter()
            .map(|pn| MarketplaceProduct { id: ProductId(pn.clone()), part_number: PartNumber(pn), traded_code: None, free_stock: None, supplier: None })
            .collect())
    }

    async fn list_returns(&self, _status: Option<&str>) -> Result<Vec<MarketplaceReturn>> {
        Ok(Vec::new())
    }

    async fn acknowledge_return(&self, _id: &MarketplaceOrderId, _lines: &[ReturnLine]) -> Result<()> {
        Err(MarketplaceError::Invalid("returns are not exchanged as files for John Lewis (no return file in the SFTP path table)".into()))
    }
}
