//! JSON answers of the simulated Edge, shaped like the documented examples.
use super::state::{Order, Product, Return};
use rust_decimal::Decimal;
use serde_json::{json, Value};

const DT: &str = "%Y-%m-%dT%H:%M:%S";

fn money(d: Decimal) -> String {
    format!("{:.2}", d)
}

pub fn order(base: &str, o: &Order) -> Value {
    let (mut sub, mut tax) = (Decimal::ZERO, Decimal::ZERO);
    let items: Vec<Value> = o
        .lines
        .iter()
        .map(|l| {
            let s = l.unit_price * Decimal::from(l.quantity);
            let t = (s * l.tax_rate / Decimal::from(100)).round_dp(2);
            sub += s;
            tax += t;
            json!({
                "url": format!("{base}/restapi/v4/items/{}/", l.item_id),
                "part_number": l.part_number,
                "retailer_sku_reference": l.part_number,
                "supplier_sku_reference": null,
                "line_reference": l.line_ref,
                "quantity": l.quantity,
                "name": l.name,
                "description": l.name,
                "status": l.status,
                "unit_cost_price": money(l.unit_price),
                "subtotal": money(s),
                "tax": money(t),
                "tax_rate": money(l.tax_rate),
                "total": money(s + t),
                "promised_date": l.promised_date.map(|d| d.format(DT).to_string()),
                "retailer_additional_reference": null,
            })
        })
        .collect();
    let a = &o.ship_to;
    json!({
        "url": format!("{base}/restapi/v4/orders/{}/", o.id),
        "retailer": format!("{base}/restapi/v4/customers/13/"),
        "order_reference": o.reference,
        "order_date": o.order_date.format(DT).to_string(),
        "status": o.status(),
        "purchase_order_reference": null,
        "end_user_purchase_order_reference": null,
        "additional_order_reference": null,
        "comment": o.comment,
        "test_flag": o.test_flag,
        "supplier": format!("{base}/restapi/v4/suppliers/1569/"),
        "items": items,
        "currency_code": o.currency,
        "subtotal": money(sub),
        "tax": money(tax),
        "total": money(sub + tax),
        "shipping_address": {
            "country": a.country, "line_1": a.line_1, "line_2": a.line_2, "city": a.city,
            "postal_code": a.postal_code, "state": null, "phone": a.phone, "full_name": a.full_name, "email": a.email,
        },
        "delivery_service_code": null,
    })
}

pub fn product(base: &str, p: &Product) -> Value {
    json!({
        "url": format!("{base}/api/v4/products/{}/?format=json", p.id),
        "part_number": p.part_number,
        "category": null,
        "client": format!("{base}/api/v4/clients/637/?format=json"),
        "supplier": format!("{base}/api/v4/suppliers/3994/?format=json"),
        "data": {
            "tradedCode": p.traded_code,
            "free_stock": p.stock,
            "back_in_stock_date": "",
        },
    })
}

pub fn return_(base: &str, r: &Return, o: &Order) -> Value {
    let full = order(base, o);
    let item = full["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["line_reference"] == r.line_ref.as_str()).cloned())
        .unwrap_or(Value::Null);
    let created = r.created_at.format("%Y-%m-%d %H:%M:%S").to_string();
    json!({
        "id": r.id,
        "quantity": r.quantity,
        "order": full,
        "order_item": item,
        "return_reason": {"id": null, "code": r.reason_code, "description": null, "is_enabled": true},
        "return_reason_code": r.reason_code,
        "status": {"code": r.status, "description": null},
        "return_date": created,
        "created_at": created,
    })
}

/// A `limit`/`offset` page with `next`/`previous` links carrying the filters.
pub fn page(link_base: &str, filters: &[(&str, &String)], count: usize, limit: usize, offset: usize, results: Vec<Value>) -> Value {
    let link = |off: usize| {
        let mut s = format!("{link_base}?format=json&limit={limit}&offset={off}");
        for (k, v) in filters {
            s.push_str(&format!("&{k}={v}"));
        }
        s
    };
    let next = (offset + limit < count).then(|| link(offset + limit));
    let previous = (offset > 0).then(|| link(offset.saturating_sub(limit)));
    json!({"count": count, "next": next, "previous": previous, "results": results})
}
