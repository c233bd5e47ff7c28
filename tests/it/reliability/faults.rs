//! Scenario 2: 30 % of John Lewis and Magento calls fail (429 with its wait, 5xx, timeouts,
//! dropped connections; Magento also answers late after acting) for a sustained period
//! (default 30 s, `JLBRIDGE_RELIABILITY_FAULT_SECS`) under a mixed load: everything is
//! eventually applied, transient faults leave no exception open, the rate limit holds. Then a
//! persistent John Lewis outage opens an exception and alerts the local receiver within a
//! minute.
use super::harness::*;
use super::summary::{env_count, record};
use jlbridge::sandbox::call_log::max_in_window;
use jlbridge::sandbox::edge::EdgeSandboxConfig;
use jlbridge::sandbox::faults::{Fault, FaultRule};
use jlbridge::store::entities::exception;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use sea_orm::EntityTrait;
use std::time::{Duration, Instant};

fn thirty_percent() -> (Vec<FaultRule>, Vec<FaultRule>) {
    let edge = vec![
        FaultRule::new("/", Fault::Throttle { wait: Duration::from_secs(1) }).probability(0.08),
        FaultRule::new("/", Fault::Status(503)).probability(0.06),
        FaultRule::new("/", Fault::Status(500)).probability(0.05),
        FaultRule::new("/", Fault::Hang).probability(0.04),
        FaultRule::new("/", Fault::Drop).probability(0.07),
    ];
    let magento = vec![
        FaultRule::new("/rest/", Fault::Throttle { wait: Duration::from_secs(1) }).probability(0.07),
        FaultRule::new("/rest/", Fault::Status(503)).probability(0.07),
        FaultRule::new("/rest/", Fault::Status(502)).probability(0.05),
        FaultRule::new("/rest/", Fault::Latency(Duration::from_secs(4))).probability(0.03),
        FaultRule::new("/rest/", Fault::LatencyAfter(Duration::from_secs(4))).probability(0.02),
        FaultRule::new("/rest/", Fault::Drop).probability(0.06),
    ];
    (edge, magento)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_percent_failures_converge_and_a_persistent_outage_alerts_within_a_minute() {
    let secs = env_count("JLBRIDGE_RELIABILITY_FAULT_SECS", 30);
    let seed = env_count("JLBRIDGE_RELIABILITY_SEED", rand::random::<u32>() as u64);
    println!("fault scenario: {secs} s of faults, seed {seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let window = Duration::from_secs(2);
    let limit = 250;
    let w = World::start(WorldOptions {
        skus: 12,
        edge: EdgeSandboxConfig { rate_limit: limit, rate_window: window, hang_for: Duration::from_secs(5), ..Default::default() },
        db_url: None,
    })
    .await;
    let svc = w.spawn("faults", &[]);
    svc.wait_up(60).await;
    w.magento.set_webhook_target(&svc.webhook_url(), &whsec());
    let (edge_rules, magento_rules) = thirty_percent();
    edge_rules.into_iter().for_each(|r| w.edge.faults().add(r));
    magento_rules.into_iter().for_each(|r| w.magento.faults().add(r));

    let started = Instant::now();
    let mut orders: Vec<(String, u64, Vec<(usize, u32)>, bool)> = Vec::new();
    let mut stock_changes = 0;
    while started.elapsed() < Duration::from_secs(secs) {
        match rng.gen_range(0..10) {
            0..=5 => {
                let i = rng.gen_range(0..w.skus);
                w.magento.set_source_qty(&sku(i), "default", Decimal::from(rng.gen_range(5..40)));
                stock_changes += 1;
            }
            6..=7 => {
                let reference = format!("JLF{:06}", orders.len() + 1);
                let lines = vec![(rng.gen_range(0..w.skus), 1)];
                let id = w.edge.create_order(w.order(&reference, &lines, orders.len()));
                orders.push((reference, id, lines, false));
            }
            _ => {
                if let Some(o) = orders.iter_mut().find(|o| !o.3 && !w.magento.orders_with_ext_id(&o.0).is_empty()) {
                    let m = w.magento.orders_with_ext_id(&o.0)[0]["entity_id"].as_i64().unwrap();
                        let skus: Vec<String> = o.2.iter().map(|(i, _)| sku(*i)).collect();
                    let lines: Vec<(&str, Decimal)> = skus.iter().zip(&o.2).map(|(s, (_, q))| (s.as_str(), Decimal::from(*q))).collect();
                    o.3 = w.magento.ship(m, &lines, &[("dpd", "DPD Next Day", "15501234567890")], "default").is_ok();
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(rng.gen_range(50..200))).await;
    }
    let edge_faulted = w.edge.calls().iter().filter(|c| c.status == 429 || c.status >= 500 || c.status == 0).count();
    let edge_total = w.edge.calls().len();
    let magento_total = w.magento.calls().len();
    let magento_faulted = w.magento.calls().iter().filter(|c| c.status == 429 || c.status >= 500 || c.status == 0).count();
    // The faults stop; everything is eventually applied.
    w.edge.faults().clear();
    w.magento.faults().clear();
    let recovered = Instant::now();
    // Orders the service cancelled itself (a line short of stock) are never injected.
    let db = w.db().await;
    let refs: Vec<String> = orders.iter().map(|o| o.0.clone()).collect();
    let short = orders_settle(&w, &db, &refs, 120).await;
    orders.retain(|o| !short.contains(&o.0));
    let not_once: Vec<_> = orders.iter().map(|o| (o.0.clone(), w.magento.orders_with_ext_id(&o.0).len())).filter(|o| o.1 != 1).collect();
    assert!(not_once.is_empty(), "every order injected once: {not_once:?}");
    for o in orders.iter_mut().filter(|o| !o.3) {
        let m = w.magento.orders_with_ext_id(&o.0)[0]["entity_id"].as_i64().unwrap();
        let skus: Vec<String> = o.2.iter().map(|(i, _)| sku(*i)).collect();
        let lines: Vec<(&str, Decimal)> = skus.iter().zip(&o.2).map(|(s, (_, q))| (s.as_str(), Decimal::from(*q))).collect();
        o.3 = w.magento.ship(m, &lines, &[("dpd", "DPD Next Day", "15501234567890")], "default").is_ok();
        assert!(o.3);
    }
    let all_dispatched = || orders.iter().all(|o| w.edge.order(o.1).is_some_and(|e| e.lines.iter().all(|l| l.status == "DISPATCH")));
    assert!(crate::support::eventually(120, || async { all_dispatched() }).await, "every shipment dispatched");
    // (The call log records a status once the answer has gone out: give it a moment.)
    crate::support::eventually(5, || async { orders.iter().all(|o| dispatches_for(&w, o.1) == 1) }).await;
    let doubles: Vec<_> = orders.iter().map(|o| (o.0.clone(), dispatches_for(&w, o.1))).filter(|o| o.1 != 1).collect();
    assert!(doubles.is_empty(), "each shipment dispatched exactly once: {doubles:?}");
    let off = stock_converges(&w, 120).await;
    assert!(off.is_empty(), "stock converges: {off:?}");
    let converge_secs = recovered.elapsed().as_secs_f64();
    let dead = drained(&db, 60).await.expect("jobs drain");
    let all_ex = exception::Entity::find().all(&db).await.unwrap();
    let open: Vec<_> = all_ex.iter().filter(|e| e.status == "open" || e.status == "retrying").map(|e| (&e.kind, &e.entity, &e.last_error)).collect();
    assert!(open.is_empty(), "transient faults leave no exception open: {open:?}");
    assert_eq!(dead, 0, "no job dead from transient faults");
    let opened: Vec<_> = all_ex.iter().map(|e| (&e.kind, &e.entity, &e.last_error)).collect();
    assert!(opened.is_empty(), "transient faults open no exception: {opened:?}");
    let alerts_transient = w.alerts.lock().unwrap().len();
    let peak = max_in_window(&w.edge.calls(), window);
    assert!(peak <= limit as usize, "{peak} calls in one window");

    // A persistent outage of The Edge: an exception opens and an alert arrives within a minute.
    let before = all_ex.len();
    w.edge.faults().add(FaultRule::new("/", Fault::Status(503)));
    let outage = Instant::now();
    let i = 0;
    w.magento.set_source_qty(&sku(i), "default", Decimal::from(33));
    w.edge.create_order(w.order("JLOUTAGE1", &[(1, 1)], 0));
    let opened = crate::support::eventually(60, || async {
        exception::Entity::find().all(&db).await.unwrap().iter().any(|e| e.status == "open")
    })
    .await;
    let opened_after = outage.elapsed().as_secs_f64();
    assert!(opened, "a persistent outage opens an exception within a minute");
    let alerted = crate::support::eventually(60u64.saturating_sub(outage.elapsed().as_secs()), || async {
        w.alerts.lock().unwrap().len() > alerts_transient
    })
    .await;
    let alert_after = outage.elapsed().as_secs_f64();
    assert!(alerted, "the outage is alerted within a minute of its start");
    let kinds: Vec<String> = exception::Entity::find().all(&db).await.unwrap().iter().filter(|e| e.status == "open").map(|e| e.kind.clone()).collect();
    w.edge.faults().clear();
    let (files, bytes) = w.assert_no_leaks();
    record(
        "2 faults (30 %)",
        "pass",
        &[
            ("seed", seed.to_string()),
            ("fault period", format!("{secs} s")),
            ("Edge calls/faulted", format!("{edge_total}/{edge_faulted}")),
            ("Magento calls/faulted", format!("{magento_total}/{magento_faulted}")),
            ("stock changes", stock_changes.to_string()),
            ("orders injected once/dispatched once", format!("{}/{}", orders.len(), orders.len())),
            ("cancelled by the service (short of stock)", short.len().to_string()),
            ("converged after faults", format!("{converge_secs:.1} s")),
            ("exceptions open after transient", format!("0 (created {before})")),
            ("dead jobs", dead.to_string()),
            ("peak calls/window", format!("{peak}/{limit}")),
            ("outage: exception opened", format!("{opened_after:.1} s ({})", kinds.join(","))),
            ("outage: alert received", format!("{alert_after:.1} s")),
            ("logs scanned", format!("{files} files, {bytes} B")),
        ],
    );
}
