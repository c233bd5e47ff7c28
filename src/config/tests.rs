use super::*;
use std::io::Write;

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwAAAAAA==";

#[test]
fn defaults_need_nothing() {
    let c = Config::load_from(None, vars(&[])).unwrap();
    assert_eq!(c.database.url, "sqlite://jlbridge.db?mode=rwc");
    assert_eq!(c.edge.rate_limit, 250);
    assert_eq!(c.magento.store, "default");
    assert_eq!(c.marketplace.kind, MarketplaceKind::Edge);
    assert_eq!(c.missing_for_marketplace()[0].to_string(), "edge.base_url is missing: set JLBRIDGE_EDGE_BASE_URL");
}

#[test]
fn every_named_variable_sets_its_key() {
    let c = Config::load_from(
        None,
        vars(&[
            ("JLBRIDGE_DATABASE_URL", "postgres://u@127.0.0.1/db"),
            ("JLBRIDGE_HTTP_LISTEN", "0.0.0.0:9000"),
            ("JLBRIDGE_GRPC_LISTEN", "0.0.0.0:9001"),
            ("JLBRIDGE_WEBHOOK_SECRETS", &format!("{SECRET},{SECRET}")),
            ("JLBRIDGE_GRPC_TOKENS", "read:abc,operate:def"),
            ("JLBRIDGE_MAGENTO_BASE_URL", "https://shop.example.com"),
            ("JLBRIDGE_MAGENTO_TOKEN", "12345"),
            ("JLBRIDGE_MAGENTO_STORE", "uk"),
            ("JLBRIDGE_MARKETPLACE", "edge_sftp"),
            ("JLBRIDGE_EDGE_BASE_URL", "https://api.virtualstock.com"),
            ("JLBRIDGE_EDGE_USERNAME", "seller"),
            ("JLBRIDGE_EDGE_PASSWORD", "p@ss,word"),
            ("JLBRIDGE_EDGE_RATE_LIMIT", "120"),
            ("JLBRIDGE_SFTP_URL", "sftp://seller@sftp.example.com:22/live"),
            ("JLBRIDGE_SFTP_PASSWORD", "pw"),
            ("JLBRIDGE_SFTP_KEY_FILE", "/keys/id_ed25519"),
            ("JLBRIDGE_ALERT_WEBHOOK_URL", "https://hooks.example.com/x"),
            ("JLBRIDGE_CARRIER_MAP", "Royal Mail*=royal-mail,dpd=dpd"),
            ("JLBRIDGE_JOBS__WORKERS", "7"),
            ("JLBRIDGE_UNRELATED", "ignored"),
        ]),
    )
    .unwrap();
    assert_eq!(c.database.url, "postgres://u@127.0.0.1/db");
    assert_eq!(c.http.listen, "0.0.0.0:9000");
    assert_eq!(c.grpc.listen, "0.0.0.0:9001");
    assert_eq!(c.webhooks.secrets.0.len(), 2);
    assert_eq!(c.grpc.tokens.0, vec!["read:abc", "operate:def"]);
    assert_eq!(c.magento.base_url.as_deref(), Some("https://shop.example.com"));
    assert_eq!(c.magento.token.as_ref().unwrap().expose(), "12345");
    assert_eq!(c.magento.store, "uk");
    assert_eq!(c.marketplace.kind, MarketplaceKind::EdgeSftp);
    assert_eq!(c.edge.base_url.as_deref(), Some("https://api.virtualstock.com"));
    assert_eq!(c.edge.username.as_deref(), Some("seller"));
    assert_eq!(c.edge.password.as_ref().unwrap().expose(), "p@ss,word");
    assert_eq!(c.edge.rate_limit, 120);
    assert_eq!(c.sftp.url.as_deref(), Some("sftp://seller@sftp.example.com:22/live"));
    assert_eq!(c.sftp.password.as_ref().unwrap().expose(), "pw");
    assert_eq!(c.sftp.key_file.as_deref(), Some("/keys/id_ed25519"));
    assert_eq!(c.alerts.webhook_url.as_ref().unwrap().expose(), "https://hooks.example.com/x");
    assert_eq!(c.carriers.map.0, vec!["Royal Mail*=royal-mail", "dpd=dpd"]);
    assert_eq!(c.jobs.workers, 7);
}

#[test]
fn environment_overrides_file() {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    writeln!(f, "[edge]\nrate_limit = 100\nbase_url = \"https://a.example.com\"\n[grpc]\ntokens = [\"read:x\"]").unwrap();
    let c = Config::load_from(Some(f.path()), vars(&[("JLBRIDGE_EDGE_RATE_LIMIT", "90")])).unwrap();
    assert_eq!(c.edge.rate_limit, 90);
    assert_eq!(c.edge.base_url.as_deref(), Some("https://a.example.com"));
    assert_eq!(c.grpc.tokens.0, vec!["read:x"]);
}

#[test]
fn errors_name_key_and_fix() {
    let err = Config::load_from(
        None,
        vars(&[
            ("JLBRIDGE_WEBHOOK_SECRETS", "nope"),
            ("JLBRIDGE_GRPC_TOKENS", "admin:x"),
            ("JLBRIDGE_EDGE_BASE_URL", "https://api.virtualstock.com/restapi/v4"),
            ("JLBRIDGE_HTTP_LISTEN", "port 80"),
            ("JLBRIDGE_CARRIER_MAP", "dpd"),
        ]),
    )
    .unwrap_err();
    let text = err.to_string();
    for needle in [
        "webhooks.secrets entry 1 does not start with whsec_: correct JLBRIDGE_WEBHOOK_SECRETS",
        "grpc.tokens entry 1 is not role:token",
        "edge.base_url \"https://api.virtualstock.com/restapi/v4\" has a path",
        "http.listen \"port 80\" is not an address:port",
        "carriers.map entry 1 \"dpd\" is not pattern=slug",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}

#[test]
fn unknown_keys_and_wrong_types_are_named() {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    writeln!(f, "[edge]\nrate_limt = 100").unwrap();
    let text = Config::load_from(Some(f.path()), vars(&[])).unwrap_err().to_string();
    assert!(text.contains("rate_limt"), "{text}");
    let text = Config::load_from(None, vars(&[("JLBRIDGE_EDGE_RATE_LIMIT", "lots")])).unwrap_err().to_string();
    assert!(text.contains("edge.rate_limit") && text.contains("JLBRIDGE_EDGE_RATE_LIMIT"), "{text}");
    let text = Config::load_from(Some(std::path::Path::new("/nonexistent/j.toml")), vars(&[])).unwrap_err().to_string();
    assert!(text.contains("does not exist"), "{text}");
}

#[test]
fn secrets_do_not_print() {
    let c = Config::load_from(None, vars(&[("JLBRIDGE_EDGE_PASSWORD", "hunter2"), ("JLBRIDGE_WEBHOOK_SECRETS", SECRET)])).unwrap();
    let shown = format!("{c:?}");
    assert!(!shown.contains("hunter2") && !shown.contains("MfKQ9"), "{shown}");
}

#[test]
fn shipments_section_reads_from_file_and_environment() {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    writeln!(
        f,
        "[carriers]\nmap = [\"Royal Mail*=royal-mail\"]\n[shipments]\nwatchdog_hours = 6\n\
         [shipments.tracking_urls]\n\"royal-mail\" = \"https://track.example/{{tracking}}\""
    )
    .unwrap();
    let c = Config::load_from(
        Some(f.path()),
        vars(&[("JLBRIDGE_CARRIER_MAP", "Royal Mail*=royal-mail,dpd=dpd"), ("JLBRIDGE_SHIPMENTS__CATCH_UP_INTERVAL_SECS", "60")]),
    )
    .unwrap();
    assert_eq!(c.shipments.watchdog_hours, 6);
    assert_eq!(c.shipments.catch_up_interval_secs, 60);
    assert_eq!(c.shipments.tracking_urls["royal-mail"], "https://track.example/{tracking}");
    assert_eq!(c.carriers.map.0, vec!["Royal Mail*=royal-mail", "dpd=dpd"]);
}

#[test]
fn shipments_section_is_validated() {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    writeln!(f, "[shipments]\nwatchdog_hours = 0\n[shipments.tracking_urls]\ndpd = \"ftp://x\"").unwrap();
    let errs = Config::load_from(Some(f.path()), vars(&[])).unwrap_err();
    let keys: Vec<&str> = errs.0.iter().map(|e| e.key.as_str()).collect();
    assert!(keys.contains(&"shipments.watchdog_hours") && keys.contains(&"shipments.tracking_urls"), "{errs}");
}

#[test]
fn finance_section_reads_and_is_validated() {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    writeln!(f, "[finance]\ninbox_dir = \"/srv/reports\"").unwrap();
    let c = Config::load_from(Some(f.path()), vars(&[("JLBRIDGE_FINANCE__POLL_SECS", "15")])).unwrap();
    assert_eq!(c.finance.inbox_dir.as_deref(), Some("/srv/reports"));
    assert_eq!((c.finance.poll_secs, c.finance.currency().as_str()), (15, "GBP"));
    let errs = Config::load_from(None, vars(&[("JLBRIDGE_FINANCE__CURRENCY", "pounds")])).unwrap_err();
    assert!(errs.0.iter().any(|e| e.key == "finance.currency"), "{errs}");
}
