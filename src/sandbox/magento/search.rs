//! searchCriteria as Magento reads it: snake_case or camelCase keys, filters OR'd inside a
//! group and groups AND'd, sort orders, and paging where a page past the end returns the
//! last page again (magento/magento2#3787, #8099).
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::str::FromStr;

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub field: String,
    pub value: String,
    pub condition: String,
}

#[derive(Debug, Clone, Default)]
pub struct Criteria {
    pub groups: Vec<Vec<Filter>>,
    pub sort: Vec<(String, bool)>,
    pub page_size: Option<usize>,
    pub current_page: Option<usize>,
}

const CONDITIONS: &[&str] =
    &["eq", "neq", "gt", "gteq", "lt", "lteq", "moreq", "like", "nlike", "in", "nin", "null", "notnull", "from", "to", "finset"];

/// Reads `searchCriteria[...]` parameters from a raw query string.
pub fn parse(query: &str) -> Result<Criteria, String> {
    let mut groups: BTreeMap<usize, BTreeMap<usize, Filter>> = BTreeMap::new();
    let mut sorts: BTreeMap<usize, (String, bool)> = BTreeMap::new();
    let mut c = Criteria::default();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        let Some(rest) = key.strip_prefix("searchCriteria") else { continue };
        let parts: Vec<&str> = rest.split(['[', ']']).filter(|s| !s.is_empty()).collect();
        let idx = |s: &str| s.parse::<usize>().map_err(|_| format!("\"{s}\" is not an index in {key}"));
        match parts.as_slice() {
            [g, gi, "filters", fi, name] if matches!(*g, "filter_groups" | "filterGroups") => {
                let f = groups.entry(idx(gi)?).or_default().entry(idx(fi)?).or_default();
                match *name {
                    "field" => f.field = value.into_owned(),
                    "value" => f.value = value.into_owned(),
                    "condition_type" | "conditionType" => f.condition = value.into_owned(),
                    _ => {}
                }
            }
            [s, i, name] if matches!(*s, "sort_orders" | "sortOrders") => {
                let e = sorts.entry(idx(i)?).or_insert((String::new(), true));
                match *name {
                    "field" => e.0 = value.into_owned(),
                    "direction" => e.1 = !value.eq_ignore_ascii_case("DESC"),
                    _ => {}
                }
            }
            ["page_size" | "pageSize"] => c.page_size = Some(idx(&value)?),
            ["current_page" | "currentPage"] => c.current_page = Some(idx(&value)?),
            _ => {}
        }
    }
    for group in groups.into_values() {
        let mut filters = Vec::new();
        for mut f in group.into_values() {
            if f.condition.is_empty() {
                f.condition = "eq".into();
            }
            if !CONDITIONS.contains(&f.condition.as_str()) {
                return Err(format!("Invalid condition type \"{}\"", f.condition));
            }
            if f.field.is_empty() {
                return Err("a filter has no field".into());
            }
            filters.push(f);
        }
        c.groups.push(filters);
    }
    c.sort = sorts.into_values().filter(|(f, _)| !f.is_empty()).collect();
    Ok(c)
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(if *b { "1" } else { "0" }.into()),
        other => Some(other.to_string()),
    }
}

fn compare(a: &str, b: &str) -> Ordering {
    match (Decimal::from_str(a), Decimal::from_str(b)) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.to_lowercase().cmp(&b.to_lowercase()),
    }
}

/// SQL LIKE with `%` and `_`, case-insensitive as MySQL's default collation.
fn like(value: &str, pattern: &str) -> bool {
    fn go(v: &[char], p: &[char]) -> bool {
        match p.split_first() {
            None => v.is_empty(),
            Some(('%', rest)) => (0..=v.len()).any(|i| go(&v[i..], rest)),
            Some(('_', rest)) => !v.is_empty() && go(&v[1..], rest),
            Some((c, rest)) => v.first() == Some(c) && go(&v[1..], rest),
        }
    }
    let v: Vec<char> = value.to_lowercase().chars().collect();
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    go(&v, &p)
}

fn matches(row: &Value, f: &Filter, alias: &dyn Fn(&str) -> String) -> bool {
    let actual = text(row.get(alias(&f.field)));
    let eq = |a: &str, b: &str| compare(a, b) == Ordering::Equal;
    let list = || f.value.split(',').map(str::trim).map(str::to_owned).collect::<Vec<_>>();
    match (f.condition.as_str(), actual.as_deref()) {
        ("null", a) => a.is_none(),
        ("notnull", a) => a.is_some(),
        (_, None) => false,
        ("eq", Some(a)) => eq(a, &f.value),
        ("neq", Some(a)) => !eq(a, &f.value),
        ("gt", Some(a)) => compare(a, &f.value) == Ordering::Greater,
        ("gteq" | "moreq" | "from", Some(a)) => compare(a, &f.value) != Ordering::Less,
        ("lt", Some(a)) => compare(a, &f.value) == Ordering::Less,
        ("lteq" | "to", Some(a)) => compare(a, &f.value) != Ordering::Greater,
        ("like", Some(a)) => like(a, &f.value),
        ("nlike", Some(a)) => !like(a, &f.value),
        ("in", Some(a)) => list().iter().any(|v| eq(a, v)),
        ("nin", Some(a)) => !list().iter().any(|v| eq(a, v)),
        ("finset", Some(a)) => a.split(',').any(|part| eq(part.trim(), &f.value)),
        _ => false,
    }
}

/// A cheap pre-check for large collections, without allocating per row: `false` only for rows
/// `apply` would drop (a group whose every filter is an `eq` or `in` on strings that differ
/// even ignoring ASCII case). Lets a search clone only the candidates.
pub fn prefilter(c: &Criteria, alias: &dyn Fn(&str) -> String) -> impl Fn(&Value) -> bool {
    let numeric = |s: &str| s.starts_with(|ch: char| ch.is_ascii_digit() || "+-.".contains(ch));
    // Per filter: the JSON key, and for `eq`/`in` the values (ASCII-lowercased) a row may
    // equal; `None` when the filter cannot be pre-checked (other conditions, numbers, non-ASCII).
    let groups: Vec<Vec<(String, Option<std::collections::HashSet<String>>)>> = c
        .groups
        .iter()
        .map(|g| {
            g.iter()
                .map(|f| {
                    let values: Vec<&str> = match f.condition.as_str() {
                        "eq" => vec![f.value.as_str()],
                        "in" => f.value.split(',').map(str::trim).collect(),
                        _ => return (alias(&f.field), None),
                    };
                    let checkable = values.iter().all(|v| v.is_ascii() && !numeric(v));
                    (alias(&f.field), checkable.then(|| values.iter().map(|v| v.to_ascii_lowercase()).collect()))
                })
                .collect()
        })
        .collect();
    move |row: &Value| {
        groups.iter().all(|g| {
            g.iter().any(|(key, values)| {
                let Some(values) = values else { return true };
                match row.get(key) {
                    Some(Value::String(a)) => !a.is_ascii() || numeric(a) || values.contains(&a.to_ascii_lowercase()),
                    Some(Value::Null) | None => false,
                    Some(_) => true,
                }
            })
        })
    }
}

/// Filters, sorts and pages `rows`; `alias` maps a searchable field name to the JSON key
/// (e.g. products answer `entity_id` searches from `id`).
pub fn apply(c: &Criteria, rows: Vec<Value>, alias: &dyn Fn(&str) -> String) -> Value {
    let mut hits: Vec<Value> =
        rows.into_iter().filter(|r| c.groups.iter().all(|g| g.iter().any(|f| matches(r, f, alias)))).collect();
    for (field, asc) in c.sort.iter().rev() {
        let key = alias(field);
        hits.sort_by(|a, b| {
            let o = match (text(a.get(&key)), text(b.get(&key))) {
                (Some(x), Some(y)) => compare(&x, &y),
                (x, y) => x.is_some().cmp(&y.is_some()),
            };
            if *asc { o } else { o.reverse() }
        });
    }
    let total = hits.len();
    let mut echo = json!({
        "filter_groups": c.groups.iter().map(|g| json!({"filters": g.iter().map(|f| json!({
            "field": f.field, "value": f.value, "condition_type": f.condition})).collect::<Vec<_>>()})).collect::<Vec<_>>(),
    });
    if !c.sort.is_empty() {
        echo["sort_orders"] =
            json!(c.sort.iter().map(|(f, asc)| json!({"field": f, "direction": if *asc {"ASC"} else {"DESC"}})).collect::<Vec<_>>());
    }
    let items = match c.page_size.filter(|n| *n > 0) {
        Some(size) => {
            let pages = total.div_ceil(size).max(1);
            let page = c.current_page.unwrap_or(1).clamp(1, pages);
            echo["page_size"] = json!(size);
            echo["current_page"] = json!(c.current_page.unwrap_or(1));
            hits.into_iter().skip((page - 1) * size).take(size).collect()
        }
        None => hits,
    };
    json!({"items": items, "search_criteria": echo, "total_count": total})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<Value> {
        (1..=5).map(|i| json!({"id": i, "sku": format!("SKU-{i}"), "qty": i * 10, "note": if i == 3 { Value::Null } else { json!("x") }})).collect()
    }
    fn ids(v: &Value) -> Vec<i64> {
        v["items"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect()
    }
    fn same(s: &str) -> String {
        s.to_owned()
    }

    #[test]
    fn or_within_a_group_and_across_groups() {
        let q = "searchCriteria[filter_groups][0][filters][0][field]=sku&searchCriteria[filter_groups][0][filters][0][value]=sku-1\
                 &searchCriteria[filter_groups][0][filters][1][field]=qty&searchCriteria[filter_groups][0][filters][1][value]=30\
                 &searchCriteria[filter_groups][0][filters][1][condition_type]=gteq\
                 &searchCriteria[filterGroups][1][filters][0][field]=id&searchCriteria[filterGroups][1][filters][0][value]=1,4\
                 &searchCriteria[filterGroups][1][filters][0][conditionType]=in";
        let c = parse(q).unwrap();
        assert_eq!(ids(&apply(&c, rows(), &same)), [1, 4], "(sku=SKU-1 OR qty>=30) AND id IN (1,4)");
    }

    #[test]
    fn conditions() {
        let one = |cond: &str, field: &str, value: &str| {
            let q = format!("searchCriteria[filter_groups][0][filters][0][field]={field}&searchCriteria[filter_groups][0][filters][0][value]={value}&searchCriteria[filter_groups][0][filters][0][condition_type]={cond}");
            ids(&apply(&parse(&q).unwrap(), rows(), &same))
        };
        assert_eq!(one("like", "sku", "%25-2"), [2]);
        assert_eq!(one("lt", "qty", "20"), [1]);
        assert_eq!(one("lteq", "qty", "20"), [1, 2]);
        assert_eq!(one("gt", "qty", "40"), [5]);
        assert_eq!(one("neq", "id", "1"), [2, 3, 4, 5]);
        assert_eq!(one("null", "note", ""), [3]);
        assert_eq!(one("nin", "id", "1,2,3"), [4, 5]);
        assert!(parse("searchCriteria[filter_groups][0][filters][0][field]=a&searchCriteria[filter_groups][0][filters][0][condition_type]=bogus").is_err());
    }

    #[test]
    fn in_lists_match_like_eq_and_the_prefilter_keeps_every_hit() {
        let q = "searchCriteria[filterGroups][0][filters][0][field]=sku&searchCriteria[filterGroups][0][filters][0][value]=sku-2,SKU-4,none\
                 &searchCriteria[filterGroups][0][filters][0][conditionType]=in\
                 &searchCriteria[filterGroups][0][filters][1][field]=id&searchCriteria[filterGroups][0][filters][1][value]=5\
                 &searchCriteria[filterGroups][0][filters][1][conditionType]=in";
        let c = parse(q).unwrap();
        let candidate = prefilter(&c, &same);
        let kept: Vec<Value> = rows().into_iter().filter(|r| candidate(r)).collect();
        assert_eq!(ids(&apply(&c, kept, &same)), [2, 4, 5], "sku IN (sku-2, SKU-4) OR id IN (5), case-insensitive");
        let text_only = parse("searchCriteria[filterGroups][0][filters][0][field]=sku&searchCriteria[filterGroups][0][filters][0][value]=SKU-1,SKU-3&searchCriteria[filterGroups][0][filters][0][conditionType]=in").unwrap();
        let candidate = prefilter(&text_only, &same);
        assert_eq!(rows().iter().filter(|r| candidate(r)).count(), 2, "only the listed SKUs are candidates");
    }

    #[test]
    fn paging_repeats_the_last_page_and_sorts() {
        let page = |p: usize| {
            let q = format!("searchCriteria[pageSize]=2&searchCriteria[currentPage]={p}&searchCriteria[sortOrders][0][field]=qty&searchCriteria[sortOrders][0][direction]=DESC");
            apply(&parse(&q).unwrap(), rows(), &same)
        };
        assert_eq!(ids(&page(1)), [5, 4]);
        assert_eq!(ids(&page(3)), [1]);
        assert_eq!(ids(&page(9)), [1], "past the end: the last page again");
        assert_eq!(page(9)["total_count"], 5);
        assert_eq!(ids(&apply(&parse("").unwrap(), rows(), &same)).len(), 5, "no pageSize: everything");
    }
}
