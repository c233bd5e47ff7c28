//! `jlbridge demo`: a compressed trading day on the sandboxes (see `crate::demo`).
use crate::config::MarketplaceKind;
use crate::demo::{run as play, DemoOptions};
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Length of the compressed day, e.g. 90, 90s, 3m.
    #[arg(long, value_parser = humantime_secs, default_value = "150")]
    pub duration: u64,
    /// Exit once the summary is printed, instead of staying up until Ctrl-C.
    #[arg(long)]
    pub exit: bool,
    /// Products in the catalogue.
    #[arg(long, default_value_t = 300)]
    pub skus: usize,
    /// How John Lewis is reached: `edge` (REST v4) or `edge_sftp` (flat files over SFTP, served
    /// by an SFTP server inside the demo).
    #[arg(long, env = "JLBRIDGE_MARKETPLACE", default_value = "edge", value_parser = ["edge", "edge_sftp"])]
    pub marketplace: String,
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
    let dir = std::env::temp_dir().join(format!("jlbridge-demo-{}", std::process::id()));
    let marketplace = if args.marketplace == "edge_sftp" { MarketplaceKind::EdgeSftp } else { MarketplaceKind::Edge };
    play(DemoOptions { day: Duration::from_secs(args.duration.max(10)), skus: args.skus.max(10), exit: args.exit, dir, marketplace }).await
}
