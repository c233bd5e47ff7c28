//! The Edge's flat files (SFTP route), pure parse and render: no I/O, no clock.
//!
//! Most columns and names are not public (`reference/jl-edge.md` §4–§8 mark them ❓), so every
//! one of them is a field of [`FileLayout`], defaulting to the documented best guess. The
//! README ("The Edge over SFTP") lists each assumption.
//!
//! Order, acknowledgement, dispatch and cancellation files share one "two-section" shape:
//! ```text
//! <order section header>        order_number,order_date,…
//! <order section values>        Y100009263,2024-05-14T09:01:33,…
//! <item section header>         line_ref,part_number,…
//! <one line per item>           1,58000128,…
//! <checksum>                    5          (order files only: lines the file should contain)
//! ```
//! Stock goes out as one CSV (`inventory-<stamp>.csv`) with a header row.
use super::money::{Currency, Money};
use super::order::{Address, MarketplaceOrder, MarketplaceOrderId, OrderLine, OrderReference, OrderStatus, PartNumber};
use crate::marketplace::{AckLine, BackorderLine, CancelLine, DispatchLine, CANCELLED_POST_DISPATCH};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What the checksum line counts (❓ in the public notes: both readings are configurable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ChecksumMode {
    /// Lines before the checksum line (Hemi: "1 product → 4 lines"). Default.
    #[default]
    ContentLines,
    /// Every line of the file, the checksum line included.
    AllLines,
    /// No checksum line at all.
    None,
}

/// Every uncertain name and column of the flat files. Defaults: `reference/jl-edge.md`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FileLayout {
    pub delimiter: char,
    pub checksum: ChecksumMode,
    /// The marker's name is the data file's name plus this (`order-….txt.DONE`).
    pub done_suffix: String,
    /// When set, the marker replaces the data file's extension instead (`order-….DONE`).
    pub done_replaces_extension: bool,
    pub order_prefix: String,
    pub order_extension: String,
    /// Outgoing names; `{stamp}` is the 20-digit `yyyymmddhhmmssnnnnnn`.
    pub ack_name: String,
    pub backorder_name: String,
    pub dispatch_name: String,
    pub cancel_ack_name: String,
    pub post_dispatch_cancel_name: String,
    pub inventory_name: String,
    // order section (inbound)
    pub col_order_number: String,
    pub col_order_date: String,
    pub col_retailer_ref: String,
    pub col_full_name: String,
    pub col_address_1: String,
    pub col_address_2: String,
    /// The town: `shipping_address_3` carries it in Virtualstock's example.
    pub col_city: String,
    pub col_postcode: String,
    pub col_country: String,
    pub col_phone: String,
    pub col_email: String,
    pub col_test_flag: String,
    // item section (both ways)
    pub col_line_ref: String,
    pub col_part_number: String,
    pub col_quantity: String,
    pub col_description: String,
    pub col_promised_date: String,
    pub col_additional_ref: String,
    /// Unit price column, when the file carries one (❓ not documented).
    pub col_unit_price: String,
    pub currency: String,
    // outgoing item columns
    pub col_sub_status: String,
    pub col_dispatch_date: String,
    pub col_delivery_date: String,
    pub col_fulfillment_route: String,
    pub col_comment: String,
    pub col_status: String,
    pub col_carrier: String,
    pub col_tracking_number: String,
    pub col_tracking_url: String,
    /// The status value of a dispatch line.
    pub dispatched_status: String,
    /// Which column of a post-dispatch cancellation carries `CANCELLED POST-DISPATCH`
    /// (❓ §12.6): `tracking_number` (as the REST adapter) or e.g. `status`.
    pub post_dispatch_cancel_column: String,
    // stock
    pub col_traded_code: String,
    pub col_lead_time: String,
    pub col_stock_quantity: String,
}

impl Default for FileLayout {
    fn default() -> Self {
        let s = |v: &str| v.to_owned();
        FileLayout {
            delimiter: ',',
            checksum: ChecksumMode::ContentLines,
            done_suffix: s(".DONE"),
            done_replaces_extension: false,
            order_prefix: s("order-"),
            order_extension: s(".txt"),
            ack_name: s("order-{stamp}.ack"),
            backorder_name: s("order-{stamp}.ack"),
            dispatch_name: s("dispatch-{stamp}.txt"),
            cancel_ack_name: s("cancel-{stamp}.txt"),
            post_dispatch_cancel_name: s("dispatch-{stamp}.txt"),
            inventory_name: s("inventory-{stamp}.csv"),
            col_order_number: s("order_number"),
            col_order_date: s("order_date"),
            col_retailer_ref: s("retailer_ref"),
            col_full_name: s("shipping_full_name"),
            col_address_1: s("shipping_address_1"),
            col_address_2: s("shipping_address_2"),
            col_city: s("shipping_address_3"),
            col_postcode: s("shipping_postcode"),
            col_country: s("shipping_country"),
            col_phone: s("shipping_phone"),
            col_email: s("shipping_email"),
            col_test_flag: s("test_flag"),
            col_line_ref: s("line_ref"),
            col_part_number: s("part_number"),
            col_quantity: s("quantity"),
            col_description: s("description"),
            col_promised_date: s("promised_date"),
            col_additional_ref: s("additional_ref"),
            col_unit_price: s("unit_price"),
            currency: s("GBP"),
            col_sub_status: s("sub_status"),
            col_dispatch_date: s("supplier_dispatch_date"),
            col_delivery_date: s("supplier_delivery_date"),
            col_fulfillment_route: s("fulfillment_route"),
            col_comment: s("comment"),
            col_status: s("status"),
            col_carrier: s("carrier"),
            col_tracking_number: s("tracking_number"),
            col_tracking_url: s("tracking_url"),
            dispatched_status: s("Dispatched"),
            post_dispatch_cancel_column: s("tracking_number"),
            col_traded_code: s("tradedCode"),
            col_lead_time: s("current_lead_time_to_delivery_in_days"),
            col_stock_quantity: s("free_stock"),
        }
    }
}

/// The 20-digit file stamp `yyyymmddhhmmssnnnnnn` (the last six: microseconds).
pub fn stamp(at: DateTime<Utc>) -> String {
    format!("{}{:06}", at.format("%Y%m%d%H%M%S"), at.timestamp_subsec_micros())
}

/// Reads a stamp back (`None` when it is not 20 digits of a real time).
pub fn parse_stamp(s: &str) -> Option<DateTime<Utc>> {
    if s.len() != 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = NaiveDateTime::parse_from_str(&s[..14], "%Y%m%d%H%M%S").ok()?;
    let micros: u32 = s[14..].parse().ok()?;
    Some(Utc.from_utc_datetime(&t) + chrono::Duration::microseconds(micros as i64))
}

/// Fills `{stamp}` in a name template.
pub fn file_name(template: &str, at: DateTime<Utc>) -> String {
    template.replace("{stamp}", &stamp(at))
}

impl FileLayout {
    /// The marker that says `data` is complete.
    pub fn done_name(&self, data: &str) -> String {
        if self.done_replaces_extension {
            if let Some(dot) = data.rfind('.') {
                return format!("{}{}", &data[..dot], self.done_suffix);
            }
        }
        format!("{data}{}", self.done_suffix)
    }
    /// Whether a name in `incoming/` is an order file (never the marker itself).
    pub fn is_order_file(&self, name: &str) -> bool {
        name.starts_with(&self.order_prefix) && name.ends_with(&self.order_extension) && !name.ends_with(&self.done_suffix)
    }
    /// The stamp in an order file's name, when it has one.
    pub fn order_file_stamp(&self, name: &str) -> Option<DateTime<Utc>> {
        let inner = name.strip_prefix(&self.order_prefix)?.strip_suffix(&self.order_extension)?;
        parse_stamp(inner)
    }
}

/// Why an order file cannot be imported: it is quarantined with this text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileProblem {
    #[error("There is a mismatch between expected lines and actual read lines within the order file: the checksum says {expected}, the file has {actual}")]
    ChecksumMismatch { expected: u64, actual: u64 },
    #[error("the last line {0:?} is not a line-count checksum")]
    ChecksumUnreadable(String),
    #[error("malformed order file: {0}")]
    Malformed(String),
}

/// One section: its header and its rows, read by column name.
#[derive(Debug, Clone)]
struct Section {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Section {
    fn index(&self) -> HashMap<&str, usize> {
        self.header.iter().enumerate().map(|(i, h)| (h.as_str(), i)).collect()
    }
}

fn split_record(line: &str, delimiter: char) -> Result<Vec<String>, String> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delimiter as u8)
        .flexible(true)
        .from_reader(line.as_bytes());
    match rdr.records().next() {
        Some(Ok(r)) => Ok(r.iter().map(|f| f.trim().to_owned()).collect()),
        Some(Err(e)) => Err(e.to_string()),
        None => Ok(Vec::new()),
    }
}

/// Physical lines of a file: `\r\n` or `\n`, trailing blank lines dropped, a BOM removed.
fn lines(text: &str) -> Vec<&str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out: Vec<&str> = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
    while out.last().is_some_and(|l| l.trim().is_empty()) {
        out.pop();
    }
    out
}

/// Checks the checksum and returns the content lines.
fn checked_content<'a>(text: &'a str, layout: &FileLayout) -> Result<Vec<&'a str>, FileProblem> {
    let mut all = lines(text);
    if layout.checksum == ChecksumMode::None {
        return Ok(all);
    }
    let Some(last) = all.pop() else { return Err(FileProblem::Malformed("the file is empty".into())) };
    // A bare number, or a labelled one (`lines,5`, `checksum=5`): the trailing digits.
    let digits: String = last.trim().chars().rev().take_while(|c| c.is_ascii_digit()).collect::<Vec<_>>().into_iter().rev().collect();
    let head = &last.trim()[..last.trim().len() - digits.len()];
    let labelled_ok = head.is_empty() || head.chars().all(|c| c.is_ascii_alphabetic() || " _-:=,;\t".contains(c));
    let expected: u64 = match (digits.parse(), labelled_ok) {
        (Ok(n), true) => n,
        _ => return Err(FileProblem::ChecksumUnreadable(last.chars().take(60).collect())),
    };
    let actual = match layout.checksum {
        ChecksumMode::ContentLines => all.len() as u64,
        _ => all.len() as u64 + 1,
    };
    if expected != actual {
        return Err(FileProblem::ChecksumMismatch { expected, actual });
    }
    Ok(all)
}

fn two_sections(content: &[&str], delimiter: char) -> Result<(Section, Section), FileProblem> {
    let bad = FileProblem::Malformed;
    if content.len() < 4 {
        return Err(bad(format!("{} content lines; an order needs at least 4 (two headers, the order, one item)", content.len())));
    }
    let rec = |i: usize| split_record(content[i], delimiter).map_err(|e| bad(format!("line {}: {e}", i + 1)));
    let order = Section { header: rec(0)?, rows: vec![rec(1)?] };
    let mut items = Section { header: rec(2)?, rows: Vec::new() };
    for i in 3..content.len() {
        items.rows.push(rec(i)?);
    }
    if order.rows[0].len() != order.header.len() {
        return Err(bad(format!("line 2 has {} fields, its header {}", order.rows[0].len(), order.header.len())));
    }
    for (n, r) in items.rows.iter().enumerate() {
        if r.len() != items.header.len() {
            return Err(bad(format!("line {} has {} fields, the item header {}", n + 4, r.len(), items.header.len())));
        }
    }
    Ok((order, items))
}

/// Reads a date or date-time in the shapes seen in Edge data.
pub fn parse_when(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(Utc.from_utc_datetime(&t));
        }
    }
    for f in ["%Y-%m-%d", "%d/%m/%Y", "%Y%m%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, f) {
            return Some(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight")));
        }
    }
    None
}

/// Parses one order file (`order-<stamp>.txt`). `fallback_date` (the file stamp) stands in for
/// an order date the file does not carry or that cannot be read.
pub fn parse_order_file(text: &str, layout: &FileLayout, fallback_date: DateTime<Utc>) -> Result<MarketplaceOrder, FileProblem> {
    let content = checked_content(text, layout)?;
    let (order, items) = two_sections(&content, layout.delimiter)?;
    let bad = FileProblem::Malformed;
    let oi = order.index();
    let ov = &order.rows[0];
    let get = |col: &str| oi.get(col).map(|&i| ov[i].clone()).filter(|v| !v.is_empty());
    let number = get(&layout.col_order_number).ok_or_else(|| bad(format!("no {} in the order section", layout.col_order_number)))?;
    let currency = Currency::parse(&layout.currency).map_err(bad)?;
    let ii = items.index();
    for col in [&layout.col_line_ref, &layout.col_part_number, &layout.col_quantity] {
        if !ii.contains_key(col.as_str()) {
            return Err(bad(format!("the item section has no {col} column")));
        }
    }
    let mut lines = Vec::new();
    for (n, row) in items.rows.iter().enumerate() {
        let at = |col: &str| ii.get(col).map(|&i| row[i].clone()).filter(|v| !v.is_empty());
        let line_no = n + 4;
        let line_ref = at(&layout.col_line_ref).ok_or_else(|| bad(format!("line {line_no}: empty {}", layout.col_line_ref)))?;
        let pn = at(&layout.col_part_number).unwrap_or_default();
        let part_number = PartNumber::parse(&pn).map_err(|e| bad(format!("line {line_no}: {e}")))?;
        let qty = at(&layout.col_quantity).unwrap_or_default();
        let quantity: u32 = qty.parse().ok().filter(|q| *q > 0).ok_or_else(|| bad(format!("line {line_no}: quantity {qty:?} is not a whole number of units")))?;
        if lines.iter().any(|l: &OrderLine| l.line_ref == line_ref) {
            return Err(bad(format!("line {line_no}: line_ref {line_ref:?} appears twice")));
        }
        let unit_price = match at(&layout.col_unit_price) {
            Some(p) => Some(Money::parse(&p, currency).map_err(|e| bad(format!("line {line_no}: {e}")))?),
            None => None,
        };
        let description = at(&layout.col_description);
        lines.push(OrderLine {
            line_ref,
            part_number,
            retailer_sku: at(&layout.col_additional_ref),
            supplier_sku: None,
            quantity,
            name: description.clone(),
            description,
            status: OrderStatus::Order,
            unit_price,
            subtotal: None,
            tax: None,
            tax_rate: None,
            total: None,
            promised_date: at(&layout.col_promised_date).and_then(|d| parse_when(&d)),
        });
    }
    let address = Address {
        full_name: get(&layout.col_full_name).unwrap_or_default(),
        line_1: get(&layout.col_address_1).unwrap_or_default(),
        line_2: get(&layout.col_address_2),
        line_3: None,
        city: get(&layout.col_city),
        state: None,
        postal_code: get(&layout.col_postcode).unwrap_or_default(),
        country: get(&layout.col_country).unwrap_or_else(|| "GB".into()),
        phone: get(&layout.col_phone),
        email: get(&layout.col_email),
    };
    let test_flag = get(&layout.col_test_flag).is_some_and(|v| matches!(v.to_ascii_uppercase().as_str(), "Y" | "YES" | "TRUE" | "1"));
    Ok(MarketplaceOrder {
        id: MarketplaceOrderId(number.clone()),
        reference: OrderReference(number),
        status: OrderStatus::Order,
        order_date: get(&layout.col_order_date).and_then(|d| parse_when(&d)).unwrap_or(fallback_date),
        currency,
        lines,
        shipping_address: address,
        subtotal: None,
        tax: None,
        total: None,
        delivery_service_code: None,
        comment: get(&layout.col_retailer_ref).map(|r| format!("retailer_ref {r}")),
        test_flag,
    })
}

/// Renders a CSV record (quoting only where needed).
fn record(fields: &[String], delimiter: char) -> String {
    let mut w = csv::WriterBuilder::new().delimiter(delimiter as u8).terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    w.write_record(fields).expect("writing to memory");
    String::from_utf8(w.into_inner().expect("flush to memory")).expect("utf-8 in, utf-8 out")
}

/// Renders a two-section update file: `order_number`, then the item header and rows.
fn two_section_file(layout: &FileLayout, order_number: &str, header: Vec<String>, rows: Vec<Vec<String>>) -> String {
    let d = layout.delimiter;
    let mut out = record(std::slice::from_ref(&layout.col_order_number), d);
    out += &record(&[order_number.to_owned()], d);
    out += &record(&header, d);
    for r in rows {
        out += &record(&r, d);
    }
    out
}

fn day(t: &Option<NaiveDateTime>) -> String {
    t.map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_default()
}

/// The acknowledgement file (every line, full quantity).
pub fn render_ack(layout: &FileLayout, order_number: &str, lines: &[AckLine]) -> String {
    let l = layout;
    let header = [&l.col_line_ref, &l.col_part_number, &l.col_quantity, &l.col_sub_status, &l.col_dispatch_date, &l.col_delivery_date, &l.col_fulfillment_route, &l.col_comment];
    let rows = lines
        .iter()
        .map(|a| {
            vec![
                a.line_ref.clone(),
                a.part_number.0.clone(),
                a.quantity.to_string(),
                a.sub_status.clone().unwrap_or_default(),
                day(&a.dispatch_date),
                day(&a.delivery_date),
                a.fulfillment_route.clone().unwrap_or_default(),
                a.comment.clone().unwrap_or_default(),
            ]
        })
        .collect();
    two_section_file(layout, order_number, header.into_iter().cloned().collect(), rows)
}

/// A backorder: the acknowledgement layout with the sub-status and new dispatch date set.
pub fn render_backorder(layout: &FileLayout, order_number: &str, lines: &[BackorderLine]) -> String {
    let as_ack: Vec<AckLine> = lines
        .iter()
        .map(|b| AckLine {
            line_ref: b.line_ref.clone(),
            part_number: b.part_number.clone(),
            quantity: b.quantity,
            sub_status: Some(b.sub_status.clone()),
            dispatch_date: Some(b.dispatch_date),
            delivery_date: b.delivery_date,
            comment: b.comment.clone(),
            fulfillment_route: b.fulfillment_route.clone(),
        })
        .collect();
    render_ack(layout, order_number, &as_ack)
}

/// The cancellation acknowledgement (the cancelled lines).
pub fn render_cancel_ack(layout: &FileLayout, order_number: &str, lines: &[CancelLine]) -> String {
    let l = layout;
    let header = vec![l.col_line_ref.clone(), l.col_part_number.clone(), l.col_quantity.clone(), l.col_comment.clone()];
    let rows = lines
        .iter()
        .map(|c| vec![c.line_ref.clone(), c.part_number.0.clone(), c.quantity.to_string(), c.comment.clone().unwrap_or_default()])
        .collect();
    two_section_file(layout, order_number, header, rows)
}

/// Whether a dispatch line is the post-dispatch cancellation update.
pub fn is_post_dispatch_cancel(line: &DispatchLine) -> bool {
    line.tracking_number == CANCELLED_POST_DISPATCH
}

/// The dispatch (tracking update) file. A post-dispatch cancellation line carries
/// `CANCELLED POST-DISPATCH` in `post_dispatch_cancel_column` (its tracking number is then
/// left empty unless that column is the tracking number).
pub fn render_dispatch(layout: &FileLayout, order_number: &str, lines: &[DispatchLine]) -> String {
    let l = layout;
    let header = vec![
        l.col_line_ref.clone(),
        l.col_part_number.clone(),
        l.col_quantity.clone(),
        l.col_status.clone(),
        l.col_carrier.clone(),
        l.col_tracking_number.clone(),
        l.col_tracking_url.clone(),
        l.col_dispatch_date.clone(),
        l.col_delivery_date.clone(),
    ];
    let mut extra_cancel_col = false;
    if !header.contains(&l.post_dispatch_cancel_column) && lines.iter().any(is_post_dispatch_cancel) {
        extra_cancel_col = true;
    }
    let mut header = header;
    if extra_cancel_col {
        header.push(l.post_dispatch_cancel_column.clone());
    }
    let rows = lines
        .iter()
        .map(|d| {
            let cancel = is_post_dispatch_cancel(d);
            let mut row = vec![
                d.line_ref.clone(),
                d.part_number.0.clone(),
                d.quantity.to_string(),
                l.dispatched_status.clone(),
                d.carrier.clone(),
                if cancel { String::new() } else { d.tracking_number.clone() },
                d.tracking_url.clone().unwrap_or_default(),
                d.dispatch_date.format("%Y-%m-%d").to_string(),
                d.delivery_date.map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_default(),
            ];
            if extra_cancel_col {
                row.push(String::new());
            }
            if cancel {
                let i = header.iter().position(|h| h == &l.post_dispatch_cancel_column).expect("column present");
                row[i] = CANCELLED_POST_DISPATCH.to_owned();
            }
            row
        })
        .collect();
    two_section_file(layout, order_number, header, rows)
}

/// Reads an outgoing two-section update back (the sandbox's side): order number and items by
/// column name.
pub fn parse_update_file(text: &str, layout: &FileLayout) -> Result<(String, Vec<HashMap<String, String>>), FileProblem> {
    let all = lines(text);
    if all.len() < 3 {
        return Err(FileProblem::Malformed(format!("{} lines; an update needs at least 3", all.len())));
    }
    let d = layout.delimiter;
    let bad = |e: String| FileProblem::Malformed(e);
    let oh = split_record(all[0], d).map_err(bad)?;
    let ov = split_record(all[1], d).map_err(bad)?;
    let idx = oh.iter().position(|h| h == &layout.col_order_number).ok_or_else(|| bad("no order_number".into()))?;
    let number = ov.get(idx).cloned().filter(|v| !v.is_empty()).ok_or_else(|| bad("empty order_number".into()))?;
    let ih = split_record(all[2], d).map_err(bad)?;
    let mut items = Vec::new();
    for l in &all[3..] {
        let v = split_record(l, d).map_err(bad)?;
        items.push(ih.iter().cloned().zip(v.into_iter().chain(std::iter::repeat(String::new()))).collect());
    }
    Ok((number, items))
}

/// One row of a stock file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockRow {
    pub part_number: PartNumber,
    pub traded_code: Option<String>,
    pub lead_time_days: Option<u32>,
    pub quantity: u32,
}

/// The stock file (`inventory-<stamp>.csv`), header first, one row per product.
pub fn render_inventory(layout: &FileLayout, rows: &[StockRow]) -> String {
    let l = layout;
    let d = layout.delimiter;
    let mut out = record(&[l.col_part_number.clone(), l.col_traded_code.clone(), l.col_lead_time.clone(), l.col_stock_quantity.clone()], d);
    for r in rows {
        out += &record(
            &[r.part_number.0.clone(), r.traded_code.clone().unwrap_or_default(), r.lead_time_days.map(|t| t.to_string()).unwrap_or_default(), r.quantity.to_string()],
            d,
        );
    }
    out
}

/// Reads a stock file back (the sandbox's side).
pub fn parse_inventory(text: &str, layout: &FileLayout) -> Result<Vec<StockRow>, FileProblem> {
    let all = lines(text);
    let bad = |e: String| FileProblem::Malformed(e);
    let Some(first) = all.first() else { return Ok(Vec::new()) };
    let header = split_record(first, layout.delimiter).map_err(bad)?;
    let col = |c: &str| header.iter().position(|h| h == c);
    let pn = col(&layout.col_part_number).ok_or_else(|| bad(format!("no {} column", layout.col_part_number)))?;
    let qty = col(&layout.col_stock_quantity).ok_or_else(|| bad(format!("no {} column", layout.col_stock_quantity)))?;
    let (tc, lt) = (col(&layout.col_traded_code), col(&layout.col_lead_time));
    let mut out = Vec::new();
    for (n, l) in all[1..].iter().enumerate() {
        let v = split_record(l, layout.delimiter).map_err(bad)?;
        let f = |i: usize| v.get(i).cloned().unwrap_or_default();
        out.push(StockRow {
            part_number: PartNumber::parse(&f(pn)).map_err(|e| bad(format!("line {}: {e}", n + 2)))?,
            traded_code: tc.map(f).filter(|s| !s.is_empty()),
            lead_time_days: lt.and_then(|i| f(i).parse().ok()),
            quantity: f(qty).parse().map_err(|_| bad(format!("line {}: quantity {:?}", n + 2, f(qty))))?,
        });
    }
    Ok(out)
}

/// Part numbers named in a stock error file, whatever its layout (❓ not documented): every
/// field of exactly eight digits, in order of appearance, without repeats.
pub fn error_file_part_numbers(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for token in text.split(|c: char| !c.is_ascii_digit()) {
        if token.len() == 8 && !out.iter().any(|p| p == token) {
            out.push(token.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "order_number,order_date,po_enduser,retailer_ref,shipping_title,shipping_full_name,shipping_address_1,shipping_address_2,shipping_address_3,shipping_postcode,shipping_country,shipping_phone,shipping_email,expected_delivery_date
Y100009263,2024-05-14T09:01:33,254155338,20240514090133486721080,Ms,Jane Example,1 Example Road,Flat 2,Reading,RG1 1AA,GB,07700900123,jane@example.com,2024-05-21T00:00:00
line_ref,part_number,additional_ref,quantity,description,promised_date
1,58000128,ADD00128,1,Example Cologne 100ml,2024-05-21T09:23:00
2,66682708,,2,\"Example Bed Base, 210\",2024-05-21T09:23:00
5
";

    fn fallback() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 5, 14, 10, 0, 0).unwrap()
    }

    #[test]
    fn parses_the_illustrative_order_file() {
        let o = parse_order_file(SAMPLE, &FileLayout::default(), fallback()).unwrap();
        assert_eq!(o.reference.0, "Y100009263");
        assert_eq!(o.id.0, "Y100009263");
        assert_eq!(o.order_date, Utc.with_ymd_and_hms(2024, 5, 14, 9, 1, 33).unwrap());
        assert_eq!(o.lines.len(), 2);
        assert_eq!(o.lines[1].part_number.0, "66682708");
        assert_eq!(o.lines[1].quantity, 2);
        assert_eq!(o.lines[1].description.as_deref(), Some("Example Bed Base, 210"));
        assert_eq!(o.lines[0].retailer_sku.as_deref(), Some("ADD00128"));
        assert_eq!(o.shipping_address.city.as_deref(), Some("Reading"));
        assert_eq!(o.shipping_address.postal_code, "RG1 1AA");
        assert_eq!(o.currency, Currency::GBP);
    }

    #[test]
    fn both_checksum_readings_are_configurable() {
        let all = FileLayout { checksum: ChecksumMode::AllLines, ..Default::default() };
        assert_eq!(parse_order_file(SAMPLE, &all, fallback()).unwrap_err(), FileProblem::ChecksumMismatch { expected: 5, actual: 6 });
        let six = SAMPLE.replace("\n5\n", "\n6\n");
        assert!(parse_order_file(&six, &all, fallback()).is_ok());
        let labelled = SAMPLE.replace("\n5\n", "\nlines,5\r\n");
        assert!(parse_order_file(&labelled, &FileLayout::default(), fallback()).is_ok());
        let none = FileLayout { checksum: ChecksumMode::None, ..Default::default() };
        let no_sum = SAMPLE.replace("\n5\n", "\n");
        assert!(parse_order_file(&no_sum, &none, fallback()).is_ok());
    }

    #[test]
    fn a_short_or_broken_file_is_refused() {
        let d = FileLayout::default();
        let cut = SAMPLE.replace("\n5\n", "\n9\n");
        assert!(matches!(parse_order_file(&cut, &d, fallback()), Err(FileProblem::ChecksumMismatch { expected: 9, actual: 5 })));
        let missing_line: String = SAMPLE.lines().filter(|l| !l.starts_with("2,")).map(|l| format!("{l}\n")).collect();
        assert!(matches!(parse_order_file(&missing_line, &d, fallback()), Err(FileProblem::ChecksumMismatch { .. })));
        let no_sum = SAMPLE.replace("\n5\n", "\n");
        assert!(matches!(parse_order_file(&no_sum, &d, fallback()), Err(FileProblem::ChecksumUnreadable(_))));
        let bad_pn = SAMPLE.replace("66682708", "6668270X");
        assert!(matches!(parse_order_file(&bad_pn, &d, fallback()), Err(FileProblem::Malformed(m)) if m.contains("8 digits")));
        let bad_qty = SAMPLE.replace(",,2,", ",,two,");
        assert!(matches!(parse_order_file(&bad_qty, &d, fallback()), Err(FileProblem::Malformed(_))));
        assert!(matches!(parse_order_file("", &d, fallback()), Err(FileProblem::Malformed(_))));
        assert!(parse_order_file("garbage\n\u{0}\n", &d, fallback()).is_err());
    }

    #[test]
    fn stamps_and_names() {
        let at = Utc.with_ymd_and_hms(2022, 3, 15, 10, 1, 13).unwrap() + chrono::Duration::microseconds(192_578);
        assert_eq!(stamp(at), "20220315100113192578");
        assert_eq!(parse_stamp("20220315100113192578"), Some(at));
        let d = FileLayout::default();
        assert_eq!(file_name(&d.inventory_name, at), "inventory-20220315100113192578.csv");
        assert_eq!(d.done_name("order-1.txt"), "order-1.txt.DONE");
        let r = FileLayout { done_replaces_extension: true, ..Default::default() };
        assert_eq!(r.done_name("order-1.txt"), "order-1.DONE");
        assert!(d.is_order_file("order-20220315100113192578.txt"));
        assert!(!d.is_order_file("order-20220315100113192578.txt.DONE"));
        assert_eq!(d.order_file_stamp("order-20220315100113192578.txt"), Some(at));
    }

    #[test]
    fn ack_dispatch_and_cancel_files_render_and_read_back() {
        let d = FileLayout::default();
        let pn = PartNumber("58000128".into());
        let when = NaiveDate::from_ymd_opt(2024, 5, 15).unwrap();
        let ack = render_ack(
            &d,
            "Y1",
            &[AckLine {
                line_ref: "1".into(),
                part_number: pn.clone(),
                quantity: 1,
                sub_status: Some("Pending".into()),
                dispatch_date: Some(when.and_hms_opt(0, 0, 0).unwrap()),
                delivery_date: None,
                comment: Some("gift, wrapped".into()),
                fulfillment_route: Some("Direct to customer".into()),
            }],
        );
        assert_eq!(
            ack,
            "order_number\nY1\nline_ref,part_number,quantity,sub_status,supplier_dispatch_date,supplier_delivery_date,fulfillment_route,comment\n1,58000128,1,Pending,2024-05-15,,Direct to customer,\"gift, wrapped\"\n"
        );
        let (n, items) = parse_update_file(&ack, &d).unwrap();
        assert_eq!(n, "Y1");
        assert_eq!(items[0]["comment"], "gift, wrapped");
        let line = DispatchLine { line_ref: "1".into(), part_number: pn.clone(), quantity: 1, carrier: "dpd".into(), tracking_number: "T1".into(), tracking_url: None, dispatch_date: when, delivery_date: None };
        let cancel = DispatchLine::cancelled_post_dispatch("2".into(), pn.clone(), 1, "dpd".into(), when);
        let file = render_dispatch(&d, "Y1", &[line.clone(), cancel.clone()]);
        let (_, items) = parse_update_file(&file, &d).unwrap();
        assert_eq!(items[0]["tracking_number"], "T1");
        assert_eq!(items[0]["status"], "Dispatched");
        assert_eq!(items[1]["tracking_number"], CANCELLED_POST_DISPATCH);
        let by_status = FileLayout { post_dispatch_cancel_column: "status".into(), ..Default::default() };
        let (_, items) = parse_update_file(&render_dispatch(&by_status, "Y1", std::slice::from_ref(&cancel)), &by_status).unwrap();
        assert_eq!(items[0]["status"], CANCELLED_POST_DISPATCH);
        assert_eq!(items[0]["tracking_number"], "");
        let other = FileLayout { post_dispatch_cancel_column: "refund_status".into(), ..Default::default() };
        let (_, items) = parse_update_file(&render_dispatch(&other, "Y1", &[line, cancel]), &other).unwrap();
        assert_eq!(items[0]["refund_status"], "");
        assert_eq!(items[1]["refund_status"], CANCELLED_POST_DISPATCH);
        let c = render_cancel_ack(&d, "Y1", &[CancelLine { line_ref: "2".into(), part_number: pn, quantity: 2, comment: Some("Out of stock".into()) }]);
        assert_eq!(c, "order_number\nY1\nline_ref,part_number,quantity,comment\n2,58000128,2,Out of stock\n");
    }

    #[test]
    fn inventory_round_trip_and_error_files() {
        let d = FileLayout::default();
        let rows = vec![
            StockRow { part_number: PartNumber("58000128".into()), traded_code: Some("5012345678900".into()), lead_time_days: Some(3), quantity: 25 },
            StockRow { part_number: PartNumber("66682708".into()), traded_code: None, lead_time_days: None, quantity: 0 },
        ];
        let text = render_inventory(&d, &rows);
        assert!(text.starts_with("part_number,tradedCode,current_lead_time_to_delivery_in_days,free_stock\n58000128,5012345678900,3,25\n"));
        assert_eq!(parse_inventory(&text, &d).unwrap(), rows);
        let err = "part_number,error\n58000128,Unknown product\n\"66682708\";bad qty 12345678901\n58000128,again\n";
        assert_eq!(error_file_part_numbers(err), vec!["58000128", "66682708"]);
    }
}
