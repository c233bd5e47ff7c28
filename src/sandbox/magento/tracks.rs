//! A tracking number added to an existing shipment (Magento's `POST /V1/shipment/track`, or
//! the admin's "Add Tracking Number"). The jlbridge module then sends `shipment.created`
//! again for that shipment, with every track (same `shipment_id`, new `webhook-id`).
use super::sales::marketplace_reference;
use super::state::{now, Event, SbError, SbResult, State};
use serde_json::{json, Value};

impl State {
    pub fn add_track(&mut self, shipment_id: i64, carrier_code: &str, title: &str, number: &str) -> SbResult<i64> {
        if number.trim().is_empty() {
            return Err(SbError::new(400, "Please enter a tracking number."));
        }
        let tid = self.id();
        let shipment = self.shipments.get_mut(&shipment_id).ok_or_else(SbError::no_entity)?;
        let order_id = shipment["order_id"].as_i64().unwrap_or_default();
        let t = now();
        if let Some(tracks) = shipment["tracks"].as_array_mut() {
            tracks.push(json!({"entity_id": tid, "parent_id": shipment_id, "order_id": order_id, "track_number": number,
                "title": title, "carrier_code": carrier_code, "description": null, "qty": null, "weight": null,
                "created_at": t, "updated_at": t}));
        }
        let shipment = shipment.clone();
        let Some(order) = self.orders.get(&order_id) else { return Ok(tid) };
        if let Some(reference) = marketplace_reference(order) {
            let line_of = |item_id: &Value| {
                order["items"].as_array().into_iter().flatten().find(|i| &i["item_id"] == item_id).and_then(|i| i["ext_order_item_id"].as_str())
            };
            let items: Vec<Value> = shipment["items"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|i| {
                    let mut h = json!({"sku": i["sku"], "qty": i["qty"]});
                    if let Some(line) = line_of(&i["order_item_id"]) {
                        h["marketplace_line_ref"] = json!(line);
                    }
                    h
                })
                .collect();
            let tracks: Vec<Value> = shipment["tracks"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| json!({"carrier_code": t["carrier_code"], "title": t["title"], "track_number": t["track_number"]}))
                .collect();
            let hook = json!({"order_increment_id": order["increment_id"], "marketplace_order_reference": reference,
                "shipment_id": shipment_id, "items": items, "tracks": tracks});
            self.events.push(Event::ShipmentCreated(hook));
        }
        Ok(tid)
    }
}
