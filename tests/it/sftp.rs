//! The Edge over SFTP, each scenario against a real OpenSSH server on loopback and against the
//! sandbox's in-process server (`sftp_support`).
use crate::sftp_support::{order_file, CutProxy, Target};
use crate::support::sqlite_config;
use jlbridge::domain::edge_files::{self, FileLayout};
use jlbridge::domain::order::{MarketplaceOrderId, OrderStatus, PartNumber};
use jlbridge::marketplace::{AckLine, Marketplace, ProductId};
use jlbridge::store::{self, mapping};
use sea_orm::DatabaseConnection;

async fn db() -> (DatabaseConnection, tempfile::TempDir) {
    let (cfg, dir) = sqlite_config();
    let db = store::connect(&cfg).await.unwrap();
    store::migrate(&db).await.unwrap();
    (db, dir)
}

async fn exceptions(db: &DatabaseConnection) -> Vec<(String, String, String)> {
    store::exceptions::list(db, None, None, 0, 100).await.unwrap().into_iter().map(|e| (e.kind, e.entity, e.last_error)).collect()
}

const O1: &str = "order-20261127090133000001.txt";
const O2: &str = "order-20261127090134000002.txt";

async fn order_files_wait_for_their_marker_and_are_imported_once(ssh: Target) {
    let (db, _d) = db().await;
    let jl = ssh.adapter(&db, ssh.port);
    let text = order_file("Y100000001", &[("1", "58000128", 2, "24.99"), ("2", "58000129", 1, "30.00")]);
    // Half written, no marker: ignored.
    ssh.put_order(O1, &text[..text.len() / 2], false);
    assert!(jl.list_orders(&OrderStatus::Order).await.unwrap().is_empty());
    let r = jl.import_incoming().await.unwrap();
    assert_eq!(r.waiting, vec![O1.to_owned()]);
    // Complete, with its marker: imported.
    ssh.put_order(O1, &text, true);
    let listed = jl.list_orders(&OrderStatus::Order).await.unwrap();
    assert_eq!(listed.len(), 1);
    let o = &listed[0];
    assert_eq!(o.reference.0, "Y100000001");
    assert_eq!(o.lines.len(), 2);
    assert_eq!(o.lines[0].unit_price.as_ref().unwrap().amount.to_string(), "24.99");
    // Not twice: the same file again, and another file with the same order number.
    ssh.put_order(O2, &text, true);
    let r = jl.import_incoming().await.unwrap();
    assert!(r.imported.is_empty());
    assert_eq!(r.duplicates, vec![O2.to_owned()]);
    assert_eq!(jl.list_orders(&OrderStatus::Order).await.unwrap().len(), 1);
    assert!(jl.import_incoming().await.unwrap().duplicates.is_empty(), "a file is looked at once");
    // Acknowledged: the .ack file then its marker, and the order leaves ORDER.
    let id = MarketplaceOrderId("Y100000001".into());
    let lines: Vec<AckLine> = o
        .lines
        .iter()
        .map(|l| AckLine {
            line_ref: l.line_ref.clone(),
            part_number: l.part_number.clone(),
            quantity: l.quantity,
            sub_status: Some("Pending".into()),
            dispatch_date: None,
            delivery_date: None,
            comment: None,
            fulfillment_route: Some("Direct to customer".into()),
        })
        .collect();
    jl.acknowledge(&id, &lines).await.unwrap();
    jl.acknowledge(&id, &lines).await.unwrap();
    let out = ssh.names("outgoing");
    assert_eq!(out.len(), 2, "one file and its marker, even when asked twice: {out:?}");
    assert!(out[0].starts_with("order-") && out[0].ends_with(".ack") && out[1] == format!("{}.DONE", out[0]));
    let (number, items) = edge_files::parse_update_file(&ssh.read("outgoing", &out[0]), &FileLayout::default()).unwrap();
    assert_eq!(number, "Y100000001");
    assert_eq!(items.len(), 2);
    assert_eq!(items[1]["quantity"], "1");
    assert!(jl.list_orders(&OrderStatus::Order).await.unwrap().is_empty());
    assert_eq!(jl.get_order(&id).await.unwrap().status, OrderStatus::OrderAck);
    assert!(jl.get_order(&MarketplaceOrderId("nope".into())).await.unwrap_err().is_not_found());
}

async fn a_corrupt_order_file_is_quarantined_with_an_exception(ssh: Target) {
    let (db, _d) = db().await;
    let jl = ssh.adapter(&db, ssh.port);
    let text = order_file("Y100000002", &[("1", "58000128", 1, "9.99")]).replace("\n4\n", "\n7\n");
    ssh.put_order(O1, &text, true);
    let garbage = "this is not an order\n1\n";
    ssh.put_order(O2, garbage, true);
    let r = jl.import_incoming().await.unwrap();
    assert_eq!(r.quarantined, vec![O1.to_owned(), O2.to_owned()]);
    assert!(ssh.names("incoming").is_empty(), "moved out of incoming");
    let q = ssh.names("quarantine");
    assert_eq!(q, vec![O1.to_owned(), format!("{O1}.DONE"), O2.to_owned(), format!("{O2}.DONE")], "moved aside, never deleted");
    assert_eq!(ssh.read("quarantine", O1), text);
    let ex = exceptions(&db).await;
    let one = ex.iter().find(|e| e.1.ends_with(O1)).expect("an exception for the file");
    assert_eq!(one.0, "poll_failed");
    assert!(one.2.contains(O1) && one.2.contains("mismatch") && one.2.contains('7'), "{}", one.2);
    assert!(ex.iter().any(|e| e.1.ends_with(O2) && e.2.contains("malformed")));
    assert!(jl.list_orders(&OrderStatus::Order).await.unwrap().is_empty());
}

async fn stock_goes_out_as_one_inventory_file_and_error_files_become_exceptions(ssh: Target) {
    let (db, _d) = db().await;
    mapping::import(&db, &[mapping::MappingRow { sku: "SHIRT-M".into(), part_number: PartNumber("58000128".into()), extra: None }]).await.unwrap();
    let jl = ssh.adapter(&db, ssh.port);
    let p = jl.find_product(&PartNumber("58000128".into())).await.unwrap().unwrap();
    jl.update_stock(&p.id, 7).await.unwrap();
    jl.update_stock(&p.id, 5).await.unwrap(); // the newer value wins
    jl.update_stock(&ProductId("66682708".into()), 0).await.unwrap();
    assert!(jl.update_stock(&ProductId("SHIRT-M".into()), 1).await.is_err(), "a product id is a part number");
    let name = jl.flush_stock().await.unwrap().expect("a file");
    assert!(name.starts_with("inventory-") && name.ends_with(".csv"));
    assert_eq!(ssh.names("inventory"), vec![name.clone()], "no marker, no temporary name");
    let rows = edge_files::parse_inventory(&ssh.read("inventory", &name), &FileLayout::default()).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[0].part_number.0.as_str(), rows[0].traded_code.as_deref(), rows[0].quantity), ("58000128", Some("SHIRT-M"), 5));
    assert_eq!((rows[1].part_number.0.as_str(), rows[1].quantity), ("66682708", 0));
    assert_eq!(jl.flush_stock().await.unwrap(), None, "nothing waits any more");

    ssh.put("inventory/errors", "inventory-error-1.csv", "part_number,error\n58000128,Invalid stock level\n66682708,Unknown product\n");
    assert_eq!(jl.read_stock_errors().await.unwrap(), 1);
    assert_eq!(jl.read_stock_errors().await.unwrap(), 0, "read once");
    let ex = exceptions(&db).await;
    assert!(ex.iter().any(|e| e.0 == "marketplace_rejected" && e.1 == "SHIRT-M" && e.2.contains("58000128") && e.2.contains("Invalid stock level")), "{ex:?}");
    assert!(ex.iter().any(|e| e.1 == "66682708" && e.2.contains("66682708")));
}

async fn a_connection_dropped_mid_transfer_is_retried_without_duplicate_or_loss(ssh: Target) {
    let (db, _d) = db().await;
    let proxy = CutProxy::start(ssh.port).await;
    let jl = ssh.adapter(&db, proxy.port);
    // A big stock file (about 100 kB), cut after 20 kB of it went out.
    for i in 0..4000 {
        jl.update_stock(&ProductId(format!("{:08}", 58_000_000 + i)), i).await.unwrap();
    }
    assert!(jl.client().exists("inventory", "").await.unwrap(), "session open");
    proxy.arm(20_000);
    let err = jl.flush_stock().await.expect_err("the transfer is cut");
    assert!(matches!(err, jlbridge::marketplace::MarketplaceError::Transport { .. }), "{err}");
    let partial = ssh.names("inventory");
    assert!(partial.len() <= 1, "{partial:?}");
    // The retry completes the same file; nothing is left waiting or written twice.
    let name = jl.flush_stock().await.unwrap().expect("the file");
    assert_eq!(ssh.names("inventory"), vec![name.clone()]);
    let rows = edge_files::parse_inventory(&ssh.read("inventory", &name), &FileLayout::default()).unwrap();
    assert_eq!(rows.len(), 4000);
    assert_eq!(rows[3999].quantity, 3999);
    assert_eq!(jl.flush_stock().await.unwrap(), None);

    // An update file cut on its way out: the retry writes the same name once, then the marker.
    ssh.put_order(O1, &order_file("Y100000003", &[("1", "58000128", 1, "9.99")]), true);
    let o = jl.list_orders(&OrderStatus::Order).await.unwrap().remove(0);
    let lines = vec![AckLine {
        line_ref: "1".into(),
        part_number: o.lines[0].part_number.clone(),
        quantity: 1,
        sub_status: None,
        dispatch_date: None,
        delivery_date: None,
        comment: Some("x".repeat(200)),
        fulfillment_route: None,
    }];
    proxy.arm(60);
    assert!(jl.acknowledge(&o.id, &lines).await.is_err());
    assert_eq!(jl.get_order(&o.id).await.unwrap().status, OrderStatus::Order, "not acknowledged until written");
    jl.acknowledge(&o.id, &lines).await.unwrap();
    let out = ssh.names("outgoing");
    assert_eq!(out.len(), 2, "{out:?}");
    assert_eq!(out[1], format!("{}.DONE", out[0]));
    assert!(ssh.read("outgoing", &out[0]).contains(&"x".repeat(200)));
    assert_eq!(jl.get_order(&o.id).await.unwrap().status, OrderStatus::OrderAck);
}

async fn a_wrong_host_key_is_refused(ssh: Target) {
    let (db, _d) = db().await;
    let mut s = ssh.settings(ssh.port);
    s.known_host = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl".into();
    let jl = jlbridge::marketplace::edge_sftp::EdgeSftpMarketplace::new(s, Default::default(), db).unwrap();
    let err = jl.list_orders(&OrderStatus::Order).await.unwrap_err();
    assert!(err.to_string().contains("host key"), "{err}");
}

crate::sftp_support::over_both!(order_files_wait_for_their_marker_and_are_imported_once);
crate::sftp_support::over_both!(a_corrupt_order_file_is_quarantined_with_an_exception);
crate::sftp_support::over_both!(stock_goes_out_as_one_inventory_file_and_error_files_become_exceptions);
crate::sftp_support::over_both!(a_connection_dropped_mid_transfer_is_retried_without_duplicate_or_loss);
crate::sftp_support::over_both!(a_wrong_host_key_is_refused);
