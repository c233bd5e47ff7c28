//! Orders and shipments in the simulated store: `POST /V1/orders` (no reservation, unique
//! increment id per store), storefront checkout (reserves), comments, cancel, ship.
//! Webhooks follow the jlbridge Magento module (`clients/magento2`): `shipment.created` and
//! `order.canceled` only for John Lewis orders; with `connector_module` on, orders paid with
//! `jlbridge_marketplace` get the MSI reservation the module places.
use super::search::{prefilter, Criteria};
use super::state::{dec, now, Event, SbError, SbResult, State};
use crate::magento::wire::num;
use rust_decimal::Decimal;
use serde_json::{json, Value};

fn required(e: &Value, field: &str) -> SbResult<()> {
    if e.get(field).is_none_or(Value::is_null) {
        return Err(SbError::new(400, "\"%fieldName\" is required. Enter and try again.").with(json!({"fieldName": field})));
    }
    Ok(())
}

/// The Magento module's view of a John Lewis order: its payment method, or an
/// `ext_order_id`; the reference is `ext_order_id`, else the increment id.
pub fn marketplace_reference(order: &Value) -> Option<String> {
    let ext = order["ext_order_id"].as_str().map(str::trim).filter(|s| !s.is_empty());
    let ours = order.pointer("/payment/method").and_then(Value::as_str) == Some(CONNECTOR_PAYMENT_METHOD);
    match ext {
        Some(e) => Some(e.to_owned()),
        None if ours => order["increment_id"].as_str().map(str::to_owned),
        None => None,
    }
}

/// Payment method registered by the jlbridge Magento module.
pub const CONNECTOR_PAYMENT_METHOD: &str = "jlbridge_marketplace";

fn open_qty(item: &Value) -> Decimal {
    let q = |k: &str| dec(&item[k]).unwrap_or_default();
    q("qty_ordered") - q("qty_shipped") - q("qty_canceled")
}

impl State {
    /// Stores a full order entity as `OrderRepositoryInterface::save` would: ids assigned,
    /// `increment_id` unique per store, no MSI reservation.
    pub fn save_order(&mut self, mut entity: Value, store_id: i64) -> SbResult<Value> {
        if !entity.is_object() {
            return Err(SbError::new(400, "\"%fieldName\" is required. Enter and try again.").with(json!({"fieldName": "entity"})));
        }
        for f in ["base_grand_total", "customer_email", "grand_total", "items"] {
            required(&entity, f)?;
        }
        if entity["items"].as_array().is_none_or(Vec::is_empty) {
            return Err(SbError::new(400, "Please specify order items."));
        }
        if entity["ext_order_id"].as_str().is_some_and(|x| x.chars().count() > 32) {
            // MySQL strict mode refuses the varchar(32); production mode masks the reason.
            return Err(SbError::new(500, "Internal Error. Details are available in Magento log file. Report ID: webapi-sandbox"));
        }
        let store_id = entity["store_id"].as_i64().unwrap_or(store_id);
        let increment_id = match entity["increment_id"].as_str() {
            Some(i) if !i.is_empty() => i.to_owned(),
            _ => self.increment(),
        };
        // The unique key (increment_id, store_id) compares as MySQL's default collation does.
        if self.order_index.taken(store_id, &increment_id) {
            return Err(SbError::new(400, "Unique constraint violation found"));
        }
        let id = self.id();
        let t = now();
        let items = entity["items"].as_array().cloned().unwrap_or_default();
        let mut stored_items = Vec::new();
        for mut item in items {
            let item_id = self.id();
            let product_id = item["sku"].as_str().and_then(|s| self.product_id(s));
            let o = item.as_object_mut().ok_or_else(|| SbError::new(400, "An order item is not an object."))?;
            o.insert("item_id".into(), json!(item_id));
            o.insert("order_id".into(), json!(id));
            o.entry("product_id").or_insert(json!(product_id));
            o.entry("parent_item_id").or_insert(Value::Null);
            for k in ["qty_shipped", "qty_canceled", "qty_invoiced", "qty_refunded"] {
                o.entry(k).or_insert(json!(0));
            }
            o.insert("created_at".into(), json!(t));
            stored_items.push(item);
        }
        let o = entity.as_object_mut().expect("checked");
        o.insert("entity_id".into(), json!(id));
        o.insert("increment_id".into(), json!(increment_id));
        o.insert("store_id".into(), json!(store_id));
        o.insert("items".into(), json!(stored_items));
        o.insert("created_at".into(), json!(t));
        o.insert("updated_at".into(), json!(t));
        o.entry("state").or_insert(json!("new"));
        o.entry("status").or_insert(json!("pending"));
        o.entry("status_histories").or_insert(json!([]));
        o.entry("ext_order_id").or_insert(Value::Null);
        self.order_index.insert(id, &entity);
        self.orders.insert(id, entity.clone());
        // With the jlbridge module installed, its orders get the reservation Magento skips.
        let ours = entity.pointer("/payment/method").and_then(Value::as_str) == Some(CONNECTOR_PAYMENT_METHOD);
        if self.connector_module && ours {
            let lines: Vec<(String, Decimal)> = entity["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|i| Some((i["sku"].as_str()?.to_owned(), dec(&i["qty_ordered"])?)))
                .collect();
            for (sku, qty) in &lines {
                self.reserve(sku, -*qty, "order_placed");
            }
            self.stock_changed(lines.into_iter().map(|(s, _)| s));
        }
        Ok(entity)
    }

    /// The orders a search may return (a superset; `search::apply` then filters, sorts and
    /// pages): from the indexes when a filter group allows it, else every order a cheap
    /// pre-check keeps.
    pub fn order_candidates(&self, c: &Criteria) -> Vec<Value> {
        match self.order_index.candidates(c) {
            Some(ids) => ids.iter().filter_map(|id| self.orders.get(id)).cloned().collect(),
            None => {
                let candidate = prefilter(c, &|f: &str| f.to_owned());
                self.orders.values().filter(|r| candidate(r)).cloned().collect()
            }
        }
    }

    /// A storefront (checkout) order: catalogue prices, `new`/`pending`, and a −qty
    /// reservation per line on the sales stock.
    pub fn place_storefront_order(&mut self, lines: &[(String, Decimal)], store_id: i64) -> SbResult<Value> {
        let mut items = Vec::new();
        let mut total = Decimal::ZERO;
        for (sku, qty) in lines {
            let p = self.products.get(sku).ok_or_else(|| SbError::new(404, "The product that was requested doesn't exist. Verify the product and try again."))?;
            let price = dec(&p["price"]).unwrap_or_default();
            total += price * qty;
            items.push(json!({"sku": sku, "name": p["name"], "product_type": p["type_id"], "qty_ordered": num(*qty),
                              "price": num(price), "price_incl_tax": num(price), "row_total": num(price * qty)}));
        }
        let entity = json!({"store_id": store_id, "customer_email": "shopper@example.invalid", "customer_is_guest": 1,
            "order_currency_code": "GBP", "base_currency_code": "GBP", "grand_total": num(total), "base_grand_total": num(total),
            "state": "new", "status": "pending", "shipping_description": "Flat Rate - Fixed", "items": items,
            "payment": {"method": "checkmo"}});
        let order = self.save_order(entity, store_id)?;
        for (sku, qty) in lines {
            self.reserve(sku, -*qty, "order_placed");
        }
        self.stock_changed(lines.iter().map(|(s, _)| s.clone()));
        Ok(order)
    }

    pub fn order_mut(&mut self, id: i64) -> SbResult<&mut Value> {
        self.orders.get_mut(&id).ok_or_else(SbError::no_entity)
    }

    /// `POST /V1/orders/{id}/comments`: without `status` the order's status becomes null
    /// (magento/magento2#34180), as in real Magento.
    pub fn add_comment(&mut self, id: i64, history: &Value) -> SbResult<bool> {
        required(history, "comment")?;
        let hid = self.id();
        let order = self.order_mut(id)?;
        let status = history.get("status").cloned().unwrap_or(Value::Null);
        order["status"] = status.clone();
        order["updated_at"] = json!(now());
        let entry = json!({"entity_id": hid, "parent_id": id, "comment": history["comment"], "status": status,
            "is_customer_notified": history.get("is_customer_notified").cloned().unwrap_or(json!(0)),
            "is_visible_on_front": history.get("is_visible_on_front").cloned().unwrap_or(json!(0)),
            "entity_name": history.get("entity_name").cloned().unwrap_or(json!("order")), "created_at": now()});
        if !order["status_histories"].is_array() {
            order["status_histories"] = json!([]);
        }
        if let Some(h) = order["status_histories"].as_array_mut() {
            h.push(entry);
        }
        Ok(true)
    }

    /// `POST /V1/orders/{id}/cancel`: `false` when nothing can be cancelled; otherwise open
    /// quantities are cancelled and compensated (+qty reservations).
    pub fn cancel(&mut self, id: i64) -> SbResult<bool> {
        let order = self.order_mut(id)?;
        let state = order["state"].as_str().unwrap_or_default().to_owned();
        let items = order["items"].as_array().cloned().unwrap_or_default();
        if matches!(state.as_str(), "canceled" | "complete" | "closed" | "holded") || items.iter().all(|i| open_qty(i) <= Decimal::ZERO) {
            return Ok(false);
        }
        let mut released = Vec::new();
        for item in order["items"].as_array_mut().into_iter().flatten() {
            let open = open_qty(item);
            if open > Decimal::ZERO {
                let canceled = dec(&item["qty_canceled"]).unwrap_or_default() + open;
                item["qty_canceled"] = num(canceled);
                released.push((item["sku"].as_str().unwrap_or_default().to_owned(), open));
            }
        }
        order["state"] = json!("canceled");
        order["status"] = json!("canceled");
        order["updated_at"] = json!(now());
        if let Some(reference) = marketplace_reference(order) {
            let hook = json!({"order_increment_id": order["increment_id"], "marketplace_order_reference": reference});
            self.events.push(Event::OrderCanceled(hook));
        }
        for (sku, qty) in &released {
            self.reserve(sku, *qty, "order_canceled");
        }
        self.stock_changed(released.into_iter().map(|(s, _)| s));
        Ok(true)
    }

    /// `POST /V1/order/{orderId}/ship`: validates quantities and tracks, deducts the source,
    /// appends the +qty compensation, moves the order on, and returns the shipment id.
    pub fn ship(&mut self, order_id: i64, wanted: &[(i64, Decimal)], tracks: &[Value], source: &str) -> SbResult<i64> {
        let invalid = |m: String| SbError::new(400, format!("Shipment Document Validation Error(s):\n{m}"));
        let order = self.orders.get(&order_id).ok_or_else(SbError::no_entity)?.clone();
        if matches!(order["state"].as_str(), Some("canceled" | "closed" | "holded")) {
            return Err(SbError::new(400, "The order does not allow a shipment to be created."));
        }
        let items = order["items"].as_array().cloned().unwrap_or_default();
        let mut lines = Vec::new();
        for item in &items {
            let item_id = item["item_id"].as_i64().unwrap_or_default();
            let qty = if wanted.is_empty() {
                open_qty(item)
            } else {
                wanted.iter().filter(|(i, _)| *i == item_id).map(|(_, q)| *q).sum()
            };
            if qty > open_qty(item) {
                let sku = item["sku"].as_str().unwrap_or_default();
                return Err(invalid(format!("The quantity to ship must not be greater than the unshipped quantity for product SKU \"{sku}\".")));
            }
            if qty > Decimal::ZERO {
                lines.push((item.clone(), qty));
            }
        }
        if lines.is_empty() {
            return Err(invalid("You can't create a shipment without products.".into()));
        }
        if tracks.iter().any(|t| t["track_number"].as_str().is_none_or(|n| n.trim().is_empty())) {
            return Err(invalid("Please enter a tracking number.".into()));
        }
        let shipment_id = self.id();
        let increment_id = self.increment();
        let t = now();
        let mut ship_items = Vec::new();
        let mut hook_items = Vec::new();
        for (item, qty) in &lines {
            let sku = item["sku"].as_str().unwrap_or_default().to_owned();
            let eid = self.id();
            ship_items.push(json!({"entity_id": eid, "parent_id": shipment_id, "order_item_id": item["item_id"], "sku": sku,
                "name": item["name"], "qty": num(*qty), "price": item["price"], "product_id": item["product_id"]}));
            let mut h = json!({"sku": sku, "qty": num(*qty)});
            if let Some(line) = item["ext_order_item_id"].as_str() {
                h["marketplace_line_ref"] = json!(line);
            }
            hook_items.push(h);
            let key = (sku.clone(), source.to_owned());
            if let Some(si) = self.source_items.get_mut(&key) {
                si.quantity -= qty;
            }
            let stock_id = self.stock_of_source(source);
            self.reservations.push(super::state::Reservation { sku, stock_id, quantity: *qty, reason: "shipment_created" });
        }
        let mut ship_tracks = Vec::new();
        for tr in tracks {
            let tid = self.id();
            ship_tracks.push(json!({"entity_id": tid, "parent_id": shipment_id, "order_id": order_id,
                "track_number": tr["track_number"], "title": tr["title"], "carrier_code": tr["carrier_code"],
                "description": null, "qty": null, "weight": null, "created_at": t, "updated_at": t}));
        }
        let total: Decimal = lines.iter().map(|(_, q)| *q).sum();
        let shipment = json!({"entity_id": shipment_id, "increment_id": increment_id, "order_id": order_id,
            "store_id": order["store_id"], "total_qty": num(total), "email_sent": null, "created_at": t, "updated_at": t,
            "packages": [], "items": ship_items, "tracks": ship_tracks, "comments": [],
            "extension_attributes": {"source_code": source}});
        self.shipments.insert(shipment_id, shipment);
        let order = self.order_mut(order_id)?;
        for item in order["items"].as_array_mut().into_iter().flatten() {
            let item_id = item["item_id"].as_i64();
            if let Some((_, q)) = lines.iter().find(|(l, _)| l["item_id"].as_i64() == item_id) {
                item["qty_shipped"] = num(dec(&item["qty_shipped"]).unwrap_or_default() + q);
            }
        }
        let done = order["items"].as_array().into_iter().flatten().all(|i| open_qty(i) <= Decimal::ZERO);
        let state = if done { "complete" } else { "processing" };
        order["state"] = json!(state);
        order["status"] = json!(state);
        order["updated_at"] = json!(t);
        if let Some(reference) = marketplace_reference(order) {
            let hook = json!({"order_increment_id": order["increment_id"], "marketplace_order_reference": reference,
                "shipment_id": shipment_id, "items": hook_items,
                "tracks": tracks.iter().map(|t| json!({"carrier_code": t["carrier_code"], "title": t["title"], "track_number": t["track_number"]})).collect::<Vec<_>>()});
            self.events.push(Event::ShipmentCreated(hook));
        }
        let skus: Vec<String> = lines.iter().map(|(i, _)| i["sku"].as_str().unwrap_or_default().to_owned()).collect();
        self.stock_changed(skus);
        Ok(shipment_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> State {
        let mut s = State::default();
        s.add_product("A", "Tee", Decimal::from(20), "simple");
        s.set_source_item("A", "default", Decimal::from(10), 1);
        s
    }

    #[test]
    fn api_orders_do_not_reserve_but_storefront_orders_do() {
        let mut s = store();
        let e = json!({"increment_id": "JL-1", "customer_email": "x@example.invalid", "grand_total": 20, "base_grand_total": 20,
                       "items": [{"sku": "A", "qty_ordered": 2}]});
        s.save_order(e.clone(), 1).unwrap();
        assert_eq!(s.salable("A", 1), Ok(Decimal::from(10)));
        assert_eq!(s.save_order(e.clone(), 1).unwrap_err().message, "Unique constraint violation found");
        assert!(s.save_order(e, 2).is_ok(), "increment ids are unique per store");
        s.place_storefront_order(&[("A".into(), Decimal::from(3))], 1).unwrap();
        assert_eq!(s.salable("A", 1), Ok(Decimal::from(7)));
    }

    #[test]
    fn indexed_searches_find_what_a_full_scan_finds() {
        use crate::sandbox::magento::search::{apply, parse};
        let mut s = store();
        for (inc, ext) in [("JL-A1", "A1"), ("jl-b2", "B2"), ("JL-C3", "a1"), ("000000004", "7")] {
            let e = json!({"increment_id": inc, "ext_order_id": ext, "customer_email": "x@example.invalid", "grand_total": 20,
                           "base_grand_total": 20, "items": [{"sku": "A", "qty_ordered": 1}]});
            s.save_order(e, 1).unwrap();
        }
        s.place_storefront_order(&[("A".into(), Decimal::ONE)], 1).unwrap();
        let f = |i: usize, field: &str, value: &str, cond: &str| {
            format!("searchCriteria[filterGroups][0][filters][{i}][field]={field}&searchCriteria[filterGroups][0][filters][{i}][value]={value}\
                     &searchCriteria[filterGroups][0][filters][{i}][conditionType]={cond}")
        };
        let ids = |v: &Value| v["items"].as_array().unwrap().iter().map(|o| o["entity_id"].as_i64().unwrap()).collect::<Vec<_>>();
        let cases = [
            (f(0, "increment_id", "jl-a1,JL-B2,none", "in") + "&" + &f(1, "ext_order_id", "A1", "in"), 3),
            (f(0, "increment_id", "JL-C3", "eq"), 1),
            (f(0, "ext_order_id", "7", "eq"), 1),
            (f(0, "increment_id", "4", "eq"), 1),
            (f(0, "increment_id", "JL-%25", "like"), 3),
            (f(0, "ext_order_id", "nobody", "in"), 0),
        ];
        for (q, hits) in cases {
            let c = parse(&q).unwrap();
            let all: Vec<Value> = s.orders.values().cloned().collect();
            let scanned = apply(&c, all, &|x: &str| x.to_owned());
            let indexed = apply(&c, s.order_candidates(&c), &|x: &str| x.to_owned());
            assert_eq!(ids(&indexed), ids(&scanned), "{q}");
            assert_eq!(ids(&indexed).len(), hits, "{q}");
        }
        let by_ids = parse(&f(0, "increment_id", "JL-A1,JL-C3", "in")).unwrap();
        assert_eq!(s.order_index.candidates(&by_ids).map(|c| c.len()), Some(2), "answered from the index");
        assert!(s.order_index.candidates(&parse(&f(0, "increment_id", "4", "eq")).unwrap()).is_none(), "numbers compare as numbers");
        assert!(s.order_index.taken(1, "jl-c3") && !s.order_index.taken(2, "JL-C3"), "unique per store, ASCII case ignored");
    }

    #[test]
    fn with_the_connector_module_its_orders_reserve() {
        let mut s = store();
        s.connector_module = true;
        let e = json!({"increment_id": "JL-2", "ext_order_id": "Y2", "customer_email": "x@example.invalid", "grand_total": 20,
                       "base_grand_total": 20, "payment": {"method": CONNECTOR_PAYMENT_METHOD}, "items": [{"sku": "A", "qty_ordered": 2}]});
        let o = s.save_order(e, 1).unwrap();
        assert_eq!(s.salable("A", 1), Ok(Decimal::from(8)));
        s.events.clear();
        s.ship(o["entity_id"].as_i64().unwrap(), &[], &[], "default").unwrap();
        assert!(matches!(&s.events[0], Event::ShipmentCreated(h) if h["marketplace_order_reference"] == "Y2"));
        assert_eq!(s.salable("A", 1), Ok(Decimal::from(8)), "shipment: source -2, reservation +2");
    }

    #[test]
    fn storefront_shipments_send_no_marketplace_webhook() {
        let mut s = store();
        let o = s.place_storefront_order(&[("A".into(), Decimal::from(1))], 1).unwrap();
        s.events.clear();
        s.ship(o["entity_id"].as_i64().unwrap(), &[], &[], "default").unwrap();
        assert!(!s.events.iter().any(|e| matches!(e, Event::ShipmentCreated(_))));
    }

    #[test]
    fn shipping_deducts_source_and_compensates() {
        let mut s = store();
        let o = s.place_storefront_order(&[("A".into(), Decimal::from(3))], 1).unwrap();
        let id = o["entity_id"].as_i64().unwrap();
        let item = o["items"][0]["item_id"].as_i64().unwrap();
        let err = s.ship(id, &[(item, Decimal::from(4))], &[], "default").unwrap_err();
        assert!(err.message.contains("unshipped quantity for product SKU \"A\""));
        s.ship(id, &[(item, Decimal::from(3))], &[json!({"track_number": "JD1", "title": "Royal Mail", "carrier_code": "custom"})], "default").unwrap();
        assert_eq!(s.source_items[&("A".into(), "default".into())].quantity, Decimal::from(7));
        assert_eq!(s.salable("A", 1), Ok(Decimal::from(7)), "salable unchanged by the shipment");
        assert_eq!(s.orders[&id]["state"], "complete");
        assert!(!s.cancel(id).unwrap(), "a shipped order cannot be cancelled");
    }
}
