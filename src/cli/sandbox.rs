//! `jlbridge sandbox`: the simulated Edge and Magento, standalone, for trying a configuration;
//! with `--sftp-listen`, also the simulated Edge's folder tree behind an SFTP server.
use crate::domain::edge_files::FileLayout;
use crate::sandbox::edge::{self, EdgeSandboxConfig};
use crate::sandbox::edge_files::EdgeFilesSandbox;
use crate::sandbox::magento::MagentoSandbox;
use crate::sandbox::sftp_server::{self, SftpServer, SftpServerConfig};
use anyhow::Context;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(clap::Args, Debug)]
pub struct SandboxArgs {
    /// Where the simulated Edge listens.
    #[arg(long, default_value = "127.0.0.1:8701")]
    pub edge_listen: SocketAddr,
    /// Also serve The Edge's folder tree over SFTP here (e.g. 127.0.0.1:8722).
    #[arg(long)]
    pub sftp_listen: Option<SocketAddr>,
    /// The folder the SFTP server serves as `/` (The Edge's tree is `live/` below it);
    /// default: a new folder in the temporary directory.
    #[arg(long)]
    pub sftp_dir: Option<PathBuf>,
    /// The SFTP login.
    #[arg(long, default_value = "seller")]
    pub sftp_user: String,
    /// The SFTP password (default: a random one, printed).
    #[arg(long)]
    pub sftp_password: Option<String>,
    /// A public key file (`id_ed25519.pub`) that may log in too; repeatable.
    #[arg(long)]
    pub sftp_authorized_key: Vec<PathBuf>,
}

/// The simulated Edge over SFTP: the server and the folder tree it serves.
async fn serve_sftp(args: &SandboxArgs, listen: SocketAddr, stop: CancellationToken) -> anyhow::Result<(SftpServer, EdgeFilesSandbox)> {
    let dir = args.sftp_dir.clone().unwrap_or_else(|| std::env::temp_dir().join(format!("jlbridge-sandbox-sftp-{}", std::process::id())));
    let tree = EdgeFilesSandbox::new(dir.join("live"), FileLayout::default()).with_context(|| format!("creating {}", dir.display()))?;
    tree.seed_demo()?;
    let mut config = SftpServerConfig::new(&dir);
    config.listen = listen;
    config.user = args.sftp_user.clone();
    if let Some(p) = &args.sftp_password {
        config.password = Some(p.clone());
    }
    for file in &args.sftp_authorized_key {
        let line = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        config.authorized_keys.push(sftp_server::parse_public_key(&line).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?);
    }
    let server = sftp_server::start(config).await.with_context(|| format!("SFTP server on {listen}"))?;
    tokio::spawn(tree.clone().run(Duration::from_millis(500), stop));
    Ok((server, tree))
}

pub async fn run(args: SandboxArgs) -> anyhow::Result<()> {
    let config = EdgeSandboxConfig { listen: args.edge_listen, ..EdgeSandboxConfig::default() };
    let (user, password) = (config.username.clone(), config.password.clone());
    let edge = edge::start(config).await?;
    edge.seed_demo();
    let magento = MagentoSandbox::start().await?;
    let stop = CancellationToken::new();
    let sftp = match args.sftp_listen {
        Some(listen) => Some(serve_sftp(&args, listen, stop.clone()).await?),
        None => None,
    };
    println!("simulated Edge REST v4 on {}", edge.base_url());
    println!("simulated Magento REST on {}", magento.base_url());
    println!("point jlbridge at them with:");
    println!("  export JLBRIDGE_EDGE_BASE_URL={}", edge.base_url());
    println!("  export JLBRIDGE_EDGE_USERNAME={user}");
    println!("  export JLBRIDGE_EDGE_PASSWORD={password}");
    println!("  export JLBRIDGE_MAGENTO_BASE_URL={}", magento.base_url());
    println!("  export JLBRIDGE_MAGENTO_TOKEN={}", magento.token());
    if let Some((server, tree)) = &sftp {
        println!();
        println!("simulated Edge over SFTP on {} (folder tree {})", server.addr(), tree.root().display());
        println!("  user {}{}", server.user(), server.password().map(|p| format!(" · password {p}")).unwrap_or_default());
        println!("  host key {}", server.fingerprint());
        println!("  known_hosts line: {}", server.known_hosts_line());
        println!("for John Lewis over SFTP instead of REST:");
        println!("  export JLBRIDGE_MARKETPLACE=edge_sftp");
        println!("  export JLBRIDGE_SFTP_URL={}", server.url("/live"));
        if let Some(p) = server.password() {
            println!("  export JLBRIDGE_SFTP_PASSWORD={p}");
        }
        println!("  export JLBRIDGE_SFTP_KNOWN_HOST='{}'", server.known_host());
        println!("  (or: sftp -P {} {}@{})", server.addr().port(), server.user(), server.addr().ip());
    }
    println!("Ctrl-C stops them.");
    crate::app::shutdown_signal().await;
    stop.cancel();
    Ok(())
}
