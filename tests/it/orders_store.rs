//! The order store API (used by the orders and shipments flows): upsert never duplicates,
//! state steps are conditional, line quantities cannot exceed the line, the lease is exclusive.
use crate::magento_support::sample_order;
use crate::support::*;
use jlbridge::domain::order::OrderStatus;
use jlbridge::domain::order_state::{OrderState, Step};
use jlbridge::store::{self, now_ms, orders};
use sea_orm::DatabaseConnection;
use std::time::Duration;

async fn store_api(db: &DatabaseConnection) {
    let mut o = sample_order("JL100001");
    let first = orders::upsert_listed(db, &o, now_ms()).await.unwrap();
    assert!(first.inserted());
    let again = orders::upsert_listed(db, &o, now_ms()).await.unwrap();
    assert_eq!((again.id, again.before, again.status_was.clone()), (first.id, Some(OrderState::Downloaded), None));
    o.status = OrderStatus::Cancel;
    let changed = orders::upsert_listed(db, &o, now_ms()).await.unwrap();
    assert_eq!(changed.status_was.as_deref(), Some("ORDER"));

    let got = orders::get(db, "JL100001").await.unwrap().expect("stored");
    assert_eq!(got.lines.len(), 2);
    assert_eq!(got.order.marketplace_status, "CANCEL");
    assert_eq!(got.marketplace_order().unwrap().reference.0, "JL100001");
    assert_eq!(orders::list(db, None, 0, 10).await.unwrap().len(), 1);

    assert_eq!(orders::advance(db, first.id, Step::Injected).await.unwrap(), None, "not before the acknowledgement");
    assert_eq!(orders::advance(db, first.id, Step::Acknowledged).await.unwrap(), Some(OrderState::Acknowledged));
    orders::record_injected(db, first.id, 42, "JL-JL100001").await.unwrap();
    let got = orders::get_by_increment_id(db, "JL-JL100001").await.unwrap().unwrap();
    assert_eq!((got.state(), got.order.magento_entity_id), (OrderState::Injected, Some(42)));

    assert!(orders::add_dispatched(db, first.id, "1", 2).await.unwrap());
    assert!(!orders::add_dispatched(db, first.id, "1", 1).await.unwrap(), "more than ordered");
    assert!(orders::add_cancelled(db, first.id, "2", 1).await.unwrap());
    assert_eq!(orders::open_units(db, first.id).await.unwrap(), 0);
    assert_eq!(orders::advance(db, first.id, Step::Dispatched).await.unwrap(), Some(OrderState::Dispatched));
    assert!(orders::unfinished(db, 10).await.unwrap().is_empty());

    let a = orders::lease::take(db, first.id, "a", Duration::from_secs(30)).await.unwrap().expect("free");
    assert!(orders::lease::take(db, first.id, "b", Duration::from_secs(30)).await.unwrap().is_none());
    orders::lease::release(db, &a).await.unwrap();
    let b = orders::lease::take(db, first.id, "b", Duration::from_millis(1)).await.unwrap().expect("released");
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert!(orders::lease::take(db, first.id, "c", Duration::from_secs(30)).await.unwrap().is_some(), "expired lease");
    assert!(!orders::lease::held(db, &b).await.unwrap());

    let kinds: Vec<String> = orders::events(db, first.id).await.unwrap().into_iter().map(|e| e.kind).collect();
    assert_eq!(kinds, ["downloaded", "status_changed"]);
}

#[tokio::test]
async fn order_store_on_sqlite() {
    let (cfg, _dir) = sqlite_config();
    let db = store::connect(&cfg).await.unwrap();
    store::migrate(&db).await.unwrap();
    store_api(&db).await;
}

#[tokio::test]
async fn order_store_on_postgres() {
    let Some(admin) = postgres_or_skip("order_store_on_postgres") else { return };
    let cfg = fresh_postgres(&admin).await;
    let db = store::connect(&cfg).await.unwrap();
    store::migrate(&db).await.unwrap();
    store_api(&db).await;
}
