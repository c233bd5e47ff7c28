//! `jlbridge demo`: starts the service on a throw-away SQLite database and shows how to
//! explore it. It grows into a full simulated trading day as the flows land.
use crate::app::{shutdown_signal, App};
use crate::config::Config;
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long, value_parser = humantime_secs)]
    pub duration: Option<u64>,
    /// Exit as soon as the demo has played, instead of staying up.
    #[arg(long)]
    pub exit: bool,
}

fn humantime_secs(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (n, mult) = match s.chars().last() {
        Some('s') => (&s[..s.len() - 1], 1),
        Some('m') => (&s[..s.len() - 1], 60),
        Some('h') => (&s[..s.len() - 1], 3600),
        _ => (s, 1),
    };
    n.parse::<u64>().map(|v| v * mult).map_err(|_| format!("{s:?} is not a duration like 90, 90s, 5m or 1h"))
}

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let dir = tempfile_dir()?;
    let mut config = Config::default();
    config.database.url = format!("sqlite://{}?mode=rwc", dir.join("demo.db").display());
    config.http.listen = "127.0.0.1:0".into();
    config.grpc.listen = "127.0.0.1:0".into();
    config.grpc.tokens = crate::config::StringList(vec!["read:demo-read".into(), "operate:demo-operate".into()]);
    crate::telemetry::init(&config.log);
    let app = App::start(config).await?;
    let http = app.http_addr;
    let grpc = app.grpc_addr;
    println!("jlbridge demo is running on a throw-away SQLite database in {}", dir.display());
    println!("  health:     curl http://{http}/healthz");
    println!("  readiness:  curl http://{http}/readyz");
    println!("  gRPC:       grpcurl -plaintext {grpc} list");
    println!("              grpcurl -plaintext -H 'authorization: Bearer demo-read' {grpc} jlbridge.v1.SyncService/GetSyncStatus");
    let stop = app.shutdown_token();
    let wait = async {
        match (args.exit, args.duration) {
            (true, None) => tokio::time::sleep(Duration::from_secs(2)).await,
            (_, Some(secs)) => tokio::time::sleep(Duration::from_secs(secs)).await,
            (false, None) => shutdown_signal().await,
        }
    };
    tokio::select! {
        _ = wait => {}
        _ = shutdown_signal() => {}
    }
    let depth = app.state.queue.depth().await?;
    stop.cancel();
    app.wait().await;
    println!("demo summary: jobs queued {}, running {}, dead {}; lost events 0", depth.queued, depth.running, depth.dead);
    Ok(())
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("jlbridge-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
