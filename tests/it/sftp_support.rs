//! SFTP servers on loopback for the SFTP adapter's tests, each behind a [`Target`]:
//! * a real OpenSSH server: `sshd` on a free port with a throw-away host key and user key in a
//!   temporary directory, `internal-sftp`, no chroot. Its tests are skipped (with the reason
//!   printed) when `/usr/sbin/sshd` is absent, unless `JLBRIDGE_TEST_SFTP` is set (as
//!   `.ci/run` does): then they fail;
//! * the sandbox's in-process server (`jlbridge::sandbox::sftp_server`): always there.
//!
//! `CutProxy` sits between the adapter and `sshd` and, when armed, drops the connection after
//! a number of bytes: "a connection dropped mid-transfer".
#![allow(dead_code)]
use crate::support::free_addr;
use jlbridge::domain::edge_files::FileLayout;
use jlbridge::marketplace::edge_sftp::{EdgeSftpMarketplace, EdgeSftpOptions, SftpAuth, SftpSettings};
use jlbridge::sandbox::sftp_server::{self, SftpServer, SftpServerConfig};
use sea_orm::DatabaseConnection;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub const SSHD: &str = "/usr/sbin/sshd";
pub const ENABLE: &str = "JLBRIDGE_TEST_SFTP";

pub struct SshServer {
    pub dir: tempfile::TempDir,
    pub port: u16,
    pub user: String,
    pub known_host: String,
    pub key_file: PathBuf,
    child: Child,
}

impl Drop for SshServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("runs");
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
}

impl SshServer {
    /// Starts sshd, or says why the test is skipped (`None`).
    pub async fn start(test: &str) -> Option<SshServer> {
        if !Path::new(SSHD).exists() {
            if std::env::var(ENABLE).is_ok_and(|v| !v.is_empty() && v != "0") {
                panic!("{test}: {ENABLE} is set but {SSHD} is not installed (apt-get install openssh-server)");
            }
            println!("skipped {test}: {SSHD} is not installed (.ci/run installs openssh-server and sets {ENABLE})");
            return None;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        run(Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-f"]).arg(d.join("host_key")));
        run(Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-f"]).arg(d.join("user_key")));
        std::fs::copy(d.join("user_key.pub"), d.join("authorized_keys")).unwrap();
        for f in ["live/incoming", "live/outgoing", "live/inventory/errors"] {
            std::fs::create_dir_all(d.join("root").join(f)).unwrap();
        }
        let _ = std::fs::create_dir_all("/run/sshd");
        let user = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout).unwrap().trim().to_owned();
        let port: u16 = free_addr().rsplit(':').next().unwrap().parse().unwrap();
        // Key login only: a password login would need a system account with a known password
        // (sshd checks the system's password database); the in-process server tests it.
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {hk}\nPidFile {d}/sshd.pid\nAuthorizedKeysFile {d}/authorized_keys\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\nPermitRootLogin yes\n\
             StrictModes no\nUsePAM no\nSubsystem sftp internal-sftp\nLogLevel QUIET\nMaxStartups 100\n",
            hk = d.join("host_key").display(),
            d = d.display()
        );
        std::fs::write(d.join("sshd_config"), config).unwrap();
        let child = Command::new(SSHD)
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(d.join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("sshd starts");
        let known_host = std::fs::read_to_string(d.join("host_key.pub")).unwrap().trim().to_owned();
        let up = crate::support::eventually(10, || async move { tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() }).await;
        assert!(up, "sshd listens on {port}");
        let key_file = d.join("user_key");
        Some(SshServer { dir, port, user, known_host, key_file, child })
    }
}

/// An SFTP server the adapter talks to, and the folder tree it serves (`/live` below it):
/// OpenSSH's `sshd` (key login; no chroot, so the URL's root is the tree's path on disk) or the
/// sandbox's in-process server (password login, chrooted: the URL's root is `/live`).
pub struct Target {
    pub port: u16,
    pub user: String,
    pub known_host: String,
    pub auth: SftpAuth,
    /// The URL's path.
    url_root: String,
    /// `live/` on disk.
    disk: PathBuf,
    pub sshd: Option<SshServer>,
    pub in_process: Option<SftpServer>,
    _dir: Option<tempfile::TempDir>,
}

impl Target {
    /// OpenSSH on loopback, or `None` when the test is skipped (see `SshServer::start`).
    pub async fn sshd(test: &str) -> Option<Target> {
        let ssh = SshServer::start(test).await?;
        let disk = ssh.dir.path().join("root").join("live");
        Some(Target {
            port: ssh.port,
            user: ssh.user.clone(),
            known_host: ssh.known_host.clone(),
            auth: SftpAuth::KeyFile { path: ssh.key_file.display().to_string(), passphrase: None },
            url_root: disk.display().to_string(),
            disk,
            sshd: Some(ssh),
            in_process: None,
            _dir: None,
        })
    }

    /// The sandbox's SFTP server, logging in by password.
    pub async fn in_process() -> Target {
        let dir = tempfile::tempdir().expect("tempdir");
        let disk = dir.path().join("live");
        for f in ["incoming", "outgoing", "inventory/errors"] {
            std::fs::create_dir_all(disk.join(f)).unwrap();
        }
        let server = sftp_server::start(SftpServerConfig::new(dir.path())).await.expect("the SFTP server starts");
        Target {
            port: server.addr().port(),
            user: server.user().to_owned(),
            known_host: server.known_host(),
            auth: SftpAuth::Password(jlbridge::config::Secret::new(server.password().expect("a password"))),
            url_root: "/live".into(),
            disk,
            sshd: None,
            in_process: Some(server),
            _dir: Some(dir),
        }
    }

    /// The `/live` root on disk.
    pub fn root(&self) -> PathBuf {
        self.disk.clone()
    }

    pub fn url(&self, port: u16) -> String {
        format!("sftp://{}@127.0.0.1:{port}{}", self.user, self.url_root)
    }

    pub fn settings(&self, port: u16) -> SftpSettings {
        SftpSettings::from_url(&self.url(port), self.auth.clone(), self.known_host.clone(), Duration::from_secs(10)).unwrap()
    }

    pub fn adapter(&self, db: &DatabaseConnection, port: u16) -> EdgeSftpMarketplace {
        let opts = EdgeSftpOptions { stock_batch: Duration::from_secs(3600), carriers: vec!["dpd".into(), "royal-mail".into()], ..Default::default() };
        EdgeSftpMarketplace::new(self.settings(port), opts, db.clone()).unwrap()
    }

    /// Points a service configuration at the server (URL, login, host key).
    pub fn configure(&self, c: &mut jlbridge::config::Config) {
        c.sftp.url = Some(self.url(self.port));
        match &self.auth {
            SftpAuth::KeyFile { path, .. } => c.sftp.key_file = Some(path.clone()),
            SftpAuth::Password(p) => c.sftp.password = Some(p.clone()),
        }
        c.sftp.known_host = Some(self.known_host.clone());
    }

    /// Names in a folder below the root, sorted.
    pub fn names(&self, folder: &str) -> Vec<String> {
        let mut v: Vec<String> = match std::fs::read_dir(self.root().join(folder)) {
            Ok(rd) => rd.filter_map(|e| e.ok()).filter(|e| e.path().is_file()).map(|e| e.file_name().to_string_lossy().into_owned()).collect(),
            Err(_) => Vec::new(),
        };
        v.sort();
        v
    }

    pub fn read(&self, folder: &str, name: &str) -> String {
        std::fs::read_to_string(self.root().join(folder).join(name)).unwrap()
    }

    pub fn put(&self, folder: &str, name: &str, text: &str) {
        std::fs::write(self.root().join(folder).join(name), text).unwrap();
    }

    /// Drops an order file in `incoming/`, with its `.DONE` marker when `done`.
    pub fn put_order(&self, name: &str, text: &str, done: bool) {
        self.put("incoming", name, text);
        if done {
            self.put("incoming", &FileLayout::default().done_name(name), "");
        }
    }
}

/// An order file in the documented layout (with a unit price column) and its checksum.
pub fn order_file(number: &str, lines: &[(&str, &str, u32, &str)]) -> String {
    let mut s = String::from(
        "order_number,order_date,po_enduser,retailer_ref,shipping_title,shipping_full_name,shipping_address_1,shipping_address_2,shipping_address_3,shipping_postcode,shipping_country,shipping_phone,shipping_email,expected_delivery_date\n",
    );
    s += &format!("{number},2026-11-27T09:01:33,254155338,2026112709013348672,Ms,Jane Example,1 Example Road,Flat 2,Reading,RG1 1AA,GB,07700900123,jane@example.com,2026-12-03T00:00:00\n");
    s += "line_ref,part_number,additional_ref,quantity,description,promised_date,unit_price\n";
    for (line_ref, pn, qty, price) in lines {
        s += &format!("{line_ref},{pn},,{qty},Example item {pn},2026-12-03T09:00:00,{price}\n");
    }
    s += &format!("{}\n", 3 + lines.len());
    s
}

/// A loopback TCP proxy to `target` that, when armed, cuts the connection once `n` more bytes
/// went from the client to the server.
pub struct CutProxy {
    pub port: u16,
    budget: Arc<AtomicI64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for CutProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl CutProxy {
    pub async fn start(target: u16) -> CutProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let budget = Arc::new(AtomicI64::new(-1));
        let b = budget.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let b = b.clone();
                tokio::spawn(async move {
                    let Ok(server) = tokio::net::TcpStream::connect(("127.0.0.1", target)).await else { return };
                    let (mut cr, mut cw) = client.into_split();
                    let (mut sr, mut sw) = server.into_split();
                    let down = tokio::spawn(async move {
                        let _ = tokio::io::copy(&mut sr, &mut cw).await;
                    });
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    let mut buf = vec![0u8; 4096];
                    loop {
                        let n = match cr.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        let left = b.load(Ordering::SeqCst);
                        if left >= 0 {
                            if n as i64 > left {
                                let _ = sw.write_all(&buf[..left as usize]).await;
                                b.store(-1, Ordering::SeqCst); // one cut per arming
                                break;
                            }
                            b.fetch_sub(n as i64, Ordering::SeqCst);
                        }
                        if sw.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    down.abort();
                });
            }
        });
        CutProxy { port, budget, task }
    }

    /// The next `bytes` bytes from client to server pass; then the connection is cut.
    pub fn arm(&self, bytes: i64) {
        self.budget.store(bytes, Ordering::SeqCst);
    }
}

/// Runs the scenario `$name(target)` twice: against OpenSSH (`…::over_openssh`, skipped
/// without sshd) and against the sandbox's in-process server (`…::in_process`, always).
macro_rules! over_both {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn over_openssh() {
                let Some(t) = crate::sftp_support::Target::sshd(concat!("sftp ", stringify!($name))).await else { return };
                super::$name(t).await
            }

            #[tokio::test]
            async fn in_process() {
                super::$name(crate::sftp_support::Target::in_process().await).await
            }
        }
    };
}
pub(crate) use over_both;
