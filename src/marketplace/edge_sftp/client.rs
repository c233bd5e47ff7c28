//! A small SFTP client over `russh` + `russh-sftp` (pure Rust): password or key login, the
//! server's host key checked against the configured known host, one session kept and
//! reopened after any failure. Every operation has a timeout; every failure is a
//! [`MarketplaceError::Transport`] (retryable: the job queue or the next cycle tries again).
use crate::marketplace::MarketplaceError;
use russh::client;
use russh::keys::{PrivateKeyWithHashAlg, PublicKey};
use russh_sftp::client::SftpSession;
use russh_sftp::protocol::OpenFlags;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

/// How to log in.
#[derive(Clone)]
pub enum SftpAuth {
    Password(crate::config::Secret),
    /// An OpenSSH private key file (optionally with its passphrase).
    KeyFile { path: String, passphrase: Option<crate::config::Secret> },
}

impl std::fmt::Debug for SftpAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SftpAuth::Password(_) => f.write_str("Password([redacted])"),
            SftpAuth::KeyFile { path, .. } => write!(f, "KeyFile({path:?})"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct SftpSettings {
    pub host: String,
    pub port: u16,
    pub user: String,
    /// `/live` or `/uat` (from the URL path); folders hang below it.
    pub root: String,
    pub auth: SftpAuth,
    /// The server's public key as `ssh-ed25519 AAAA…` (a `known_hosts` line works too).
    pub known_host: String,
    pub timeout: Duration,
}

impl SftpSettings {
    /// Reads `sftp://user@host:port/root`.
    pub fn from_url(url: &str, auth: SftpAuth, known_host: String, timeout: Duration) -> Result<Self, String> {
        let u = reqwest::Url::parse(url).map_err(|e| format!("sftp url: {e}"))?;
        if u.scheme() != "sftp" || u.username().is_empty() {
            return Err("sftp url is not sftp://user@host:port/root".into());
        }
        let host = u.host_str().ok_or("sftp url has no host")?.trim_matches(|c| c == '[' || c == ']').to_owned();
        let user = percent_encoding::percent_decode_str(u.username()).decode_utf8_lossy().into_owned();
        let root = u.path().trim_end_matches('/').to_owned();
        Ok(SftpSettings { host, port: u.port().unwrap_or(22), user, root, auth, known_host, timeout })
    }

    /// `root/folder/name` (no doubled slashes).
    pub fn path(&self, folder: &str, name: &str) -> String {
        let folder = folder.trim_matches('/');
        match (folder.is_empty(), name.is_empty()) {
            (true, _) => format!("{}/{name}", self.root),
            (false, true) => format!("{}/{folder}", self.root),
            (false, false) => format!("{}/{folder}/{name}", self.root),
        }
    }
}

/// Parses the expected host key from `ssh-ed25519 AAAA… [comment]` or a `known_hosts` line.
pub fn parse_known_host(line: &str) -> Result<PublicKey, String> {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    for w in tokens.windows(2) {
        if w[0].starts_with("ssh-") || w[0].starts_with("ecdsa-") || w[0].starts_with("rsa-") {
            if let Ok(k) = russh::keys::parse_public_key_base64(w[1]) {
                return Ok(k);
            }
        }
    }
    Err("sftp.known_host is not a public key line like `ssh-ed25519 AAAA…`".into())
}

struct Checker {
    expected: PublicKey,
}

impl client::Handler for Checker {
    type Error = russh::Error;

    async fn check_server_key(&mut self, key: &russh::keys::PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        // A certificate is not accepted: only the configured host key itself.
        Ok(matches!(key, russh::keys::PublicKeyOrCertificate::PublicKey { key, .. } if key.key_data() == self.expected.key_data()))
    }
}

struct Conn {
    _handle: client::Handle<Checker>,
    sftp: SftpSession,
}

pub struct SftpClient {
    settings: SftpSettings,
    expected: PublicKey,
    conn: Mutex<Option<Arc<Conn>>>,
}

fn transport(what: &str, e: impl std::fmt::Display) -> MarketplaceError {
    MarketplaceError::Transport { message: format!("sftp {what}: {e}"), timeout: false }
}

impl SftpClient {
    pub fn new(settings: SftpSettings) -> Result<Self, MarketplaceError> {
        let expected = parse_known_host(&settings.known_host).map_err(MarketplaceError::Invalid)?;
        Ok(SftpClient { settings, expected, conn: Mutex::new(None) })
    }

    pub fn settings(&self) -> &SftpSettings {
        &self.settings
    }

    async fn connect(&self) -> Result<Conn, MarketplaceError> {
        let s = &self.settings;
        let config = Arc::new(client::Config { inactivity_timeout: Some(Duration::from_secs(300)), ..Default::default() });
        let checker = Checker { expected: self.expected.clone() };
        let mut handle = client::connect(config, (s.host.as_str(), s.port), checker).await.map_err(|e| match e {
            russh::Error::UnknownKey => MarketplaceError::Auth { status: 495, message: "the SFTP server's host key is not the configured sftp.known_host".into() },
            e => transport("connect", e),
        })?;
        let ok = match &s.auth {
            SftpAuth::Password(p) => handle.authenticate_password(&s.user, p.expose()).await.map_err(|e| transport("login", e))?.success(),
            SftpAuth::KeyFile { path, passphrase } => {
                let key = russh::keys::load_secret_key(path, passphrase.as_ref().map(|p| p.expose()))
                    .map_err(|e| MarketplaceError::Invalid(format!("sftp.key_file {path:?}: {e}")))?;
                let hash = handle.best_supported_rsa_hash().await.map_err(|e| transport("login", e))?.flatten();
                handle.authenticate_publickey(&s.user, PrivateKeyWithHashAlg::new(Arc::new(key), hash)).await.map_err(|e| transport("login", e))?.success()
            }
        };
        if !ok {
            return Err(MarketplaceError::Auth { status: 401, message: format!("the SFTP server refused the login of {:?}", s.user) });
        }
        let channel = handle.channel_open_session().await.map_err(|e| transport("channel", e))?;
        channel.request_subsystem(true, "sftp").await.map_err(|e| transport("subsystem", e))?;
        let sftp = SftpSession::new(channel.into_stream()).await.map_err(|e| transport("session", e))?;
        sftp.set_timeout(s.timeout.as_secs().max(1));
        Ok(Conn { _handle: handle, sftp })
    }

    /// The open session (opened when there is none).
    async fn session(&self) -> Result<Arc<Conn>, MarketplaceError> {
        let mut guard = self.conn.lock().await;
        if let Some(c) = guard.as_ref() {
            return Ok(c.clone());
        }
        let c = Arc::new(tokio::time::timeout(self.settings.timeout, self.connect()).await.map_err(|_| MarketplaceError::Transport {
            message: "sftp connect timed out".into(),
            timeout: true,
        })??);
        *guard = Some(c.clone());
        Ok(c)
    }

    /// Forgets the session after a failure: the next call opens a new one.
    async fn reset(&self) {
        self.conn.lock().await.take();
    }

    async fn run<T, F, Fut>(&self, what: &str, op: F) -> Result<T, MarketplaceError>
    where
        F: FnOnce(Arc<Conn>) -> Fut,
        Fut: std::future::Future<Output = Result<T, russh_sftp::client::error::Error>>,
    {
        let conn = self.session().await?;
        match tokio::time::timeout(self.settings.timeout, op(conn)).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => {
                self.reset().await;
                Err(transport(what, e))
            }
            Err(_) => {
                self.reset().await;
                Err(MarketplaceError::Transport { message: format!("sftp {what} timed out"), timeout: true })
            }
        }
    }

    /// Names of the plain files in `folder` (a missing folder lists as empty).
    pub async fn list(&self, folder: &str) -> Result<Vec<String>, MarketplaceError> {
        let path = self.settings.path(folder, "");
        let missing = self.exists(folder, "").await.map(|e| !e)?;
        if missing {
            return Ok(Vec::new());
        }
        self.run("list", |c| async move {
            let mut names: Vec<String> =
                c.sftp.read_dir(path).await?.filter(|e| e.file_type().is_file()).map(|e| e.file_name()).collect();
            names.sort();
            Ok(names)
        })
        .await
    }

    pub async fn exists(&self, folder: &str, name: &str) -> Result<bool, MarketplaceError> {
        let path = self.settings.path(folder, name);
        self.run("stat", |c| async move { c.sftp.try_exists(path).await }).await
    }

    pub async fn read(&self, folder: &str, name: &str) -> Result<Vec<u8>, MarketplaceError> {
        let path = self.settings.path(folder, name);
        self.run("read", |c| async move { c.sftp.read(path).await }).await
    }

    /// Writes the whole file under its final name in one go (created or truncated).
    pub async fn write(&self, folder: &str, name: &str, data: &[u8]) -> Result<(), MarketplaceError> {
        let path = self.settings.path(folder, name);
        let data = data.to_vec();
        self.run("write", |c| async move {
            let mut f = c.sftp.open_with_flags(path, OpenFlags::CREATE | OpenFlags::TRUNCATE | OpenFlags::WRITE).await?;
            f.write_all(&data).await?;
            f.flush().await?;
            f.shutdown().await?;
            Ok(())
        })
        .await
    }

    pub async fn rename(&self, from_folder: &str, name: &str, to_folder: &str) -> Result<(), MarketplaceError> {
        let (from, to) = (self.settings.path(from_folder, name), self.settings.path(to_folder, name));
        self.run("rename", |c| async move { c.sftp.rename(from, to).await }).await
    }

    /// Creates `folder` (and its parents below the root) when missing.
    pub async fn ensure_folder(&self, folder: &str) -> Result<(), MarketplaceError> {
        let mut sofar = String::new();
        for part in folder.trim_matches('/').split('/').filter(|p| !p.is_empty()) {
            sofar = if sofar.is_empty() { part.to_owned() } else { format!("{sofar}/{part}") };
            if !self.exists(&sofar, "").await? {
                let path = self.settings.path(&sofar, "");
                self.run("mkdir", |c| async move { c.sftp.create_dir(path).await }).await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_gives_host_user_port_and_root() {
        let s = SftpSettings::from_url(
            "sftp://seller@sftp.example.com:2222/uat/",
            SftpAuth::Password(crate::config::Secret::new("pw")),
            String::new(),
            Duration::from_secs(5),
        )
        .unwrap();
        assert_eq!((s.host.as_str(), s.port, s.user.as_str(), s.root.as_str()), ("sftp.example.com", 2222, "seller", "/uat"));
        assert_eq!(s.path("incoming", "order-1.txt"), "/uat/incoming/order-1.txt");
        assert_eq!(s.path("inventory/errors", ""), "/uat/inventory/errors");
        assert!(!format!("{s:?}").contains("pw"));
        assert!(SftpSettings::from_url("https://x/", SftpAuth::Password(crate::config::Secret::new("p")), String::new(), Duration::ZERO).is_err());
    }

    #[test]
    fn known_host_lines() {
        let key = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
        assert!(parse_known_host(&format!("ssh-ed25519 {key}")).is_ok());
        assert!(parse_known_host(&format!("[127.0.0.1]:2222 ssh-ed25519 {key} root@host")).is_ok());
        assert!(parse_known_host("nonsense").is_err());
    }
}
