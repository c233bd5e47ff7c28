//! Every request the client sends is valid against Adobe's published description
//! (`../shared/magento/admin-schema-2.4.9.yaml`, Swagger 2.0): the path template exists with
//! that method, the query parameters are declared, and every body property (at every level)
//! exists in the referenced definition.
use crate::magento_support::{dec, draft, seeded};
use jlbridge::magento::SearchCriteria;
use serde_json::Value;
use std::path::PathBuf;

fn load_schema() -> Option<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/magento/admin-schema-2.4.9.yaml");
    let text = std::fs::read_to_string(&path).ok()?;
    Some(serde_yaml::from_str(&text).expect("the published schema parses"))
}

/// The schema path matching a concrete `/V1/…` path (template segments match any segment).
fn find_template<'a>(schema: &'a Value, concrete: &str) -> Option<(&'a str, &'a Value)> {
    let want: Vec<&str> = concrete.trim_end_matches('/').split('/').collect();
    schema["paths"].as_object()?.iter().find_map(|(template, item)| {
        let have: Vec<&str> = template.trim_end_matches('/').split('/').collect();
        let same = have.len() == want.len()
            && have.iter().zip(&want).all(|(t, c)| (t.starts_with('{') && t.ends_with('}')) || t == c);
        same.then_some((template.as_str(), item))
    })
}

fn resolve<'a>(schema: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(r) => resolve(schema, &schema["definitions"][r.trim_start_matches("#/definitions/")]),
        None => node,
    }
}

fn check_body(schema: &Value, value: &Value, node: &Value, at: &str, problems: &mut Vec<String>) {
    let node = resolve(schema, node);
    match value {
        Value::Object(map) => {
            let Some(props) = node.get("properties").and_then(Value::as_object) else {
                if node.get("type").and_then(Value::as_str) != Some("object") {
                    problems.push(format!("{at}: an object where the schema has none"));
                }
                return;
            };
            for (k, v) in map {
                match props.get(k) {
                    Some(p) => check_body(schema, v, p, &format!("{at}.{k}"), problems),
                    None => problems.push(format!("{at}.{k}: not in the schema")),
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_node) = node.get("items") {
                for (i, v) in items.iter().enumerate() {
                    check_body(schema, v, item_node, &format!("{at}[{i}]"), problems);
                }
            }
        }
        _ => {}
    }
}

/// Declared query names with indices written as 0.
fn normalise_query_name(name: &str) -> String {
    let mut out = String::new();
    let mut in_digits = false;
    for c in name.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('0');
            }
            in_digits = true;
        } else {
            in_digits = false;
            out.push(c);
        }
    }
    out
}

#[tokio::test]
async fn every_request_the_client_sends_is_in_the_published_schema() {
    let Some(schema) = load_schema() else {
        println!("skipped: ../shared/magento not found");
        return;
    };
    // Exercise every client operation against the sandbox.
    let (sb, client) = seeded().await;
    client.salable_qty("SHIRT-M", 1).await.unwrap();
    client.products(SearchCriteria::new().and("updated_at", "gteq", "2026-01-01 00:00:00"), 1).await.unwrap();
    client.source_items(SearchCriteria::new().and("source_code", "eq", "default"), 1).await.unwrap();
    let d = draft("Y300000001");
    let order = client.create_order_once(&d).await.unwrap().order().clone();
    client.find_orders_by_ext_order_id("Y300000001").await.unwrap();
    client.find_order_by_increment_id("JL-Y300000001").await.unwrap();
    client.add_order_comment_keeping_status(order.entity_id, "John Lewis order Y300000001").await.unwrap();
    let sid = sb.ship(order.entity_id, &[("SHIRT-M", dec("1"))], &[("custom", "Royal Mail", "RM1")], "default").unwrap();
    client.shipments_created_since(chrono::Utc::now() - chrono::Duration::hours(1), 10).await.unwrap();
    client.get_shipment(sid).await.unwrap();
    client.cancel_order(order.entity_id).await.unwrap();

    let calls = sb.calls();
    let mut problems = Vec::new();
    let mut methods_seen = std::collections::BTreeSet::new();
    for call in &calls {
        let v1 = call.path.splitn(4, '/').nth(3).map(|rest| format!("/{rest}")).unwrap_or_default();
        assert!(call.path.starts_with("/rest/default/V1/"), "store code in the path: {}", call.path);
        let Some((template, item)) = find_template(&schema, &v1) else {
            problems.push(format!("{} {}: no such path in the schema", call.method, v1));
            continue;
        };
        let Some(op) = item.get(call.method.to_ascii_lowercase()) else {
            problems.push(format!("{} {template}: method not in the schema", call.method));
            continue;
        };
        methods_seen.insert(format!("{} {template}", call.method));
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        let declared: Vec<String> =
            params.iter().filter(|p| p["in"] == "query").filter_map(|p| p["name"].as_str()).map(normalise_query_name).collect();
        for (name, _) in form_urlencoded::parse(call.query.as_deref().unwrap_or_default().as_bytes()) {
            if !declared.contains(&normalise_query_name(&name)) {
                problems.push(format!("{} {template}: query parameter {name} not declared", call.method));
            }
        }
        if let Some(body) = &call.body {
            match params.iter().find(|p| p["in"] == "body") {
                Some(p) => check_body(&schema, body, &p["schema"], &format!("{} {template} body", call.method), &mut problems),
                None if body.as_object().is_some_and(|m| m.is_empty()) => {}
                None => problems.push(format!("{} {template}: sends a body the schema does not take", call.method)),
            }
        }
    }
    assert!(problems.is_empty(), "requests not in the published schema:\n{}", problems.join("\n"));
    let expected = [
        "GET /V1/inventory/get-product-salable-quantity/{sku}/{stockId}",
        "GET /V1/products",
        "GET /V1/inventory/source-items",
        "GET /V1/orders",
        "POST /V1/orders",
        "GET /V1/orders/{id}",
        "POST /V1/orders/{id}/comments",
        "POST /V1/orders/{id}/cancel",
        "GET /V1/shipments",
        "GET /V1/shipment/{id}",
    ];
    for e in expected {
        assert!(methods_seen.contains(e), "operation {e} was not exercised: {methods_seen:?}");
    }
}

#[test]
fn the_checker_catches_a_misspelt_field() {
    let Some(schema) = load_schema() else {
        println!("skipped: ../shared/magento not found");
        return;
    };
    let op = &find_template(&schema, "/V1/orders").unwrap().1["post"];
    let body_schema = &op["parameters"].as_array().unwrap().iter().find(|p| p["in"] == "body").unwrap()["schema"];
    let mut problems = Vec::new();
    let body = serde_json::json!({"entity": {"increment_id": "JL-1", "items": [{"sku": "A", "ext_order_line_id": "1"}],
        "extension_attributes": {"shipping_assignments": [{"shipping": {"adress": {}}}]}}});
    check_body(&schema, &body, body_schema, "body", &mut problems);
    problems.sort();
    assert_eq!(
        problems,
        [
            "body.entity.extension_attributes.shipping_assignments[0].shipping.adress: not in the schema",
            "body.entity.items[0].ext_order_line_id: not in the schema",
        ]
    );
    assert!(find_template(&schema, "/V1/orders/12/comments").is_some());
    assert!(find_template(&schema, "/V1/orderz").is_none());
}
