//! The whole path over SFTP: an order file from John Lewis → the orders flow acknowledges it
//! (an `.ack` file and its marker) and injects it into Magento → Magento ships → the signed
//! webhook → a dispatch file with the tracking; Magento's stock changes → inventory files. The
//! simulated Edge (a folder tree over the same directory the SFTP server serves) reads the
//! files back. Over OpenSSH (key login) and over the sandbox's in-process server (password).
use crate::magento_support::{dec, seeded};
use crate::sftp_support::{order_file, Target};
use crate::support::{eventually, sqlite_config};
use crate::webhook_support::{secret, KEY_A};
use jlbridge::app::App;
use jlbridge::config::{Config, MarketplaceKind, StringList};
use jlbridge::domain::edge_files::FileLayout;
use jlbridge::domain::order::PartNumber;
use jlbridge::sandbox::edge_files::EdgeFilesSandbox;
use jlbridge::store::{self, mapping};

const REF: &str = "Y100000009";

async fn an_order_file_is_acknowledged_injected_and_dispatched_through_the_flows(ssh: Target) {
    let (magento, _client) = seeded().await;
    let (db, _dir) = sqlite_config();
    let conn = store::connect(&db).await.unwrap();
    store::migrate(&conn).await.unwrap();
    let rows = [("SHIRT-M", "58000128"), ("SHIRT-L", "58000129")]
        .map(|(s, p)| mapping::MappingRow { sku: s.into(), part_number: PartNumber(p.into()), extra: None });
    mapping::import(&conn, &rows).await.unwrap();
    ssh.put_order("order-20261127090133000009.txt", &order_file(REF, &[("1", "58000128", 2, "24.99"), ("2", "58000129", 1, "30.00")]), true);
    let edge = EdgeFilesSandbox::new(ssh.root(), FileLayout::default()).unwrap();

    let mut c = Config { database: db.clone(), ..Config::default() };
    c.http.listen = "127.0.0.1:0".into();
    c.grpc.listen = "127.0.0.1:0".into();
    c.webhooks.secrets = StringList(vec![secret(KEY_A)]);
    c.magento.base_url = Some(magento.base_url());
    c.magento.token = Some(jlbridge::config::Secret::new(magento.token()));
    c.magento.timeout_secs = 5;
    c.marketplace.kind = MarketplaceKind::EdgeSftp;
    ssh.configure(&mut c);
    c.sftp.timeout_secs = 10;
    c.sftp.stock_batch_secs = 1;
    c.carriers.map = StringList(vec!["Royal Mail*=royal-mail".into(), "dpd=dpd".into()]);
    c.shipments.catch_up_interval_secs = 0;
    c.shipments.watchdog_interval_secs = 0;
    c.shipments.carrier_check_interval_secs = 0;
    c.shipments.wait_retry_secs = 1;
    c.orders.poll_interval_secs = 1;
    c.jobs.retry_schedule_secs = vec![0; 40];
    c.jobs.retry_jitter = 0.0;
    c.jobs.poll_interval_ms = 50;
    assert!(c.missing_for_marketplace().is_empty(), "{:?}", c.missing_for_marketplace());
    let app = App::start(c).await.expect("service starts");
    magento.set_webhook_target(&format!("http://{}/webhooks/magento", app.http_addr), &secret(KEY_A));

    let injected = eventually(30, || async { magento.orders_with_ext_id(REF).len() == 1 }).await;
    if !injected {
        let ex = store::exceptions::list(&app.state.db, None, None, 0, 20).await.unwrap();
        panic!("not injected; exceptions {:?}", ex.iter().map(|e| (&e.kind, &e.entity, &e.last_error)).collect::<Vec<_>>());
    }
    assert!(eventually(10, || async { edge.process(); edge.order_status(REF).as_deref() == Some("ORDER_ACK") }).await, "acknowledged by file");
    let out = ssh.names("outgoing");
    assert_eq!(out.iter().filter(|n| n.ends_with(".ack")).count(), 1, "{out:?}");
    let entity_id = magento.orders_with_ext_id(REF).remove(0)["entity_id"].as_i64().unwrap();

    magento
        .ship(entity_id, &[("SHIRT-M", dec("2")), ("SHIRT-L", dec("1"))], &[("custom", "Royal Mail Tracked 48", "AB123456789GB")], "default")
        .expect("ships");
    assert!(eventually(30, || async { edge.process(); edge.order_status(REF).as_deref() == Some("DISPATCH") }).await, "dispatched by file");
    assert_eq!(edge.tracking(REF), vec!["AB123456789GB".to_owned(); 2]);
    let out = ssh.names("outgoing");
    let dispatch: Vec<&String> = out.iter().filter(|n| n.starts_with("dispatch-") && n.ends_with(".txt")).collect();
    assert_eq!(dispatch.len(), 1, "{out:?}");
    assert!(ssh.read("outgoing", dispatch[0]).contains("royal-mail"));
    assert_eq!(magento.orders_with_ext_id(REF).len(), 1, "one Magento order");

    // Magento's stock changes (signed stock.changed webhooks): the stock flow's values go out
    // as inventory files, which the simulated Edge reads back.
    magento.set_source_qty("SHIRT-M", "default", dec("7"));
    magento.set_source_qty("SHIRT-L", "default", dec("3"));
    let db = app.state.db.clone();
    let stocked = eventually(30, || async {
        edge.process();
        let mut all = true;
        for (sku, pn) in [("SHIRT-M", "58000128"), ("SHIRT-L", "58000129")] {
            let st = store::stock::get(&db, sku).await.unwrap();
            let sent = st.filter(|s| !s.pending).and_then(|s| s.computed_value);
            all &= sent.is_some() && sent.map(|v| v as u32) == edge.stock(pn);
        }
        all
    })
    .await;
    if !stocked {
        let st = (store::stock::get(&app.state.db, "SHIRT-M").await.unwrap(), edge.stock("58000128"), edge.stock("58000129"));
        let ex = store::exceptions::list(&app.state.db, None, None, 0, 20).await.unwrap();
        panic!(
            "no inventory file: {:?}; SHIRT-M {st:?}; exceptions {:?}",
            ssh.names("inventory"),
            ex.iter().map(|e| (&e.kind, &e.entity, &e.last_error)).collect::<Vec<_>>()
        );
    }
    assert!(ssh.names("inventory").iter().all(|n| n.starts_with("inventory-") && n.ends_with(".csv")));
    app.stop().await;
}

crate::sftp_support::over_both!(an_order_file_is_acknowledged_injected_and_dispatched_through_the_flows);
