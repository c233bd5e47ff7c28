//! The script of the compressed day: what shoppers, John Lewis and the warehouse do.
use super::world::{opening_qty, World};
use crate::app::App;
use crate::sandbox::edge::NewOrder;
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const TICK: Duration = Duration::from_millis(250);

/// What the script did, for the summary.
#[derive(Debug, Default)]
pub struct Played {
    pub sales: u32,
    pub restocks: u32,
    /// (Edge order id, John Lewis reference) of every order John Lewis placed.
    pub jl_orders: Vec<(u64, String)>,
    pub shipments: u32,
    /// The reference shipped with a carrier missing from the carrier map.
    pub unmapped_carrier_ref: Option<String>,
    pub cancelled_ref: Option<String>,
    pub outage: Option<(Duration, Duration)>,
}

/// (carrier code, title, tracking number) for the n-th parcel; the 7th goes with Yodel,
/// which the carrier map does not know.
fn parcel(n: u32) -> (String, String, String) {
    match n {
        6 => ("custom".into(), "Yodel Direct".into(), format!("JD{:016}", 21_000 + n)),
        _ => match n % 3 {
            0 => ("custom".into(), "Royal Mail Tracked 48".into(), format!("RM{:09}GB", 100_000_000 + n)),
            1 => ("dpd".into(), "DPD Next Day".into(), format!("{:014}", 15_501_234_500_000u64 + n as u64)),
            _ => ("custom".into(), "Evri 48".into(), format!("H01ABC{:010}", n)),
        },
    }
}

fn jl_order(n: u32, w: &World, rng: &mut StdRng) -> NewOrder {
    let mut order = NewOrder::new(format!("Y1{:08}", 10_000 + n));
    order.ship_to.full_name = format!("Demo Customer {n}");
    order.ship_to.phone = Some("07700900123".into());
    for _ in 0..rng.gen_range(1..=2) {
        let item = &w.catalogue[rng.gen_range(0..w.catalogue.len())];
        if item.sku != w.near_miss_sku && !order.lines.iter().any(|l| l.part_number == item.part_number) {
            order = order.line(&item.part_number, 1, &item.price.to_string());
        }
    }
    order
}

struct Script<'a> {
    w: &'a World,
    rng: StdRng,
    source_qty: HashMap<String, i64>,
    shipped: HashMap<String, bool>,
    played: Played,
    placed_at: Vec<Instant>,
}

impl Script<'_> {
    fn shop(&mut self) {
        // About one shopper event a second per 100 SKUs: a busy day, within The Edge's budget.
        if !self.rng.gen_bool(0.35) {
            return;
        }
        let i = self.rng.gen_range(0..self.w.catalogue.len());
        let sku = self.w.catalogue[i].sku.clone();
        if self.rng.gen_bool(0.15) {
            let q = self.source_qty.entry(sku.clone()).or_insert(opening_qty(i));
            *q += self.rng.gen_range(5..25);
            self.w.magento.set_source_qty(&sku, "default", Decimal::from(*q));
            self.played.restocks += 1;
        } else if self.w.magento.place_storefront_order(&[(&sku, Decimal::ONE)]).is_ok() {
            self.played.sales += 1;
        }
    }

    fn john_lewis_orders(&mut self) {
        let n = self.played.jl_orders.len() as u32;
        let order = jl_order(n, self.w, &mut self.rng);
        if order.lines.is_empty() {
            return;
        }
        let reference = order.reference.clone();
        match self.w.jl.create_order(order) {
            Ok(id) => {
                self.played.jl_orders.push((id, reference));
                self.placed_at.push(Instant::now());
            }
            Err(e) => tracing::warn!(error = %e, "the demo could not place a John Lewis order"),
        }
    }

    /// Ships every injected order a few seconds after it reached Magento.
    fn warehouse(&mut self) {
        for (k, (_, reference)) in self.played.jl_orders.clone().iter().enumerate() {
            if self.shipped.contains_key(reference) || self.placed_at[k].elapsed() < Duration::from_secs(6) {
                continue;
            }
            if self.played.cancelled_ref.as_deref() == Some(reference.as_str()) {
                continue;
            }
            let Some(order) = self.w.magento.orders_with_ext_id(reference).into_iter().next() else { continue };
            if order["state"] == "canceled" {
                self.shipped.insert(reference.clone(), false);
                continue;
            }
            let lines: Vec<(String, Decimal)> = order["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|i| Some((i["sku"].as_str()?.to_owned(), i["qty_ordered"].as_f64().map(|q| Decimal::from(q as i64))?)))
                .collect();
            let (code, title, number) = parcel(self.played.shipments);
            let entity = order["entity_id"].as_i64().unwrap_or_default();
            let refs: Vec<(&str, Decimal)> = lines.iter().map(|(s, q)| (s.as_str(), *q)).collect();
            if self.w.magento.ship(entity, &refs, &[(code.as_str(), title.as_str(), number.as_str())], "default").is_ok() {
                if title.starts_with("Yodel") {
                    self.played.unmapped_carrier_ref = Some(reference.clone());
                }
                self.played.shipments += 1;
                self.shipped.insert(reference.clone(), true);
            }
        }
    }

    /// Every order is cancelled, or shipped and its dispatch reached John Lewis (but the one
    /// shipped with an unmapped carrier, which waits for a person).
    fn all_settled(&self) -> bool {
        self.played.jl_orders.iter().all(|(id, reference)| {
            [&self.played.cancelled_ref, &self.played.unmapped_carrier_ref].iter().any(|r| r.as_deref() == Some(reference.as_str()))
                || match self.shipped.get(reference) {
                    Some(false) => true,
                    Some(true) => self.w.jl.order_status(*id).as_deref() == Some("DISPATCH"),
                    None => false,
                }
        })
    }

    /// A customer changes their mind: John Lewis asks to cancel the newest unshipped order.
    fn cancellation(&mut self) {
        let pick = self.played.jl_orders.iter().rev().find(|(_, r)| !self.shipped.contains_key(r)).cloned();
        if let Some((id, reference)) = pick {
            if self.w.jl.request_cancellation(id) {
                self.played.cancelled_ref = Some(reference);
            }
        }
    }
}

fn progress(day: Duration) -> ProgressBar {
    let bar = ProgressBar::new(day.as_secs().max(1));
    bar.set_style(
        ProgressStyle::with_template("  {spinner} [{bar:30}] {pos:>3}/{len}s  {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar
}

pub async fn play(app: &App, w: &World, day: Duration) -> anyhow::Result<Played> {
    let _ = app;
    let mut s = Script {
        w,
        rng: StdRng::seed_from_u64(20261127),
        source_qty: HashMap::new(),
        shipped: HashMap::new(),
        played: Played::default(),
        placed_at: Vec::new(),
    };
    let outage_at = day.mul_f64(0.45);
    let outage_len = (day / 4).min(Duration::from_secs(60));
    let cancel_at = day.mul_f64(0.35);
    let bar = progress(day);
    let start = Instant::now();
    let (mut next_order, mut cancelled, mut outage_on) = (Duration::ZERO, false, false);
    while start.elapsed() < day {
        let t = start.elapsed();
        s.shop();
        if t >= next_order {
            s.john_lewis_orders();
            next_order = t + Duration::from_millis(s.rng.gen_range(1500..3500));
        }
        s.warehouse();
        if !cancelled && t >= cancel_at {
            s.cancellation();
            cancelled = true;
        }
        if !outage_on && t >= outage_at && s.played.outage.is_none() {
            w.jl.set_down(true);
            s.played.outage = Some((t, outage_len));
            outage_on = true;
        }
        if outage_on && t >= outage_at + outage_len {
            w.jl.set_down(false);
            outage_on = false;
        }
        bar.set_position(t.as_secs());
        bar.set_message(format!(
            "sales {} · restocks {} · JL orders {} · parcels {}{}",
            s.played.sales,
            s.played.restocks,
            s.played.jl_orders.len(),
            s.played.shipments,
            if outage_on { " · John Lewis is down" } else { "" }
        ));
        tokio::time::sleep(TICK).await;
    }
    w.jl.set_down(false);
    bar.finish_with_message(format!(
        "day over: {} sales, {} restocks, {} John Lewis orders, {} parcels",
        s.played.sales,
        s.played.restocks,
        s.played.jl_orders.len(),
        s.played.shipments
    ));
    // Orders placed at the end of the day still ship once they are in Magento (up to 20 s,
    // less once every order is settled).
    let settle = Instant::now();
    while settle.elapsed() < Duration::from_secs(20) && !s.all_settled() {
        s.warehouse();
        tokio::time::sleep(TICK).await;
    }
    Ok(s.played)
}
