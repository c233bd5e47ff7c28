//! The sandbox's in-process SFTP server: who may log in (password, public key), the host key
//! the client checks, the chroot (no path leads out of the served folder), an outage, and
//! `jlbridge sandbox --sftp-listen` serving the simulated Edge's tree.
use crate::support::sqlite_config;
use crate::webhook_support::Child;
use jlbridge::config::Secret;
use jlbridge::domain::order::OrderStatus;
use jlbridge::marketplace::edge_sftp::{EdgeSftpMarketplace, SftpAuth, SftpClient, SftpSettings};
use jlbridge::marketplace::{Marketplace, MarketplaceError};
use jlbridge::sandbox::sftp_server::{self, SftpServer, SftpServerConfig};
use jlbridge::store;
use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::ssh_key::LineEnding;
use russh::keys::PrivateKey;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::time::Duration;

fn client(server: &SftpServer, root: &str, auth: SftpAuth) -> SftpClient {
    let s = SftpSettings::from_url(&server.url(root), auth, server.known_host(), Duration::from_secs(5)).unwrap();
    SftpClient::new(s).unwrap()
}

fn password(p: &str) -> SftpAuth {
    SftpAuth::Password(Secret::new(p))
}

/// A fresh Ed25519 key written to `dir/name` in OpenSSH format.
fn key_file(dir: &Path, name: &str) -> (PrivateKey, SftpAuth) {
    let key = PrivateKey::from(Ed25519Keypair::from_seed(&rand::random()));
    let path = dir.join(name);
    std::fs::write(&path, key.to_openssh(LineEnding::LF).unwrap().as_bytes()).unwrap();
    (key, SftpAuth::KeyFile { path: path.display().to_string(), passphrase: None })
}

#[tokio::test]
async fn password_and_key_logins_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("live/incoming")).unwrap();
    let (allowed, allowed_auth) = key_file(dir.path(), "allowed");
    let (_, other_auth) = key_file(dir.path(), "other");
    let mut config = SftpServerConfig::new(dir.path());
    config.password = Some("right-password".into());
    config.authorized_keys = vec![allowed.public_key().clone()];
    let server = sftp_server::start(config).await.unwrap();

    let ok = client(&server, "/live", password("right-password"));
    assert!(ok.exists("incoming", "").await.unwrap(), "logged in by password");
    assert_eq!(server.logins(), 1);
    let by_key = client(&server, "/live", allowed_auth);
    assert!(by_key.exists("incoming", "").await.unwrap(), "logged in by key");
    assert_eq!(server.logins(), 2);

    for (what, auth) in [("wrong password", password("wrong")), ("unknown key", other_auth)] {
        let err = client(&server, "/live", auth).exists("incoming", "").await.unwrap_err();
        assert!(matches!(err, MarketplaceError::Auth { status: 401, .. }), "{what}: {err}");
    }
    let s = SftpSettings::from_url(&server.url("/live").replace("seller@", "someone@"), password("right-password"), server.known_host(), Duration::from_secs(5)).unwrap();
    assert!(matches!(SftpClient::new(s).unwrap().exists("incoming", "").await.unwrap_err(), MarketplaceError::Auth { status: 401, .. }), "another user");
    assert_eq!(server.logins(), 2, "no refused login counted");

    // The client checks the throw-away host key: another server's key is refused.
    let other = sftp_server::start(SftpServerConfig::new(dir.path())).await.unwrap();
    assert_ne!(other.known_host(), server.known_host(), "a new host key each start");
    assert!(server.known_hosts_line().starts_with(&format!("[127.0.0.1]:{} ssh-ed25519 AAAA", server.addr().port())));
    assert!(server.fingerprint().starts_with("SHA256:"));
    let s = SftpSettings::from_url(&server.url("/live"), password("right-password"), other.known_host(), Duration::from_secs(5)).unwrap();
    let err = SftpClient::new(s).unwrap().exists("incoming", "").await.unwrap_err();
    assert!(err.to_string().contains("host key"), "{err}");
}

#[tokio::test]
async fn no_path_leads_out_of_the_served_folder() {
    let dir = tempfile::tempdir().unwrap();
    let served = dir.path().join("served");
    std::fs::create_dir_all(served.join("live/incoming")).unwrap();
    std::fs::write(dir.path().join("secret.txt"), "outside").unwrap();
    let server = sftp_server::start(SftpServerConfig::new(&served)).await.unwrap();
    let pw = server.password().unwrap().to_owned();
    let c = client(&server, "", password(&pw));

    // `..` stops at the root: the secret next to the served folder is out of reach.
    assert!(!c.exists("..", "secret.txt").await.unwrap());
    assert!(c.read("../..", "secret.txt").await.is_err());
    c.write("../..", "escape.txt", b"x").await.unwrap();
    assert!(served.join("escape.txt").exists(), "written inside the root");
    assert!(!dir.path().join("escape.txt").exists(), "never outside");
    assert_eq!(c.list("/").await.unwrap(), vec!["escape.txt".to_owned()]);
    assert!(c.list("..").await.unwrap().contains(&"escape.txt".to_owned()), "`/..` lists the root");

    // A link inside the tree that points out of it is refused, to read, list or write through.
    std::os::unix::fs::symlink(dir.path(), served.join("live/out")).unwrap();
    assert!(c.read("live/out", "secret.txt").await.is_err());
    assert!(c.list("live/out").await.is_err());
    assert!(c.write("live/out", "planted.txt", b"x").await.is_err());
    assert!(!dir.path().join("planted.txt").exists());
    c.write("live/incoming", "r.txt", b"r").await.unwrap();
    assert!(c.rename("live/incoming", "r.txt", "live/out").await.is_err(), "not moved out through the link");
    c.rename("live/incoming", "r.txt", "../..").await.unwrap();
    assert!(served.join("r.txt").exists() && !dir.path().join("r.txt").exists(), "`../..` is the root");
    assert_eq!(std::fs::read_to_string(dir.path().join("secret.txt")).unwrap(), "outside", "untouched");
}

#[tokio::test]
async fn an_outage_fails_requests_and_refuses_connections_until_lifted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("live/incoming")).unwrap();
    let server = sftp_server::start(SftpServerConfig::new(dir.path())).await.unwrap();
    let c = client(&server, "/live", password(server.password().unwrap()));
    assert!(c.exists("incoming", "").await.unwrap());
    server.set_down(true);
    let err = c.exists("incoming", "").await.unwrap_err();
    assert!(matches!(err, MarketplaceError::Transport { .. }), "a request on the open session: {err}");
    let err = c.exists("incoming", "").await.unwrap_err();
    assert!(matches!(err, MarketplaceError::Transport { .. }), "a new connection: {err}");
    assert!(server.refused_connections() >= 1);
    assert!(server.calls().iter().any(|r| r.status == 503));
    server.set_down(false);
    assert!(c.exists("incoming", "").await.unwrap(), "back after the outage");
}

#[tokio::test]
async fn jlbridge_sandbox_serves_the_edge_tree_over_sftp() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Child(
        std::process::Command::new(env!("CARGO_BIN_EXE_jlbridge"))
            .args(["sandbox", "--edge-listen", "127.0.0.1:0", "--sftp-listen", "127.0.0.1:0", "--sftp-dir"])
            .arg(dir.path())
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("jlbridge sandbox starts"),
    );
    // Read what it prints until the exports for SFTP are there.
    let out = child.0.stdout.take().unwrap();
    let printed = tokio::task::spawn_blocking(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(out).lines() {
            let line = line.unwrap();
            let done = line.starts_with("Ctrl-C");
            lines.push(line);
            if done {
                break;
            }
        }
        lines
    });
    let printed = tokio::time::timeout(Duration::from_secs(60), printed).await.expect("prints its addresses").unwrap();
    let export = |key: &str| {
        printed.iter().find_map(|l| l.trim().strip_prefix(&format!("export {key}="))).map(|v| v.trim_matches('\'').to_owned()).unwrap_or_else(|| panic!("{key} in {printed:#?}"))
    };
    assert!(printed.iter().any(|l| l.contains("known_hosts line: [127.0.0.1]:") && l.contains("ssh-ed25519 AAAA")), "{printed:#?}");
    assert!(printed.iter().any(|l| l.contains("host key SHA256:")), "{printed:#?}");
    assert_eq!(export("JLBRIDGE_MARKETPLACE"), "edge_sftp");

    let (db_cfg, _d) = sqlite_config();
    let db = store::connect(&db_cfg).await.unwrap();
    store::migrate(&db).await.unwrap();
    let auth = password(&export("JLBRIDGE_SFTP_PASSWORD"));
    let settings = SftpSettings::from_url(&export("JLBRIDGE_SFTP_URL"), auth, export("JLBRIDGE_SFTP_KNOWN_HOST"), Duration::from_secs(10)).unwrap();
    let jl = EdgeSftpMarketplace::new(settings, Default::default(), db).unwrap();
    let orders = jl.list_orders(&OrderStatus::Order).await.unwrap();
    let refs: Vec<&str> = orders.iter().map(|o| o.reference.0.as_str()).collect();
    assert_eq!(refs, vec!["JL100000001", "JL100000002"], "the seeded orders, read as files over SFTP");
    assert!(dir.path().join("live/incoming").is_dir());
}
