//! An SFTP server inside the process, for the sandbox: `jlbridge demo --marketplace edge_sftp`,
//! `jlbridge sandbox --sftp-listen …` and the tests run the SFTP adapter against it on a machine
//! without `sshd`. Pure Rust (`russh` server + `russh_sftp::server`).
//!
//! * It serves one folder as `/` (chrooted: no path leads out of it, see `jail`); The Edge's
//!   tree (`/live/incoming`, …) lies below it.
//! * Its host key is a throw-away Ed25519 key made at start: [`SftpServer::known_host`] is the
//!   line to configure as `sftp.known_host`.
//! * One user logs in, with the configured password and/or one of the authorised public keys.
//! * [`SftpServer::set_down`] plays an outage: new connections are closed at once and every
//!   request on an open session fails, until it is lifted.
mod files;
pub mod jail;
mod ssh;

use crate::sandbox::call_log::CallLog;
use russh::keys::{HashAlg, PrivateKey, PublicKey};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Who may log in, and where the server listens and what it serves.
#[derive(Clone)]
pub struct SftpServerConfig {
    pub listen: SocketAddr,
    /// The folder served as `/`.
    pub root: PathBuf,
    pub user: String,
    /// `None`: no password login.
    pub password: Option<String>,
    /// Public keys that may log in as `user`.
    pub authorized_keys: Vec<PublicKey>,
}

impl std::fmt::Debug for SftpServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SftpServerConfig")
            .field("listen", &self.listen)
            .field("root", &self.root)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("authorized_keys", &self.authorized_keys.len())
            .finish()
    }
}

impl SftpServerConfig {
    /// Loopback on a free port, user `seller` with a random password, no keys.
    pub fn new(root: impl Into<PathBuf>) -> SftpServerConfig {
        let password: [u8; 12] = rand::random();
        SftpServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            root: root.into(),
            user: "seller".into(),
            password: Some(password.iter().map(|b| format!("{b:02x}")).collect()),
            authorized_keys: Vec::new(),
        }
    }
}

/// Reads an OpenSSH public key line (`ssh-ed25519 AAAA… comment`, e.g. a `.pub` file).
pub fn parse_public_key(line: &str) -> Result<PublicKey, String> {
    crate::marketplace::edge_sftp::client::parse_known_host(line)
}

/// What the sessions share.
struct Shared {
    jail: jail::Jail,
    user: String,
    password: Option<String>,
    keys: Vec<PublicKey>,
    down: AtomicBool,
    logins: AtomicUsize,
    refused: AtomicUsize,
    log: CallLog,
}

/// The running server; stopped when dropped.
pub struct SftpServer {
    addr: SocketAddr,
    host_key: PublicKey,
    shared: Arc<Shared>,
    stop: CancellationToken,
}

impl Drop for SftpServer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// A throw-away Ed25519 host key.
fn host_key() -> PrivateKey {
    let seed: [u8; 32] = rand::random();
    PrivateKey::from(russh::keys::ssh_key::private::Ed25519Keypair::from_seed(&seed))
}

/// Starts the server (the root folder must exist).
pub async fn start(config: SftpServerConfig) -> std::io::Result<SftpServer> {
    let jail = jail::Jail::new(&config.root)?;
    let key = host_key();
    let host_key = key.public_key().clone();
    let ssh = Arc::new(russh::server::Config {
        keys: vec![key],
        auth_rejection_time: Duration::from_millis(100),
        auth_rejection_time_initial: Some(Duration::ZERO),
        inactivity_timeout: Some(Duration::from_secs(600)),
        ..Default::default()
    });
    let shared = Arc::new(Shared {
        jail,
        user: config.user,
        password: config.password,
        keys: config.authorized_keys,
        down: AtomicBool::new(false),
        logins: AtomicUsize::new(0),
        refused: AtomicUsize::new(0),
        log: CallLog::default(),
    });
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let stop = CancellationToken::new();
    tokio::spawn(accept(listener, ssh, shared.clone(), stop.clone()));
    Ok(SftpServer { addr, host_key, shared, stop })
}

async fn accept(listener: tokio::net::TcpListener, ssh: Arc<russh::server::Config>, shared: Arc<Shared>, stop: CancellationToken) {
    loop {
        let socket = tokio::select! {
            _ = stop.cancelled() => return,
            r = listener.accept() => match r {
                Ok((s, _)) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "sandbox SFTP server: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        if shared.down.load(Ordering::SeqCst) {
            shared.refused.fetch_add(1, Ordering::SeqCst);
            drop(socket); // the outage: closed before the SSH greeting
            continue;
        }
        let _ = socket.set_nodelay(true);
        let (ssh, shared, stop) = (ssh.clone(), shared.clone(), stop.clone());
        tokio::spawn(async move {
            let Ok(session) = russh::server::run_stream(ssh, socket, ssh::Connection::new(shared)).await else { return };
            tokio::select! {
                _ = stop.cancelled() => {}
                _ = session => {}
            }
        });
    }
}

impl SftpServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn user(&self) -> &str {
        &self.shared.user
    }

    pub fn password(&self) -> Option<&str> {
        self.shared.password.as_deref()
    }

    /// The served folder (resolved).
    pub fn root(&self) -> &Path {
        self.shared.jail.root()
    }

    /// The host key as `sftp.known_host` takes it: `ssh-ed25519 AAAA…`.
    pub fn known_host(&self) -> String {
        self.host_key.to_openssh().expect("an Ed25519 key encodes")
    }

    /// The line for `~/.ssh/known_hosts`: `[127.0.0.1]:2222 ssh-ed25519 AAAA…`.
    pub fn known_hosts_line(&self) -> String {
        format!("[{}]:{} {}", self.addr.ip(), self.addr.port(), self.known_host())
    }

    /// `SHA256:…`, as `ssh` shows it on first connection.
    pub fn fingerprint(&self) -> String {
        self.host_key.fingerprint(HashAlg::Sha256).to_string()
    }

    /// `sftp://user@host:port<root>` for `sftp.url` (`root`: `/live` or `/uat`).
    pub fn url(&self, root: &str) -> String {
        format!("sftp://{}@{}:{}{root}", self.shared.user, self.addr.ip(), self.addr.port())
    }

    /// Points a configuration at this server: `edge_sftp`, the URL with `root` (`/live`), the
    /// password, the host key.
    pub fn point_config(&self, c: &mut crate::config::Config, root: &str) {
        c.marketplace.kind = crate::config::MarketplaceKind::EdgeSftp;
        c.sftp.url = Some(self.url(root));
        c.sftp.password = self.password().map(crate::config::Secret::new);
        c.sftp.known_host = Some(self.known_host());
    }

    /// Starts (`true`) or ends an outage.
    pub fn set_down(&self, down: bool) {
        self.shared.down.store(down, Ordering::SeqCst);
    }

    /// Successful logins so far (each new session is one).
    pub fn logins(&self) -> usize {
        self.shared.logins.load(Ordering::SeqCst)
    }

    /// Connections closed at once during an outage.
    pub fn refused_connections(&self) -> usize {
        self.shared.refused.load(Ordering::SeqCst)
    }

    /// The requests received (operation, path as the client named it, HTTP-like status).
    pub fn calls(&self) -> Vec<crate::sandbox::CallRecord> {
        self.shared.log.records()
    }
}
