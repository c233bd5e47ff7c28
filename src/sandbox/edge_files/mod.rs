//! The simulated Edge over a folder tree (the SFTP root on disk, e.g. what a local OpenSSH
//! server serves): it writes order files into `incoming/` (file first, then its `.DONE`),
//! reads complete update files from `outgoing/` (those with their marker) and stock files
//! from `inventory/`, keeps each order's status and each part number's stock, and writes an
//! error file into `inventory/errors/` for stock rows it refuses (unknown part numbers).
use crate::domain::edge_files::{self, FileLayout};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// One line of an order to place.
#[derive(Debug, Clone)]
pub struct FileOrderLine {
    pub line_ref: String,
    pub part_number: String,
    pub quantity: u32,
    pub unit_price: String,
}

#[derive(Debug, Default)]
struct State {
    /// order number → status (`ORDER`, `ORDER_ACK`, `DISPATCH`, `CANCEL_ACK`, `BACKORDER`)
    orders: BTreeMap<String, String>,
    /// part number → last free stock read
    stock: BTreeMap<String, u32>,
    /// files already processed (folder/name)
    seen: BTreeSet<String>,
    /// (order number, tracking number) of dispatch lines
    tracking: Vec<(String, String)>,
}

/// The simulated Edge. Cheap to clone.
#[derive(Clone)]
pub struct EdgeFilesSandbox {
    root: PathBuf,
    layout: FileLayout,
    /// Part numbers John Lewis knows (empty: every part number is accepted).
    catalogue: Arc<Mutex<BTreeSet<String>>>,
    state: Arc<Mutex<State>>,
}

impl EdgeFilesSandbox {
    /// A tree at `root` (`incoming/`, `outgoing/`, `inventory/errors/` are created).
    pub fn new(root: impl Into<PathBuf>, layout: FileLayout) -> std::io::Result<Self> {
        let root = root.into();
        for f in ["incoming", "outgoing", "inventory/errors"] {
            std::fs::create_dir_all(root.join(f))?;
        }
        Ok(EdgeFilesSandbox { root, layout, catalogue: Default::default(), state: Default::default() })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn add_product(&self, part_number: &str) {
        self.catalogue.lock().expect("catalogue").insert(part_number.to_owned());
    }

    /// What John Lewis shows for a part number before any stock file (a known product).
    pub fn set_stock(&self, part_number: &str, quantity: u32) {
        self.add_product(part_number);
        self.state.lock().expect("state").stock.insert(part_number.to_owned(), quantity);
    }

    /// The same products and orders as the REST sandbox's `seed_demo`, as files.
    pub fn seed_demo(&self) -> std::io::Result<()> {
        for pn in ["58000128", "66682708", "51234567", "50000001"] {
            self.set_stock(pn, 10);
        }
        let line = |r: &str, pn: &str, q: u32, p: &str| FileOrderLine { line_ref: r.into(), part_number: pn.into(), quantity: q, unit_price: p.into() };
        let now = Utc::now();
        self.place_order("JL100000001", now, &[line("1", "58000128", 1, "85.00")])?;
        let later = now + chrono::Duration::milliseconds(1);
        self.place_order("JL100000002", later, &[line("1", "66682708", 2, "499.00"), line("2", "51234567", 1, "12.50")])?;
        Ok(())
    }

    /// Writes an order file then its marker; returns the file name.
    pub fn place_order(&self, number: &str, at: DateTime<Utc>, lines: &[FileOrderLine]) -> std::io::Result<String> {
        let mut s = String::from(
            "order_number,order_date,po_enduser,retailer_ref,shipping_title,shipping_full_name,shipping_address_1,shipping_address_2,shipping_address_3,shipping_postcode,shipping_country,shipping_phone,shipping_email,expected_delivery_date\n",
        );
        s += &format!(
            "{number},{},,{},Ms,Jane Example,1 Example Road,,Reading,RG1 1AA,GB,07700900123,jane@example.com,\n",
            at.format("%Y-%m-%dT%H:%M:%S"),
            edge_files::stamp(at)
        );
        s += "line_ref,part_number,additional_ref,quantity,description,promised_date,unit_price\n";
        for l in lines {
            s += &format!("{},{},,{},Item {},,{}\n", l.line_ref, l.part_number, l.quantity, l.part_number, l.unit_price);
        }
        let content = 3 + lines.len();
        let checksum = match self.layout.checksum {
            edge_files::ChecksumMode::AllLines => Some(content + 1),
            edge_files::ChecksumMode::ContentLines => Some(content),
            edge_files::ChecksumMode::None => None,
        };
        if let Some(n) = checksum {
            s += &format!("{n}\n");
        }
        let name = format!("{}{}{}", self.layout.order_prefix, edge_files::stamp(at), self.layout.order_extension);
        let dir = self.root.join("incoming");
        std::fs::write(dir.join(&name), s)?;
        std::fs::write(dir.join(self.layout.done_name(&name)), "")?;
        self.state.lock().expect("state").orders.insert(number.to_owned(), "ORDER".into());
        Ok(name)
    }

    pub fn order_status(&self, number: &str) -> Option<String> {
        self.state.lock().expect("state").orders.get(number).cloned()
    }

    pub fn stock(&self, part_number: &str) -> Option<u32> {
        self.state.lock().expect("state").stock.get(part_number).copied()
    }

    pub fn tracking(&self, number: &str) -> Vec<String> {
        self.state.lock().expect("state").tracking.iter().filter(|(o, _)| o == number).map(|(_, t)| t.clone()).collect()
    }

    fn list(&self, folder: &str) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.root.join(folder))
            .map(|rd| rd.filter_map(|e| e.ok()).filter(|e| e.path().is_file()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        v.sort();
        v
    }

    /// Reads every new complete update in `outgoing/` and every new stock file; returns how
    /// many files it processed.
    pub fn process(&self) -> usize {
        let l = &self.layout;
        let mut done = 0;
        let out = self.list("outgoing");
        for name in out.iter().filter(|n| !n.ends_with(&l.done_suffix)) {
            let key = format!("outgoing/{name}");
            if !out.contains(&l.done_name(name)) || self.state.lock().expect("state").seen.contains(&key) {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(self.root.join("outgoing").join(name)) else { continue };
            let mut st = self.state.lock().expect("state");
            st.seen.insert(key);
            done += 1;
            let Ok((number, items)) = edge_files::parse_update_file(&text, l) else { continue };
            let has = |c: &str| items.iter().any(|i| i.contains_key(c));
            let status = if has(&l.col_carrier) {
                for i in &items {
                    if let Some(t) = i.get(&l.col_tracking_number).filter(|t| !t.is_empty()) {
                        st.tracking.push((number.clone(), t.clone()));
                    }
                }
                "DISPATCH"
            } else if has(&l.col_fulfillment_route) && items.iter().any(|i| i.get(&l.col_sub_status).is_some_and(|s| s.eq_ignore_ascii_case("backorder"))) {
                "BACKORDER"
            } else if has(&l.col_fulfillment_route) {
                "ORDER_ACK"
            } else {
                "CANCEL_ACK"
            };
            st.orders.insert(number, status.into());
        }
        for name in self.list("inventory") {
            // The Edge reads a stock file as soon as it lands (no marker): one still being
            // written is read again once it has grown.
            let Ok(text) = std::fs::read_to_string(self.root.join("inventory").join(&name)) else { continue };
            let key = format!("inventory/{name}#{}", text.len());
            if self.state.lock().expect("state").seen.contains(&key) {
                continue;
            }
            done += 1;
            let catalogue = self.catalogue.lock().expect("catalogue").clone();
            let mut st = self.state.lock().expect("state");
            st.seen.insert(key);
            let mut errors = Vec::new();
            match edge_files::parse_inventory(&text, l) {
                Ok(rows) => {
                    for r in rows {
                        if !catalogue.is_empty() && !catalogue.contains(&r.part_number.0) {
                            errors.push(format!("{},Unknown part number", r.part_number.0));
                        } else {
                            st.stock.insert(r.part_number.0, r.quantity);
                        }
                    }
                }
                Err(e) => errors.push(format!(",{e}")),
            }
            if !errors.is_empty() {
                let body = format!("part_number,error\n{}\n", errors.join("\n"));
                let _ = std::fs::write(self.root.join("inventory/errors").join(format!("{}.errors.csv", name.trim_end_matches(".csv"))), body);
            }
        }
        done
    }

    /// Processes the tree every `every` until `shutdown`.
    pub async fn run(self, every: Duration, shutdown: CancellationToken) {
        loop {
            let me = self.clone();
            let _ = tokio::task::spawn_blocking(move || me.process()).await;
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(every) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::marketplace::{AckLine, DispatchLine};

    #[test]
    fn orders_out_updates_and_stock_in() {
        let dir = tempfile::tempdir().unwrap();
        let sb = EdgeFilesSandbox::new(dir.path(), FileLayout::default()).unwrap();
        sb.add_product("58000128");
        let at = Utc::now();
        let name = sb.place_order("Y1", at, &[FileOrderLine { line_ref: "1".into(), part_number: "58000128".into(), quantity: 2, unit_price: "9.99".into() }]).unwrap();
        let text = std::fs::read_to_string(dir.path().join("incoming").join(&name)).unwrap();
        let o = edge_files::parse_order_file(&text, &FileLayout::default(), at).unwrap();
        assert_eq!(o.lines[0].quantity, 2);
        assert!(dir.path().join("incoming").join(format!("{name}.DONE")).exists());

        let pn = crate::domain::order::PartNumber("58000128".into());
        let ack = edge_files::render_ack(
            &FileLayout::default(),
            "Y1",
            &[AckLine { line_ref: "1".into(), part_number: pn.clone(), quantity: 2, sub_status: None, dispatch_date: None, delivery_date: None, comment: None, fulfillment_route: Some("Direct to customer".into()) }],
        );
        std::fs::write(dir.path().join("outgoing/order-1.ack"), ack).unwrap();
        assert_eq!(sb.process(), 0, "no marker yet");
        std::fs::write(dir.path().join("outgoing/order-1.ack.DONE"), "").unwrap();
        assert_eq!(sb.process(), 1);
        assert_eq!(sb.order_status("Y1").as_deref(), Some("ORDER_ACK"));
        let d = DispatchLine { line_ref: "1".into(), part_number: pn, quantity: 2, carrier: "dpd".into(), tracking_number: "T9".into(), tracking_url: None, dispatch_date: at.date_naive(), delivery_date: None };
        std::fs::write(dir.path().join("outgoing/dispatch-1.txt"), edge_files::render_dispatch(&FileLayout::default(), "Y1", &[d])).unwrap();
        std::fs::write(dir.path().join("outgoing/dispatch-1.txt.DONE"), "").unwrap();
        sb.process();
        assert_eq!(sb.order_status("Y1").as_deref(), Some("DISPATCH"));
        assert_eq!(sb.tracking("Y1"), vec!["T9".to_owned()]);

        std::fs::write(dir.path().join("inventory/inventory-1.csv"), "part_number,tradedCode,current_lead_time_to_delivery_in_days,free_stock\n58000128,,,4\n99999999,,,1\n").unwrap();
        sb.process();
        assert_eq!(sb.stock("58000128"), Some(4));
        let err = std::fs::read_to_string(dir.path().join("inventory/errors/inventory-1.errors.csv")).unwrap();
        assert!(err.contains("99999999"));
        assert_eq!(sb.process(), 0, "each file once");
    }
}
