//! Stock storage: the observation ordering rule under concurrency, push bookkeeping, mapping
//! import, prices — on SQLite and (when enabled) PostgreSQL.
use crate::support::*;
use jlbridge::config::DatabaseConfig;
use jlbridge::domain::buffer::{BufferRules, Explanation};
use jlbridge::domain::order::PartNumber;
use jlbridge::store::mapping::{self, MappingRow, Verification};
use jlbridge::store::stock::{self, Observation, Observed, PushEnd};
use jlbridge::store::{self, now_ms};
use rand::seq::SliceRandom;
use rust_decimal::Decimal;
use sea_orm::DatabaseConnection;

async fn open(cfg: &DatabaseConfig) -> DatabaseConnection {
    let db = store::connect(cfg).await.unwrap();
    store::migrate(&db).await.unwrap();
    db
}

fn plain(q: i64) -> Explanation {
    BufferRules::default().compute("x", Decimal::from(q), chrono::Utc::now())
}

fn obs(sku: &str, qty: i64, at: i64, wts: i64) -> Observation {
    Observation { sku: sku.into(), qty: Decimal::from(qty), observed_at: at, webhook_ts: wts }
}

async fn ordering_rule(db: &DatabaseConnection) {
    let now = now_ms();
    let apply = |o: Observation| async move { stock::observe(db, &o, &plain(o.qty.try_into().unwrap()), now).await.unwrap() };
    assert!(matches!(apply(obs("A", 10, 1000, 5)).await, Observed::Applied { pending: true, .. }));
    assert_eq!(apply(obs("A", 3, 999, 9)).await, Observed::Stale, "older event loses even with a later webhook");
    assert_eq!(apply(obs("A", 10, 1000, 5)).await, Observed::Stale, "a duplicate changes nothing");
    assert_eq!(apply(obs("A", 4, 1000, 4)).await, Observed::Stale, "equal time, earlier webhook loses");
    assert!(matches!(apply(obs("A", 7, 1000, 6)).await, Observed::Applied { .. }), "equal time, later webhook wins");
    let s = stock::get(db, "A").await.unwrap().unwrap();
    assert_eq!((s.observed_qty.as_deref(), s.computed_value, s.observed_at), (Some("7"), Some(7), Some(1000)));
    assert!(matches!(apply(obs("A", 2, 1001, 1)).await, Observed::Applied { .. }));
    assert_eq!(stock::get(db, "A").await.unwrap().unwrap().computed_value, Some(2));
}

/// 40 concurrent writers, 2,000 shuffled and duplicated observations over 20 SKUs: every SKU
/// ends on its newest observation.
async fn ordering_under_concurrency(db: &DatabaseConnection) {
    let mut all = Vec::new();
    for s in 0..20 {
        for t in 0..50i64 {
            let o = obs(&format!("C-{s}"), (t * 7 + s) % 23, 10_000 + t / 2, t % 3);
            all.push(o.clone());
            all.push(o);
        }
    }
    all.shuffle(&mut rand::thread_rng());
    let chunks: Vec<Vec<Observation>> = all.chunks(50).map(|c| c.to_vec()).collect();
    let mut tasks = Vec::new();
    for chunk in chunks {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            for o in chunk {
                let q: i64 = o.qty.try_into().unwrap();
                stock::observe(&db, &o, &plain(q), now_ms()).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    for s in 0..20 {
        // Newest: t = 49 (event 10_024, webhook 1) vs t = 48 (event 10_024, webhook 0) → t = 49.
        let want = (49 * 7 + s) % 23;
        let st = stock::get(db, &format!("C-{s}")).await.unwrap().unwrap();
        assert_eq!(st.computed_value, Some(want), "sku C-{s}");
    }
}

async fn push_bookkeeping(db: &DatabaseConnection) {
    let now = now_ms();
    mapping::import(db, &[MappingRow { sku: "P".into(), part_number: PartNumber::parse("12345678").unwrap(), extra: None }])
        .await
        .unwrap();
    stock::observe(db, &obs("P", 5, 1, 1), &plain(5), now).await.unwrap();
    let due = stock::due_pushes(db, now).await.unwrap();
    assert_eq!(due.iter().filter(|d| d.sku == "P").count(), 1);
    let claim = stock::claim(db, "P", now, 30_000).await.unwrap().unwrap();
    assert_eq!(claim.value, 5);
    assert!(stock::claim(db, "P", now, 30_000).await.unwrap().is_none(), "one push in flight per SKU");
    assert!(stock::due_pushes(db, now).await.unwrap().iter().all(|d| d.sku != "P"));
    // Changes while in flight: pushed again after the success.
    stock::observe(db, &obs("P", 2, 2, 1), &plain(2), now).await.unwrap();
    assert!(stock::push_succeeded(db, "P", &claim, now).await.unwrap(), "still pending: 2 ≠ 5");
    let claim = stock::claim(db, "P", now, 30_000).await.unwrap().unwrap();
    assert_eq!(claim.value, 2);
    assert!(!stock::push_succeeded(db, "P", &claim, now).await.unwrap());
    // Equal to what is shown: not pending.
    assert_eq!(stock::observe(db, &obs("P", 2, 3, 1), &plain(2), now).await.unwrap(), Observed::Applied { pending: false, version: 2 });
    // Failure: retried later, not before.
    stock::observe(db, &obs("P", 9, 4, 1), &plain(9), now).await.unwrap();
    let claim = stock::claim(db, "P", now, 30_000).await.unwrap().unwrap();
    assert_eq!(stock::push_failed(db, "P", &claim, PushEnd::Failed, "503", now + 60_000, now).await.unwrap(), Some(1));
    assert!(stock::claim(db, "P", now, 30_000).await.unwrap().is_none());
    let claim = stock::claim(db, "P", now + 60_000, 30_000).await.unwrap().unwrap();
    // Reconciliation: John Lewis shows 4 instead of the 2 sent.
    stock::push_succeeded(db, "P", &claim, now).await.unwrap();
    let c = stock::record_shown(db, "P", 4, now).await.unwrap().unwrap();
    assert!(c.pending && c.drift_count == 1);
    let c = stock::record_shown(db, "P", 4, now).await.unwrap().unwrap();
    assert_eq!(c.drift_count, 2);
    let c = stock::record_shown(db, "P", 9, now).await.unwrap().unwrap();
    assert!(!c.pending && c.drift_count == 0);
}

/// Two claims of one SKU (the first one's lease ran out): whatever the first one records
/// afterwards cannot mark a value as shown, and the SKU goes again after the second one.
async fn push_fenced_by_claim(db: &DatabaseConnection) {
    let now = now_ms();
    mapping::import(db, &[MappingRow { sku: "F".into(), part_number: PartNumber::parse("12345679").unwrap(), extra: None }])
        .await
        .unwrap();
    stock::observe(db, &obs("F", 38, 1, 1), &plain(38), now).await.unwrap();
    let old = stock::claim(db, "F", now, 1_000).await.unwrap().unwrap();
    assert_eq!(old.value, 38);
    stock::observe(db, &obs("F", 21, 2, 1), &plain(21), now).await.unwrap();
    // The first claim's lease has run out: another pusher takes the SKU with the newer value.
    let new = stock::claim(db, "F", now + 2_000, 1_000).await.unwrap().unwrap();
    assert_eq!(new.value, 21);
    assert_ne!(new.until, old.until, "two claims carry different tokens");
    // The new push lands first, then the stale one (38) lands after it.
    assert!(!stock::push_succeeded(db, "F", &new, now + 2_100).await.unwrap(), "21 is shown");
    assert!(stock::push_succeeded(db, "F", &old, now + 2_200).await.unwrap(), "a stale push leaves the SKU pending");
    let st = stock::get(db, "F").await.unwrap().unwrap();
    assert_eq!((st.pending, st.shown_value, st.sent_value, st.computed_value), (true, None, Some(21), Some(21)));
    // The other order: the stale push's end is recorded first, then the current one's.
    let a = stock::claim(db, "F", now + 3_000, 1_000).await.unwrap().unwrap();
    let b = stock::claim(db, "F", now + 5_000, 1_000).await.unwrap().unwrap();
    assert!(stock::push_succeeded(db, "F", &a, now + 5_100).await.unwrap());
    assert!(stock::push_succeeded(db, "F", &b, now + 5_200).await.unwrap(), "b may have landed before a: again");
    // A failure with an unknown outcome under a lost claim also sends the value again.
    let c = stock::claim(db, "F", now + 6_000, 1_000).await.unwrap().unwrap();
    let d = stock::claim(db, "F", now + 8_000, 1_000).await.unwrap().unwrap();
    assert_eq!(stock::push_failed(db, "F", &c, PushEnd::Unknown, "timeout", now, now + 8_100).await.unwrap(), None);
    assert!(stock::push_succeeded(db, "F", &d, now + 8_200).await.unwrap());
    // A refusal under a lost claim changes nothing: nothing reached John Lewis.
    let e = stock::claim(db, "F", now + 9_000, 1_000).await.unwrap().unwrap();
    let f = stock::claim(db, "F", now + 11_000, 1_000).await.unwrap().unwrap();
    assert_eq!(stock::push_failed(db, "F", &e, PushEnd::Failed, "400", now, now + 11_100).await.unwrap(), None);
    assert!(!stock::push_succeeded(db, "F", &f, now + 11_200).await.unwrap(), "settled on 21");
    assert_eq!(stock::get(db, "F").await.unwrap().unwrap().shown_value, Some(21));
}

async fn mapping_import(db: &DatabaseConnection) {
    let row = |sku: &str, pn: &str| MappingRow { sku: sku.into(), part_number: PartNumber::parse(pn).unwrap(), extra: None };
    let c = mapping::import(db, &[row("M1", "10000001"), row("M2", "10000002")]).await.unwrap();
    assert_eq!(c.added, 2);
    let v = Verification { product_id: Some("77".into()), traded_code: Some("M1".into()), verified: true, blocked: false, error: None };
    mapping::set_verification(db, "M1", &v).await.unwrap();
    assert_eq!(mapping::get(db, "M1").await.unwrap().unwrap().product_id.as_deref(), Some("77"));
    // Same file again: nothing changes; the verification stays.
    let c = mapping::import(db, &[row("M1", "10000001")]).await.unwrap();
    assert_eq!(c.unchanged, 1);
    assert!(mapping::get(db, "M1").await.unwrap().unwrap().verified);
    // M1's part number changes: product id and verification are forgotten.
    let c = mapping::import(db, &[row("M1", "10000009")]).await.unwrap();
    assert_eq!(c.part_number_changed, 1);
    let m = mapping::get(db, "M1").await.unwrap().unwrap();
    assert_eq!((m.part_number.as_str(), m.product_id, m.verified), ("10000009", None, false));
    // M2's part number now belongs to M3.
    let c = mapping::import(db, &[row("M3", "10000002")]).await.unwrap();
    assert_eq!((c.added, c.moved_from_other_sku), (1, 1));
    assert!(mapping::get(db, "M2").await.unwrap().is_none());
    assert_eq!(mapping::by_part_number(db, "10000002").await.unwrap().unwrap().sku, "M3");
}

async fn prices(db: &DatabaseConnection) {
    let now = now_ms();
    let d = |s: &str| s.parse::<Decimal>().unwrap();
    assert!(stock::observe_price(db, "PR", d("19.990"), 100, 1, now).await.unwrap());
    assert!(!stock::observe_price(db, "PR", d("5.00"), 99, 9, now).await.unwrap());
    assert_eq!(stock::price(db, "PR").await.unwrap().unwrap().to_string(), "19.990", "scale kept");
    assert!(stock::observe_price(db, "PR", d("18.50"), 100, 2, now).await.unwrap());
    assert_eq!(stock::price(db, "PR").await.unwrap(), Some(d("18.50")));
}

async fn all(cfg: &DatabaseConfig) {
    let db = open(cfg).await;
    ordering_rule(&db).await;
    ordering_under_concurrency(&db).await;
    push_bookkeeping(&db).await;
    push_fenced_by_claim(&db).await;
    mapping_import(&db).await;
    prices(&db).await;
}

#[tokio::test]
async fn stock_store_on_sqlite() {
    let (cfg, _dir) = sqlite_config();
    all(&cfg).await;
}

#[tokio::test]
async fn stock_store_on_postgres() {
    let Some(admin) = postgres_or_skip("stock_store_on_postgres") else { return };
    all(&fresh_postgres(&admin).await).await;
}

/// One pusher per deployment on PostgreSQL: the advisory lock admits one leader; when its
/// connection goes, another takes over. On SQLite every process leads (one instance by design).
#[tokio::test]
async fn pusher_leadership_on_postgres() {
    use jlbridge::sync::stock::leader::{Leadership, PUSHER_LOCK};
    use sea_orm::DbBackend;
    let (cfg, _dir) = sqlite_config();
    assert!(Leadership::new(&cfg, DbBackend::Sqlite, PUSHER_LOCK).await.unwrap().check().await);
    let Some(admin) = postgres_or_skip("pusher_leadership (PostgreSQL part)") else { return };
    let cfg = fresh_postgres(&admin).await;
    let mut a = Leadership::new(&cfg, DbBackend::Postgres, PUSHER_LOCK).await.unwrap();
    let mut b = Leadership::new(&cfg, DbBackend::Postgres, PUSHER_LOCK).await.unwrap();
    assert!(a.check().await, "first leads");
    assert!(!b.check().await, "second waits");
    assert!(a.check().await, "still leading on the next round");
    drop(a);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut took_over = false;
    while !took_over && std::time::Instant::now() < deadline {
        took_over = b.check().await;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(took_over, "takes over when the leader's connection closes");
}
